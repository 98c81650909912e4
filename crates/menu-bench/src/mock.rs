//! The mock-server comparison: menu-mock, with its header, token and state checks, against a
//! minimal axum handler answering the same paths with the same bytes, under a reqwest load
//! generator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use crate::harness::{Budget, Comparison, compare, side};

/// menu-mock vs a minimal axum handler returning the same bytes, one operation.
#[derive(Debug, Clone)]
pub struct MockThroughput {
    /// `refresh` or `verify_phone_number_update`.
    pub operation: &'static str,
    /// The mock, with its header, token and state checks (side 0), vs the minimal axum handler
    /// (side 1).
    pub result: Comparison,
}

/// The minimal axum server: the same paths, statuses and bytes as the mock's answers.
async fn start_minimal_axum(refresh: Bytes, verify: Bytes) -> SocketAddr {
    use axum::routing::{get, post};
    let json = |status: u16, body: Bytes| {
        move || {
            let body = body.clone();
            async move {
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }
        }
    };
    let app = axum::Router::new()
        .route("/api/customers/refresh", get(json(200, refresh)))
        .route(
            "/api/customers/{customer_id}/verify-phone-number-update",
            post(json(400, verify)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The two servers of the mock-throughput comparison, and the load generator's client.
pub struct MockRig {
    server: menu_mock::MockServer,
    http: reqwest::Client,
    base: String,
    minimal_base: String,
    key: String,
    verify_token: String,
    /// Live tokens: a refresh takes one and puts back its successor, so no token is ever used
    /// twice (each refresh invalidates the token it was given).
    pool: std::sync::Mutex<Vec<String>>,
    failures: AtomicU64,
}

impl MockRig {
    /// Starts menu-mock and, answering with the exact bytes it answers with, the minimal axum
    /// handler.
    pub async fn start(pool_size: usize) -> Self {
        let server = menu_mock::MockServer::start().await.unwrap();
        let base = server.base_url().to_owned();
        let key = server.application_key().to_owned();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(128)
            .build()
            .unwrap();
        let issue = || {
            server
                .state()
                .issue_token(menu_mock::state::IVAN)
                .unwrap()
                .value()
                .to_owned()
        };
        let verify_token = server
            .state()
            .issue_token(menu_mock::state::DRAGOS)
            .unwrap()
            .value()
            .to_owned();
        let sample = |token: String, refresh: bool| {
            let (http, base, key) = (&http, &base, &key);
            async move {
                request(http, base, key, &token, refresh)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
            }
        };
        let sample_refresh = sample(issue(), true).await;
        let sample_verify = sample(verify_token.clone(), false).await;
        let minimal = start_minimal_axum(sample_refresh, sample_verify).await;
        let pool = std::sync::Mutex::new((0..pool_size).map(|_| issue()).collect());
        Self {
            minimal_base: format!("http://{minimal}/api"),
            server,
            http,
            base,
            key,
            verify_token,
            pool,
            failures: AtomicU64::new(0),
        }
    }

    /// One request to menu-mock: a refresh with a live token (its successor goes back to the
    /// pool), or a verify with a wrong code (every check passes before the 400).
    pub async fn mock_call(&self, is_refresh: bool) {
        if is_refresh {
            let token = self
                .pool
                .lock()
                .unwrap()
                .pop()
                .expect("the pool holds a token per worker");
            let body = request(&self.http, &self.base, &self.key, &token, true)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            match value.pointer("/data/token/value").and_then(|v| v.as_str()) {
                Some(new) => self.pool.lock().unwrap().push(new.to_owned()),
                None => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    self.pool.lock().unwrap().push(token);
                }
            }
        } else {
            let response = request(&self.http, &self.base, &self.key, &self.verify_token, false)
                .send()
                .await
                .unwrap();
            std::hint::black_box(response.bytes().await.unwrap());
        }
    }

    /// The same request to the minimal handler, with the same client-side work.
    pub async fn minimal_call(&self, is_refresh: bool) {
        let body = request(
            &self.http,
            &self.minimal_base,
            &self.key,
            &self.verify_token,
            is_refresh,
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
        if is_refresh {
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            std::hint::black_box(value.pointer("/data/token/value").is_some());
        }
    }

    /// Refreshes that did not return a new token.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Stops menu-mock.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Requests/second of menu-mock serving refresh and verify (token checks included) under a Rust
/// load generator (reqwest, 64 connections), vs a minimal axum handler returning the same bytes.
/// Refresh workers chain their tokens (each refresh invalidates the last); verify sends a wrong
/// code, which passes every check before the 400.
pub async fn mock_throughput(budget: Budget) -> Vec<MockThroughput> {
    let concurrency = 64;
    let rig = Arc::new(MockRig::start(concurrency * 2).await);
    let mut results = Vec::new();
    for operation in ["refresh", "verify_phone_number_update"] {
        let is_refresh = operation == "refresh";
        let mock_rig = rig.clone();
        let mock_call = side(move || {
            let rig = mock_rig.clone();
            async move { rig.mock_call(is_refresh).await }
        });
        let minimal_rig = rig.clone();
        let minimal_call = side(move || {
            let rig = minimal_rig.clone();
            async move { rig.minimal_call(is_refresh).await }
        });
        let result = compare(concurrency, budget, &[mock_call, minimal_call]).await;
        results.push(MockThroughput { operation, result });
    }
    assert_eq!(rig.failures(), 0, "every refresh under load succeeded");
    if let Ok(rig) = Arc::try_unwrap(rig) {
        rig.shutdown().await;
    }
    results
}

fn request(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    token: &str,
    refresh: bool,
) -> reqwest::RequestBuilder {
    let builder = if refresh {
        http.get(format!("{base}/customers/refresh"))
    } else {
        http.post(format!(
            "{base}/customers/{}/verify-phone-number-update",
            menu_mock::state::DRAGOS
        ))
        .body(r#"{"confirmation_code":"000000"}"#)
        .header("Content-Type", "application/json")
    };
    builder
        .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
        .header("Application", key)
        .header("API-Version", "5.0.0")
        .header("X-QB-Enabled", "true")
        .bearer_auth(token)
}
