//! Rotating the customer token: the operation the spec marks `x-token: rotates` (`refresh`),
//! sent with the token it replaces, and keeping what it returns (the client switches to the new
//! token, hands it to `on_token_refresh` and saves it in its store). Every rotation, explicit
//! (`Client::refresh`, or the rotating operation by its id) or automatic (for a call whose token
//! is about to expire or was refused as expired), goes through the client's single flight
//! (`single_flight.rs`).

use std::sync::Arc;
use std::time::Duration;

use menu_client::operation::Operation;
use reqwest::header::HeaderMap;
use uuid::Uuid;

use crate::Token;
use crate::error::Error;
use crate::exchange;
use crate::retry::RetryPolicy;
use crate::session::{self, Rotation, Session};
use crate::shared::Shared;
use crate::single_flight::Origin;

/// How a rotation is sent: the call's options, or the client's (an automatic rotation).
#[derive(Clone, Default)]
pub(crate) struct Sending {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    /// The call's extra headers (the client's when `None`).
    pub(crate) extra_headers: Option<Arc<HeaderMap>>,
}

/// An explicit rotation of `token`, sent with `request_id` and the call's options. Concurrent
/// rotations of the same token share one request and its outcome; a call that joined another's
/// failed rotation gets [`Error::RefreshFailed`] with its own request id.
pub(crate) async fn explicit(
    shared: &Arc<Shared>,
    rotation: Rotation,
    token: Arc<Token>,
    request_id: Uuid,
    sending: Sending,
) -> Result<Session, Error> {
    let (outcome, origin) = shared
        .refresh_gate
        .refresh(
            &token,
            rotate(shared.clone(), rotation, token.clone(), request_id, sending),
        )
        .await;
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
/// client's current one if it is another, or a rotated one. A failed rotation is the call's
/// [`Error::RefreshFailed`], with the call's request id.
pub(crate) async fn for_call(
    shared: &Arc<Shared>,
    rotation: Rotation,
    stale: &Arc<Token>,
    operation: &Operation,
    request_id: Uuid,
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
    let (outcome, _) = shared
        .refresh_gate
        .refresh(
            stale,
            rotate(
                shared.clone(),
                rotation,
                stale.clone(),
                Uuid::new_v4(),
                Sending::default(),
            ),
        )
        .await;
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

/// The rotating request with `stale`; on success the client switches to the new token (if it
/// still holds `stale`), the application's hook gets it and the store saves it.
async fn rotate(
    shared: Arc<Shared>,
    rotation: Rotation,
    stale: Arc<Token>,
    request_id: Uuid,
    sending: Sending,
) -> Result<Arc<Session>, Error> {
    let operation = rotation.operation;
    // When the server answers 200 it has already invalidated the old token: if the body does
    // not decode as a whole, still keep the new token when it can be found.
    let rescue = session::Rescue::default();
    let call = exchange::Exchange {
        operation,
        token: Some(&stale),
        request_id,
        timeout: sending.timeout,
        retry: sending.retry.as_ref(),
        extra_headers: sending
            .extra_headers
            .unwrap_or_else(|| shared.config.extra_headers.clone()),
    };
    let attempt = |client: menu_client::Client| {
        let sent = (rotation.send)(client);
        async {
            let outcome = sent.await;
            rescue.watch(&outcome);
            outcome
        }
    };
    let outcome = exchange::run(&shared, &call, &attempt).await;
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
}
