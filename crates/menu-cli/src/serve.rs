//! `menu mock serve`: the mock in the foreground, with what a user needs to call it.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use menu_mock::{MessageKind, MockServer, MockState, Notice};

use crate::output::{self, Failure};

mod announce;

use announce::Announcement;
pub use announce::Form;

/// Serves the mock on `host:port` until interrupted, its state kept in `file`, telling what to
/// use in `form`.
pub async fn run(
    host: IpAddr,
    port: u16,
    file: Option<PathBuf>,
    form: Form,
) -> Result<(), Failure> {
    let state = match &file {
        Some(path) => match path.try_exists() {
            Ok(true) => MockState::load(path),
            Ok(false) => Ok(MockState::seeded()),
            Err(e) => Err(menu_mock::StateError::File {
                path: path.clone(),
                reason: format!("cannot tell whether it exists: {e}"),
            }),
        },
        None => Ok(MockState::seeded()),
    }
    .map_err(|e| Failure::other(format!("cannot start the mock: {e}")))?;
    let state = match &file {
        Some(path) => state
            .save_to(path)
            .map_err(|e| Failure::other(format!("cannot start the mock: {e}")))?,
        None => state,
    };
    // Every message the mock sends, as it is sent: the person at the terminal reads the code.
    let state = state.on_notice(move |notice| {
        let line = match notice {
            Notice::Sent(message) => format!(
                "# sent to {}: {} {}",
                message.to,
                match message.kind {
                    MessageKind::SignUpCode => "sign-up code",
                    MessageKind::LoginCode => "login code",
                    MessageKind::EmailChange => "email change code",
                    MessageKind::PhoneChange => "phone number change code",
                    _ => "code",
                },
                message.code
            ),
            Notice::NotSaved(reason) => format!("# warning: {reason}"),
            _ => return,
        };
        // A reader that went away is no reason to stop serving.
        if form.notices_on_stderr() {
            output::tell!("{line}");
        } else {
            let _ = write_line(std::io::stdout().lock(), &line);
        }
    });
    let addr = SocketAddr::new(host, port);
    let server = MockServer::bind(addr, state)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {addr}: {e}")))?;
    let (stdout, stderr) = Announcement::of(&server, host, file).render(form);
    // stderr first: once stdout's part is out, a program reading it finds everything told.
    if !stderr.is_empty() {
        output::tell!("{stderr}");
    }
    output::say(stdout)?;

    stopped().await;
    // Shutdown lets in-flight requests finish (bounded); a second signal exits at once.
    tokio::select! {
        _ = server.shutdown() => {}
        _ = stopped() => std::process::exit(130),
    }
    Ok(())
}

/// Writes `text` and a newline to `to`, flushed.
fn write_line(mut to: impl Write, text: &str) -> std::io::Result<()> {
    writeln!(to, "{text}").and_then(|()| to.flush())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
