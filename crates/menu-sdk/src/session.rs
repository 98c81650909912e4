//! What a token-issuing operation returns (`register`, `refresh`): the generated `Session` type;
//! the operation that rotates the token ([`Rotation`], generated from the spec's mark); and the
//! new token found in such an answer when it does not decode as a whole.

use std::future::Future;
use std::pin::Pin;

use menu_client::ResponseValue;
use menu_client::operation::Operation;
use serde::Deserialize as _;

use crate::Token;
use crate::error::Error;

/// A signed-in customer: their account and their token (which the client uses from then on).
/// What [`crate::Client::refresh`] and `register` return. The token's value is redacted in
/// `Debug` and `Display`.
pub use menu_client::types::Session;

/// The token of a session answer that did not decode as a whole: the server issued it all the
/// same (and may have invalidated the old one), so it is kept.
#[derive(Default)]
pub(crate) struct Rescue(std::sync::Mutex<Option<Token>>);

impl Rescue {
    /// Looks at an attempt's outcome: the token of a success body that did not decode is kept.
    pub(crate) fn watch<T, E>(&self, outcome: &Result<ResponseValue<T>, menu_client::Error<E>>) {
        if let Err(menu_client::Error::InvalidResponsePayload(body, _)) = outcome
            && let Some(token) = token_in(body)
        {
            *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token);
        }
    }

    /// The token kept, if any.
    pub(crate) fn take(self) -> Option<Token> {
        self.0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `error` (the call's decode error) saying that the token its answer carried was kept.
pub(crate) fn kept(error: Error) -> Error {
    match error {
        Error::Decode {
            operation,
            status,
            request_id,
            mut reason,
            body_snippet,
        } => {
            reason.push_str("; the new token it carried was kept and handed to on_token_refresh");
            Error::Decode {
                operation,
                status,
                request_id,
                reason,
                body_snippet,
            }
        }
        other => other,
    }
}

/// The token at `data.token` of a session answer (an object, or the bare JWT string), if any.
pub(crate) fn token_in(body: &[u8]) -> Option<Token> {
    token_at(&serde_json::from_slice(body).ok()?)
}

/// [`token_in`] for an answer already read as JSON.
pub(crate) fn token_at(value: &serde_json::Value) -> Option<Token> {
    match value.pointer("/data/token")? {
        serde_json::Value::String(jwt) => Some(Token::new(jwt.clone())),
        other => Token::deserialize(other).ok(),
    }
}

/// What the generated rotating call returns.
pub(crate) type Rotated =
    Pin<Box<dyn Future<Output = Result<ResponseValue<Session>, menu_client::Error<()>>> + Send>>;

/// A rotation of the token (`Call::rotation`), to be run (or shared) by the single flight.
pub(crate) type Rotating =
    Pin<Box<dyn Future<Output = Result<std::sync::Arc<Session>, Error>> + Send>>;

/// The operation the spec marks `x-token: rotates` (generated: `crate::generated::ROTATION`).
#[derive(Clone, Copy)]
pub(crate) struct Rotation {
    /// Its entry of the operation table.
    pub(crate) operation: &'static Operation,
    /// Sends it with the generated client (which carries the token to rotate).
    pub(crate) send: fn(menu_client::Client) -> Rotated,
}
