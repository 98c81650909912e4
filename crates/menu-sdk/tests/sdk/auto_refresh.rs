//! Automatic token refresh: before expiry and after a 401 for an expired token, single-flight
//! under concurrency (against the mock server), shared failures, no loops, switchable off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE};
use menu_mock::{MockServer, TokenSpec};
use menu_sdk::{Client, Error};
use support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer as Wiremock, ResponseTemplate};

/// A token of Dragos that expired an hour ago but can still be refreshed.
fn expired_token(server: &MockServer) -> String {
    let spec = TokenSpec {
        issued_at: Utc::now() - TimeDelta::hours(2),
        lifetime: Duration::from_secs(3600),
        refresh_window: Duration::from_secs(24 * 3600),
    };
    server
        .state()
        .issue_token_with(DRAGOS, spec)
        .unwrap()
        .value()
        .to_owned()
}

#[tokio::test]
async fn a_hundred_concurrent_calls_with_an_expired_token_share_one_refresh() {
    let server = MockServer::start().await.unwrap();
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let counter = hook_calls.clone();
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(expired_token(&server))
        .on_token_refresh(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();

    let mut calls = Vec::new();
    for _ in 0..100 {
        let client = client.clone();
        // A wrong code: each call must get past authentication (with a valid token) to be told so.
        calls.push(tokio::spawn(async move {
            client.verify_phone_number_update(DRAGOS, "000000").await
        }));
    }
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(
            (api.status.as_u16(), api.message()),
            (400, Some("The confirmation code is invalid."))
        );
    }
    assert_eq!(
        server.state().requests("refresh"),
        1,
        "exactly one refresh reached the server"
    );
    assert_eq!(
        hook_calls.load(Ordering::SeqCst),
        1,
        "on_token_refresh fired once"
    );
    assert_eq!(
        server.state().requests("verify_phone_number_update"),
        100,
        "no call was sent with the expired token"
    );
    assert!(
        server
            .state()
            .accepts_token(client.token().unwrap().value(), false)
    );
    // And the right code works with the refreshed token.
    client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let server = MockServer::start().await.unwrap();
    let soon = server
        .state()
        .issue_token_with(DRAGOS, TokenSpec::expiring_in(Duration::from_secs(30)))
        .unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(soon.value())
        .build()
        .unwrap();
    client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap();
    assert_eq!(
        server.state().requests("refresh"),
        1,
        "30 s left is inside the default 60 s margin"
    );
    assert_ne!(client.token().unwrap().value(), soon.value());
}

#[tokio::test]
async fn switched_off_the_expired_token_is_sent_and_refused() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(expired_token(&server))
        .auto_refresh(false)
        .build()
        .unwrap();
    let err = client
        .verify_phone_number_update(DRAGOS, DRAGOS_CONFIRMATION_CODE)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.state().requests("refresh"), 0);
}

/// A wiremock server: verify answers 401 "Token has expired" to `old` and 200 to anything else;
/// refresh answers with `refresh` (after `delay`).
async fn expiring_server(old: &str, refresh: ResponseTemplate) -> Wiremock {
    let server = Wiremock::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {old}").as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Token has expired"}"#, "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(refresh)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_401_for_an_expired_token_refreshes_once_and_retries_once_with_the_same_request_id() {
    // The token looks valid to the client (its exp is a day away): only the server knows better.
    let (old, new) = (fresh_jwt("old"), fresh_jwt("new"));
    let server = expiring_server(
        &old,
        ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
    )
    .await;
    let client = client(&server, &old);
    let request_id = uuid::Uuid::new_v4();
    let account = client
        .with_request_id(request_id)
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    assert_eq!(account.first_name, "Dragos");

    let requests = server.received_requests().await.unwrap();
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                header_values(r, "authorization")[0].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("POST".to_owned(), format!("Bearer {old}")),
            ("GET".to_owned(), format!("Bearer {old}")),
            ("POST".to_owned(), format!("Bearer {new}")),
        ]
    );
    let ids: Vec<String> = requests
        .iter()
        .map(|r| header_values(r, "x-request-id")[0].clone())
        .collect();
    assert_eq!(ids[0], request_id.to_string());
    assert_eq!(
        ids[2],
        request_id.to_string(),
        "the retried call keeps its request id"
    );
    assert_ne!(ids[1], ids[0], "the refresh is a call of its own");
}

#[tokio::test]
async fn no_refresh_loops() {
    // The server refuses every token as expired, yet every refresh "succeeds".
    let server = Wiremock::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Token has expired"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&fresh_jwt("new")), "application/json"),
        )
        .mount(&server)
        .await;
    let err = client(&server, &fresh_jwt("old"))
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let methods: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(
        methods,
        ["POST", "GET", "POST"],
        "one refresh, one retry, then the error"
    );
}

#[tokio::test]
async fn a_failed_refresh_is_every_waiting_calls_error_and_is_tried_again_later() {
    let old = jwt("old", Utc::now().timestamp() - 10); // expired: every call refreshes first
    let server = expiring_server(
        &old,
        ResponseTemplate::new(401)
            .set_body_raw(
                r#"{"message":"Token has expired and can no longer be refreshed"}"#,
                "application/json",
            )
            .set_delay(Duration::from_millis(200)),
    )
    .await;
    let seen = Arc::new(Mutex::new(0));
    let counter = seen.clone();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(move |_| *counter.lock().unwrap() += 1)
        .build()
        .unwrap();
    let mut calls = Vec::new();
    for _ in 0..50 {
        let client = client.clone();
        let request_id = uuid::Uuid::new_v4();
        calls.push(tokio::spawn(async move {
            let result = client
                .with_request_id(request_id)
                .verify_phone_number_update(customer_id(), "1")
                .await;
            (request_id, result)
        }));
    }
    let mut errors = Vec::new();
    for call in calls {
        let (request_id, result) = call.await.unwrap();
        errors.push((request_id, result.unwrap_err()));
    }
    let refreshes = |requests: &[wiremock::Request]| {
        requests
            .iter()
            .filter(|r| r.method.as_str() == "GET")
            .count()
    };
    let requests = server.received_requests().await.unwrap();
    assert_eq!(refreshes(&requests), 1, "one refresh for 50 waiting calls");
    assert_eq!(requests.len(), 1, "no verify was sent with the dead token");
    let refresh_id: uuid::Uuid = header_values(&requests[0], "x-request-id")[0]
        .parse()
        .unwrap();
    for (request_id, err) in &errors {
        // The call's own error, with the call's own request id...
        let Error::RefreshFailed {
            operation,
            request_id: call_id,
            source,
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*operation, "verify_phone_number_update");
        assert_eq!(call_id, request_id);
        assert_eq!(err.request_id(), Some(*request_id));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
        // ...caused by the one shared refresh failure, with the refresh's own id.
        assert!(
            matches!(&**source, Error::Api(api) if api.operation == "refresh"
                && api.status == 401 && api.request_id == refresh_id),
            "{source:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&request_id.to_string()) && message.contains(&refresh_id.to_string()),
            "{message}"
        );
    }
    assert_eq!(*seen.lock().unwrap(), 0);

    // A later call is not served the old failure: it tries again.
    let _ = client.verify_phone_number_update(customer_id(), "1").await;
    assert_eq!(refreshes(&server.received_requests().await.unwrap()), 2);
}

#[tokio::test]
async fn the_token_is_never_sent_over_plain_http_to_another_host() {
    let client = Client::builder()
        .base_url("http://api.menu.invalid/api")
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .build()
        .unwrap();
    for err in [
        client.refresh().await.unwrap_err(),
        client
            .verify_phone_number_update(customer_id(), "1")
            .await
            .unwrap_err(),
    ] {
        let Error::InsecureTransport { .. } = &err else {
            panic!("{err:?}")
        };
        let message = err.to_string();
        assert!(
            message.contains("plain http://") && message.contains("allow_insecure_http"),
            "{message}"
        );
        assert!(message.contains("nothing was sent"), "{message}");
    }
    assert!(matches!(
        client.generated(),
        Err(Error::InsecureTransport { .. })
    ));
}

/// A server whose refresh answer waits for the test's signal: it says when a refresh arrived,
/// and answers it (with `token`) only once released. Any other request gets the verify body.
struct Gated {
    base_url: String,
    arrived: tokio::sync::mpsc::UnboundedReceiver<()>,
    release: Arc<tokio::sync::Notify>,
    refreshes: Arc<std::sync::atomic::AtomicUsize>,
}

impl Gated {
    async fn start(token: String) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/api", listener.local_addr().unwrap());
        let (arrived_tx, arrived) = tokio::sync::mpsc::unbounded_channel();
        let release = Arc::new(tokio::sync::Notify::new());
        let refreshes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (gate, count) = (release.clone(), refreshes.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (arrived, gate, count, token) = (
                    arrived_tx.clone(),
                    gate.clone(),
                    count.clone(),
                    token.clone(),
                );
                tokio::spawn(async move {
                    loop {
                        // One request: its head, and its body (`Content-Length`).
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") {
                            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                                return;
                            }
                            head.push(byte[0]);
                        }
                        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|n| n.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        let mut body = vec![0u8; length];
                        if stream.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let answer = if head.starts_with("get ") {
                            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let _ = arrived.send(());
                            gate.notified().await;
                            refresh_body_with(&token)
                        } else {
                            VERIFY_BODY.to_owned()
                        };
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                            answer.len()
                        );
                        if stream.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            base_url,
            arrived,
            release,
            refreshes,
        }
    }
}

#[tokio::test]
async fn a_cancelled_call_does_not_lose_the_refreshed_token() {
    let new = fresh_jwt("new");
    let mut server = Gated::start(new.clone()).await;
    let (hooked, mut hook) = tokio::sync::mpsc::unbounded_channel();
    let client = Client::builder()
        .base_url(&server.base_url)
        .application_key(APP_KEY)
        .token(jwt("old", Utc::now().timestamp() - 10))
        .on_token_refresh(move |t| {
            let _ = hooked.send(t.value().to_owned());
        })
        .build()
        .unwrap();
    // The call's refresh reaches the server; then the caller gives up.
    let call = {
        let client = client.clone();
        tokio::spawn(async move { client.verify_phone_number_update(customer_id(), "1").await })
    };
    server.arrived.recv().await.unwrap();
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    // The server answers only now: the refresh still completes, and its token is kept.
    server.release.notify_one();
    let handed = tokio::time::timeout(Duration::from_secs(10), hook.recv())
        .await
        .expect("the refresh completed after its caller gave up")
        .unwrap();
    assert_eq!(handed, new);
    assert_eq!(client.token().unwrap().value(), new, "the client kept it");
    client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    assert_eq!(
        server.refreshes.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "no second refresh of the rotated token"
    );
}

#[tokio::test]
async fn a_call_refreshes_at_most_once() {
    // The token has expired (refreshed before the call); the server still says "expired".
    let server = Wiremock::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Token has expired"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&fresh_jwt("new")), "application/json"),
        )
        .mount(&server)
        .await;
    let client = client(&server, &jwt("old", Utc::now().timestamp() - 10));
    let err = client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let methods: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET", "POST"]);
}

#[tokio::test]
async fn a_token_replaced_while_the_call_was_in_flight_is_tried_once() {
    // The server refuses the old token ("blacklisted": no expiry in sight) after a while; the
    // application sets a new token meanwhile.
    let (old, new) = (fresh_jwt("old"), fresh_jwt("new"));
    let server = Wiremock::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {old}").as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(
                    r#"{"message":"Token has been blacklisted"}"#,
                    "application/json",
                )
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    let client = client(&server, &old);
    let request_id = uuid::Uuid::new_v4();
    let (result, ()) = tokio::join!(
        client
            .with_request_id(request_id)
            .verify_phone_number_update(customer_id(), "1"),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.set_token(&new).unwrap();
        }
    );
    result.unwrap();
    let requests = server.received_requests().await.unwrap();
    let sent: Vec<(String, String)> = requests
        .iter()
        .map(|r| {
            (
                header_values(r, "authorization")[0].clone(),
                header_values(r, "x-request-id")[0].clone(),
            )
        })
        .collect();
    let id = request_id.to_string();
    assert_eq!(
        sent,
        [
            (format!("Bearer {old}"), id.clone()),
            (format!("Bearer {new}"), id)
        ],
        "no refresh: the current token, with the same request id"
    );
}

#[tokio::test]
async fn a_logout_while_the_call_was_in_flight_keeps_its_401() {
    let old = fresh_jwt("old");
    let server = expiring_server(&old, ResponseTemplate::new(500)).await;
    let client = client(&server, &old);
    // The 401 arrives after the application has logged the customer out.
    let (result, ()) = tokio::join!(
        client.verify_phone_number_update(customer_id(), "1"),
        async { client.clear_token() }
    );
    let err = result.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    assert!(err.request_id().is_some(), "the request was sent: {err:?}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no refresh"
    );
}
