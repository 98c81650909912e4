//! One call's options ([`Call`]: request id, timeout, retry policy, extra headers) and the
//! pipeline every operation goes through ([`Call::send`]):
//!
//! 1. **The token.** An operation that needs none sends none. A customer operation takes a
//!    snapshot of the client's token (none: [`Error::MissingToken`]) and refuses to send it over
//!    plain `http://` to a non-loopback host ([`Error::InvalidConfig`]); nothing is sent either
//!    way. An operation that takes a token optionally sends the snapshot, if any (none in clear
//!    text).
//! 2. **The request id**, fixed for the call: the caller's, or a fresh UUID v4.
//! 3. **Automatic refresh** (when on, and the spec has an operation marked `x-token: rotates`): a
//!    token about to expire is rotated first. A 401 leads to one more attempt of the call, with
//!    the same request id: with the client's current token if it was replaced meanwhile (by a
//!    concurrent refresh, say), or after one rotation if the token expired (`refresh.rs`, through
//!    the single flight).
//! 4. **The exchange** (`exchange.rs`): the generated operation with the call's context, retries,
//!    the tracing span, the typed result or [`Error`].
//! 5. **A token the answer issues** ([`Call::send_session`], for an operation marked `x-token`):
//!    the client adopts it (switches to it, calls `on_token_refresh`, saves it in its store). The
//!    rotating operation itself goes through the single flight (`refresh.rs`).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use menu_client::ResponseValue;
use menu_client::operation::Operation;
use reqwest::header::HeaderMap;
use uuid::Uuid;

use crate::error::Error;
use crate::headers::{self, Extra};
use crate::retry::RetryPolicy;
use crate::session::{self, Rescue, Rotating, Rotation, Session};
use crate::shared::Shared;
use crate::{Token, exchange, refresh};

/// One call's options: `client.call().request_id(id).timeout(t).refresh()`. Obtained from
/// [`crate::Client::call`] or [`crate::Client::with_request_id`]; every operation's method is on
/// it as on the client.
#[derive(Clone)]
#[must_use]
pub struct Call<'a> {
    shared: &'a Arc<Shared>,
    request_id: Option<Uuid>,
    pub(crate) options: Options,
    /// The token to send, whatever the client holds now (a rotation sends the token it replaces).
    pinned: Option<Arc<Token>>,
}

/// What a call may set instead of its client's configuration.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    /// The call's extra headers (checked), added to the client's.
    pub(crate) headers: Vec<Extra>,
    /// The first invalid extra header: the call fails with it, and sends nothing.
    pub(crate) invalid: Option<Error>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(shared: &'a Arc<Shared>) -> Self {
        Self {
            shared,
            request_id: None,
            options: Options::default(),
            pinned: None,
        }
    }

    /// The call that rotates `stale` (`refresh.rs`): sent with that token and `options`.
    pub(crate) fn rotating(
        shared: &'a Arc<Shared>,
        stale: Arc<Token>,
        request_id: Uuid,
        options: Options,
    ) -> Self {
        Self {
            shared,
            request_id: Some(request_id),
            options,
            pinned: Some(stale),
        }
    }

    /// Sends this call with `request_id` as its `X-Request-ID` instead of a fresh one.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// The whole-request timeout of this call (each attempt), instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// How this call's failed attempts are retried, instead of the client's policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Sends an extra header with this call (after the client's extra headers, replacing one of
    /// the same name). It may not be one of the headers the SDK manages (`X-Request-ID`,
    /// `Application`, `API-Version`, `X-QB-Enabled`, `Accept`, `Content-Type`, `User-Agent`,
    /// `Authorization`); an invalid one makes the call fail with [`Error::InvalidConfig`] before
    /// anything is sent. An operation's own header parameter, when the call sets it, wins.
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.extra(name.as_ref(), value.as_ref(), false)
    }

    /// Like [`Call::header`], for a secret value (`DLC-Authorization`, say): it is marked
    /// sensitive and never appears in `Debug` output, errors or tracing.
    pub fn sensitive_header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.extra(name.as_ref(), value.as_ref(), true)
    }

    fn extra(mut self, name: &str, value: &str, sensitive: bool) -> Self {
        match headers::extra(name, value, sensitive) {
            Ok(extra) => {
                self.options.headers.retain(|h| h.name != extra.name);
                self.options.headers.push(extra);
            }
            Err(error) => {
                self.options.invalid.get_or_insert(error);
            }
        }
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
        if operation.auth.requires_token() {
            let token = self
                .pinned
                .clone()
                .or_else(|| shared.tokens.current())
                .ok_or(Error::MissingToken {
                    operation: operation.id,
                })?;
            shared.refuse_clear_text()?;
            Ok(Some(token))
        } else if operation.auth.takes_token() && !shared.config.token_in_clear_text {
            Ok(shared.tokens.current())
        } else {
            Ok(None)
        }
    }

    /// Sends `operation` (see the module documentation): `attempt` sends it through the generated
    /// client it is given, once per attempt, and answers its payload. After an operation that
    /// revokes the token (`x-token: revokes`), the client forgets it, and so does its store.
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
        let request_id = self.request_id.unwrap_or_else(Uuid::new_v4);
        let payload = self
            .request_id(request_id)
            .send_once(operation, attempt)
            .await?;
        if operation.token.forgets_token() {
            shared
                .tokens
                .forget()
                .await
                .map_err(|source| Error::TokenStore {
                    operation: operation.id,
                    request_id,
                    source: Arc::from(source),
                })?;
        }
        Ok(payload)
    }

    /// [`Call::send`] but for what follows the answer (steps 1 to 4 of the module documentation):
    /// the one door of every exchange, the rotation's included (which refreshes nothing itself).
    pub(crate) async fn send_once<T, E, F, Fut>(
        self,
        operation: &'static Operation,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
    {
        if let Some(invalid) = self.options.invalid {
            return Err(invalid);
        }
        let shared = self.shared;
        let config = &shared.config;
        let token = self.token_for(operation)?;
        let request_id = self.request_id.unwrap_or_else(Uuid::new_v4);
        let extra = merged(&config.extra_headers, &self.options.headers);
        let options = &self.options;
        let attempt = &attempt;
        let exchange = |token: Option<Arc<Token>>| {
            let extra = extra.clone();
            async move {
                let call = exchange::Exchange {
                    operation,
                    token: token.as_deref(),
                    request_id,
                    timeout: options.timeout,
                    retry: options.retry.as_ref(),
                    extra_headers: extra,
                };
                exchange::run(shared, &call, attempt).await
            }
        };
        let (mut token, rotation) = match (token, shared.rotation) {
            // A token the operation does not need: one it refuses is dropped, not refreshed.
            (Some(token), _) if !operation.auth.requires_token() => {
                return match exchange(Some(token)).await {
                    Err(error) if is_unauthorized(&error) => exchange(None).await,
                    outcome => outcome,
                };
            }
            (Some(token), Some(rotation))
                if config.auto_refresh && rotation.operation != operation =>
            {
                (token, rotation)
            }
            (other, _) => return exchange(other).await,
        };
        // At most one rotation and one more attempt per call.
        let refreshed_first = token.expires_within(chrono::Utc::now(), config.refresh_margin);
        if refreshed_first {
            let rotating = self::rotation(
                shared,
                rotation,
                token.clone(),
                Uuid::new_v4(),
                Options::default(),
            );
            token = refresh::for_call(shared, &token, operation, request_id, rotating).await?;
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
                let rotating = self::rotation(
                    shared,
                    rotation,
                    token.clone(),
                    Uuid::new_v4(),
                    Options::default(),
                );
                refresh::for_call(shared, &token, operation, request_id, rotating).await?
            }
            Some(_) => return Err(error),
        };
        exchange(Some(retry_with)).await
    }

    /// Sends an operation that issues a token (`x-token` in the spec), whose payload is a
    /// session: the client adopts its token (switches to it, calls `on_token_refresh`, saves it in
    /// its store; a failed save is [`Error::TokenStore`]). The rotating operation goes through
    /// the single flight, with the token it replaces.
    pub(crate) async fn send_session<E, F, Fut>(
        self,
        operation: &'static Operation,
        attempt: F,
    ) -> Result<Session, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<Session>, menu_client::Error<E>>>,
    {
        match self.shared.rotation {
            Some(rotation) if rotation.operation == operation => self.rotate(rotation).await,
            _ => {
                let shared = self.shared;
                let request_id = self.request_id.unwrap_or_else(Uuid::new_v4);
                // The server issued a token even if the answer does not decode as a whole.
                let rescue = Rescue::default();
                let attempt = |client| {
                    let sent = attempt(client);
                    async {
                        let outcome = sent.await;
                        rescue.watch(&outcome);
                        outcome
                    }
                };
                let outcome = self
                    .request_id(request_id)
                    .send_once(operation, attempt)
                    .await;
                match (outcome, rescue.take()) {
                    (Ok(session), _) => {
                        shared
                            .adopt(operation, request_id, None, &session.token)
                            .await?;
                        Ok(session)
                    }
                    (Err(error), Some(token)) => {
                        shared.adopt(operation, request_id, None, &token).await?;
                        Err(session::kept(error))
                    }
                    (Err(error), None) => Err(error),
                }
            }
        }
    }

    /// Rotates the client's token (through the single flight).
    pub(crate) async fn rotate(self, rotation: Rotation) -> Result<Session, Error> {
        if let Some(invalid) = self.options.invalid {
            return Err(invalid);
        }
        let token = self
            .token_for(rotation.operation)?
            .ok_or(Error::MissingToken {
                operation: rotation.operation.id,
            })?;
        let request_id = self.request_id.unwrap_or_else(Uuid::new_v4);
        let rotating = self::rotation(
            self.shared,
            rotation,
            token.clone(),
            request_id,
            self.options,
        );
        refresh::explicit(self.shared, rotation, token, request_id, rotating).await
    }
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be secrets: the names only.
        let names: Vec<&str> = self
            .options
            .headers
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .field("timeout", &self.options.timeout)
            .field("retry", &self.options.retry)
            .field("headers", &names)
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

/// The headers one request carries beyond the managed ones: the client's extra headers, then the
/// call's (a call's replaces the client's of the same name).
pub(crate) fn merged(client: &Arc<HeaderMap>, call: &[Extra]) -> Arc<HeaderMap> {
    if call.is_empty() {
        return client.clone();
    }
    let mut headers = HeaderMap::clone(client);
    for extra in call {
        headers.insert(extra.name.clone(), extra.value.clone());
    }
    Arc::new(headers)
}

/// The rotation of `stale`: the rotating operation sent with it (through [`Call::send_once`],
/// with `options`); on success the client switches to the new token (if it still holds `stale`),
/// the application's hook gets it and the store saves it. Boxed: it is sent through the same door
/// as the calls that wait for it.
pub(crate) fn rotation(
    shared: &Arc<Shared>,
    rotation: Rotation,
    stale: Arc<Token>,
    request_id: Uuid,
    options: Options,
) -> Rotating {
    let shared = shared.clone();
    Box::pin(async move {
        let operation = rotation.operation;
        // When the server answers 200 it has already invalidated the old token: if the body does
        // not decode as a whole, still keep the new token when it can be found.
        let rescue = session::Rescue::default();
        let attempt = |client: menu_client::Client| {
            let sent = (rotation.send)(client);
            async {
                let outcome = sent.await;
                rescue.watch(&outcome);
                outcome
            }
        };
        let outcome = Call::rotating(&shared, stale.clone(), request_id, options)
            .send_once(operation, attempt)
            .await;
        let rescued = rescue.take();
        match outcome {
            Ok(session) => {
                shared
                    .adopt(operation, request_id, Some(&stale), &session.token)
                    .await?;
                Ok(Arc::new(session))
            }
            Err(error) => {
                if let Some(token) = rescued {
                    shared
                        .adopt(operation, request_id, Some(&stale), &token)
                        .await?;
                    return Err(session::kept(error));
                }
                Err(error)
            }
        }
    })
}
