//! What each generated operation puts on the wire, captured by a raw loopback server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use crate::support;

use menu_client::types::VerifyPhoneNumberUpdateRequest;
use menu_client::{Client, RequestContext};
use reqwest::header::{HeaderMap, HeaderValue};
use support::CaptureServer;

const VERIFY: &str = include_str!("../../../menu-mock/seed/verify-phone-number-update.json");
const REFRESH: &str = include_str!("../../../menu-mock/seed/refresh.json");
const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

/// A generated client over a plain reqwest client (menu-client has no constructor of its own
/// that could panic).
fn new_client(base_url: &str, context: RequestContext) -> Client {
    Client::new_with_client(base_url, reqwest::Client::new(), context)
}

/// The headers the SDK puts in every context.
fn headers(api_version: &'static str, query_builder: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Application", HeaderValue::from_static(APP_KEY));
    headers.insert("API-Version", HeaderValue::from_static(api_version));
    headers.insert("X-QB-Enabled", HeaderValue::from_static(query_builder));
    headers
}

fn context() -> RequestContext {
    RequestContext::new().headers(headers("5.0.0", "true"))
}

fn client(server: &CaptureServer) -> Client {
    new_client(&server.base_url, context().bearer_token(TOKEN).unwrap())
}

#[tokio::test]
async fn verify_phone_number_update_request_on_the_wire() {
    let server = CaptureServer::start(200, VERIFY).await;
    let request_id = uuid::Uuid::new_v4();
    let customer_id: uuid::Uuid = "47bf8888-3f23-11ed-936c-1a67b454859d".parse().unwrap();
    let client = new_client(
        &server.base_url,
        context()
            .request_id(request_id)
            .bearer_token(TOKEN)
            .unwrap(),
    );
    let response = client
        .verify_phone_number_update(
            &customer_id,
            &VerifyPhoneNumberUpdateRequest {
                confirmation_code: "164138".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.data.customer_account.first_name, "Dragos");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let wire = &requests[0];
    assert_eq!(
        wire.header_values("x-request-id"),
        vec![request_id.to_string()]
    );
    assert_eq!(
        wire.header_values("authorization"),
        vec![format!("Bearer {TOKEN}")]
    );
    assert_eq!(wire.body, r#"{"confirmation_code":"164138"}"#);
    insta::assert_snapshot!(
        "verify_phone_number_update_request",
        wire.render(&["x-request-id", "host"])
    );
}

#[tokio::test]
async fn refresh_request_on_the_wire() {
    let server = CaptureServer::start(200, REFRESH).await;
    let response = client(&server).refresh().await.unwrap();
    assert_eq!(response.data.token.ttl(), Some(1440));

    let wire = &server.requests()[0];
    assert_eq!(wire.method, "GET");
    assert_eq!(wire.body, "");
    insta::assert_snapshot!("refresh_request", wire.render(&["x-request-id", "host"]));
}

/// progenitor always sets `api-version: <info.version>`; the context's `API-Version` replaces it:
/// exactly one value goes out, the caller's.
#[tokio::test]
async fn exactly_one_api_version_header_the_callers() {
    let server = CaptureServer::start(200, REFRESH).await;
    let context = RequestContext::new().headers(headers("4.38.0", "false"));
    new_client(&server.base_url, context)
        .refresh()
        .await
        .unwrap();
    let wire = &server.requests()[0];
    assert_eq!(wire.header_values("api-version"), vec!["4.38.0"]);
    assert_eq!(wire.header_values("x-qb-enabled"), vec!["false"]);
    // Without a chosen id, each request gets a fresh one.
    let id: uuid::Uuid = wire.header_values("x-request-id")[0].parse().unwrap();
    assert_eq!(id.get_version_num(), 4);
}

#[tokio::test]
async fn no_authorization_header_without_a_token() {
    let server = CaptureServer::start(200, REFRESH).await;
    new_client(&server.base_url, context())
        .refresh()
        .await
        .unwrap();
    assert!(
        server.requests()[0]
            .header_values("authorization")
            .is_empty()
    );
}

/// The client view documents no error response: an error status arrives with its body unread,
/// for the caller to read as it likes.
#[tokio::test]
async fn an_error_status_is_an_unexpected_response_with_its_body() {
    let body = r#"{"status":"ERROR","code":401,"message":"Token expired"}"#;
    let server = CaptureServer::start(401, body).await;
    let err = client(&server).refresh().await.unwrap_err();
    match err {
        menu_client::Error::UnexpectedResponse(response) => {
            assert_eq!(response.status().as_u16(), 401);
            assert_eq!(response.text().await.unwrap(), body);
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

/// With a body limit, a larger body fails while it is read (and a smaller one is read whole).
#[tokio::test]
async fn the_body_limit_applies_to_every_response() {
    let server = CaptureServer::start(200, REFRESH).await;
    let limited = |limit| new_client(&server.base_url, context().max_response_body_bytes(limit));
    limited(REFRESH.len()).refresh().await.unwrap();
    let err = limited(REFRESH.len() - 1).refresh().await.unwrap_err();
    assert!(
        matches!(err, menu_client::Error::ResponseBodyError(_)),
        "{err:?}"
    );
}

/// reqwest is built with TLS: an `https://` base URL starts a TLS handshake (the server sees a
/// TLS handshake record) instead of failing with "scheme not supported".
#[tokio::test]
async fn https_base_url_starts_a_tls_handshake() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let first_bytes = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 3];
        socket.read_exact(&mut buf).await.unwrap();
        buf
    });
    let client = new_client(&format!("https://{addr}/api"), context());
    let call = async { client.refresh().await };
    // The server never answers the handshake, so the call fails (or times out); what matters is
    // what reached the socket.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), call).await;
    let bytes = first_bytes.await.unwrap();
    assert_eq!(bytes[0], 0x16, "a TLS handshake record");
    assert_eq!(bytes[1], 0x03, "TLS major version 3");
}
