//! What each generated operation puts on the wire, captured by a raw loopback server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

mod support;

use menu_client::types::{QueryBuilderEnabled, VerifyPhoneNumberUpdateRequest};
use menu_client::{Client, RequestContext};
use support::CaptureServer;

const VERIFY: &str = include_str!("fixtures/verify-phone-number-update.json");
const REFRESH: &str = include_str!("fixtures/refresh.json");
const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

fn client(server: &CaptureServer) -> Client {
    Client::new(
        &server.base_url,
        RequestContext::with_bearer_token(TOKEN).unwrap(),
    )
}

#[tokio::test]
async fn verify_phone_number_update_request_on_the_wire() {
    let server = CaptureServer::start(200, VERIFY).await;
    let request_id = uuid::Uuid::new_v4();
    let customer_id: uuid::Uuid = "47bf8888-3f23-11ed-936c-1a67b454859d".parse().unwrap();
    let response = client(&server)
        .verify_phone_number_update(
            &customer_id,
            &"5.0.0".parse().unwrap(),
            &APP_KEY.parse().unwrap(),
            QueryBuilderEnabled::True,
            &request_id,
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
    let response = client(&server)
        .refresh(
            &"5.0.0".parse().unwrap(),
            &APP_KEY.parse().unwrap(),
            QueryBuilderEnabled::True,
            &uuid::Uuid::new_v4(),
        )
        .await
        .unwrap();
    assert_eq!(response.data.token.ttl(), Some(1440));

    let wire = &server.requests()[0];
    assert_eq!(wire.method, "GET");
    assert_eq!(wire.body, "");
    insta::assert_snapshot!("refresh_request", wire.render(&["x-request-id", "host"]));
}

/// progenitor appends `api-version: <info.version>` before the operation's own `API-Version`
/// parameter; the hooks keep exactly one value, the caller's.
#[tokio::test]
async fn exactly_one_api_version_header_the_callers() {
    let server = CaptureServer::start(200, REFRESH).await;
    client(&server)
        .refresh(
            &"4.38.0".parse().unwrap(),
            &APP_KEY.parse().unwrap(),
            QueryBuilderEnabled::False,
            &uuid::Uuid::new_v4(),
        )
        .await
        .unwrap();
    let wire = &server.requests()[0];
    assert_eq!(wire.header_values("api-version"), vec!["4.38.0"]);
    assert_eq!(wire.header_values("x-qb-enabled"), vec!["false"]);
}

#[tokio::test]
async fn no_authorization_header_without_a_token() {
    let server = CaptureServer::start(200, REFRESH).await;
    Client::new(&server.base_url, RequestContext::new())
        .refresh(
            &"5.0.0".parse().unwrap(),
            &APP_KEY.parse().unwrap(),
            QueryBuilderEnabled::True,
            &uuid::Uuid::new_v4(),
        )
        .await
        .unwrap();
    assert!(
        server.requests()[0]
            .header_values("authorization")
            .is_empty()
    );
}

#[tokio::test]
async fn a_documented_error_status_is_a_typed_error_response() {
    let server = CaptureServer::start(
        401,
        r#"{"status":"ERROR","code":401,"message":"Token expired"}"#,
    )
    .await;
    let err = client(&server)
        .refresh(
            &"5.0.0".parse().unwrap(),
            &APP_KEY.parse().unwrap(),
            QueryBuilderEnabled::True,
            &uuid::Uuid::new_v4(),
        )
        .await
        .unwrap_err();
    match err {
        menu_client::Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 401);
            assert_eq!(response.message.as_deref(), Some("Token expired"));
        }
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
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
    let client = Client::new(&format!("https://{addr}/api"), RequestContext::new());
    let call = async {
        client
            .refresh(
                &"5.0.0".parse().unwrap(),
                &APP_KEY.parse().unwrap(),
                QueryBuilderEnabled::True,
                &uuid::Uuid::new_v4(),
            )
            .await
    };
    // The server never answers the handshake, so the call fails (or times out); what matters is
    // what reached the socket.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), call).await;
    let bytes = first_bytes.await.unwrap();
    assert_eq!(bytes[0], 0x16, "a TLS handshake record");
    assert_eq!(bytes[1], 0x03, "TLS major version 3");
}
