//! The one rule of one-time codes, the same for the three kinds (the sign-up code `register`
//! takes, the codes `verify_email_update` and `verify_phone_number_update` take): when a code
//! fails more than one condition, the first refusal in this order answers: nothing pending ->
//! used -> expired -> wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use menu_mock::{MessageKind, MockServer};
use menu_sdk::types::{
    CustomerAccountUpdate, EmailRequest, RegisterRequest, VerifyEmailUpdateRequest,
};
use menu_sdk::{Client, Error};
use uuid::Uuid;

const EMAIL: &str = "codes@example.com";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .auto_refresh(false)
        .retry_policy(menu_sdk::RetryPolicy::none())
        .build()
        .unwrap()
}

fn registration(address: &str, code: &str) -> RegisterRequest {
    RegisterRequest {
        passwordless_email: address.into(),
        passwordless_code: code.into(),
        first_name: None,
        last_name: None,
    }
}

/// A code other than `code`.
fn other_than(code: &str) -> &'static str {
    if code == "111111" { "222222" } else { "111111" }
}

/// The status, the message and the field the error names (if any) of an API error.
fn refusal(err: &Error) -> (u16, String, Option<String>) {
    let api = err
        .api_error()
        .unwrap_or_else(|| panic!("expected an API error, got {err:?}"));
    let field = api
        .envelope
        .as_ref()
        .and_then(|envelope| envelope.errors.as_ref())
        .and_then(|errors| errors.as_object())
        .and_then(|errors| errors.keys().next().cloned());
    (
        api.status.as_u16(),
        api.message().unwrap_or_default().to_owned(),
        field,
    )
}

/// A signed-up customer (with the client holding its token) and a pending email change and phone
/// number change, each with its code.
async fn customer_with_pending_changes(
    server: &MockServer,
    client: &Client,
) -> (Uuid, String, String) {
    let request = EmailRequest {
        email: EMAIL.into(),
    };
    client.passwordless_request(request).await.unwrap();
    let code = server
        .state()
        .last_code(EMAIL, MessageKind::SignUpCode)
        .unwrap();
    let id = client
        .register(registration(EMAIL, &code))
        .await
        .unwrap()
        .customer_account
        .id;
    let (new_email, phone) = ("changed@example.com", "+40700123456");
    let update = CustomerAccountUpdate {
        email: Some(new_email.into()),
        phone_number: Some(phone.into()),
        ..Default::default()
    };
    client.update_customer_account(id, update).await.unwrap();
    let state = server.state();
    let email_code = state
        .last_code(new_email, MessageKind::EmailChange)
        .unwrap();
    let phone_code = state.last_code(phone, MessageKind::PhoneChange).unwrap();
    (id, email_code, phone_code)
}

#[tokio::test]
async fn an_expired_code_is_refused_as_expired_even_when_it_is_also_wrong() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let (id, email_code, phone_code) = customer_with_pending_changes(&server, &client).await;
    let late = "late@example.com";
    let request = EmailRequest { email: late.into() };
    client.passwordless_request(request).await.unwrap();
    let sign_up_code = server
        .state()
        .last_code(late, MessageKind::SignUpCode)
        .unwrap();
    server.state().set_code_lifetime(Duration::ZERO);

    let err = client
        .register(registration(late, other_than(&sign_up_code)))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            400,
            "The one-time code has expired.".into(),
            Some("passwordless_code".into())
        )
    );
    let wrong = VerifyEmailUpdateRequest {
        confirmation_code: other_than(&email_code).into(),
    };
    let err = client.verify_email_update(id, wrong).await.unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            400,
            "The confirmation code has expired.".into(),
            Some("confirmation_code".into())
        )
    );
    let err = client
        .verify_phone_number_update(id, other_than(&phone_code))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            400,
            "The confirmation code has expired.".into(),
            Some("confirmation_code".into())
        )
    );
    // Nothing changed.
    let account = server.state().customer(id).unwrap();
    assert!(account.has_pending_email_change && account.has_pending_phone_number_change);
    assert!(server.state().customer_by_email(late).is_none());
}

#[tokio::test]
async fn a_used_code_is_refused_as_used_even_when_it_is_also_wrong_or_expired() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    customer_with_pending_changes(&server, &client).await;
    let used = server
        .state()
        .last_code(EMAIL, MessageKind::SignUpCode)
        .unwrap();
    let err = client
        .register(registration(EMAIL, other_than(&used)))
        .await
        .unwrap_err();
    assert_eq!(refusal(&err).1, "The one-time code has already been used.");
    server.state().set_code_lifetime(Duration::ZERO);
    let err = client
        .register(registration(EMAIL, &used))
        .await
        .unwrap_err();
    assert_eq!(refusal(&err).1, "The one-time code has already been used.");
}

#[tokio::test]
async fn nothing_pending_comes_first() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    server.state().set_code_lifetime(Duration::ZERO);
    let err = client
        .register(registration("nobody@example.com", "123456"))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            400,
            "No one-time code was requested for this email.".into(),
            Some("passwordless_code".into())
        )
    );
    let token = server.state().issue_token(menu_mock::state::IVAN).unwrap();
    client.set_token(token.value()).unwrap();
    let code = VerifyEmailUpdateRequest {
        confirmation_code: "123456".into(),
    };
    let err = client
        .verify_email_update(menu_mock::state::IVAN, code)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            400,
            "There is no pending email change to verify.".into(),
            None
        )
    );
}
