//! Benchmarks of the Menu SDK, as a library so that the smoke test can run them with tiny budgets.
//! `cargo xtask bench` runs the binary (release) and adds generation time and footprint.
//!
//! Every comparison is measured in the same run, alternating the two sides round by round, so
//! that the ratios hold on a noisy machine even when absolute figures drift.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

mod harness;
pub mod minimal;
mod reference;

pub use harness::{Budget, Comparison, Load, Side, compare, profile, side};
pub use reference::{REFRESH_BODY, VERIFY_BODY, long_lived_jwt, start_reference_server};

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;

const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
const CUSTOMER_ID: &str = "47bf8888-3f23-11ed-936c-1a67b454859d";

/// A `reqwest::Client` as a production client would be set up: a 30 s timeout, a 10 s connect
/// timeout, no redirects. Each side of the call-overhead comparison has its own.
pub fn production_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The SDK and raw sides of the call-overhead comparison, against one reference server.
pub struct OverheadRig {
    /// The reference server's base URL (`http://127.0.0.1:PORT/api`).
    pub base_url: String,
    /// The customer token every side sends.
    pub token: String,
    /// The customer id of the verify calls.
    pub customer_id: uuid::Uuid,
    raw: reqwest::Client,
    sdk: menu_sdk::Client,
    /// Refresh: one client per in-flight call (the SDK coalesces concurrent refreshes of one
    /// session into one request, which would not be the same requests as the raw side's).
    refreshers: Arc<std::sync::Mutex<Vec<menu_sdk::Client>>>,
}

/// The application key every side sends.
pub const APPLICATION_KEY: &str = APP_KEY;

/// The `User-Agent` every side sends (the SDK's default).
pub const USER_AGENT: &str = menu_sdk::DEFAULT_USER_AGENT;

impl OverheadRig {
    /// Starts the reference server and builds the SDK and raw sides, each with its own
    /// production-configured HTTP client (the SDK's clients share one).
    pub async fn start() -> Self {
        let addr = start_reference_server().await;
        let base_url = format!("http://{addr}/api");
        let token = long_lived_jwt();
        let sdk_http = production_http_client();
        let build = || {
            menu_sdk::Client::builder()
                .base_url(&base_url)
                .application_key(APP_KEY)
                .token(&token)
                .http_client(sdk_http.clone())
                .build()
                .unwrap()
        };
        let sdk = build();
        let refreshers = Arc::new(std::sync::Mutex::new((0..128).map(|_| build()).collect()));
        Self {
            raw: production_http_client(),
            base_url,
            token,
            customer_id: CUSTOMER_ID.parse().unwrap(),
            sdk,
            refreshers,
        }
    }

    /// One SDK call of the operation (default configuration).
    pub async fn sdk_call(&self, is_refresh: bool) {
        if is_refresh {
            let client = self.refreshers.lock().unwrap().pop().unwrap();
            let session = client.refresh().await.unwrap();
            std::hint::black_box(session);
            self.refreshers.lock().unwrap().push(client);
        } else {
            let account = self
                .sdk
                .verify_phone_number_update(self.customer_id, "164138")
                .await
                .unwrap();
            std::hint::black_box(account);
        }
    }

    /// The same request by hand with raw reqwest, decoded into the minimal structs.
    pub async fn raw_call(&self, is_refresh: bool) {
        let (http, base_url, customer_id) = (&self.raw, &self.base_url, self.customer_id);
        let builder = if is_refresh {
            http.get(format!("{base_url}/customers/refresh"))
        } else {
            http.post(format!(
                "{base_url}/customers/{customer_id}/verify-phone-number-update"
            ))
            .body(r#"{"confirmation_code":"164138"}"#)
        };
        let response = builder
            .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
            .header("Application", APP_KEY)
            .header("Accept", "application/json")
            .header("API-Version", "5.0.0")
            .header("X-QB-Enabled", "true")
            .header("Content-Type", "application/json")
            .header("User-Agent", USER_AGENT)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.unwrap();
        if is_refresh {
            std::hint::black_box(
                serde_json::from_slice::<minimal::Envelope<minimal::Refresh>>(&body).unwrap(),
            );
        } else {
            std::hint::black_box(
                serde_json::from_slice::<minimal::Envelope<minimal::Verify>>(&body).unwrap(),
            );
        }
    }
}

/// A third side for the call-overhead comparison (the client openapi-generator generates, in
/// `cargo xtask bench`): makes one call of the operation (`true`: refresh) against `base_url`
/// with `token`.
pub type Peer = Arc<dyn Fn(bool) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One operation's comparison at one concurrency.
#[derive(Debug, Clone)]
pub struct Overhead {
    /// `refresh`, `verify_phone_number_update`, or [`CONTROL`].
    pub operation: &'static str,
    /// Concurrent workers.
    pub concurrency: usize,
    /// The sides, in [`Overhead::sides`] order.
    pub result: Comparison,
    /// Whether the peer is among the sides.
    pub with_peer: bool,
}

impl Overhead {
    /// The sides' names, in the comparison's order.
    pub fn sides(&self) -> &'static [&'static str] {
        match (self.operation == CONTROL, self.with_peer) {
            (true, _) => &["raw", "raw (again)"],
            (false, true) => &["SDK", "peer", "raw"],
            (false, false) => &["SDK", "raw"],
        }
    }
}

/// The control row of [`call_overhead`]: raw reqwest against itself (verify), which shows how
/// far apart two identical sides land on this machine.
pub const CONTROL: &str = "control: raw vs raw (verify)";

/// SDK calls, the `peer`'s (if any) and the same requests with raw reqwest, at concurrency 1 and
/// 64, and the [`CONTROL`] row. `rig` is the reference server and the SDK and raw sides.
pub async fn call_overhead(
    budget: Budget,
    rig: Arc<OverheadRig>,
    peer: Option<Peer>,
) -> Vec<Overhead> {
    let mut results = Vec::new();
    for concurrency in [1, 64] {
        for operation in ["verify_phone_number_update", "refresh", CONTROL] {
            let is_refresh = operation == "refresh";
            let raw = {
                let rig = rig.clone();
                side(move || {
                    let rig = rig.clone();
                    async move { rig.raw_call(is_refresh).await }
                })
            };
            let sides: Vec<Side> = if operation == CONTROL {
                // Raw against itself: the noise floor of this machine.
                vec![raw.clone(), raw]
            } else {
                let sdk = {
                    let rig = rig.clone();
                    side(move || {
                        let rig = rig.clone();
                        async move { rig.sdk_call(is_refresh).await }
                    })
                };
                let peer = peer
                    .clone()
                    .map(|peer| -> Side { Arc::new(move || peer(is_refresh)) });
                std::iter::once(sdk).chain(peer).chain([raw]).collect()
            };
            results.push(Overhead {
                operation,
                concurrency,
                result: compare(concurrency, budget, &sides).await,
                with_peer: peer.is_some(),
            });
        }
    }
    results
}

/// [`call_overhead`]'s rows as a Markdown table: each side's throughput and latency, and their
/// ratios (SDK/peer, SDK/raw, peer/raw; the control row's in the SDK/raw column).
pub fn overhead_table(rows: &[Overhead]) -> String {
    let mut out = String::from(
        "| operation | concurrency | SDK req/s | peer req/s | raw req/s | SDK/peer | SDK/raw | peer/raw | p50 us SDK / peer / raw | p99 us SDK / peer / raw | p99 SDK/raw | p99 SDK/peer |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let dash = || "-".to_owned();
    for row in rows {
        let c = &row.result;
        let n = c.loads.len();
        let (sdk, raw) = (0, n - 1);
        let peer = (n == 3).then_some(1);
        let rps = |i: Option<usize>| i.map_or_else(dash, |i| format!("{:.0}", c.loads[i].rps));
        let ratio = |a: Option<usize>,
                     b: Option<usize>,
                     f: fn(&Comparison, usize, usize) -> f64| match (a, b) {
            (Some(a), Some(b)) => format!("{:.3}", f(c, a, b)),
            _ => dash(),
        };
        let latency = |f: fn(&Load) -> f64| {
            [Some(sdk), peer, Some(raw)]
                .iter()
                .map(|i| i.map_or_else(dash, |i| format!("{:.0}", f(&c.loads[i]))))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.operation,
            row.concurrency,
            rps(Some(sdk)),
            rps(peer),
            rps(Some(raw)),
            ratio(Some(sdk), peer, Comparison::throughput_ratio),
            ratio(Some(sdk), Some(raw), Comparison::throughput_ratio),
            ratio(peer, Some(raw), Comparison::throughput_ratio),
            latency(|l| l.p50_us),
            latency(|l| l.p99_us),
            ratio(Some(sdk), Some(raw), Comparison::p99_ratio),
            ratio(Some(sdk), peer, Comparison::p99_ratio),
        ));
    }
    out
}

/// Decoding time of one body, SDK types vs the minimal structs, nanoseconds per decode.
#[derive(Debug, Clone, Copy)]
pub struct Decode {
    /// Which body.
    pub body: &'static str,
    /// Into the SDK's (generated) types.
    pub sdk_ns: f64,
    /// Into the minimal hand-written structs.
    pub minimal_ns: f64,
}

fn time_per_iteration(iterations: usize, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed().as_nanos() as f64 / iterations as f64
}

/// Decodes each reference body into the SDK's types and into the minimal structs, alternating.
pub fn decoding(budget: Budget) -> Vec<Decode> {
    fn measure<S: for<'de> Deserialize<'de>, M: for<'de> Deserialize<'de>>(
        name: &'static str,
        body: &str,
        budget: Budget,
    ) -> Decode {
        let (mut sdk, mut minimal) = (Vec::new(), Vec::new());
        for _ in 0..budget.rounds.max(3) {
            sdk.push(time_per_iteration(budget.decode_iterations, || {
                std::hint::black_box(
                    serde_json::from_str::<S>(std::hint::black_box(body)).unwrap(),
                );
            }));
            minimal.push(time_per_iteration(budget.decode_iterations, || {
                std::hint::black_box(
                    serde_json::from_str::<M>(std::hint::black_box(body)).unwrap(),
                );
            }));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        Decode {
            body: name,
            sdk_ns: median(sdk),
            minimal_ns: median(minimal),
        }
    }
    vec![
        measure::<menu_client::types::CustomerAccountResponse, minimal::Envelope<minimal::Verify>>(
            "verify",
            VERIFY_BODY,
            budget,
        ),
        measure::<menu_client::types::SessionResponse, minimal::Envelope<minimal::Refresh>>(
            "refresh",
            REFRESH_BODY,
            budget,
        ),
    ]
}

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
