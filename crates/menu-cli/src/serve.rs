//! `menu mock serve`: the mock in the foreground, with what a user needs to call it.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use menu_mock::{MessageKind, MockServer, MockState, Notice, Retention};

use crate::output::{self, Failure};

mod announce;

use announce::Announcement;
pub use announce::Form;

/// Serves the mock on `host:port` until interrupted, its state kept in the database `file`, and
/// `retention` of what grows with use, telling what to use in `form`.
pub async fn run(
    host: IpAddr,
    port: u16,
    file: Option<PathBuf>,
    retention: Retention,
    form: Form,
) -> Result<(), Failure> {
    let state = match &file {
        Some(path) => MockState::open(path),
        None => Ok(MockState::seeded()),
    }
    .map_err(|e| Failure::other(format!("cannot start the mock: {e}")))?
    .retain(retention);
    let database = state.state_file().map(Path::to_owned);
    if let (Some(given), Some(database)) = (&file, &database)
        && given != database
    {
        output::tell!(
            "# {} is a 0.3 state file, migrated into the database {} (the file is left as it \
             was): pass `--state {}` from now on",
            given.display(),
            database.display(),
            database.display()
        );
    }
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
    let (stdout, stderr) = Announcement::of(&server, host, database).render(form);
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
