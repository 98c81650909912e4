//! Rotating the customer token: the operation the spec marks `x-token: rotates` (`refresh`),
//! sent with the token it replaces, and keeping what it returns (the client switches to the new
//! token, hands it to `on_token_refresh` and saves it in its store). Every rotation, explicit
//! (`Client::refresh`, or the rotating operation by its id) or automatic (for a call whose token
//! is about to expire or was refused as expired), goes through the client's single flight
//! (`single_flight.rs`); the rotation itself is a call (`Call::rotation`), handed in here.

use std::sync::Arc;

use menu_client::operation::Operation;
use uuid::Uuid;

use crate::Token;
use crate::error::Error;
use crate::session::{Rotating, Rotation, Session};
use crate::shared::Shared;
use crate::single_flight::Origin;

/// An explicit rotation of `token`, sent with `request_id` and the call's options. Concurrent
/// rotations of the same token share one request and its outcome; a call that joined another's
/// failed rotation gets [`Error::RefreshFailed`] with its own request id.
pub(crate) async fn explicit(
    shared: &Arc<Shared>,
    rotation: Rotation,
    token: Arc<Token>,
    request_id: Uuid,
    rotating: Rotating,
) -> Result<Session, Error> {
    let (outcome, origin) = shared.refresh_gate.refresh(&token, rotating).await;
    match (outcome, origin) {
        (Ok(session), _) => Ok(Arc::unwrap_or_clone(session)),
        (Err(error), Origin::Ran) => Err(error),
        (Err(error), Origin::Shared) => Err(Error::RefreshFailed {
            operation: rotation.operation.id,
            request_id,
            source: Box::new(error),
        }),
    }
}

/// A usable token in place of `stale` for a call of `operation` (sent with `request_id`): the
/// client's current one if it is another, or the one `rotating` gets. A failed rotation is the
/// call's [`Error::RefreshFailed`], with the call's request id.
pub(crate) async fn for_call(
    shared: &Arc<Shared>,
    stale: &Arc<Token>,
    operation: &Operation,
    request_id: Uuid,
    rotating: Rotating,
) -> Result<Arc<Token>, Error> {
    if shared.tokens.current().is_none() {
        // Logged out meanwhile: do not bring a session back.
        return Err(Error::MissingToken {
            operation: operation.id,
        });
    }
    // Replaced meanwhile (by a concurrent refresh, or `set_token`): go on with the current one.
    if let Some(current) = shared.tokens.current().filter(|t| !Arc::ptr_eq(t, stale)) {
        return Ok(current);
    }
    let (outcome, _) = shared.refresh_gate.refresh(stale, rotating).await;
    let failed = |source| Error::RefreshFailed {
        operation: operation.id,
        request_id,
        source: Box::new(source),
    };
    match outcome {
        Ok(session) => Ok(shared
            .tokens
            .current()
            .filter(|t| t.value() == session.token.value())
            .unwrap_or_else(|| Arc::new(session.token.clone()))),
        // The new token is held, but not saved: that is reported, never dropped.
        Err(source @ Error::TokenStore { .. }) => Err(failed(source)),
        Err(source) => match shared.tokens.current() {
            // The rotation failed, yet the client holds a new token (rescued from an answer
            // that did not decode, or set meanwhile): go on with it.
            Some(current) if !Arc::ptr_eq(&current, stale) => Ok(current),
            _ => Err(failed(source)),
        },
    }
}
