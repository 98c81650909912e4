//! Every rule of the mock, exercised through the SDK (and raw reqwest where the SDK would refuse
//! to send something malformed), against a real server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN};
use menu_mock::{MockServer, MockState, TokenSpec};
use menu_sdk::{Client, Error, StatusCode};
use serde_json::Value;

/// An SDK client that shows the mock's answers as they are: no automatic refresh, no retries.
fn sdk(server: &MockServer, token: Option<&str>) -> Client {
    let mut builder = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .auto_refresh(false)
        .retry_policy(menu_sdk::RetryPolicy::none());
    if let Some(token) = token {
        builder = builder.token(token);
    }
    builder.build().unwrap()
}

fn token_for(server: &MockServer, customer: uuid::Uuid) -> String {
    server
        .state()
        .issue_token(customer)
        .unwrap()
        .value()
        .to_owned()
}

/// The status and message of an API error.
fn api(err: &Error) -> (u16, String) {
    let api = err
        .api_error()
        .unwrap_or_else(|| panic!("expected an API error, got {err:?}"));
    (
        api.status.as_u16(),
        api.message().unwrap_or_default().to_owned(),
    )
}

/// A raw request with every header parameter valid, for tests that then break one thing.
fn raw(server: &MockServer, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", server.base_url()))
        .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
        .header("Application", server.application_key())
        .header("API-Version", "5.0.0")
        .header("X-QB-Enabled", "true")
        .header("Accept", "application/json")
}

fn verify_path(customer: uuid::Uuid) -> String {
    format!("/customers/{customer}/verify-phone-number-update")
}

/// Sends, checks the answer is a JSON error envelope with `status`, returns its message.
async fn expect_error(request: reqwest::RequestBuilder, status: u16) -> String {
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");
    assert_eq!(body["code"], status);
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn verify_confirms_the_pending_change() {
    let server = MockServer::start().await.unwrap();
    let client = sdk(&server, Some(&token_for(&server, DRAGOS)));
    let before = server.state().customer(DRAGOS).unwrap();
    assert!(before.has_pending_phone_number_change);

    let account = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap();
    assert_eq!(account.phone_number, "+40724373613");
    assert!(!account.has_pending_phone_number_change);
    assert!(account.updated_at.unwrap().assume_utc().is_some());
    assert_eq!(
        server.state().customer(DRAGOS).unwrap().phone_number,
        "+40724373613"
    );
    assert_eq!(server.state().pending_phone_change(DRAGOS), None);

    // Nothing is pending any more.
    let err = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap_err();
    let (status, message) = api(&err);
    assert_eq!(status, 400);
    assert!(
        message.contains("no pending phone number change"),
        "{message}"
    );
}

#[tokio::test]
async fn a_wrong_code_is_a_400_and_changes_nothing() {
    let server = MockServer::start().await.unwrap();
    let client = sdk(&server, Some(&token_for(&server, DRAGOS)));
    let err = client
        .verify_phone_number_update(DRAGOS, "000000")
        .await
        .unwrap_err();
    assert_eq!(api(&err), (400, "The confirmation code is invalid.".into()));
    let envelope = err.api_error().unwrap().envelope.clone().unwrap();
    assert_eq!(
        envelope.errors.unwrap()["confirmation_code"][0],
        "The confirmation code is invalid."
    );
    assert!(server.state().pending_phone_change(DRAGOS).is_some());
}

#[tokio::test]
async fn refresh_rotates_the_token_and_invalidates_the_old_one() {
    let server = MockServer::start().await.unwrap();
    let old = token_for(&server, IVAN);
    let client = sdk(&server, Some(&old));
    let session = client.refresh().await.unwrap();
    assert_ne!(session.token.value(), old);
    assert_eq!(session.customer_account.id, IVAN);
    assert_eq!(session.token.ttl(), Some(1440));
    assert_eq!(
        session.token.claims().unwrap().subject,
        Some(IVAN.to_string())
    );
    assert_eq!(server.state().requests("refresh"), 1);

    // The client now uses the new token.
    client.refresh().await.unwrap();
    // The old token is dead, for refresh and for every other call.
    let stale = sdk(&server, Some(&old));
    assert_eq!(
        api(&stale.refresh().await.unwrap_err()),
        (401, "The token has been blacklisted".into())
    );
    let err = stale
        .verify_phone_number_update(IVAN, "246810")
        .await
        .unwrap_err();
    assert_eq!(api(&err).0, 401);
}

#[tokio::test]
async fn an_expired_token_is_refused_but_can_be_refreshed_inside_its_window() {
    let server = MockServer::start().await.unwrap();
    let spec = TokenSpec {
        issued_at: Utc::now() - TimeDelta::hours(2),
        lifetime: Duration::from_secs(3600),
        refresh_window: Duration::from_secs(24 * 3600),
    };
    let expired = server.state().issue_token_with(DRAGOS, spec).unwrap();
    assert!(expired.expires_at().unwrap() < Utc::now());
    let client = sdk(&server, Some(expired.value()));
    let err = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap_err();
    assert_eq!(api(&err), (401, "Token has expired".into()));
    let session = client.refresh().await.unwrap();
    assert!(session.token.expires_at().unwrap() > Utc::now());
    client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap();

    // Past the refresh window, even refresh refuses.
    let dead = TokenSpec {
        refresh_window: Duration::from_secs(5400),
        ..spec
    };
    let dead = server.state().issue_token_with(DRAGOS, dead).unwrap();
    let err = sdk(&server, Some(dead.value()))
        .refresh()
        .await
        .unwrap_err();
    assert_eq!(
        api(&err),
        (
            401,
            "Token has expired and can no longer be refreshed".into()
        )
    );
}

#[tokio::test]
async fn invalid_tokens_are_401() {
    let server = MockServer::start().await.unwrap();
    let other_mock = MockServer::start().await.unwrap();
    let foreign = token_for(&other_mock, DRAGOS);
    for token in [foreign.as_str(), "not-a-jwt", "a.b.c"] {
        let err = sdk(&server, Some(token)).refresh().await.unwrap_err();
        assert_eq!(api(&err), (401, "Token is invalid".into()), "{token}");
    }
    let message = expect_error(
        raw(&server, reqwest::Method::GET, "/customers/refresh"),
        401,
    )
    .await;
    assert_eq!(message, "Token not provided");
    let basic = raw(&server, reqwest::Method::GET, "/customers/refresh")
        .header("Authorization", "Basic dXNlcjpwYXNz");
    assert_eq!(expect_error(basic, 401).await, "Token not provided");
}

#[tokio::test]
async fn another_customers_token_is_403_and_an_unknown_customer_404() {
    let server = MockServer::start().await.unwrap();
    let client = sdk(&server, Some(&token_for(&server, IVAN)));
    let err = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap_err();
    assert_eq!(api(&err).0, 403);
    assert!(
        server.state().pending_phone_change(DRAGOS).is_some(),
        "nothing changed"
    );
    let err = client
        .verify_phone_number_update(uuid::Uuid::new_v4(), "1")
        .await
        .unwrap_err();
    assert_eq!(api(&err).0, 404);
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn application_key_missing_is_400_and_unknown_is_401() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    let wrong = Client::builder()
        .base_url(server.base_url())
        .application_key("ffffffffffffffffffffffffffffffff")
        .token(&token)
        .build()
        .unwrap();
    assert_eq!(
        api(&wrong.refresh().await.unwrap_err()),
        (401, "Unknown application.".into())
    );
    let missing = reqwest::Client::new()
        .get(format!("{}/customers/refresh", server.base_url()))
        .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
        .header("API-Version", "5.0.0")
        .header("X-QB-Enabled", "true")
        .bearer_auth(&token);
    assert_eq!(
        expect_error(missing, 400).await,
        "The Application header is required."
    );
}

#[tokio::test]
async fn malformed_header_parameters_are_400() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    // (header, Some(value) to replace it / None to remove it, expected message)
    let cases: [(&str, Option<&str>, &str); 9] = [
        (
            "X-Request-ID",
            Some("not-a-uuid"),
            "The X-Request-ID header must be a UUID.",
        ),
        // A UUID, but not in the canonical hyphenated form `format: uuid` means.
        (
            "X-Request-ID",
            Some("6735e30350a148879b11915a6919cc66"),
            "The X-Request-ID header must be a UUID.",
        ),
        ("X-Request-ID", None, "The X-Request-ID header is required."),
        (
            "X-QB-Enabled",
            Some("maybe"),
            "The X-QB-Enabled header must be `true` or `false`.",
        ),
        (
            "X-QB-Enabled",
            Some("TRUE "),
            "The X-QB-Enabled header must be `true` or `false`.",
        ),
        ("X-QB-Enabled", None, "The X-QB-Enabled header is required."),
        ("API-Version", None, "The API-Version header is required."),
        (
            "API-Version",
            Some(" "),
            "The API-Version header must be non-empty text.",
        ),
        (
            "Application",
            Some(""),
            "The Application header must be non-empty text.",
        ),
    ];
    for (name, value, expected) in cases {
        let mut request = raw(&server, reqwest::Method::GET, "/customers/refresh")
            .bearer_auth(&token)
            .build()
            .unwrap();
        match value {
            Some(value) => request.headers_mut().insert(name, value.parse().unwrap()),
            None => request.headers_mut().remove(name),
        };
        let response = reqwest::Client::new().execute(request).await.unwrap();
        assert_eq!(response.status(), 400, "{name} {value:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], expected, "{name} {value:?}");
    }
    let twice = raw(&server, reqwest::Method::GET, "/customers/refresh")
        .bearer_auth(&token)
        .header("X-Request-ID", uuid::Uuid::new_v4().to_string());
    assert_eq!(
        expect_error(twice, 400).await,
        "The X-Request-ID header must be sent once."
    );
    assert_eq!(server.state().requests("refresh"), 10);
    // None of them consumed the token.
    sdk(&server, Some(&token)).refresh().await.unwrap();
}

#[tokio::test]
async fn malformed_verify_requests_are_4xx_json_errors() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    let post = |path: String| raw(&server, reqwest::Method::POST, &path).bearer_auth(&token);
    let good = verify_path(DRAGOS);
    let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (
            post(good.clone())
                .header("Content-Type", "application/json")
                .body("{not json"),
            "not valid JSON",
        ),
        (
            post(good.clone())
                .header("Content-Type", "text/plain")
                .body(r#"{"confirmation_code":"1"}"#),
            "Content-Type",
        ),
        (
            post(good.clone()).body(r#"{"confirmation_code":"1"}"#),
            "Content-Type",
        ),
        (
            post(good.clone()).json(&serde_json::json!({"confirmation_code": 164138})),
            "The confirmation_code field must be text matching `^[0-9]+$`",
        ),
        (
            // An empty code: refused by the spec's `x-pattern`, as the CLI refuses it.
            post(good.clone()).json(&serde_json::json!({"confirmation_code": ""})),
            "The confirmation_code field must be text matching `^[0-9]+$`",
        ),
        (
            post(good.clone()).json(&serde_json::json!({})),
            "The confirmation_code field is required",
        ),
        (
            post(good.clone()).json(&serde_json::json!(["164138"])),
            "expected a JSON object",
        ),
        (
            post(good.clone())
                .header("Content-Type", "application/json")
                .body(vec![b' '; 100 * 1024]),
            "larger than 64 KiB",
        ),
        (
            post(verify_path(DRAGOS).replace(&DRAGOS.to_string(), "not-a-uuid"))
                .json(&serde_json::json!({"confirmation_code": "1"})),
            "must be a UUID",
        ),
        (
            post("/customers/%FF%FE/verify-phone-number-update".into())
                .json(&serde_json::json!({"confirmation_code": "1"})),
            "must be a UUID",
        ),
    ];
    for (request, expected) in cases {
        let message = expect_error(request, 400).await;
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // Unknown fields are tolerated.
    let extra = post(good)
        .json(&serde_json::json!({"confirmation_code": DRAGOS_CONFIRMATION_CODE, "extra": [1]}));
    assert_eq!(extra.send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let server = MockServer::start().await.unwrap();
    let message = expect_error(raw(&server, reqwest::Method::GET, "/customers/nope"), 404).await;
    assert!(message.contains("/api/customers/nope"), "{message}");
    for (method, path, allow) in [
        (
            reqwest::Method::POST,
            "/customers/refresh".to_owned(),
            "GET",
        ),
        (
            reqwest::Method::DELETE,
            "/customers/refresh".to_owned(),
            "GET",
        ),
        (reqwest::Method::GET, verify_path(DRAGOS), "POST"),
        (
            reqwest::Method::from_bytes(b"QUERY").unwrap(),
            verify_path(DRAGOS),
            "POST",
        ),
    ] {
        let response = raw(&server, method.clone(), &path).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn every_response_echoes_the_request_id() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    for (method, path, authorized) in [
        (reqwest::Method::GET, "/customers/refresh".to_owned(), true),
        (reqwest::Method::GET, "/customers/refresh".to_owned(), false),
        (reqwest::Method::POST, verify_path(DRAGOS), true),
        (reqwest::Method::GET, "/nowhere".to_owned(), false),
        (reqwest::Method::PUT, "/customers/refresh".to_owned(), false),
    ] {
        let id = uuid::Uuid::new_v4().to_string();
        let mut request = raw(&server, method, &path);
        if authorized {
            request = request.bearer_auth(&token);
        }
        // `raw` already set one id; replace it.
        let mut built = request.build().unwrap();
        built
            .headers_mut()
            .insert("x-request-id", id.parse().unwrap());
        let response = reqwest::Client::new().execute(built).await.unwrap();
        assert_eq!(response.headers()["x-request-id"], id.as_str(), "{path}");
    }
    // Without one, the mock sends a fresh one.
    let response = reqwest::Client::new()
        .get(format!("{}/customers/refresh", server.base_url()))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
}

#[tokio::test]
async fn the_library_api_arranges_and_reads_state() {
    let state = MockState::empty("my-app-key");
    let mut account = state_account();
    account.id = uuid::Uuid::new_v4();
    state.add_customer(account.clone());
    state
        .set_pending_phone_change(account.id, "+15550000000", "777")
        .unwrap();
    let server = MockServer::bind("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    assert_eq!(server.application_key(), "my-app-key");
    let short = server
        .state()
        .issue_token_with(account.id, TokenSpec::expiring_in(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(short.ttl(), Some(1));

    let client = sdk(&server, Some(short.value()));
    let updated = client
        .verify_phone_number_update(account.id, "777")
        .await
        .unwrap();
    assert_eq!(updated.phone_number, "+15550000000");
    assert_eq!(server.state().customer(account.id).unwrap(), updated);
    assert_eq!(server.state().requests("verify_phone_number_update"), 1);
    assert!(
        server.state().customer(DRAGOS).is_none(),
        "an empty state has no seeds"
    );

    let base_url = server.base_url().to_owned();
    server.shutdown().await;
    let err = Client::builder()
        .base_url(base_url)
        .application_key("my-app-key")
        .token(short.value())
        .build()
        .unwrap()
        .refresh()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "stopped: {err:?}");
}

fn state_account() -> menu_sdk::CustomerAccount {
    serde_json::from_str::<Value>(include_str!("../../seed/refresh.json"))
        .ok()
        .and_then(|v| serde_json::from_value(v["data"]["customer_account"].clone()).ok())
        .unwrap()
}

#[tokio::test]
async fn head_on_refresh_is_405_and_consumes_nothing() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, IVAN);
    let response = raw(&server, reqwest::Method::HEAD, "/customers/refresh")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    assert!(
        server.state().accepts_token(&token, true),
        "the token was not rotated"
    );
    sdk(&server, Some(&token)).refresh().await.unwrap();
}

#[tokio::test]
async fn a_refresh_keeps_the_lifetimes_of_the_refreshed_token() {
    let server = MockServer::start().await.unwrap();
    let spec = TokenSpec {
        lifetime: Duration::from_secs(600),
        refresh_window: Duration::from_secs(7200),
        ..TokenSpec::now()
    };
    let token = server.state().issue_token_with(IVAN, spec).unwrap();
    let session = sdk(&server, Some(token.value())).refresh().await.unwrap();
    assert_eq!(session.token.ttl(), Some(10));
    assert_eq!(session.token.refresh_ttl(), Some(120));
    let claims = session.token.claims().unwrap();
    assert_eq!(
        (claims.expires_at.unwrap() - claims.issued_at.unwrap()).num_seconds(),
        600
    );
}

#[tokio::test]
async fn only_canonical_uuids_are_accepted() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    let simple = DRAGOS.simple().to_string();
    let braced = format!("{{{DRAGOS}}}");
    let urn = DRAGOS.urn().to_string();
    for lax in [simple.as_str(), braced.as_str(), urn.as_str()] {
        let mut request = raw(&server, reqwest::Method::GET, "/customers/refresh")
            .bearer_auth(&token)
            .build()
            .unwrap();
        request
            .headers_mut()
            .insert("x-request-id", lax.parse().unwrap());
        let response = reqwest::Client::new().execute(request).await.unwrap();
        assert_eq!(response.status(), 400, "X-Request-ID {lax}");
        let path = format!("/customers/{lax}/verify-phone-number-update");
        let response = raw(&server, reqwest::Method::POST, &path)
            .bearer_auth(&token)
            .json(&serde_json::json!({"confirmation_code": DRAGOS_CONFIRMATION_CODE}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "path {lax}");
    }
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_yield_exactly_one_new_token() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, IVAN);
    let mut calls = Vec::new();
    for _ in 0..30 {
        let request = raw(&server, reqwest::Method::GET, "/customers/refresh").bearer_auth(&token);
        calls.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        29,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn slow_and_hostile_clients_do_not_stop_the_server() {
    use tokio::io::AsyncWriteExt;
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, DRAGOS);
    // Clients that send half a request and stall, one that sends garbage, one with huge headers.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        socket
            .write_all(b"GET /api/customers/refresh HTTP/1.1\r\nHost: x\r\nX-Req")
            .await
            .unwrap();
        stalled.push(socket);
    }
    let mut garbage = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    garbage
        .write_all(b"\x00\x01\x02 not http at all\r\n\r\n")
        .await
        .unwrap();
    let huge = raw(&server, reqwest::Method::GET, "/customers/refresh")
        .bearer_auth(&token)
        .header("X-Padding", "p".repeat(1024 * 1024))
        .send()
        .await;
    if let Ok(response) = huge {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let slow_body = raw(&server, reqwest::Method::POST, &verify_path(DRAGOS))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .header("Content-Length", "100")
        .body(reqwest::Body::wrap_stream(futures_stall()));
    let slow_body =
        tokio::spawn(async move { slow_body.send().await.map(|r| r.status().as_u16()) });
    // Meanwhile, the server keeps serving.
    for _ in 0..5 {
        sdk(&server, Some(&token_for(&server, IVAN)))
            .refresh()
            .await
            .unwrap();
    }
    // A stalled request body ends in a 400 once REQUEST_BODY_TIMEOUT passes (not waited for here);
    // shutting down does not wait for it, nor for the stalled header readers.
    let started = std::time::Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < menu_mock::SHUTDOWN_GRACE + Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    slow_body.abort();
    drop(stalled);
}

/// A request body that sends 10 bytes, then never finishes.
fn futures_stall()
-> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Stall(bool);
    impl futures_core::Stream for Stall {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.0 {
                std::task::Poll::Pending
            } else {
                self.0 = true;
                std::task::Poll::Ready(Some(Ok(b"{\"confirma".to_vec())))
            }
        }
    }
    Stall(false)
}

#[tokio::test]
async fn a_test_sets_an_operations_answer_without_writing_a_handler() {
    let server = MockServer::start().await.unwrap();
    let token = token_for(&server, IVAN);
    let down =
        serde_json::json!({"status": "ERROR", "code": 503, "message": "Down for maintenance"});
    server.state().respond("refresh", 503, down).unwrap();
    let err = sdk(&server, Some(&token)).refresh().await.unwrap_err();
    assert_eq!(api(&err), (503, "Down for maintenance".to_owned()));
    assert_eq!(server.state().requests("refresh"), 1);
    // Back to the mock's own answer: the handler did not run (the token was not rotated).
    server.state().clear_response("refresh");
    sdk(&server, Some(&token)).refresh().await.unwrap();
    assert_eq!(server.state().requests("refresh"), 2);
    // Mistakes are errors, not panics.
    assert!(matches!(
        server
            .state()
            .respond("no_such_operation", 200, Value::Null),
        Err(menu_mock::StateError::UnknownOperation(_))
    ));
    for status in [42, 101, 600] {
        assert!(matches!(
            server.state().respond("refresh", status, Value::Null),
            Err(menu_mock::StateError::InvalidStatus(s)) if s == status
        ));
    }
    // HEAD is answered as the GET it stands for: with the answer a test set.
    server
        .state()
        .respond("refresh", 503, serde_json::json!({"message": "down"}))
        .unwrap();
    let head = raw(&server, reqwest::Method::HEAD, "/customers/refresh")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 503);
}
