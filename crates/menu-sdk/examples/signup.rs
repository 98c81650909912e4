//! Sign a customer up, from their email to a verified account, against the embedded mock server
//! (crate `menu-mock`): check the email, request the one-time code, read it from the mock's
//! outbox (where a real customer would read their email), register, then change and verify the
//! phone number. Every step goes through `menu_sdk::Client` over HTTP on loopback.
//!
//! ```sh
//! cargo run -p menu-sdk --example signup [EMAIL]
//! ```

use menu_mock::{MessageKind, MockServer};
use menu_sdk::Client;
use menu_sdk::types::{CustomerAccountUpdate, EmailRequest, RegisterRequest};

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
    let email = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ana.popescu@example.com".to_owned());
    let mock = MockServer::start().await?;
    println!("The mock Menu API listens at {}", mock.base_url());
    let client = Client::builder()
        .base_url(mock.base_url())
        .application_key(mock.application_key())
        .on_token_refresh(|token| println!("   (the application keeps the new token: {token})"))
        .build()?;

    println!("1. Is {email} registered?");
    let check = client
        .check_email(EmailRequest {
            email: email.clone(),
        })
        .await?;
    if check.exists {
        return Err(format!("{email} already has an account: sign-up is for new customers").into());
    }
    println!("   No: sign-up.");

    println!("2. Request a one-time code by email");
    client
        .passwordless_request(EmailRequest {
            email: email.clone(),
        })
        .await?;
    let code = mock
        .state()
        .last_code(&email, MessageKind::SignUpCode)
        .ok_or("the mock sent no code")?;
    println!("   The mock's outbox: code {code} sent to {email}");

    println!("3. Register with the code");
    let session = client
        .register(RegisterRequest {
            passwordless_email: email.clone(),
            // The code as the outbox gives it (a string), sent as the spec says (an integer).
            passwordless_code: code.into(),
            first_name: Some("Ana".into()),
            last_name: Some("Popescu".into()),
        })
        .await?;
    let account = session.customer_account;
    println!(
        "   Customer {} ({} {}), confirmed: {}; the client now holds their token",
        account.id, account.first_name, account.last_name, account.confirmed
    );

    println!("4. Add a phone number, verified with the code sent to it");
    let phone = "+40700123456";
    let pending = client
        .update_customer_account(
            account.id,
            CustomerAccountUpdate {
                phone_number: Some(phone.into()),
                ..Default::default()
            },
        )
        .await?;
    println!(
        "   Pending phone number change: {}",
        pending.has_pending_phone_number_change
    );
    let code = mock
        .state()
        .last_code(phone, MessageKind::PhoneChange)
        .ok_or("the mock sent no code")?;
    let verified = client.verify_phone_number_update(account.id, code).await?;
    println!(
        "   Verified: {} is now {}",
        verified.email, verified.phone_number
    );
    mock.shutdown().await;
    Ok(())
}
