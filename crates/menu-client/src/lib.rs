//! Low-level client for the Menu customer API.
//!
//! `Client` (one method per operation, its parameters in order) and the [`types`] module are produced by progenitor from
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
//! use menu_client::types::{ApiVersion, ApplicationKey, QueryBuilderEnabled};
//! use menu_client::{Client, RequestContext};
//!
//! let context = RequestContext::with_bearer_token("eyJ...")?;
//! let client = Client::new("https://api-public-demo.menu.app/api", context);
//! // Header parameters of a constrained schema are typed: parse them once, reuse them.
//! let api_version: ApiVersion = "5.0.0".parse()?;
//! let application: ApplicationKey = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d".parse()?;
//! let session = client
//!     .refresh(
//!         &api_version,
//!         &application,
//!         QueryBuilderEnabled::True,
//!         &uuid::Uuid::new_v4(),
//!     )
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
