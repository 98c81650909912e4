//! The customer token, behind one seam (compare smithy-rs's identity cache, outside the operation
//! pipeline): the token a call sends, the expiry margin, the single-flight refresh, adoption,
//! forgetting, the store and the hook. The call pipeline (`call.rs`) asks [`Identity`] for a
//! token before a call ([`Identity::token_for`], [`Identity::before_call`]) and after a 401
//! ([`Identity::after_unauthorized`]), and hands it what an answer means for the token
//! ([`Identity::adopt`], [`Identity::after_success`]). The rotation request is one exchange of its
//! own (`rotation.rs`): it never enters a call's pipeline.
//!
//! What an `x-token` mark does is asked of the operation model (`TokenEffect`'s methods), never
//! matched here.

mod held;
mod rotation;
mod single_flight;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use menu_client::operation::Operation;
use uuid::Uuid;

use crate::error::Error;
use crate::exchange::{Endpoint, Sending};
use crate::token_store::StoreError;
use crate::{Session, Token};
pub(crate) use held::{OnTokenRefresh, Tokens};
#[cfg(any(fuzzing, test))]
pub(crate) use rotation::token_in;
pub(crate) use rotation::{Rescue, Rotation, kept, token_of};
use single_flight::{Origin, Outcome, RefreshGate};

/// The token of one client (shared by its clones).
pub(crate) struct Identity {
    endpoint: Arc<Endpoint>,
    tokens: Tokens,
    gate: RefreshGate,
    /// The operation that rotates the token (generated from the spec's mark): what automatic
    /// refresh sends; `None` when the spec has none (then there is no automatic refresh).
    rotation: Option<Rotation>,
}

/// The token a call sends first, and whether it was refreshed for it.
pub(crate) struct First {
    pub(crate) token: Arc<Token>,
    pub(crate) refreshed: bool,
}

impl Identity {
    pub(crate) fn new(endpoint: Arc<Endpoint>, tokens: Tokens, rotation: Option<Rotation>) -> Self {
        Self {
            endpoint,
            tokens,
            gate: RefreshGate::default(),
            rotation,
        }
    }

    /// The token the client holds now.
    pub(crate) fn current(&self) -> Option<Arc<Token>> {
        self.tokens.current()
    }

    /// Replaces the token (the application's own: neither the hook nor the store hear of it).
    pub(crate) fn set(&self, token: Token) -> Result<(), Error> {
        self.tokens.set(token)
    }

    /// Forgets the token in memory.
    pub(crate) fn clear(&self) {
        self.tokens.clear();
    }

    /// Forgets the token, in memory and in the store.
    pub(crate) async fn forget(&self) -> Result<(), StoreError> {
        self.tokens.forget().await
    }

    /// The operation that rotates the token, if the spec has one.
    pub(crate) fn rotation(&self) -> Option<&'static Operation> {
        self.rotation.map(|rotation| rotation.operation)
    }

    /// The token a call of `operation` sends, decided once, before anything is sent: none for an
    /// operation that takes none; the client's, if any, for one that takes it optionally (none
    /// over plain `http://`); the client's for one that requires it (none:
    /// [`Error::MissingToken`]; over plain `http://` to another host than this machine: refused).
    pub(crate) fn token_for(&self, operation: &Operation) -> Result<Option<Arc<Token>>, Error> {
        if operation.auth.requires_token() {
            let token = self.current().ok_or(Error::MissingToken {
                operation: operation.id,
            })?;
            self.refuse_clear_text(operation.id)?;
            Ok(Some(token))
        } else if operation.auth.takes_token() && !self.endpoint.config.token_in_clear_text {
            Ok(self.current())
        } else {
            Ok(None)
        }
    }

    /// The token the generated client ([`crate::Client::generated`]) carries, for the operations
    /// that take one: the client's, refused over plain `http://` to another host.
    pub(crate) fn token_for_any(&self) -> Result<Option<Arc<Token>>, Error> {
        let token = self.current();
        if token.is_some() {
            self.refuse_clear_text("Client::generated")?;
        }
        Ok(token)
    }

    /// The token a call of `operation` sends first: `token`, or, when it is about to expire
    /// (within the refresh margin) and automatic refresh applies, the one a rotation gets.
    pub(crate) async fn before_call(
        self: &Arc<Self>,
        operation: &'static Operation,
        request_id: Uuid,
        token: Arc<Token>,
    ) -> Result<First, Error> {
        let config = &self.endpoint.config;
        let expiring = token.expires_within(chrono::Utc::now(), config.refresh_margin);
        match self.automatic(operation) {
            Some(rotation) if expiring => Ok(First {
                token: self
                    .for_call(rotation, &token, operation, request_id)
                    .await?,
                refreshed: true,
            }),
            _ => Ok(First {
                token,
                refreshed: false,
            }),
        }
    }

    /// After a call of `operation` sent with `sent` (not refreshed for it) was refused with 401
    /// (`error`): the token to send it once more with, or none (the 401 stands). The client's
    /// token if it was replaced meanwhile (a concurrent refresh, `set_token`); a rotated one if
    /// `sent` [`expired`]; none when automatic refresh does not apply or the client logged out.
    pub(crate) async fn after_unauthorized(
        self: &Arc<Self>,
        operation: &'static Operation,
        request_id: Uuid,
        sent: &Arc<Token>,
        error: &Error,
    ) -> Result<Option<Arc<Token>>, Error> {
        let Some(rotation) = self.automatic(operation) else {
            return Ok(None);
        };
        match self.current() {
            None => Ok(None),
            Some(current) if !Arc::ptr_eq(&current, sent) => Ok(Some(current)),
            Some(_) if expired(error, sent, self.endpoint.config.refresh_margin) => {
                tracing::info!(
                    operation = operation.id,
                    %request_id,
                    "token expired: refreshing once, then retrying the call"
                );
                let token = self.for_call(rotation, sent, operation, request_id).await?;
                Ok(Some(token))
            }
            Some(_) => Ok(None),
        }
    }

    /// What the success of `operation` (sent with `request_id`) does to the token: an operation
    /// that revokes it leaves the client, and its store, without one.
    pub(crate) async fn after_success(
        &self,
        operation: &'static Operation,
        request_id: Uuid,
    ) -> Result<(), Error> {
        if !operation.token.forgets_token() {
            return Ok(());
        }
        self.forget().await.map_err(|source| Error::TokenStore {
            operation: operation.id,
            request_id,
            source: Arc::from(source),
        })
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
        let epoch =
            self.tokens
                .adopt(replacing, token)
                .map_err(|reason| Error::InvalidIssuedToken {
                    operation: operation.id,
                    request_id,
                    reason: reason.to_owned(),
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

    /// An explicit rotation of the client's token (`Client::refresh`, or the rotating operation
    /// by its id), sent as `sending` says. Concurrent rotations of the same token share one
    /// request and its outcome; a call that joined another's failed rotation gets
    /// [`Error::RefreshFailed`] with its own request id.
    pub(crate) async fn rotate(self: &Arc<Self>, sending: Sending) -> Result<Session, Error> {
        let Some(rotation) = self.rotation else {
            return Err(Error::UnknownOperation {
                operation_id: "marked `x-token: rotates`".to_owned(),
            });
        };
        let token = self
            .token_for(rotation.operation)?
            .ok_or(Error::MissingToken {
                operation: rotation.operation.id,
            })?;
        let request_id = sending.request_id;
        let rotating = self.rotating(rotation, token.clone(), sending);
        match self.gate.refresh(&token, rotating).await {
            (Ok(session), _) => Ok(Arc::unwrap_or_clone(session)),
            (Err(error), Origin::Ran) => Err(error),
            (Err(error), Origin::Shared) => Err(Error::RefreshFailed {
                operation: rotation.operation.id,
                request_id,
                source: Box::new(error),
            }),
        }
    }

    /// The rotation automatic refresh sends for a call of `operation`, if it applies: on, the
    /// spec has a rotating operation, and it is not that one.
    fn automatic(&self, operation: &Operation) -> Option<Rotation> {
        self.rotation
            .filter(|rotation| self.endpoint.config.auto_refresh && rotation.operation != operation)
    }

    /// A usable token in place of `stale` for a call of `operation` (sent with `request_id`): the
    /// client's current one if it is another, or the one a rotation gets. A failed rotation is
    /// the call's [`Error::RefreshFailed`], with the call's request id.
    async fn for_call(
        self: &Arc<Self>,
        rotation: Rotation,
        stale: &Arc<Token>,
        operation: &Operation,
        request_id: Uuid,
    ) -> Result<Arc<Token>, Error> {
        match self.current() {
            // Logged out meanwhile: do not bring a session back.
            None => {
                return Err(Error::MissingToken {
                    operation: operation.id,
                });
            }
            // Replaced meanwhile (by a concurrent refresh, or `set_token`): go on with it.
            Some(current) if !Arc::ptr_eq(&current, stale) => return Ok(current),
            Some(_) => {}
        }
        let rotating = self.rotating(rotation, stale.clone(), Sending::fresh());
        let (outcome, _) = self.gate.refresh(stale, rotating).await;
        let failed = |source| Error::RefreshFailed {
            operation: operation.id,
            request_id,
            source: Box::new(source),
        };
        match outcome {
            Ok(session) => Ok(self
                .current()
                .filter(|t| t.value() == session.token.value())
                .unwrap_or_else(|| Arc::new(session.token.clone()))),
            // The new token is held, but not saved: that is reported, never dropped.
            Err(source @ Error::TokenStore { .. }) => Err(failed(source)),
            Err(source) => match self.current() {
                // The rotation failed, yet the client holds a new token (rescued from an answer
                // that did not decode, or set meanwhile): go on with it.
                Some(current) if !Arc::ptr_eq(&current, stale) => Ok(current),
                _ => Err(failed(source)),
            },
        }
    }

    /// The rotation of `stale`, run (or shared) by the single flight: the rotating request, then,
    /// on success, the new token adopted (if the client still holds `stale`). When the server
    /// answers 200 it has already invalidated the old token: a new token found in an answer that
    /// does not decode as a whole is adopted too.
    fn rotating(
        self: &Arc<Self>,
        rotation: Rotation,
        stale: Arc<Token>,
        sending: Sending,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
        let identity = self.clone();
        // Boxed here: the single flight then moves a pointer, not the whole exchange.
        Box::pin(async move {
            let operation = rotation.operation;
            let request_id = sending.request_id;
            let sent = rotation.send(&identity.endpoint, &stale, &sending).await;
            match (sent.outcome, sent.rescued) {
                (Ok(session), _) => {
                    identity
                        .adopt(operation, request_id, Some(&stale), &session.token)
                        .await?;
                    Ok(Arc::new(session))
                }
                (Err(error), Some(token)) => {
                    identity
                        .adopt(operation, request_id, Some(&stale), &token)
                        .await?;
                    Err(kept(error))
                }
                (Err(error), None) => Err(error),
            }
        })
    }

    /// Refuses to send the customer token over plain `http://` to a non-loopback host, unless
    /// that was allowed.
    fn refuse_clear_text(&self, operation: &'static str) -> Result<(), Error> {
        let config = &self.endpoint.config;
        if !config.token_in_clear_text {
            return Ok(());
        }
        Err(Error::InsecureTransport {
            operation,
            base_url: config.base_url.clone(),
        })
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// **The rule for a 401 that means "expired"**: the token sent expires within the refresh margin
/// by its own claims, or the server's error message says `expired` (the real API's wording, and
/// the mock's: `Token has expired.`). Any other 401 stands.
pub(crate) fn expired(error: &Error, token: &Token, margin: std::time::Duration) -> bool {
    token.expires_within(chrono::Utc::now(), margin)
        || error
            .api_error()
            .and_then(|api| api.message())
            .is_some_and(|m| m.to_ascii_lowercase().contains("expired"))
}
