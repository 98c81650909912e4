//! The rotation request: the operation the spec marks `x-token: rotates` ([`Rotation`],
//! generated), sent as one exchange with the token it replaces, outside any call's pipeline; and
//! the new token found in a session answer that does not decode as a whole ([`Rescue`]: the
//! server issued it all the same, and may have invalidated the old one).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use menu_client::ResponseValue;
use menu_client::operation::Operation;

use crate::error::Error;
use crate::exchange::{self, Endpoint, Sending};
use crate::{Session, Token};

/// What the generated rotating call returns.
pub(crate) type Rotated =
    Pin<Box<dyn Future<Output = Result<ResponseValue<Session>, menu_client::Error<()>>> + Send>>;

/// The operation the spec marks `x-token: rotates` (generated: `crate::generated::ROTATION`).
#[derive(Clone, Copy)]
pub(crate) struct Rotation {
    /// Its entry of the operation table.
    pub(crate) operation: &'static Operation,
    /// Sends it with the generated client (which carries the token to rotate).
    pub(crate) send: fn(menu_client::Client) -> Rotated,
}

/// What one rotation brought: the session, or the error with the token its answer carried when
/// the answer did not decode as a whole.
pub(crate) struct Sent {
    pub(crate) outcome: Result<Session, Error>,
    pub(crate) rescued: Option<Token>,
}

impl Rotation {
    /// Sends the rotation of `stale` as one exchange (retries, span, typed errors).
    pub(crate) async fn send(&self, endpoint: &Endpoint, stale: &Token, sending: &Sending) -> Sent {
        let rescue = Rescue::default();
        let send = self.send;
        let attempt = |client: menu_client::Client| {
            let sent = send(client);
            async {
                let outcome = sent.await;
                rescue.watch(&outcome);
                outcome
            }
        };
        let outcome = exchange::run(endpoint, self.operation, Some(stale), sending, &attempt).await;
        Sent {
            outcome,
            rescued: rescue.take(),
        }
    }
}

/// The token of a session answer that did not decode as a whole.
#[derive(Default)]
pub(crate) struct Rescue(Mutex<Option<Token>>);

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

/// The token at `data.token` of a session answer (its envelope's bytes) that does not decode as a
/// whole, if any.
pub(crate) fn token_in(body: &[u8]) -> Option<Token> {
    let envelope: serde_json::Value = serde_json::from_slice(body).ok()?;
    token_of(envelope.get("data")?)
}

/// The `token` of a session's `data` that does not decode as a whole (the generated `Token`, or
/// the bare JWT), if any.
pub(crate) fn token_of(data: &serde_json::Value) -> Option<Token> {
    use serde::Deserialize as _;
    match data.get("token")? {
        serde_json::Value::String(jwt) => Some(Token::new(jwt.clone())),
        other => Token::deserialize(other).ok(),
    }
}
