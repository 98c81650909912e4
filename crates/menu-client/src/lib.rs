//! Low-level client for the Menu customer API.
//!
//! `Client`, its operation builders and the [`types`] module are produced by progenitor from
//! `openapi/menu-customers.yaml` by `cargo xtask generate` (into `src/generated.rs`) and must not
//! be edited by hand. The hand-written code beside it is:
//! - [`hooks`]: what happens to every request between the generated code and the wire;
//! - [`models`]: the [`Timestamp`] and [`Token`] types that the generated types use for the spec's
//!   `Timestamp` and `Token` schemas.
//!
//! Most users want the `menu-sdk` crate, which fills every header with a default, manages the
//! customer token and returns typed errors. This crate is its foundation and its escape hatch.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use menu_client::{Client, RequestContext, types::QueryBuilderEnabled};
//!
//! let context = RequestContext::with_bearer_token("eyJ...")?;
//! let client = Client::new("https://api-public-demo.menu.app/api", context);
//! let session = client
//!     .refresh()
//!     .x_request_id(uuid::Uuid::new_v4())
//!     .application("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
//!     .api_version("5.0.0")
//!     .x_qb_enabled(QueryBuilderEnabled::True)
//!     .send()
//!     .await?
//!     .into_inner();
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
pub use hooks::{InvalidToken, RequestContext, Transport};
pub use models::{Timestamp, Token, TokenClaims, TokenError};
