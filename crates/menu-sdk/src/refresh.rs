//! Refreshing the customer token: the refresh request (sent with the token it replaces), and
//! keeping what it returns (the client switches to the new token and hands it to
//! `on_token_refresh`). Every refresh, explicit ([`crate::Client::refresh`]) or automatic (for a
//! call whose token is about to expire or was refused as expired), goes through the client's
//! single flight (`single_flight.rs`).

use std::sync::Arc;

use menu_client::operation::Operation;
use uuid::Uuid;

use crate::Token;
use crate::error::Error;
use crate::exchange;
use crate::session::{self, Session};
use crate::shared::Shared;
use crate::single_flight::{Fresh, Origin};

/// `refresh` as it is sent: a `GET`, but not idempotent (each success invalidates the token it
/// was sent with), so a gateway's 502 or 504 is not retried: the token may already be rotated.
static REFRESH: Operation = Operation {
    idempotent: false,
    ..menu_client::operations::REFRESH
};

/// An explicit refresh of `token`, sent with `request_id`. Concurrent refreshes of the same token
/// share one request and its outcome; a call that joined another's failed refresh gets
/// [`Error::RefreshFailed`] with its own request id.
pub(crate) async fn explicit(
    shared: &Arc<Shared>,
    token: Arc<Token>,
    request_id: Uuid,
) -> Result<Session, Error> {
    let (fresh, origin) = shared
        .refresh_gate
        .refresh(
            &token,
            || None,
            || exchange_token(shared.clone(), token.clone(), request_id),
        )
        .await;
    match (fresh, origin) {
        (Ok(Fresh::Refreshed(session)), _) => Ok(Arc::unwrap_or_clone(session)),
        (Err(error), Origin::Ran) => Err(error),
        (Err(error), Origin::Shared) => Err(Error::RefreshFailed {
            operation: REFRESH.id,
            request_id,
            source: Box::new(error),
        }),
        // `current` above never offers another token, so the gate cannot answer this.
        (Ok(Fresh::Current(_)), _) => Err(Error::config(
            "internal error: the refresh gate offered a token to an explicit refresh",
        )),
    }
}

/// A usable token in place of `stale` for a call of `operation` (sent with `request_id`): the
/// client's current one if it is another, or a refreshed one. A failed refresh is the call's
/// [`Error::RefreshFailed`], with the call's request id.
pub(crate) async fn for_call(
    shared: &Arc<Shared>,
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
    let (fresh, _) = shared
        .refresh_gate
        .refresh(
            stale,
            || shared.tokens.current(),
            || exchange_token(shared.clone(), stale.clone(), Uuid::new_v4()),
        )
        .await;
    match fresh {
        Ok(Fresh::Current(token)) => Ok(token),
        Ok(Fresh::Refreshed(session)) => Ok(shared
            .tokens
            .current()
            .filter(|t| t.value() == session.token.value())
            .unwrap_or_else(|| Arc::new(session.token.clone()))),
        Err(source) => match shared.tokens.current() {
            // The refresh failed, yet the client holds a new token (rescued from a refresh body
            // that did not decode, or set meanwhile): go on with it.
            Some(current) if !Arc::ptr_eq(&current, stale) => Ok(current),
            _ => Err(Error::RefreshFailed {
                operation: operation.id,
                request_id,
                source: Box::new(source),
            }),
        },
    }
}

/// The refresh request with `stale`; on success the client switches to the new token (if it
/// still holds `stale`) and the application's hook gets it.
async fn exchange_token(
    shared: Arc<Shared>,
    stale: Arc<Token>,
    request_id: Uuid,
) -> Result<Arc<Session>, Error> {
    // When the server answers 200 it has already invalidated the old token: if the body does
    // not decode as a whole, still keep the new token when it can be found.
    let salvage = |body: &[u8]| {
        let new = session::token_in(body)?;
        shared.tokens.replace_from_server(&stale, &new).ok()?;
        Some("the new token it carried was kept and handed to on_token_refresh".to_owned())
    };
    let response = exchange::run(
        &shared,
        &REFRESH,
        Some(&stale),
        request_id,
        &|client: menu_client::Client| async move { client.refresh().await },
        Some(&salvage),
    )
    .await?;
    let payload = response.data;
    shared
        .tokens
        .replace_from_server(&stale, &payload.token)
        .map_err(|_| Error::Decode {
            operation: REFRESH.id,
            status: reqwest::StatusCode::OK,
            request_id,
            reason: "the server issued a token that cannot be sent as a header value".into(),
            body_snippet: String::new(),
        })?;
    Ok(Arc::new(Session {
        customer_account: payload.customer_account,
        token: payload.token,
    }))
}
