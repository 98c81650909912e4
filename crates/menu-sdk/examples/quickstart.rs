//! Refresh the customer token, then confirm a phone number change.
//!
//! ```sh
//! # against your own server:
//! MENU_BASE_URL=https://... MENU_APPLICATION_KEY=... MENU_TOKEN=... \
//!     cargo run -p menu-sdk --example quickstart -- <CUSTOMER_ID> <CODE>
//! # offline: with MENU_BASE_URL unset, against the embedded mock server (crate menu-mock)
//! cargo run -p menu-sdk --example quickstart
//! ```

use menu_sdk::{Client, ClientBuilder, Error, Uuid};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let customer_id: Uuid = match args.next() {
        Some(id) => id
            .parse()
            .map_err(|e| format!("CUSTOMER_ID must be a UUID: {e}"))?,
        None => menu_mock::state::DRAGOS,
    };
    let code = args
        .next()
        .unwrap_or_else(|| menu_mock::state::DRAGOS_CONFIRMATION_CODE.into());

    // Keep the mock alive for the whole run.
    let (_mock, builder) = match std::env::var("MENU_BASE_URL") {
        Ok(_) => (None, ClientBuilder::from_env()),
        Err(_) => {
            let server = menu_mock::MockServer::start().await?;
            println!(
                "MENU_BASE_URL is unset: using the embedded mock at {}",
                server.base_url()
            );
            let token = server.state().issue_token(menu_mock::state::DRAGOS)?;
            let builder = ClientBuilder::new()
                .base_url(server.base_url())
                .application_key(server.application_key())
                .token(token.value());
            (Some(server), builder)
        }
    };
    let client: Client = builder
        .on_token_refresh(|token| println!("persist the new token now: {token}"))
        .build()?;

    let session = client.refresh().await?;
    println!(
        "refreshed the session of {} {}; the new token expires at {:?}",
        session.customer_account.first_name,
        session.customer_account.last_name,
        session.token.expires_at()
    );

    match client.verify_phone_number_update(customer_id, code).await {
        Ok(account) => println!(
            "phone number confirmed: {} (pending change: {})",
            account.phone_number, account.has_pending_phone_number_change
        ),
        Err(Error::Api(api)) if api.status == 400 => println!("the code was rejected: {api}"),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}
