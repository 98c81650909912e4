//! `menu mock serve`: the mock in the foreground, with what a user needs to call it.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN, IVAN_CONFIRMATION_CODE};
use menu_mock::{MockServer, MockState};

use crate::output::Failure;

pub async fn run(host: IpAddr, port: u16) -> Result<(), Failure> {
    let addr = SocketAddr::new(host, port);
    let server = MockServer::bind(addr, MockState::seeded())
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {addr}: {e}")))?;
    let token = |customer| {
        server
            .state()
            .issue_token(customer)
            .map(|t| t.value().to_owned())
            .map_err(|e| Failure::other(e.to_string()))
    };
    let (dragos, ivan) = (token(DRAGOS)?, token(IVAN)?);

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "menu mock server listening on {} (Ctrl-C to stop)\n\
         \n\
         # Use it from another shell (paste these lines):\n\
         export MENU_BASE_URL={}\n\
         export MENU_APPLICATION_KEY={}\n\
         export MENU_TOKEN={dragos}\n\
         \n\
         # MENU_TOKEN is customer {DRAGOS} (Dragos Niculescu), whose pending phone number change\n\
         # is confirmed with: menu verify-phone-number-update {DRAGOS} --confirmation-code {DRAGOS_CONFIRMATION_CODE}\n\
         # A token of customer {IVAN} (Ivan Djordjevic, code {IVAN_CONFIRMATION_CODE}):\n\
         # {ivan}",
        server.base_url(),
        server.base_url(),
        server.application_key(),
    );
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
