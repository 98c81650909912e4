//! A Rust SDK for the Menu customer API (PAR Ordering / Menu).
//!
//! ```no_run
//! use menu_sdk::{Client, Error};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080/api") // default: the public demo host
//!     .application_key("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d") // required
//!     .token("eyJ...") // the customer's JWT; optional at build time
//!     .on_token_refresh(|token| {
//!         // persist `token.value()`: the server has invalidated the old one
//!         # let _ = token;
//!     })
//!     .build()?; // invalid input is an Err, never a panic
//!
//! let customer_id: uuid::Uuid = "47bf8888-3f23-11ed-936c-1a67b454859d".parse().unwrap();
//! match client.verify_phone_number_update(customer_id, "164138").await {
//!     Ok(account) => println!("phone number is now {}", account.phone_number),
//!     Err(Error::Api(api)) if api.status == 400 => println!("wrong code: {api}"),
//!     Err(other) => return Err(other),
//! }
//!
//! let session = client.refresh().await?; // from here on the client sends the new token
//! println!("new token expires at {:?}", session.token.expires_at());
//! # Ok(())
//! # }
//! ```
//!
//! # What the client does for you
//! - **Headers.** Every call carries exactly one `X-Request-ID` (a fresh UUID v4, or yours via
//!   [`Client::with_request_id`]), `Application`, `Accept`/`Content-Type: application/json`,
//!   `API-Version` (default `5.0.0`), `X-QB-Enabled` (default `true`), `User-Agent` and
//!   `Authorization: Bearer <token>`.
//! - **The customer token.** [`Client::refresh`] swaps in the new token atomically and hands it to
//!   your [`ClientBuilder::on_token_refresh`] hook. A customer call without a token fails with
//!   [`Error::MissingToken`] before anything is sent.
//! - **Errors.** One [`Error`] enum: configuration, missing token, API errors (status, the parsed
//!   error envelope when there is one, a bounded raw body snippet, the request id), transport
//!   failures, undecodable or oversized responses. [`Error::status`] and [`Error::request_id`]
//!   work on all of them.
//! - **Resilience.** Retries ([`RetryPolicy`]) of connection failures before sending and of
//!   429/502/503/504, with backoff, jitter and `Retry-After`, every attempt with the call's request
//!   id; timeouts; a response body size limit; automatic, single-flight token refresh before
//!   expiry and after a 401 for an expired token ([`ClientBuilder::auto_refresh`]).
//! - **Secrets** (the application key, tokens) never appear in `Debug`, `Display`, error messages
//!   or tracing output, and a token is never sent over plain `http://` to a non-loopback host
//!   unless [`ClientBuilder::allow_insecure_http`] says so.
//! - **Tracing.** One `menu_sdk.call` span per request exchange (a call retried after a token
//!   refresh has two, with the same `request_id`; the refresh has its own), with `operation`,
//!   `request_id`, `status` and `duration_ms`; retries are events inside it.
//!
//! # Types
//! The response types ([`CustomerAccount`], [`Demographic`], [`ErrorEnvelope`]) are generated from
//! the OpenAPI spec by progenitor (crate `menu-client`); [`Token`] and [`Timestamp`] are
//! hand-written there. Field names match the JSON, unknown fields are ignored, and everything is
//! `Serialize + Deserialize + Debug + Clone + PartialEq`. The generated client itself is available
//! through [`Client::generated`] and the [`menu_client`] re-export.

mod call;
mod client;
mod config;
mod error;
mod refresh;
mod request_id;
mod retry;
mod secret;
mod session;
mod timer_anchor;
mod token_store;
mod transport;

pub use call::Call;

/// Entry points for the fuzz targets (`crates/menu-sdk/fuzz`) and the property tests. Not part of
/// the API: they may change at any time.
#[doc(hidden)]
pub mod fuzzing {
    /// Runs a response body through everything the SDK does with one (typed decoding, the refresh
    /// salvage, the error a caller would see), with `secrets` as the call's secrets; returns that
    /// error's `Display` and `Debug` text.
    pub fn response(status: u16, body: &[u8], secrets: [&str; 2]) -> Option<String> {
        crate::call::examine_response(status, body, secrets)
    }

    /// Reads a token's claims and expiry, and formats it, as the SDK does.
    pub fn token(value: &str, ttl: Option<i64>) -> String {
        let token = crate::Token::new(value).with_ttl(ttl, ttl);
        let _ = (
            token.claims(),
            token.expires_at(),
            token.refresh_expires_at(),
        );
        let _ = token.expires_within(chrono::Utc::now(), std::time::Duration::from_secs(60));
        format!("{token:?} {token}")
    }

    /// The scrubbing applied to every body snippet.
    pub fn snippet(body: &[u8], secrets: &[&str]) -> String {
        crate::secret::body_snippet(body, secrets)
    }
}
pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_REFRESH_MARGIN, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
    env,
};
pub use error::{ApiError, Error, TransportErrorKind};
pub use retry::RetryPolicy;
pub use session::Session;

/// The generated low-level client (see [`Client::generated`]).
pub use menu_client;
pub use menu_client::types::{CustomerAccount, Demographic, ErrorEnvelope};
pub use menu_client::{Timestamp, Token, TokenClaims, TokenError};
/// The HTTP status type used in errors.
pub use reqwest::StatusCode;
/// The UUID type of customer ids and request ids.
pub use uuid::Uuid;
