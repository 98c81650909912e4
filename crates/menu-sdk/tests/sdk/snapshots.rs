//! Pinned with insta: both outgoing requests as the server received them, and what the SDK decodes
//! from the reference pages' bodies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use support::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(REFRESH_BODY, "application/json"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn outgoing_verify_phone_number_update_request() {
    let server = server().await;
    let account = client(&server, &fresh_jwt("c"))
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    insta::assert_snapshot!(render(&server.received_requests().await.unwrap()[0]));
    insta::assert_debug_snapshot!("decoded_verify_reference_body", account);
}

#[tokio::test]
async fn outgoing_refresh_request() {
    let server = server().await;
    let session = client(&server, &fresh_jwt("c")).refresh().await.unwrap();
    insta::assert_snapshot!(render(&server.received_requests().await.unwrap()[0]));
    insta::assert_debug_snapshot!("decoded_refresh_reference_body", session);
    // The session serializes with JSON field names (the token value included: it is meant to be
    // persisted), and reads back equal.
    let json = serde_json::to_value(&session).unwrap();
    insta::assert_json_snapshot!("serialized_session", json, {".token.value" => "[token]"});
    assert_eq!(
        serde_json::from_value::<menu_sdk::Session>(json).unwrap(),
        session
    );
}
