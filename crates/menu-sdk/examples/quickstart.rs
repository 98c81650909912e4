//! Refresh the customer token, then confirm a phone number change.
//!
//! ```sh
//! # against your own server:
//! MENU_BASE_URL=https://... MENU_APPLICATION_KEY=... MENU_TOKEN=... \
//!     cargo run -p menu-sdk --example quickstart -- <CUSTOMER_ID> <CODE>
//! # offline: with MENU_BASE_URL unset, a local stand-in serving the reference pages' bodies
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
    let customer_id: Uuid = args
        .next()
        .unwrap_or_else(|| "47bf8888-3f23-11ed-936c-1a67b454859d".into())
        .parse()
        .map_err(|e| format!("CUSTOMER_ID must be a UUID: {e}"))?;
    let code = args.next().unwrap_or_else(|| "164138".into());

    // Keep the stand-in alive for the whole run.
    let (_stand_in, builder) = match std::env::var("MENU_BASE_URL") {
        Ok(_) => (None, ClientBuilder::from_env()),
        Err(_) => {
            let server = stand_in::start().await;
            println!(
                "MENU_BASE_URL is unset: using a local stand-in at {}",
                server.uri()
            );
            let builder = ClientBuilder::new()
                .base_url(format!("{}/api", server.uri()))
                .application_key("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
                .token(stand_in::TOKEN);
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

/// A local stand-in for the Menu API that answers with the reference pages' bodies.
mod stand_in {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    pub const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

    pub async fn start() -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                include_str!("../../menu-client/tests/fixtures/refresh.json"),
                "application/json",
            ))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                include_str!("../../menu-client/tests/fixtures/verify-phone-number-update.json"),
                "application/json",
            ))
            .mount(&server)
            .await;
        server
    }
}
