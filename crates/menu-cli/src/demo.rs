//! `menu demo`: the whole flow, offline, through the SDK against the embedded mock.

use menu_mock::MockServer;
use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE};
use menu_sdk::{Client, CustomerAccount};

use crate::output::{Failure, describe};

/// `println!` that returns a [`Failure`] instead of panicking when stdout is closed.
macro_rules! say {
    ($($arg:tt)*) => {
        crate::output::say(format!($($arg)*))?
    };
}

pub async fn run() -> Result<(), Failure> {
    let server = MockServer::start()
        .await
        .map_err(|e| Failure::other(format!("cannot start the mock server: {e}")))?;
    let result = walk(&server).await;
    server.shutdown().await;
    result
}

async fn walk(server: &MockServer) -> Result<(), Failure> {
    say!("1. Started the mock Menu API at {}", server.base_url());
    let token = server
        .state()
        .issue_token(DRAGOS)
        .map_err(|e| Failure::other(e.to_string()))?;
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(token.value())
        .on_token_refresh(|token| {
            let _ = crate::output::say(format!(
                "   on_token_refresh: the application stores the new token ({token})"
            ));
        })
        .build()?;
    say!("   The customer signed in; their token: {token}");

    say!("\n2. Refresh the customer token (GET /customers/refresh)");
    let session = client.refresh().await?;
    let before = session.customer_account;
    say!(
        "   {} {} now holds a new token ({}); the old one is invalid.",
        before.first_name,
        before.last_name,
        session.token
    );
    let pending = server
        .state()
        .pending_phone_change(DRAGOS)
        .map(|p| p.phone_number)
        .unwrap_or_default();
    say!(
        "   Phone number {}, with a pending change to {pending}.",
        before.phone_number
    );

    say!("\n3. Confirm the change with a wrong code (POST .../verify-phone-number-update)");
    match client.verify_phone_number_update(DRAGOS, "000000").await {
        Err(error) => say!(
            "   Rejected, as the user sees it:\n   error: {}",
            describe(&error)
        ),
        Ok(_) => return Err(Failure::other("the mock accepted a wrong code")),
    }

    say!("\n4. Confirm it with the code sent to {pending} ({DRAGOS_CONFIRMATION_CODE})");
    let after = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await?;
    say!("   Confirmed. What changed:");
    for line in changes(&before, &after) {
        say!("     {line}");
    }
    say!("\nDone: every call went through menu-sdk to a real HTTP server on loopback.");
    Ok(())
}

/// The fields that differ between two versions of an account, as `field: before -> after`.
fn changes(before: &CustomerAccount, after: &CustomerAccount) -> Vec<String> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    new.iter()
        .filter(|(field, value)| old.get(*field) != Some(value))
        .map(|(field, value)| {
            let old = old.get(field).map_or("(none)".into(), |v| v.to_string());
            format!("{field}: {old} -> {value}")
        })
        .collect()
}
