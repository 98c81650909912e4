//! The [`Client`]: cheap to clone, `Send + Sync`. Its operations (one method per operation of the
//! spec) are generated into `generated.rs`, or written by hand where they add meaning
//! (`conveniences.rs`); this file holds what concerns the client as a whole.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

use crate::Token;
use crate::call::Call;
use crate::error::Error;
use crate::shared::Shared;

/// A client of the Menu customer API.
///
/// Every call carries exactly one of each header the API requires: a fresh `X-Request-ID` (UUID
/// v4, or the one given with [`Client::with_request_id`]), `Application`, `Accept` and
/// `Content-Type: application/json`, `API-Version`, `X-QB-Enabled`, `User-Agent` and, on customer
/// calls, `Authorization: Bearer <token>`.
///
/// Clones share the same configuration, connection pool and token: a refresh through one clone is
/// seen by all of them.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }

    #[cfg(test)]
    pub(crate) fn config(&self) -> &crate::config::Config {
        &self.shared.endpoint.config
    }

    /// Options for one call, with a fresh request id: `client.call().request_id(id).refresh()`.
    pub fn call(&self) -> Call<'_> {
        Call::new(&self.shared)
    }

    /// One call sent with `request_id` as its `X-Request-ID`:
    /// `client.with_request_id(id).refresh().await`.
    pub fn with_request_id(&self, request_id: Uuid) -> Call<'_> {
        self.call().request_id(request_id)
    }

    /// The customer token the client currently holds.
    pub fn token(&self) -> Option<Token> {
        self.shared
            .identity
            .current()
            .map(|token| Token::clone(&token))
    }

    /// Replaces the customer token (for example after the customer signed in). Fails, keeping the
    /// old token, if it cannot be sent as a header value.
    pub fn set_token(&self, token: impl Into<String>) -> Result<(), Error> {
        self.shared.identity.set(Token::new(token))
    }

    /// Sets the token a store loaded (its lifetimes kept).
    pub(crate) fn set_stored_token(&self, token: Token) -> Result<(), Error> {
        self.shared.identity.set(token)
    }

    /// Forgets the customer token in memory; customer calls then fail with
    /// [`Error::MissingToken`]. The token store keeps its token: see [`Client::logout`].
    pub fn clear_token(&self) {
        self.shared.identity.clear();
    }

    /// Forgets the customer token, in memory and in the client's token store
    /// ([`crate::TokenStore::clear`]), so that the next run does not sign the customer back in.
    pub async fn logout(&self) -> Result<(), crate::StoreError> {
        self.shared.identity.forget().await
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.shared.endpoint.config.base_url
    }

    /// The `API-Version` the client sends.
    pub fn api_version(&self) -> &str {
        &self.shared.endpoint.config.api_version
    }

    /// The generated low-level client, for anything this crate does not cover. It shares this
    /// client's base URL, connection pool, headers (extra headers included), current token (sent
    /// to the operations that take one), timeout and body limit, and sends a fresh
    /// `X-Request-ID` per request. It does not retry, does not refresh the token, and returns
    /// `menu_client` errors: those belong to this crate's calls.
    pub fn generated(&self) -> Result<menu_client::Client, Error> {
        let token = self.shared.identity.token_for_any()?;
        let endpoint = &self.shared.endpoint;
        let context = endpoint.context(token.as_deref(), None, None, &[])?;
        Ok(endpoint.client(context))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.endpoint.config)
            .field("token", &self.shared.identity.current())
            .finish_non_exhaustive()
    }
}
