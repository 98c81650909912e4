//! `menu mock serve`: the mock in the foreground, with what a user needs to call it.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN, IVAN_CONFIRMATION_CODE};
use menu_mock::{MessageKind, MockServer, MockState, Notice, OUTBOX_PATH};

use crate::output::Failure;

pub async fn run(host: IpAddr, port: u16, file: Option<PathBuf>) -> Result<(), Failure> {
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
    let state = state.on_notice(|notice| {
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
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    });
    let addr = SocketAddr::new(host, port);
    let server = MockServer::bind(addr, state)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {addr}: {e}")))?;
    let token = |customer| server.state().issue_token(customer).ok();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "menu mock server listening on {} (Ctrl-C to stop)\n\
         \n\
         # Use it from another shell (paste these lines):\n\
         export MENU_BASE_URL={}\n\
         export MENU_APPLICATION_KEY={}",
        server.base_url(),
        server.base_url(),
        server.application_key(),
    );
    // The reference customers, unless a saved state has deleted them.
    if let Some(dragos) = token(DRAGOS) {
        let _ = writeln!(
            out,
            "export MENU_TOKEN={}\n\
             \n\
             # MENU_TOKEN is customer {DRAGOS} (Dragos Niculescu), whose pending phone number change\n\
             # is confirmed with: menu verify-phone-number-update {DRAGOS} --confirmation-code {DRAGOS_CONFIRMATION_CODE}",
            dragos.value()
        );
    }
    if let Some(ivan) = token(IVAN) {
        let _ = writeln!(
            out,
            "# A token of customer {IVAN} (Ivan Djordjevic, code {IVAN_CONFIRMATION_CODE}):\n# {}",
            ivan.value()
        );
    }
    let _ = writeln!(
        out,
        "\n# Codes the mock sends (sign-up, email and phone changes) are printed below as they are\n\
         # sent, and listed at http://{}{OUTBOX_PATH}",
        server.addr()
    );
    if let Some(file) = &file {
        let _ = writeln!(
            out,
            "# State saved in {} after every change",
            file.display()
        );
    }
    if !host.is_loopback() {
        let _ = writeln!(
            out,
            "# warning: listening on {host}, not loopback: the mock is for tests, not for a network"
        );
    }
    let _ = out.flush();
    drop(out);

    stopped().await;
    // Shutdown lets in-flight requests finish (bounded); a second signal exits at once.
    tokio::select! {
        _ = server.shutdown() => {}
        _ = stopped() => std::process::exit(130),
    }
    Ok(())
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
