//! The pipeline every call goes through ([`Call::send`]), whatever its operation:
//!
//! 1. **The token**, decided once by the token module (`identity`): none, the client's, or an
//!    error before anything is sent ([`Error::MissingToken`], plain `http://`).
//! 2. **The request id**, fixed for the call: the caller's, or a fresh UUID v4.
//! 3. **Automatic refresh** (`identity`): a token about to expire is replaced first; a 401 leads
//!    to one more attempt of the call, with the same request id, when the token module has
//!    another token to offer (replaced meanwhile, or rotated because it expired). An optional
//!    token the server refuses is dropped, and the call sent once more without it.
//! 4. **The exchange** (`exchange.rs`): the generated operation with the call's context,
//!    retries, the tracing span, the typed result or [`Error`].
//! 5. **What the answer means for the token**: a session an operation issues is adopted
//!    ([`Call::send_session`]); an operation that revokes the token leaves the client without
//!    one. The rotating operation itself is sent by the token module, through its single flight.
//!
//! The rotation never enters this pipeline (in a debug build, [`Call::send_once`] asserts it).

use std::future::Future;
use std::sync::Arc;

use menu_client::ResponseValue;
use menu_client::operation::Operation;

use crate::call::Call;
use crate::error::Error;
use crate::exchange::{self, Sending};
use crate::identity::{Rescue, kept};
use crate::{Session, Token};

impl Call<'_> {
    /// Sends `operation` (see the module documentation): `attempt` sends it through the generated
    /// client it is given, once per attempt, and answers its payload.
    pub(crate) async fn send<T, E, F, Fut>(
        self,
        operation: &'static Operation,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
    {
        let sending = self.sending(operation)?;
        let payload = self.send_once(operation, &sending, &attempt).await?;
        let identity = &self.shared.identity;
        identity
            .after_success(operation, sending.request_id)
            .await?;
        Ok(payload)
    }

    /// Sends an operation whose answer is a session (`x-token` in the spec): the client adopts
    /// its token (switches to it, calls `on_token_refresh`, saves it in its store; a failed save
    /// is [`Error::TokenStore`]). The rotating operation is the token module's, through its
    /// single flight ([`Call::rotate`]).
    pub(crate) async fn send_session<E, F, Fut>(
        self,
        operation: &'static Operation,
        attempt: F,
    ) -> Result<Session, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<Session>, menu_client::Error<E>>>,
    {
        let identity = &self.shared.identity;
        let sending = self.sending(operation)?;
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
        let outcome = self.send_once(operation, &sending, &attempt).await;
        let request_id = sending.request_id;
        match (outcome, rescue.take()) {
            (Ok(session), _) => {
                identity
                    .adopt(operation, request_id, None, &session.token)
                    .await?;
                Ok(session)
            }
            (Err(error), Some(token)) => {
                identity.adopt(operation, request_id, None, &token).await?;
                Err(kept(error))
            }
            (Err(error), None) => Err(error),
        }
    }

    /// Rotates the client's token: the token module sends the rotating operation, through its
    /// single flight.
    pub(crate) async fn rotate(self) -> Result<Session, Error> {
        let identity = &self.shared.identity;
        let Some(operation) = identity.rotation() else {
            return Err(Error::UnknownOperation {
                operation_id: "marked `x-token: rotates`".to_owned(),
            });
        };
        identity.rotate(self.sending(operation)?).await
    }

    /// Steps 1 to 4 of the module documentation: the one door of every exchange of a call.
    pub(crate) async fn send_once<T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        sending: &Sending,
        attempt: &F,
    ) -> Result<T, Error>
    where
        F: Fn(menu_client::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
    {
        debug_assert!(
            !operation.token.refreshes(),
            "the rotation is the token module's: it never enters a call's pipeline"
        );
        let (endpoint, identity) = (&self.shared.endpoint, &self.shared.identity);
        let exchange = |token: Option<Arc<Token>>| async move {
            exchange::run(endpoint, operation, token.as_deref(), sending, attempt).await
        };
        let Some(token) = identity.token_for(operation)? else {
            return exchange(None).await;
        };
        if !operation.auth.requires_token() {
            // A token the operation does not need: one the server refuses is dropped, not
            // refreshed.
            return match exchange(Some(token)).await {
                Err(error) if is_unauthorized(&error) => exchange(None).await,
                outcome => outcome,
            };
        }
        let request_id = sending.request_id;
        let first = identity.before_call(operation, request_id, token).await?;
        let error = match exchange(Some(first.token.clone())).await {
            Err(error) if is_unauthorized(&error) && !first.refreshed => error,
            outcome => return outcome,
        };
        match identity
            .after_unauthorized(operation, request_id, &first.token, &error)
            .await?
        {
            Some(token) => exchange(Some(token)).await,
            None => Err(error),
        }
    }
}

/// Whether a call was refused with 401.
fn is_unauthorized(error: &Error) -> bool {
    matches!(error, Error::Api(api) if api.status == reqwest::StatusCode::UNAUTHORIZED)
}

#[cfg(test)]
mod tests;
