//! `menu demo`: a customer's life, offline, through the SDK against the embedded mock: sign-up
//! with the code from the mock's outbox, a phone number change and an email change, each
//! confirmed with its code, a token refresh, and the account's deletion.

use menu_mock::{MessageKind, MockServer};
use menu_sdk::types::{
    CustomerAccountUpdate, EmailRequest, RegisterRequest, VerifyEmailUpdateRequest,
};
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

/// The code of the last message of `kind` the mock sent to `to`.
fn code(server: &MockServer, to: &str, kind: MessageKind) -> Result<String, Failure> {
    server
        .state()
        .last_code(to, kind)
        .ok_or_else(|| Failure::other(format!("the mock sent no code to {to}")))
}

async fn walk(server: &MockServer) -> Result<(), Failure> {
    say!("Started the mock Menu API at {}", server.base_url());
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .on_token_refresh(|token| {
            let _ = crate::output::say(format!(
                "   on_token_refresh: the application keeps the new token ({token})"
            ));
        })
        .build()?;
    let email = "ana.popescu@example.com";

    say!("\n1. Sign up {email} (POST /customers/check-email, passwordless-request, register)");
    let check = client
        .check_email(EmailRequest {
            email: email.into(),
        })
        .await?;
    say!("   Registered already: {}", check.exists);
    client
        .passwordless_request(EmailRequest {
            email: email.into(),
        })
        .await?;
    let sign_up = code(server, email, MessageKind::SignUpCode)?;
    say!("   The mock's outbox: sign-up code {sign_up} sent to {email}");
    let session = client
        .register(RegisterRequest {
            passwordless_email: email.into(),
            passwordless_code: sign_up.into(),
            first_name: Some("Ana".into()),
            last_name: Some("Popescu".into()),
        })
        .await?;
    let id = session.customer_account.id;
    say!(
        "   Customer {id} signed up; the client holds their token ({}).",
        session.token
    );

    say!("\n2. Add a phone number, confirmed with the code sent to it");
    let phone = "+40700123456";
    let pending = client
        .update_customer_account(
            id,
            CustomerAccountUpdate {
                phone_number: Some(phone.into()),
                ..Default::default()
            },
        )
        .await?;
    say!(
        "   Pending phone number change: {}",
        pending.has_pending_phone_number_change
    );
    match client.verify_phone_number_update(id, "000000").await {
        Err(error) => say!(
            "   A wrong code is rejected, as the user sees it:\n   error: {}",
            describe(&error)
        ),
        Ok(_) => return Err(Failure::other("the mock accepted a wrong code")),
    }
    let phone_code = code(server, phone, MessageKind::PhoneChange)?;
    let account = client.verify_phone_number_update(id, &phone_code).await?;
    show_changes(&pending, &account)?;

    say!("\n3. Change the email, confirmed with the code sent to the new one");
    let new_email = "ana@example.org";
    let pending = client
        .update_customer_account(
            id,
            CustomerAccountUpdate {
                email: Some(new_email.into()),
                ..Default::default()
            },
        )
        .await?;
    let email_code = code(server, new_email, MessageKind::EmailChange)?;
    let account = client
        .verify_email_update(
            id,
            VerifyEmailUpdateRequest {
                confirmation_code: email_code.into(),
            },
        )
        .await?;
    show_changes(&pending, &account)?;

    say!("\n4. Refresh the token (GET /customers/refresh)");
    let session = client.refresh().await?;
    say!(
        "   New token {}; the old one is now refused.",
        session.token
    );

    say!("\n5. Delete the account (DELETE /customer-accounts/{id})");
    client.delete_customer_account(id).await?;
    let refused = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(session.token.value())
        .auto_refresh(false)
        .build()?
        .delete_customer_account(id)
        .await;
    if let Err(error) = refused {
        say!(
            "   Deleted. Its tokens are refused from now on:\n   error: {}",
            describe(&error)
        );
    }
    say!("\nDone: every call went through menu-sdk to a real HTTP server on loopback.");
    Ok(())
}

/// Prints the fields that differ between two versions of an account, as `field: before -> after`.
fn show_changes(before: &CustomerAccount, after: &CustomerAccount) -> Result<(), Failure> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Ok(());
    };
    say!("   Confirmed. What changed:");
    for (field, value) in new
        .iter()
        .filter(|(field, value)| old.get(*field) != Some(value))
    {
        let old = old.get(field).map_or("(none)".into(), |v| v.to_string());
        say!("     {field}: {old} -> {value}");
    }
    Ok(())
}
