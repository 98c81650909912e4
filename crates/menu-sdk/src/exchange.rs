//! One exchange of a call with the API: the generated operation sent with the call's context
//! (the client's headers, the call's request id, the token, the timeout and body limit) and
//! retried under the [`crate::RetryPolicy`], its outcome read into the caller's result, all inside
//! one `menu_sdk.call` tracing span ([`crate::trace`]). [`Endpoint::context`] is the one place a
//! request context is built: every door (typed methods, `send_json` and `prepare_json`,
//! `Client::generated`, the rotation) goes through it.
//!
//! A call has one exchange, or two when it is retried once (after an automatic token refresh,
//! after a 401 to a token that was replaced meanwhile, or without the optional token the server
//! refused); the rotation is an exchange of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use menu_client::operation::Operation;
use menu_client::{RequestContext, ResponseValue};
use reqwest::header::HeaderMap;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::Token;
use crate::config::Config;
use crate::error::Error;
use crate::headers::Extra;
use crate::response::{self, CallInfo};
use crate::retry::{self, RetryPolicy};
use crate::trace;

/// Where requests go, and how: the client's configuration and HTTP client (shared by every clone
/// of a client).
pub(crate) struct Endpoint {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
}

impl Endpoint {
    /// What the generated client adds to each request: the managed headers, the client's extra
    /// headers then `call_headers`, `request_id` (a fresh one per request without it), `token`,
    /// `timeout` (the client's without it) and the body limit. The one place a context is built.
    pub(crate) fn context(
        &self,
        token: Option<&Token>,
        request_id: Option<Uuid>,
        timeout: Option<Duration>,
        call_headers: &[Extra],
    ) -> Result<RequestContext, Error> {
        let config = &self.config;
        let mut context = RequestContext::new()
            .headers(config.headers.clone())
            .extra_headers(self.extra_headers(call_headers))
            .timeout(timeout.unwrap_or(config.timeout))
            .max_response_body_bytes(config.max_response_body_bytes);
        if let Some(request_id) = request_id {
            context = context.request_id(request_id);
        }
        if let Some(inspector) = &config.inspector {
            // The secrets this request carries, masked wherever the answer repeats them.
            let mut secrets = vec![config.application_key.expose().to_owned()];
            secrets.extend(token.map(|token| token.value().to_owned()));
            let inspector = inspector.clone();
            let observer: menu_client::observe::Observer = Arc::new(move |observed| {
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                inspector(&crate::inspect::response(observed, &secrets));
            });
            context = context.observe(observer, crate::inspect::KEPT_BODY_BYTES);
        }
        match token {
            Some(token) => context
                .token(token)
                .map_err(|e| Error::config(e.to_string())),
            None => Ok(context),
        }
    }

    /// The generated client, sending with `context`.
    pub(crate) fn client(&self, context: RequestContext) -> menu_client::Client {
        menu_client::Client::new_with_client(&self.config.base_url, self.http.clone(), context)
    }

    /// The headers one request carries beyond the managed ones: the client's extra headers, then
    /// the call's (a call's replaces the client's of the same name).
    fn extra_headers(&self, call: &[Extra]) -> Arc<HeaderMap> {
        let client = &self.config.extra_headers;
        if call.is_empty() {
            return client.clone();
        }
        let mut headers = HeaderMap::clone(client);
        for extra in call {
            headers.insert(extra.name.clone(), extra.value.clone());
        }
        Arc::new(headers)
    }
}

/// What a call sends every exchange with, besides the operation and the token: its request id,
/// timeout, retry policy and extra headers.
#[derive(Clone)]
pub(crate) struct Sending {
    pub(crate) request_id: Uuid,
    /// The call's timeout, instead of the client's.
    pub(crate) timeout: Option<Duration>,
    /// The call's retry policy, instead of the client's.
    pub(crate) retry: Option<RetryPolicy>,
    /// The call's extra headers (checked), after the client's.
    pub(crate) headers: Vec<Extra>,
}

impl Sending {
    /// A request of its own (a rotation for a call): a fresh request id, the client's settings.
    pub(crate) fn fresh() -> Self {
        Self {
            request_id: Uuid::new_v4(),
            timeout: None,
            retry: None,
            headers: Vec::new(),
        }
    }
}

/// Runs one exchange of `operation` with `token`: `attempt` sends it through the generated client
/// it is given, once per attempt (the same request each time, with the same request id).
pub(crate) async fn run<T, E, F, Fut>(
    endpoint: &Endpoint,
    operation: &'static Operation,
    token: Option<&Token>,
    sending: &Sending,
    attempt: &F,
) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let span = tracing::info_span!(
        trace::SPAN,
        operation = operation.id,
        request_id = %sending.request_id,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = send(endpoint, operation, token, sending, attempt)
        .instrument(span.clone())
        .await;
    span.record(trace::DURATION_MS, started.elapsed().as_secs_f64() * 1000.0);
    match &result {
        Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
        Err(error) => tracing::debug!(parent: &span, error = %error, "call failed"),
    }
    result
}

async fn send<T, E, F, Fut>(
    endpoint: &Endpoint,
    operation: &'static Operation,
    token: Option<&Token>,
    sending: &Sending,
    attempt: &F,
) -> Result<T, Error>
where
    F: Fn(menu_client::Client) -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, menu_client::Error<E>>>,
{
    let config = &endpoint.config;
    let context = endpoint.context(
        token,
        Some(sending.request_id),
        sending.timeout,
        &sending.headers,
    )?;
    let (outcome, attempts) = sending
        .retry
        .as_ref()
        .unwrap_or(&config.retry)
        .run(
            || attempt(endpoint.client(context.clone())),
            |outcome| retry::verdict(outcome, operation.idempotent),
        )
        .await;
    tracing::Span::current().record(trace::ATTEMPTS, attempts);
    let mut secrets = vec![
        config.application_key.expose(),
        token.map_or("", Token::value),
    ];
    secrets.extend(
        config
            .extra_headers
            .values()
            .chain(sending.headers.iter().map(|extra| &extra.value))
            .filter(|value| value.is_sensitive())
            .filter_map(|value| value.to_str().ok()),
    );
    let info = CallInfo {
        operation,
        request_id: sending.request_id,
        attempts,
        secrets,
        body_limit: config.max_response_body_bytes,
    };
    response::read(outcome, &info).await
}
