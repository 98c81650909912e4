//! Low-level client for the Menu customer API.
//!
//! `Client` (one method per operation, its arguments in order) and the [`types`] module are
//! produced by progenitor from `openapi/menu-customers.yaml` by `cargo xtask generate` (into
//! `src/generated.rs`) and must not be edited by hand. The generator is handed a view of the spec
//! without the header parameters that are the same on every call and without the error
//! responses: the methods take only a call's path and query parameters and its body, and every
//! non-2xx answer is an [`Error::UnexpectedResponse`] with its body unread. The hand-written code
//! beside it is:
//! - [`hooks`]: what every request gets from the client's [`RequestContext`] (headers, request
//!   id, bearer token, timeout, body limit);
//! - [`models`]: the [`Timestamp`] and [`Token`] types that the generated types use for the spec's
//!   `Timestamp` and `Token` schemas.
//!
//! Most users want the `menu-sdk` crate, which fills every header with a default, manages the
//! customer token, retries, and returns typed errors. This crate is its foundation and its escape
//! hatch.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use menu_client::{Client, RequestContext};
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("Application", HeaderValue::from_static("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d"));
//! headers.insert("API-Version", HeaderValue::from_static("5.0.0"));
//! headers.insert("X-QB-Enabled", HeaderValue::from_static("true"));
//! let context = RequestContext::new().headers(headers).bearer_token("eyJ...")?;
//! let client = Client::new("https://api-public-demo.menu.app/api", context);
//! let session = client.refresh().await?.into_inner();
//! println!("the new token expires at {:?}", session.data.token.expires_at());
//! # Ok(())
//! # }
//! ```

pub mod hooks;
pub mod models;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::unwrap_used, clippy::expect_used)]
mod generated;

pub use generated::*;
pub use hooks::{InvalidToken, RequestContext};
pub use models::{Timestamp, Token, TokenClaims, TokenError};
