//! A customer's whole life against the mock, over HTTP through `menu_sdk::Client`: sign-up with
//! the code from the outbox, email and phone changes confirmed with theirs, refresh, deletion;
//! the refusals of the sign-up; and the faults any client can ask for with `Prefer`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use menu_mock::{MessageKind, MockServer, OUTBOX_PATH};
use menu_sdk::types::{
    CustomerAccountUpdate, EmailRequest, RegisterRequest, VerifyEmailUpdateRequest,
};
use menu_sdk::{Client, Error, RetryPolicy, TransportErrorKind};

const EMAIL: &str = "new.customer@example.com";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .build()
        .unwrap()
}

fn email(address: &str) -> EmailRequest {
    EmailRequest {
        email: address.into(),
    }
}

fn registration(address: &str, code: &str) -> RegisterRequest {
    RegisterRequest {
        passwordless_email: address.into(),
        passwordless_code: code.into(),
        first_name: Some("Ana".into()),
        last_name: Some("Popescu".into()),
    }
}

fn status(err: &Error) -> u16 {
    err.status().map(|s| s.as_u16()).unwrap_or_default()
}

/// The messages of the outbox, read over HTTP (the mock-only path).
async fn outbox_over_http(server: &MockServer, to: &str) -> Vec<serde_json::Value> {
    let url = format!("http://{}{OUTBOX_PATH}?to={to}", server.addr());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_customer_lives_from_sign_up_to_deletion() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);

    // 1. The email is not registered yet.
    assert!(!client.check_email(email(EMAIL)).await.unwrap().exists);
    // 2. A one-time code is sent to it...
    client.passwordless_request(email(EMAIL)).await.unwrap();
    // 3. ...and read from the outbox, over HTTP as from the library.
    let messages = outbox_over_http(&server, EMAIL).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["kind"], "sign_up_code");
    let code = messages[0]["code"].as_str().unwrap().to_owned();
    assert_eq!(
        server.state().last_code(EMAIL, MessageKind::SignUpCode),
        Some(code.clone())
    );
    // 4. Register: the client holds the new token.
    let session = client.register(registration(EMAIL, &code)).await.unwrap();
    let id = session.customer_account.id;
    assert_eq!(session.customer_account.email, EMAIL);
    assert_eq!(client.token().unwrap().value(), session.token.value());
    assert!(client.check_email(email(EMAIL)).await.unwrap().exists);

    // 5. A new email is pending until confirmed with the code sent to it.
    let new_email = "ana.popescu@example.com";
    let account = client
        .update_customer_account(
            id,
            CustomerAccountUpdate {
                email: Some(new_email.into()),
                first_name: Some("Anna".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (account.email.as_str(), account.first_name.as_str()),
        (EMAIL, "Anna")
    );
    assert!(account.has_pending_email_change);
    let code = server
        .state()
        .last_code(new_email, MessageKind::EmailChange)
        .unwrap();
    let account = client
        .verify_email_update(
            id,
            VerifyEmailUpdateRequest {
                confirmation_code: code.into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(account.email, new_email);
    assert!(!account.has_pending_email_change);

    // 6. So is a new phone number.
    let phone = "+40700111222";
    let pending = client
        .update_customer_account(
            id,
            CustomerAccountUpdate {
                phone_number: Some(phone.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(pending.has_pending_phone_number_change);
    assert_ne!(pending.phone_number, phone);
    let code = server
        .state()
        .last_code(phone, MessageKind::PhoneChange)
        .unwrap();
    let account = client.verify_phone_number_update(id, code).await.unwrap();
    assert_eq!(account.phone_number, phone);

    // 7. Refresh rotates the token.
    let old = client.token().unwrap();
    let session = client.refresh().await.unwrap();
    let new = session.token;
    assert_ne!(old.value(), new.value());

    // 8. Delete the account: the client forgets the token it revoked (`x-token: revokes`).
    client.delete_customer_account(id).await.unwrap();
    assert!(server.state().customer(id).is_none());
    assert!(client.token().is_none());
    let check = client.check_email(email(new_email)).await.unwrap();
    assert!(!check.exists, "the email is free");

    // 9. Both tokens are refused with 401.
    for token in [old.value(), new.value()] {
        let client = Client::builder()
            .base_url(server.base_url())
            .application_key(server.application_key())
            .token(token)
            .auto_refresh(false)
            .build()
            .unwrap();
        let err = client.delete_customer_account(id).await.unwrap_err();
        assert_eq!(status(&err), 401, "{err}");
    }
}

#[tokio::test]
async fn wrong_used_and_expired_codes_and_a_taken_email_are_refused() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    client.passwordless_request(email(EMAIL)).await.unwrap();
    let code = server
        .state()
        .last_code(EMAIL, MessageKind::SignUpCode)
        .unwrap();
    let wrong = if code == "111111" { "222222" } else { "111111" };

    let err = client
        .register(registration(EMAIL, wrong))
        .await
        .unwrap_err();
    assert_eq!(status(&err), 400);
    assert!(err.to_string().contains("invalid"), "{err}");
    assert!(
        client.token().is_none(),
        "a failed register changes nothing"
    );

    client.register(registration(EMAIL, &code)).await.unwrap();
    let again = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .build()
        .unwrap();
    let err = again
        .register(registration(EMAIL, &code))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already been used"), "{err}");

    // The email is taken: a new code (a login code now) does not register it twice.
    again.passwordless_request(email(EMAIL)).await.unwrap();
    let login = server
        .state()
        .last_code(EMAIL, MessageKind::LoginCode)
        .unwrap();
    let err = again
        .register(registration(EMAIL, &login))
        .await
        .unwrap_err();
    assert_eq!(status(&err), 400);
    assert!(err.to_string().contains("already been taken"), "{err}");

    // A code past its lifetime.
    let other = "late@example.com";
    again.passwordless_request(email(other)).await.unwrap();
    server.state().set_code_lifetime(Duration::ZERO);
    let late = server
        .state()
        .last_code(other, MessageKind::SignUpCode)
        .unwrap();
    let err = again
        .register(registration(other, &late))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(server.state().customer_by_email(other).is_none());
    // So do the codes of a phone number change.
    let account = server.state().customer_by_email(EMAIL).unwrap();
    let phone = "+40700999888";
    let change = CustomerAccountUpdate {
        phone_number: Some(phone.into()),
        ..Default::default()
    };
    client
        .update_customer_account(account.id, change)
        .await
        .unwrap();
    let code = server
        .state()
        .last_code(phone, MessageKind::PhoneChange)
        .unwrap();
    let err = client
        .verify_phone_number_update(account.id, code)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_make_one_account() {
    let server = MockServer::start().await.unwrap();
    client(&server)
        .passwordless_request(email(EMAIL))
        .await
        .unwrap();
    let code = server
        .state()
        .last_code(EMAIL, MessageKind::SignUpCode)
        .unwrap();
    let mut calls = Vec::new();
    for _ in 0..20 {
        let client = client(&server);
        let request = registration(EMAIL, &code);
        calls.push(tokio::spawn(async move { client.register(request).await }));
    }
    let mut created = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => created += 1,
            Err(err) => assert_eq!(status(&err), 400, "{err}"),
        }
    }
    assert_eq!(created, 1);
    assert!(server.state().customer_by_email(EMAIL).is_some());
    assert_eq!(server.state().requests("register"), 20);
}

/// A client that retries quickly.
fn retrying(server: &MockServer, token: Option<&str>) -> Client {
    let mut builder = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)));
    if let Some(token) = token {
        builder = builder.token(token);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_503_on_the_first_attempt_is_retried_once_with_the_same_request_id() {
    let server = MockServer::start().await.unwrap();
    let token = server
        .state()
        .issue_token(menu_mock::state::DRAGOS)
        .unwrap();
    let client = retrying(&server, Some(token.value()));
    let first_only = "code=503, attempts=1";
    // Two generated operations...
    client
        .call()
        .header("Prefer", first_only)
        .check_email(email(EMAIL))
        .await
        .unwrap();
    client
        .call()
        .header("Prefer", first_only)
        .update_customer_account(menu_mock::state::DRAGOS, CustomerAccountUpdate::default())
        .await
        .unwrap();
    // ...and a hand-written one.
    client
        .call()
        .header("Prefer", first_only)
        .verify_phone_number_update(
            menu_mock::state::DRAGOS,
            menu_mock::state::DRAGOS_CONFIRMATION_CODE,
        )
        .await
        .unwrap();
    // Two requests each: had the retry carried another request id, it would have failed too.
    for operation in [
        "check_email",
        "update_customer_account",
        "verify_phone_number_update",
    ] {
        assert_eq!(server.state().requests(operation), 2, "{operation}");
    }
}

#[tokio::test]
async fn every_other_fault_kind() {
    let server = MockServer::start().await.unwrap();
    let client = retrying(&server, None);
    let faulty = |prefer: &'static str| client.call().header("Prefer", prefer);

    // A status, every attempt: the documented error envelope.
    let err = faulty("code=404")
        .check_email(email(EMAIL))
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    assert!(
        err.api_error()
            .unwrap()
            .message()
            .unwrap()
            .contains("Prefer: code=404")
    );
    // A delay.
    let started = Instant::now();
    faulty("delay=300").check_email(email(EMAIL)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A malformed body.
    let err = faulty("body=malformed")
        .check_email(email(EMAIL))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    // A dropped connection: no answer at all (not retried: the server may have acted).
    let err = faulty("connection=drop")
        .check_email(email(EMAIL))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Other | TransportErrorKind::Body,
                ..
            }
        ),
        "{err:?}"
    );
    // A malformed preference is a 400 saying so.
    let err = faulty("code=200")
        .check_email(email(EMAIL))
        .await
        .unwrap_err();
    assert_eq!(status(&err), 400);
    // Every request reached the mock, and none of them answered with the operation's action.
    assert_eq!(server.state().requests("check_email"), 5);
    assert!(server.state().customer_by_email(EMAIL).is_none());
}
