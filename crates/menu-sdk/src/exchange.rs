//! One exchange of a call with the API: the generated operation sent with the call's context
//! (the client's headers, the call's request id, the token, the timeout and body limit) and
//! retried under the [`crate::RetryPolicy`], its outcome read into the caller's result, all inside
//! one `menu_sdk.call` tracing span.
//!
//! A call has one exchange, or two when it is retried once after an automatic token refresh; the
//! refresh is an exchange of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use menu_client::ResponseValue;
use menu_client::operation::Operation;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::Token;
use crate::error::Error;
use crate::response::{self, CallInfo};
use crate::retry::{self, RetryPolicy};
use crate::shared::Shared;
use reqwest::header::HeaderMap;

/// What one exchange sends: the operation, the token (if any), the request id, the call's
/// options and extra headers.
pub(crate) struct Exchange<'a> {
    pub(crate) operation: &'static Operation,
    pub(crate) token: Option<&'a Token>,
    pub(crate) request_id: Uuid,
    /// The call's timeout, instead of the client's.
    pub(crate) timeout: Option<Duration>,
    /// The call's retry policy, instead of the client's.
    pub(crate) retry: Option<&'a RetryPolicy>,
    /// The client's and the call's extra headers.
    pub(crate) extra_headers: Arc<HeaderMap>,
}

/// Runs the exchange: `attempt` sends the operation through the generated client it is given,
/// once per attempt (the same request each time, with the same request id).
pub(crate) async fn run<T, E, F, Fut>(
    shared: &Shared,
    call: &Exchange<'_>,
    attempt: &F,
) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let span = tracing::info_span!(
        "menu_sdk.call",
        operation = call.operation.id,
        request_id = %call.request_id,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = send(shared, call, attempt).instrument(span.clone()).await;
    span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
    match &result {
        Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
        Err(error) => tracing::debug!(parent: &span, error = %error, "call failed"),
    }
    result
}

async fn send<T, E, F, Fut>(shared: &Shared, call: &Exchange<'_>, attempt: &F) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let config = &shared.config;
    // The pipeline decided whether the operation takes the token (`Call::token_for`).
    let context = shared
        .context(call.token, Some(call.request_id))?
        .token_decided()
        .timeout(call.timeout.unwrap_or(config.timeout))
        .extra_headers(call.extra_headers.clone());
    let client = || {
        menu_client::Client::new_with_client(&config.base_url, shared.http.clone(), context.clone())
    };
    let idempotent = call.operation.idempotent;
    let (outcome, attempts) = call
        .retry
        .unwrap_or(&config.retry)
        .run(
            || attempt(client()),
            |outcome| retry::verdict(outcome, idempotent),
        )
        .await;
    tracing::Span::current().record("attempts", attempts);
    let mut secrets = vec![
        config.application_key.expose(),
        call.token.map_or("", Token::value),
    ];
    secrets.extend(
        call.extra_headers
            .values()
            .filter(|value| value.is_sensitive())
            .filter_map(|value| value.to_str().ok()),
    );
    let info = CallInfo {
        operation: call.operation,
        request_id: call.request_id,
        attempts,
        secrets,
        body_limit: config.max_response_body_bytes,
    };
    response::read(outcome, &info).await
}
