//! One shape per family of operations (README, "One payload rule" and "One-time codes"):
//! - **the payload rule**: a generated method (`update_customer_account`, `verify_email_update`),
//!   a hand-written convenience (`verify_phone_number_update`) and the untyped `send_json` (the
//!   `menu` command's door) answer the account itself, not the `{customer_account}` wrapper of
//!   the wire;
//! - **one code type**: every code-taking call takes the code as the mock's outbox gives it (a
//!   string) or as a number, and sends it as the operation's schema says (an integer for
//!   `register` and `verify_email_update`, a string for `verify_phone_number_update`); a code an
//!   integer field cannot take is `Error::InvalidArgument`, nothing sent; an integer code loses a
//!   leading zero.
//!
//! Against the mock (`menu_mock::MockServer`) on loopback, and a wiremock server for the bytes
//! on the wire.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use menu_mock::{MessageKind, MockServer};
use menu_sdk::types::{
    CustomerAccountUpdate, EmailRequest, RegisterRequest, VerifyEmailUpdateRequest,
};
use menu_sdk::{Client, Code, CustomerAccount, Error, JsonCall};
use support::*;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .build()
        .unwrap()
}

/// The code the mock last sent to `to`, as its outbox gives it: a string.
fn outbox(server: &MockServer, to: &str, kind: MessageKind) -> String {
    server.state().last_code(to, kind).unwrap()
}

/// A customer signed up with `code` (from the outbox, converted by `convert`), the client holding
/// their token.
async fn sign_up(
    server: &MockServer,
    client: &Client,
    email: &str,
    convert: fn(String) -> Code,
) -> CustomerAccount {
    client
        .passwordless_request(EmailRequest {
            email: email.into(),
        })
        .await
        .unwrap();
    let code = outbox(server, email, MessageKind::SignUpCode);
    client
        .register(RegisterRequest {
            passwordless_email: email.into(),
            passwordless_code: convert(code),
            first_name: Some("Ana".into()),
            last_name: None,
        })
        .await
        .unwrap()
        .customer_account
}

/// A pending change of `account`: a new email or phone number, and the code the mock sent to it.
async fn pending(
    server: &MockServer,
    client: &Client,
    account: &CustomerAccount,
    change: CustomerAccountUpdate,
) -> (CustomerAccount, String) {
    let (to, kind) = match (&change.email, &change.phone_number) {
        (Some(email), _) => (email.clone(), MessageKind::EmailChange),
        (None, Some(phone)) => (phone.clone(), MessageKind::PhoneChange),
        (None, None) => panic!("no change"),
    };
    // A generated method: the account, not `{customer_account: ...}`.
    let updated: CustomerAccount = client
        .update_customer_account(account.id, change)
        .await
        .unwrap();
    (updated, outbox(server, &to, kind))
}

fn as_number(code: String) -> Code {
    // The caller chose to hold the code as a number: `From<u32>`.
    Code::from(code.parse::<u32>().unwrap())
}

/// The generated methods, the hand-written convenience and `send_json` of the account family
/// answer the same shape: the account; every code-taking call takes the outbox's string.
#[tokio::test]
async fn siblings_answer_the_account_and_take_the_outbox_code() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let account = sign_up(&server, &client, "ana@example.com", Code::from).await;

    let email = CustomerAccountUpdate {
        email: Some("ana@example.org".into()),
        ..Default::default()
    };
    let (updated, code) = pending(&server, &client, &account, email).await;
    assert!(updated.has_pending_email_change);
    // A generated method with an integer code field, given the outbox's string.
    let verified: CustomerAccount = client
        .verify_email_update(
            account.id,
            VerifyEmailUpdateRequest {
                confirmation_code: code.into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(verified.email, "ana@example.org");

    let phone = CustomerAccountUpdate {
        phone_number: Some("+40700123456".into()),
        ..Default::default()
    };
    let (_, code) = pending(&server, &client, &account, phone).await;
    // The hand-written convenience, with a string code field: the same shape.
    let verified: CustomerAccount = client
        .verify_phone_number_update(account.id, &code)
        .await
        .unwrap();
    assert_eq!(verified.phone_number, "+40700123456");

    // The untyped door answers what the typed method answers: the account, not its wrapper.
    let mut call = JsonCall::default();
    call.push(
        menu_sdk::menu_client::operation::Location::Path,
        "customer_account_id".into(),
        account.id.to_string(),
    );
    call.body = Some(serde_json::json!({}));
    let untyped = client
        .send_json("update_customer_account", call)
        .await
        .unwrap();
    let typed = client
        .update_customer_account(account.id, CustomerAccountUpdate::default())
        .await
        .unwrap();
    assert_eq!(untyped, serde_json::to_value(&typed).unwrap());
    assert!(untyped.get("customer_account").is_none(), "{untyped}");
    assert_eq!(untyped["id"], account.id.to_string());
}

/// Every code-taking call takes a number too (`From<u32>`), whatever the field's representation.
#[tokio::test]
async fn every_code_taking_call_takes_a_number_too() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let account = sign_up(&server, &client, "bo@example.com", as_number).await;
    let email = CustomerAccountUpdate {
        email: Some("bo@example.org".into()),
        ..Default::default()
    };
    let (_, code) = pending(&server, &client, &account, email).await;
    let verified = client
        .verify_email_update(
            account.id,
            VerifyEmailUpdateRequest {
                confirmation_code: as_number(code),
            },
        )
        .await
        .unwrap();
    assert_eq!(verified.email, "bo@example.org");
    let phone = CustomerAccountUpdate {
        phone_number: Some("+40700999888".into()),
        ..Default::default()
    };
    let (_, code) = pending(&server, &client, &account, phone).await;
    let verified = client
        .verify_phone_number_update(account.id, code.parse::<u32>().unwrap())
        .await
        .unwrap();
    assert_eq!(verified.phone_number, "+40700999888");
}

/// A code that an integer field cannot take is refused before anything is sent, and the error
/// does not quote it.
#[tokio::test]
async fn a_code_an_integer_field_cannot_take_is_refused_and_nothing_is_sent() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let refused = client
        .register(RegisterRequest {
            passwordless_email: "cy@example.com".into(),
            passwordless_code: "12ab34".into(),
            first_name: None,
            last_name: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            Error::InvalidArgument {
                operation: "register",
                ..
            }
        ),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(message.contains("nothing was sent"), "{message}");
    assert!(message.contains("integer"), "{message}");
    assert!(
        !message.contains("12ab34"),
        "the code is not quoted: {message}"
    );
    assert_eq!(server.state().requests("register"), 0);

    let account = sign_up(&server, &client, "cy@example.com", Code::from).await;
    let refused = client
        .verify_email_update(
            account.id,
            VerifyEmailUpdateRequest {
                confirmation_code: "".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            Error::InvalidArgument {
                operation: "verify_email_update",
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(server.state().requests("verify_email_update"), 0);
    // A string field takes any text: the server judges it.
    let refused = client
        .verify_phone_number_update(account.id, "12ab34")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Api(api) if api.status == 400),
        "{refused:?}"
    );
    assert_eq!(server.state().requests("verify_phone_number_update"), 1);
}

/// On the wire: an integer field gets the number (a leading zero lost, as documented), a string
/// field the code as given.
#[tokio::test]
async fn a_code_is_sent_as_the_schema_says_and_an_integer_loses_a_leading_zero() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path_regex("/verify-email-update$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("/verify-phone-number-update$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    let client = support::client(&server, &fresh_jwt("customer"));
    for code in [Code::from("012345"), Code::from(12345)] {
        let account = client
            .verify_email_update(
                customer_id(),
                VerifyEmailUpdateRequest {
                    confirmation_code: code.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(account.phone_number, "+40724373613", "the account itself");
        client
            .verify_phone_number_update(customer_id(), code)
            .await
            .unwrap();
    }
    let bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            r#"{"confirmation_code":12345}"#,
            r#"{"confirmation_code":"012345"}"#,
            r#"{"confirmation_code":12345}"#,
            r#"{"confirmation_code":"12345"}"#,
        ]
    );
}
