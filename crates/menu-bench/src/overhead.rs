//! The call-overhead comparison: the SDK, raw reqwest with the same requests and, when given, a
//! peer client, each with a production-configured HTTP client of its own, against the reference
//! server; at concurrency 1 and 64, with a raw-vs-raw control row, and as a Markdown table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{Budget, Comparison, Load, Side, compare, side};
use crate::minimal;
use crate::reference::{REFRESH_BODY, long_lived_jwt, start_reference_server};

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
    /// After expiry: one client per in-flight call, each holding an expired token (the reference
    /// answer's, which every refresh brings back: every call refreshes first).
    expired: Arc<std::sync::Mutex<Vec<menu_sdk::Client>>>,
    /// The expired token the raw and peer sides send to their refresh, after expiry.
    pub expired_token: String,
}

/// What one call of the call-overhead comparison does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `verify_phone_number_update` with a valid token.
    Verify,
    /// `refresh`: rotates the token.
    Refresh,
    /// The first call after the token expired: a refresh, then `verify_phone_number_update` with
    /// the new token (the SDK refreshes on its own before the call; the others call both).
    AfterExpiry,
}

impl Call {
    /// Its name in the table and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Call::Verify => "verify_phone_number_update",
            Call::Refresh => "refresh",
            Call::AfterExpiry => "verify after expiry (refresh + verify)",
        }
    }
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
        let expired_token =
            serde_json::from_str::<minimal::Envelope<minimal::Refresh>>(REFRESH_BODY)
                .unwrap()
                .data
                .token
                .value;
        let build = |token: &str| {
            menu_sdk::Client::builder()
                .base_url(&base_url)
                .application_key(APP_KEY)
                .token(token)
                .http_client(sdk_http.clone())
                .build()
                .unwrap()
        };
        let sdk = build(&token);
        let pool = |token: &str| {
            Arc::new(std::sync::Mutex::new(
                (0..128).map(|_| build(token)).collect(),
            ))
        };
        let (refreshers, expired) = (pool(&token), pool(&expired_token));
        Self {
            raw: production_http_client(),
            base_url,
            token,
            customer_id: CUSTOMER_ID.parse().unwrap(),
            sdk,
            refreshers,
            expired,
            expired_token,
        }
    }

    /// One SDK call (default configuration).
    pub async fn sdk_call(&self, call: Call) {
        let pool = match call {
            Call::Verify => {
                let account = self
                    .sdk
                    .verify_phone_number_update(self.customer_id, "164138")
                    .await
                    .unwrap();
                std::hint::black_box(account);
                return;
            }
            Call::Refresh => &self.refreshers,
            Call::AfterExpiry => &self.expired,
        };
        let client = pool.lock().unwrap().pop().unwrap();
        if call == Call::Refresh {
            std::hint::black_box(client.refresh().await.unwrap());
        } else {
            let account = client
                .verify_phone_number_update(self.customer_id, "164138")
                .await
                .unwrap();
            std::hint::black_box(account);
        }
        pool.lock().unwrap().push(client);
    }

    /// The same requests by hand with raw reqwest, decoded into the minimal structs.
    pub async fn raw_call(&self, call: Call) {
        match call {
            Call::Verify => {
                let body = self.raw_request(false, &self.token).await;
                std::hint::black_box(
                    serde_json::from_slice::<minimal::Envelope<minimal::Verify>>(&body).unwrap(),
                );
            }
            Call::Refresh => {
                let body = self.raw_request(true, &self.token).await;
                std::hint::black_box(
                    serde_json::from_slice::<minimal::Envelope<minimal::Refresh>>(&body).unwrap(),
                );
            }
            Call::AfterExpiry => {
                let body = self.raw_request(true, &self.expired_token).await;
                let session =
                    serde_json::from_slice::<minimal::Envelope<minimal::Refresh>>(&body).unwrap();
                let body = self.raw_request(false, &session.data.token.value).await;
                std::hint::black_box(
                    serde_json::from_slice::<minimal::Envelope<minimal::Verify>>(&body).unwrap(),
                );
            }
        }
    }

    /// One request (refresh or verify) with `token`: the answer's body.
    async fn raw_request(&self, is_refresh: bool, token: &str) -> bytes::Bytes {
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
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.unwrap()
    }
}

/// A third side for the call-overhead comparison (the client openapi-generator generates, in
/// `cargo xtask bench`): makes one [`Call`] against the rig's `base_url`.
pub type Peer = Arc<dyn Fn(Call) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One operation's comparison at one concurrency.
#[derive(Debug, Clone)]
pub struct Overhead {
    /// A [`Call`]'s name, or [`CONTROL`].
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
        for call in [
            Some(Call::Verify),
            Some(Call::Refresh),
            Some(Call::AfterExpiry),
            None,
        ] {
            let raw = {
                let rig = rig.clone();
                side(move || {
                    let rig = rig.clone();
                    async move { rig.raw_call(call.unwrap_or(Call::Verify)).await }
                })
            };
            let sides: Vec<Side> = match call {
                // Raw against itself: the noise floor of this machine.
                None => vec![raw.clone(), raw],
                Some(call) => {
                    let sdk = {
                        let rig = rig.clone();
                        side(move || {
                            let rig = rig.clone();
                            async move { rig.sdk_call(call).await }
                        })
                    };
                    let peer = peer
                        .clone()
                        .map(|peer| -> Side { Arc::new(move || peer(call)) });
                    std::iter::once(sdk).chain(peer).chain([raw]).collect()
                }
            };
            results.push(Overhead {
                operation: call.map_or(CONTROL, Call::name),
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
