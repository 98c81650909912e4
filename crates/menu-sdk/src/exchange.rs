//! One exchange of a call with the API: the generated operation sent with the call's context
//! (the client's headers, the call's request id, the token, the timeout and body limit) and
//! retried under the [`crate::RetryPolicy`], its outcome read into the caller's result, all inside
//! one `menu_sdk.call` tracing span.
//!
//! A call has one exchange, or two when it is retried once after an automatic token refresh; the
//! refresh is an exchange of its own.

use std::future::Future;
use std::time::Instant;

use menu_client::ResponseValue;
use menu_client::operation::Operation;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::Token;
use crate::error::Error;
use crate::response::{self, CallInfo, Salvage};
use crate::retry;
use crate::shared::Shared;

/// Runs the exchange: `attempt` sends the operation through the generated client it is given,
/// once per attempt (the same request each time, with the same request id).
pub(crate) async fn run<T, E, F, Fut>(
    shared: &Shared,
    operation: &'static Operation,
    token: Option<&Token>,
    request_id: Uuid,
    attempt: &F,
    salvage: Option<Salvage<'_>>,
) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let span = tracing::info_span!(
        "menu_sdk.call",
        operation = operation.id,
        request_id = %request_id,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = send(shared, operation, token, request_id, attempt, salvage)
        .instrument(span.clone())
        .await;
    span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
    match &result {
        Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
        Err(error) => tracing::debug!(parent: &span, error = %error, "call failed"),
    }
    result
}

async fn send<T, E, F, Fut>(
    shared: &Shared,
    operation: &'static Operation,
    token: Option<&Token>,
    request_id: Uuid,
    attempt: &F,
    salvage: Option<Salvage<'_>>,
) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let config = &shared.config;
    let context = shared.context(token, Some(request_id))?;
    let client = || {
        menu_client::Client::new_with_client(&config.base_url, shared.http.clone(), context.clone())
    };
    let (outcome, attempts) = config
        .retry
        .run(
            || attempt(client()),
            |outcome| retry::verdict(outcome, operation.idempotent),
        )
        .await;
    tracing::Span::current().record("attempts", attempts);
    let info = CallInfo {
        operation,
        request_id,
        attempts,
        secrets: [
            config.application_key.expose(),
            token.map_or("", Token::value),
        ],
        body_limit: config.max_response_body_bytes,
    };
    response::read(outcome, &info, salvage).await
}
