//! The token handover of a token-issuing operation (`register`, `x-token: issues`), on the wire
//! against a loopback server: the client adopts the token, the next call sends it, the hook runs
//! once; a failed register changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::{Arc, Mutex};

use menu_sdk::types::{EmailRequest, RegisterRequest};
use menu_sdk::{Client, Error, Token};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client without a token that records what `on_token_refresh` receives.
fn anonymous(server: &MockServer) -> (Client, Arc<Mutex<Vec<Token>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .on_token_refresh(move |token| sink.lock().unwrap().push(token.clone()))
        .build()
        .unwrap();
    (client, seen)
}

fn registration() -> RegisterRequest {
    RegisterRequest {
        passwordless_email: "ivan.djordjevic@partech.com".into(),
        passwordless_code: 307242.into(),
        first_name: Some("Ivan".into()),
        last_name: Some("Djordjevic".into()),
    }
}

#[tokio::test]
async fn register_hands_the_token_over_to_the_next_call() {
    let server = MockServer::start().await;
    let issued = fresh_jwt("registered");
    Mock::given(method("POST"))
        .and(path("/api/customers/register"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&issued), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/customers/{CUSTOMER_ID}/verify-phone-number-update"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    let (client, seen) = anonymous(&server);

    let session = client.register(registration()).await.unwrap();
    assert_eq!(session.token.value(), issued);
    assert_eq!(session.customer_account.first_name, "Ivan");
    assert_eq!(
        client.token().unwrap().value(),
        issued,
        "the client holds it"
    );
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .map(Token::value)
            .collect::<Vec<_>>(),
        [issued.as_str()],
        "the hook ran once, with the new token"
    );

    client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    // Register went out without a token (the client had none: `Authorization` is optional there).
    assert!(header_values(&requests[0], "authorization").is_empty());
    let verify = &requests[1];
    assert_eq!(
        header_values(verify, "authorization"),
        [format!("Bearer {issued}")]
    );
    for name in [
        "x-request-id",
        "application",
        "api-version",
        "x-qb-enabled",
        "accept",
        "content-type",
        "user-agent",
        "authorization",
    ] {
        assert_eq!(header_values(verify, name).len(), 1, "{name} exactly once");
    }
    assert_eq!(seen.lock().unwrap().len(), 1, "no second hook call");
}

#[tokio::test]
async fn a_failed_register_changes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/customers/register"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"status":"ERROR","code":400,"message":"The passwordless code is invalid."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let (client, seen) = anonymous(&server);
    let err = client.register(registration()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(api) if api.status == 400),
        "{err:?}"
    );
    assert!(client.token().is_none());
    assert!(seen.lock().unwrap().is_empty());

    // With a token already held: it is kept, and sent (the sign-up calls take it optionally).
    let held = fresh_jwt("held");
    client.set_token(&held).unwrap();
    client.register(registration()).await.unwrap_err();
    assert_eq!(client.token().unwrap().value(), held);
    assert!(seen.lock().unwrap().is_empty());
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(
        header_values(&last, "authorization"),
        [format!("Bearer {held}")]
    );
}

#[tokio::test]
async fn an_answer_without_data_is_unit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/customers/passwordless-request"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"status":"OK","code":200}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let (client, _) = anonymous(&server);
    let () = client
        .passwordless_request(EmailRequest {
            email: "ivan.djordjevic@partech.com".into(),
        })
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(
        std::str::from_utf8(&sent.body).unwrap(),
        r#"{"email":"ivan.djordjevic@partech.com"}"#
    );
}

#[tokio::test]
async fn a_token_the_sign_up_calls_do_not_need_is_dropped_when_refused() {
    let server = MockServer::start().await;
    let dead = fresh_jwt("deleted-customer");
    // The server refuses the dead token, and answers without one.
    Mock::given(method("POST"))
        .and(path("/api/customers/check-email"))
        .and(wiremock::matchers::header_exists("authorization"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"status":"ERROR","code":401,"message":"Token is invalid"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/customers/check-email"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"OK","code":200,"data":{"exists":false,"is_social":false}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client(&server, &dead);
    let check = client
        .check_email(EmailRequest {
            email: "someone@example.com".into(),
        })
        .await
        .unwrap();
    assert!(!check.exists);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "with the token, then without");
    assert!(header_values(&requests[1], "authorization").is_empty());
    assert_eq!(
        header_values(&requests[0], "x-request-id"),
        header_values(&requests[1], "x-request-id")
    );
}

#[tokio::test]
async fn a_register_answer_that_does_not_decode_still_keeps_its_token() {
    let server = MockServer::start().await;
    let issued = fresh_jwt("registered");
    let body = format!(
        r#"{{"status":"OK","code":200,"data":{{"customer_account":{{"id":"not-a-uuid"}},"token":{{"value":"{issued}"}}}}}}"#
    );
    Mock::given(method("POST"))
        .and(path("/api/customers/register"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let (client, seen) = anonymous(&server);
    let err = client.register(registration()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("was kept"), "{err}");
    assert!(!err.to_string().contains(&issued), "{err}");
    assert_eq!(client.token().unwrap().value(), issued);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// `send_json` (the `menu` command line's door) reads a session with the generated `Session`, as
/// the typed method does: its token adopted and the answer returned; an answer that is not a
/// session is a decode error, its token still kept.
#[tokio::test]
async fn send_json_reads_a_session_as_the_typed_method_does() {
    use menu_sdk::JsonCall;
    let server = MockServer::start().await;
    let issued = fresh_jwt("registered");
    Mock::given(method("POST"))
        .and(path("/api/customers/register"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&issued), "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let (client, seen) = anonymous(&server);
    let call = JsonCall {
        body: Some(serde_json::to_value(registration()).unwrap()),
        ..JsonCall::default()
    };
    let data = client.send_json("register", call.clone()).await.unwrap();
    assert_eq!(data["customer_account"]["first_name"], "Ivan");
    assert_eq!(client.token().unwrap().value(), issued);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Not a session: an account the generated type refuses.
    let second = fresh_jwt("second");
    let body = format!(
        r#"{{"status":"OK","code":200,"data":{{"customer_account":{{"id":"not-a-uuid"}},"token":{{"value":"{second}"}}}}}}"#
    );
    Mock::given(method("POST"))
        .and(path("/api/customers/register"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let err = client.send_json("register", call).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("was kept"), "{err}");
    assert!(!err.to_string().contains(&second), "{err}");
    assert_eq!(client.token().unwrap().value(), second);
    let err = client
        .send_json("no_such_operation", JsonCall::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownOperation { operation_id } if operation_id == "no_such_operation"),
        "{err:?}"
    );
}
