//! Written into the regeneration proof's copy of the workspace after its spec was changed a
//! second time: `x-token: rotates` taken off `refresh`, `x-token: issues` put on `sign_in`, and
//! `cargo xtask generate` run, with no other edit. The marks alone drive the token handling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The shared pieces of menu-sdk's own integration tests.
#[path = "sdk/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use menu_sdk::Client;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIGN_IN_TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9vZiJ9.c2lnbmF0dXJl";

fn counting_client(server: &MockServer, token: &str) -> (Client, Arc<AtomicUsize>) {
    let hooked = Arc::new(AtomicUsize::new(0));
    let counter = hooked.clone();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(token)
        .on_token_refresh(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    (client, hooked)
}

#[tokio::test]
async fn without_the_rotating_mark_refresh_is_an_ordinary_operation() {
    let server = MockServer::start().await;
    let new = fresh_jwt("new");
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    // An expired token is not refreshed before a call: nothing rotates it any more.
    let old = jwt("old", chrono::Utc::now().timestamp() - 10);
    let (client, hooked) = counting_client(&server, &old);
    client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "no refresh before the call");
    assert_eq!(
        header_values(&requests[0], "authorization"),
        [format!("Bearer {old}")]
    );
    // `refresh()` answers the session, but the client keeps its token and calls no hook.
    let session = client.refresh().await.unwrap();
    assert_eq!(session.token.value(), new);
    assert_eq!(client.token().unwrap().value(), old);
    assert_eq!(hooked.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn with_the_issuing_mark_another_operation_adopts_the_token() {
    let server = MockServer::start().await;
    let body = REFRESH_BODY.replace(REFERENCE_JWT, SIGN_IN_TOKEN);
    Mock::given(method("POST"))
        .and(path("/api/customers/sign-in"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let (client, hooked) = counting_client(&server, &fresh_jwt("old"));
    let session = client
        .sign_in(menu_sdk::types::SignInRequest {
            email: "ivan.djordjevic@partech.com".into(),
            code: 307242.into(),
        })
        .await
        .unwrap();
    assert_eq!(session.token.value(), SIGN_IN_TOKEN);
    assert_eq!(client.token().unwrap().value(), SIGN_IN_TOKEN, "adopted");
    assert_eq!(hooked.load(Ordering::SeqCst), 1);
}
