//! The state all clones of a [`crate::Client`] share (configuration, HTTP client and its pool,
//! the customer token, the refresh gate), and what every request of the client is sent with.

use std::fmt;
use std::sync::Arc;

use menu_client::operation::Operation;

use menu_client::RequestContext;
use uuid::Uuid;

use crate::Token;
use crate::config::Config;
use crate::error::Error;
use crate::session::Rotation;
use crate::single_flight::RefreshGate;
use crate::token_store::Tokens;

/// What every clone of a client and every call of it reads.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: Tokens,
    pub(crate) refresh_gate: RefreshGate,
    /// The operation that rotates the token (generated from the spec's mark): what automatic
    /// refresh sends; `None` when the spec has none (then there is no automatic refresh).
    pub(crate) rotation: Option<Rotation>,
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        http: reqwest::Client,
        tokens: Tokens,
        rotation: Option<Rotation>,
    ) -> Self {
        Self {
            config,
            http,
            tokens,
            refresh_gate: RefreshGate::default(),
            rotation,
        }
    }

    /// What the generated client adds to each request: the client's headers, `request_id` (a
    /// fresh one per request without it), `token`, the timeout and the body limit.
    pub(crate) fn context(
        &self,
        token: Option<&Token>,
        request_id: Option<Uuid>,
    ) -> Result<RequestContext, Error> {
        let config = &self.config;
        let mut context = RequestContext::new()
            .headers(config.headers.clone())
            .timeout(config.timeout)
            .max_response_body_bytes(config.max_response_body_bytes);
        if let Some(request_id) = request_id {
            context = context.request_id(request_id);
        }
        match token {
            Some(token) => context
                .token(token)
                .map_err(|e| Error::config(e.to_string())),
            None => Ok(context),
        }
    }

    /// Adopts a token the server issued in answer to `operation` (sent with `request_id`):
    /// switches to it (for a rotation, only if the client still holds the token it `replaces`),
    /// calls `on_token_refresh`, then saves it in the client's store.
    pub(crate) async fn adopt(
        &self,
        operation: &Operation,
        request_id: Uuid,
        replacing: Option<&Arc<Token>>,
        token: &Token,
    ) -> Result<(), Error> {
        let epoch = self
            .tokens
            .adopt(replacing, token)
            .map_err(|error| Error::Decode {
                operation: operation.id,
                status: reqwest::StatusCode::OK,
                request_id,
                reason: error.to_string(),
                body_snippet: String::new(),
            })?;
        let Some(epoch) = epoch else {
            // A `set_token` or a logout while the token was on its way stands: nothing to keep.
            return Ok(());
        };
        self.tokens
            .save(token, epoch)
            .await
            .map_err(|source| Error::TokenStore {
                operation: operation.id,
                request_id,
                source: Arc::from(source),
            })
    }

    /// Refuses to send the customer token over plain `http://` to a non-loopback host, unless
    /// that was allowed.
    pub(crate) fn refuse_clear_text(&self) -> Result<(), Error> {
        if !self.config.token_in_clear_text {
            return Ok(());
        }
        Err(Error::config(format!(
            "refusing to send the customer token over plain http:// to {} (nothing was sent): \
             use https://, or `ClientBuilder::allow_insecure_http(true)` if you must",
            self.config.base_url
        )))
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}
