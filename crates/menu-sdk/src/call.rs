//! One call's options ([`Call`]) and the pipeline every operation goes through ([`Call::send`]):
//!
//! 1. **The token.** An operation that needs none sends none. A customer operation takes a
//!    snapshot of the client's token (none: [`Error::MissingToken`]) and refuses to send it over
//!    plain `http://` to a non-loopback host ([`Error::InvalidConfig`]); nothing is sent either
//!    way. An operation that takes a token optionally sends the snapshot, if any (none in clear
//!    text).
//! 2. **The request id**, fixed for the call: the caller's, or a fresh UUID v4.
//! 3. **Automatic refresh** (when on): a token about to expire is refreshed first. A 401 leads to
//!    one more attempt of the call, with the same request id: with the client's current token if
//!    it was replaced meanwhile (by a concurrent refresh, say), or after one refresh if the token
//!    expired (`refresh.rs`, through the single flight).
//! 4. **The exchange** (`exchange.rs`): the generated operation with the call's context, retries,
//!    the tracing span, the typed result or [`Error`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use menu_client::ResponseValue;
use menu_client::operation::{Auth, Operation};
use uuid::Uuid;

use crate::error::Error;
use crate::shared::Shared;
use crate::{Token, exchange, refresh};

/// One call's options: `client.with_request_id(id).refresh()`. Obtained from
/// [`crate::Client::call`] or [`crate::Client::with_request_id`]; every operation's method is on
/// it as on the client.
#[derive(Clone, Copy)]
#[must_use]
pub struct Call<'a> {
    shared: &'a Arc<Shared>,
    request_id: Option<Uuid>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(shared: &'a Arc<Shared>) -> Self {
        Self {
            shared,
            request_id: None,
        }
    }

    /// Sends this call with `request_id` as its `X-Request-ID` instead of a fresh one.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    pub(crate) fn shared(&self) -> &'a Arc<Shared> {
        self.shared
    }

    /// The call's request id: the caller's, or a fresh UUID v4 (taken once per call).
    pub(crate) fn fix_request_id(&self) -> Uuid {
        self.request_id.unwrap_or_else(Uuid::new_v4)
    }

    /// The token to send for `operation`, checked before anything is sent.
    pub(crate) fn token_for(&self, operation: &Operation) -> Result<Option<Arc<Token>>, Error> {
        let shared = self.shared;
        match operation.auth {
            Auth::None => Ok(None),
            Auth::Optional if shared.config.token_in_clear_text => Ok(None),
            Auth::Optional => Ok(shared.tokens.current()),
            Auth::Customer => {
                let token = shared.tokens.current().ok_or(Error::MissingToken {
                    operation: operation.id,
                })?;
                shared.refuse_clear_text()?;
                Ok(Some(token))
            }
        }
    }

    /// Sends `operation` (see the module documentation): `attempt` sends it through the generated
    /// client it is given, once per attempt.
    pub(crate) async fn send<T, E, F, Fut>(
        self,
        operation: &'static Operation,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
    {
        let shared = self.shared;
        let config = &shared.config;
        let token = self.token_for(operation)?;
        let request_id = self.fix_request_id();
        let attempt = &attempt;
        let exchange = |token: Option<Arc<Token>>| async move {
            exchange::run(
                shared,
                operation,
                token.as_deref(),
                request_id,
                attempt,
                None,
            )
            .await
        };
        let mut token = match token {
            Some(token) if config.auto_refresh => token,
            other => return exchange(other).await,
        };
        // At most one refresh and one more attempt per call.
        let refreshed_first = token.expires_within(chrono::Utc::now(), config.refresh_margin);
        if refreshed_first {
            token = refresh::for_call(shared, &token, operation, request_id).await?;
        }
        let error = match exchange(Some(token.clone())).await {
            Err(error) if is_unauthorized(&error) && !refreshed_first => error,
            outcome => return outcome,
        };
        let retry_with = match shared.tokens.current() {
            // Logged out meanwhile: the 401 stands.
            None => return Err(error),
            // Replaced meanwhile (a concurrent refresh, `set_token`): try the current one.
            Some(current) if !Arc::ptr_eq(&current, &token) => current,
            Some(_) if expired(&error, &token, config.refresh_margin) => {
                tracing::info!(
                    operation = operation.id,
                    %request_id,
                    "token expired: refreshing once, then retrying the call"
                );
                refresh::for_call(shared, &token, operation, request_id).await?
            }
            Some(_) => return Err(error),
        };
        exchange(Some(retry_with)).await
    }
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// Whether a call was refused with 401.
fn is_unauthorized(error: &Error) -> bool {
    matches!(error, Error::Api(api) if api.status == reqwest::StatusCode::UNAUTHORIZED)
}

/// Whether a 401 was for an expired token (the token's own expiry, or the server's message, says
/// so).
fn expired(error: &Error, token: &Token, margin: std::time::Duration) -> bool {
    token.expires_within(chrono::Utc::now(), margin)
        || error
            .api_error()
            .and_then(|api| api.message())
            .is_some_and(|m| m.to_ascii_lowercase().contains("expired"))
}
