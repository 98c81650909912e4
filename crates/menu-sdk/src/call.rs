//! The request pipeline every operation goes through, and the per-call options ([`Call`]).
//!
//! For one call:
//! 1. [`Call`] takes a snapshot of the customer token (none: [`Error::MissingToken`]; plain
//!    `http://` to a non-loopback host: [`Error::InvalidConfig`]; nothing is sent either way) and
//!    fixes the request id (the caller's, or a fresh UUID v4). With automatic refresh on, a token
//!    about to expire is first refreshed through the single-flight [`RefreshGate`], and a 401 for
//!    an expired token leads to one refresh and one retry of the call, with the same request id;
//! 2. [`Shared::execute`] builds a generated [`menu_client::Client`] whose [`RequestContext`]
//!    carries the bearer token and a per-call [`SdkTransport`];
//! 3. the [`Operation`] calls the generated method with every header parameter (`X-Request-ID`,
//!    `Application`, `API-Version`, `X-QB-Enabled`; typed once in the config) and its arguments,
//!    under the [`crate::retry`] policy: a retryable failure runs the operation again with the
//!    same arguments, so every attempt is the same request with the same request id;
//! 4. [`Shared::execute`] maps the outcome to the SDK's types and errors (scrubbed of secrets),
//!    inside one tracing span (when a subscriber wants it).

use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use menu_client::types::QueryBuilderEnabled;
use menu_client::{RequestContext, ResponseValue};
use serde::Deserialize as _;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{ApiError, Error, TransportErrorKind};
use crate::refresh::{Completion, Fresh, Outcome, RefreshGate};
use crate::retry::{Verdict, retry_after, retryable_status};
use crate::secret::{body_snippet, scrub, scrub_json};
use crate::token_store::TokenStore;
use crate::transport::{Captured, SdkTransport};
use crate::{Client, CustomerAccount, ErrorEnvelope, Session, Token, request_id};

/// What a generated operation returns.
pub(crate) type GeneratedResult<T> = Result<ResponseValue<T>, menu_client::Error<ErrorEnvelope>>;

/// Looks at a success body that did not decode; may rescue something from it and say what.
pub(crate) type Salvage<'a> = &'a (dyn Fn(&[u8]) -> Option<String> + Sync);

/// The state all clones of a [`Client`] share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Arc<Config>,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: TokenStore,
    pub(crate) refresh_gate: RefreshGate,
}

/// One generated operation with its arguments, as the pipeline sends it (more than once when an
/// attempt is retried: each time the same request).
pub(crate) trait Operation: Sync {
    /// What the operation returns on success.
    type Output;

    /// Sends the operation through `client` with the call's header parameters.
    fn send<'a>(
        &'a self,
        client: &'a menu_client::Client,
        headers: CallHeaders<'a>,
    ) -> impl Future<Output = GeneratedResult<Self::Output>> + Send + 'a;
}

/// `verify_phone_number_update` with its arguments.
struct VerifyPhoneNumberUpdate {
    customer_id: Uuid,
    body: menu_client::types::VerifyPhoneNumberUpdateRequest,
}

impl Operation for VerifyPhoneNumberUpdate {
    type Output = menu_client::types::VerifyPhoneNumberUpdateResponse;

    fn send<'a>(
        &'a self,
        client: &'a menu_client::Client,
        headers: CallHeaders<'a>,
    ) -> impl Future<Output = GeneratedResult<Self::Output>> + Send + 'a {
        client.verify_phone_number_update(
            &self.customer_id,
            headers.api_version,
            headers.application,
            headers.query_builder,
            headers.request_id,
            &self.body,
        )
    }
}

/// `refresh` (it has no arguments besides the header parameters).
struct Refresh;

impl Operation for Refresh {
    type Output = menu_client::types::RefreshResponse;

    fn send<'a>(
        &'a self,
        client: &'a menu_client::Client,
        headers: CallHeaders<'a>,
    ) -> impl Future<Output = GeneratedResult<Self::Output>> + Send + 'a {
        client.refresh(
            headers.api_version,
            headers.application,
            headers.query_builder,
            headers.request_id,
        )
    }
}

/// The header parameters of one call, ready for the generated builders.
#[derive(Clone, Copy)]
pub(crate) struct CallHeaders<'a> {
    pub(crate) request_id: &'a Uuid,
    pub(crate) application: &'a menu_client::types::ApplicationKey,
    pub(crate) api_version: &'a menu_client::types::ApiVersion,
    pub(crate) query_builder: QueryBuilderEnabled,
}

/// What the pipeline knows about a call while it maps the outcome.
struct CallInfo<'a> {
    operation: &'static str,
    request_id: Uuid,
    secrets: [&'a str; 2],
    body_limit: usize,
    attempts: u32,
}

impl Shared {
    /// Runs one customer call with `token` and `request_id` (see the module documentation).
    pub(crate) async fn execute<O: Operation>(
        &self,
        operation: &'static str,
        token: &Token,
        request_id: Uuid,
        salvage: Salvage<'_>,
        op: &O,
    ) -> Result<O::Output, Error> {
        let span = tracing::info_span!(
            "menu_sdk.call",
            operation,
            request_id = %request_id,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let call = self.execute_in_span(operation, token, request_id, salvage, op);
        if span.is_disabled() {
            // No subscriber wants the span: skip entering and leaving it at every poll.
            let result = call.await;
            if let Err(error) = &result {
                tracing::debug!(operation, %request_id, error = %error, "call failed");
            }
            return result;
        }
        let started = Instant::now();
        let result = call.instrument(span.clone()).await;
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        match &result {
            Ok(_) => {
                span.record("status", 200);
                tracing::debug!(parent: &span, "call succeeded");
            }
            Err(error) => {
                if let Some(status) = error.status() {
                    span.record("status", status.as_u16());
                }
                tracing::debug!(parent: &span, error = %error, "call failed");
            }
        }
        result
    }

    async fn execute_in_span<O: Operation>(
        &self,
        operation: &'static str,
        token: &Token,
        request_id: Uuid,
        salvage: Salvage<'_>,
        op: &O,
    ) -> Result<O::Output, Error> {
        let transport = Arc::new(SdkTransport::for_call(self.config.clone()));
        let context = RequestContext::with_token(token)
            .map_err(|e| Error::config(e.to_string()))?
            .with_transport(transport.clone());
        let client =
            menu_client::Client::new_with_client(&self.config.base_url, self.http.clone(), context);
        let headers = CallHeaders {
            request_id: &request_id,
            application: &self.config.application_parameter,
            api_version: &self.config.api_version,
            query_builder: self.config.query_builder_header(),
        };
        // Every attempt is the same request, built again from the same arguments.
        let (outcome, attempts) = self
            .config
            .retry
            .run(|| op.send(&client, headers), retry_verdict)
            .await;
        let info = CallInfo {
            operation,
            request_id,
            secrets: [self.config.application_key.expose(), token.value()],
            body_limit: self.config.max_response_body_bytes,
            attempts,
        };
        match outcome {
            Ok(response) => Ok(response.into_inner()),
            Err(error) => Err(map_error(error, transport.take_captured(), &info, salvage)),
        }
    }
}

/// Whether a generated operation's outcome is worth another attempt (see [`crate::retry`]): a
/// connection that failed before the request was sent, or a retryable status.
fn retry_verdict<T>(outcome: &GeneratedResult<T>) -> Verdict {
    use menu_client::Error as E;
    let answer = |status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap| {
        if retryable_status(status) {
            Verdict::Retry {
                reason: "retryable status",
                status: Some(status),
                retry_after: retry_after(headers, SystemTime::now()),
            }
        } else {
            Verdict::Final
        }
    };
    match outcome {
        Err(E::CommunicationError(error)) if error.is_connect() => Verdict::Retry {
            reason: "connection failed before the request was sent",
            status: None,
            retry_after: None,
        },
        Err(E::UnexpectedResponse(response)) => answer(response.status(), response.headers()),
        Err(E::ErrorResponse(response)) => answer(response.status(), response.headers()),
        _ => Verdict::Final,
    }
}

/// Maps what the generated client returned to the SDK's error, using the captured raw response.
fn map_error(
    error: menu_client::Error<ErrorEnvelope>,
    captured: Option<Captured>,
    info: &CallInfo<'_>,
    salvage: Salvage<'_>,
) -> Error {
    use menu_client::Error as E;
    if let Some(captured) = captured.as_ref().filter(|c| c.too_large) {
        return Error::ResponseTooLarge {
            operation: info.operation,
            status: captured.status,
            request_id: info.request_id,
            limit: info.body_limit,
        };
    }
    let body = captured
        .as_ref()
        .map(|c| c.body.clone())
        .unwrap_or_default();
    match error {
        E::CommunicationError(source)
        | E::ResponseBodyError(source)
        | E::InvalidUpgrade(source) => Error::Transport {
            operation: info.operation,
            kind: TransportErrorKind::of(&source),
            request_id: info.request_id,
            attempts: info.attempts,
            detail: error_chain(&source),
            source: Arc::new(source),
        },
        E::ErrorResponse(response) => api_error(response.status(), &body, info),
        E::UnexpectedResponse(response) if !response.status().is_success() => {
            api_error(response.status(), &body, info)
        }
        E::UnexpectedResponse(response) => decode_error(
            response.status(),
            "the spec documents no such success status".into(),
            &body,
            info,
        ),
        E::InvalidResponsePayload(payload, source) => {
            let status = captured.map_or(reqwest::StatusCode::OK, |c| c.status);
            if !status.is_success() {
                return api_error(status, &payload, info);
            }
            let mut reason = source.to_string();
            if let Some(note) = salvage(&payload) {
                reason.push_str("; ");
                reason.push_str(&note);
            }
            decode_error(status, reason, &payload, info)
        }
        E::InvalidRequest(message) | E::Custom(message) => Error::config(message),
    }
}

/// An [`Error::Decode`]. serde quotes offending values in its messages, so the reason is scrubbed
/// like the body.
fn decode_error(
    status: reqwest::StatusCode,
    reason: String,
    body: &[u8],
    info: &CallInfo<'_>,
) -> Error {
    Error::Decode {
        operation: info.operation,
        status,
        request_id: info.request_id,
        reason: scrub(&reason, &info.secrets),
        body_snippet: body_snippet(body, &info.secrets),
    }
}

/// An [`ApiError`] from an error status and its raw body. The envelope is read field by field (a
/// field of an unexpected type is dropped, not the whole envelope), and every string in it is
/// scrubbed after JSON unescaping, so an escaped secret cannot slip through either.
fn api_error(status: reqwest::StatusCode, body: &[u8], info: &CallInfo<'_>) -> Error {
    let envelope = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .map(|mut value| {
            scrub_json(&mut value, &info.secrets);
            lenient_envelope(&value)
        });
    Error::Api(Box::new(ApiError {
        operation: info.operation,
        status,
        request_id: info.request_id,
        attempts: info.attempts,
        envelope,
        body_snippet: body_snippet(body, &info.secrets),
    }))
}

/// The error envelope's fields that have the documented types.
fn lenient_envelope(value: &serde_json::Value) -> ErrorEnvelope {
    let text = |name: &str| value.get(name)?.as_str().map(str::to_owned);
    ErrorEnvelope {
        status: text("status"),
        code: value.get("code").and_then(|code| {
            code.as_i64()
                .or_else(|| code.as_str().and_then(|s| s.trim().parse().ok()))
        }),
        message: text("message"),
        errors: value.get("errors").filter(|e| !e.is_null()).cloned(),
    }
}

/// reqwest's message with its causes ("error sending request: ...: connection refused").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// One call's options: `client.with_request_id(id).refresh()`. Obtained from [`Client::call`] or
/// [`Client::with_request_id`].
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Call<'a> {
    client: &'a Client,
    request_id: Option<Uuid>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            request_id: None,
        }
    }

    /// Sends this call with `request_id` as its `X-Request-ID` instead of a fresh one.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// The token snapshot and request id of a customer call, before anything is sent.
    fn start(&self, operation: &'static str) -> Result<(Arc<Token>, Uuid), Error> {
        let shared = self.client.shared();
        let token = shared
            .tokens
            .current()
            .ok_or(Error::MissingToken { operation })?;
        if shared.config.token_in_clear_text {
            return Err(Error::config(format!(
                "refusing to send the customer token over plain http:// to {} (nothing was sent): \
                 use https://, or `ClientBuilder::allow_insecure_http(true)` if you must",
                shared.config.base_url
            )));
        }
        Ok((token, request_id::for_call(self.request_id)))
    }

    /// Runs a customer call with automatic refresh (see the module documentation): `send` gets
    /// the token and the call's request id, and may run twice (after one refresh).
    async fn customer_call<T, F, Fut>(&self, operation: &'static str, send: F) -> Result<T, Error>
    where
        F: Fn(Arc<Token>, Uuid) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (mut token, request_id) = self.start(operation)?;
        let config = &self.client.shared().config;
        if !config.auto_refresh {
            return send(token, request_id).await;
        }
        // At most one refresh per call: before it, or after a 401 for an expired token.
        let refreshed_first = token.expires_within(chrono::Utc::now(), config.refresh_margin);
        if refreshed_first {
            token = self.fresh_token(operation, &token).await?;
        }
        match send(token.clone(), request_id).await {
            Err(error)
                if !refreshed_first
                    && rejected_as_expired(&error, &token, config.refresh_margin) =>
            {
                tracing::info!(operation, %request_id, "token expired: refreshing once, then retrying the call");
                let token = self.fresh_token(operation, &token).await?;
                send(token, request_id).await
            }
            outcome => outcome,
        }
    }

    /// A usable token in place of `stale`, refreshing it through the single-flight gate.
    async fn fresh_token(
        &self,
        operation: &'static str,
        stale: &Arc<Token>,
    ) -> Result<Arc<Token>, Error> {
        let shared = self.client.shared();
        if shared.tokens.current().is_none() {
            // Logged out meanwhile: do not bring a session back.
            return Err(Error::MissingToken { operation });
        }
        let fresh = shared
            .refresh_gate
            .refresh(
                stale,
                || shared.tokens.current(),
                |completion| {
                    refresh_task(
                        self.client.shared_arc(),
                        stale.clone(),
                        request_id::for_call(None),
                        completion,
                    )
                },
            )
            .await?;
        Ok(match fresh {
            Fresh::Current(token) => token,
            Fresh::Refreshed(session) => shared
                .tokens
                .current()
                .filter(|t| t.value() == session.token.value())
                .unwrap_or_else(|| Arc::new(session.token)),
        })
    }

    /// `POST /customers/{customer_id}/verify-phone-number-update`: see
    /// [`Client::verify_phone_number_update`].
    pub async fn verify_phone_number_update(
        self,
        customer_id: Uuid,
        confirmation_code: impl Into<String>,
    ) -> Result<CustomerAccount, Error> {
        let code: String = confirmation_code.into();
        let shared = self.client.shared();
        self.customer_call("verify_phone_number_update", |token, request_id| {
            send_verify(shared, token, request_id, customer_id, code.clone())
        })
        .await
    }

    /// `GET /customers/refresh`: see [`Client::refresh`]. Concurrent refreshes of the same token
    /// share one request and its outcome.
    pub async fn refresh(self) -> Result<Session, Error> {
        let (token, request_id) = self.start("refresh")?;
        let shared = self.client.shared();
        let fresh = shared
            .refresh_gate
            .refresh(
                &token,
                || None,
                |completion| {
                    refresh_task(
                        self.client.shared_arc(),
                        token.clone(),
                        request_id,
                        completion,
                    )
                },
            )
            .await?;
        match fresh {
            Fresh::Refreshed(session) => Ok(*session),
            // `current` above never offers another token, so the gate cannot answer this.
            Fresh::Current(_) => Err(Error::config(
                "internal error: the refresh gate offered a token to an explicit refresh",
            )),
        }
    }
}

/// Whether a failed call was refused because its token expired (401, and the token's own expiry
/// or the server's message says so).
fn rejected_as_expired(error: &Error, token: &Token, margin: std::time::Duration) -> bool {
    let Some(api) = error.api_error() else {
        return false;
    };
    api.status == reqwest::StatusCode::UNAUTHORIZED
        && (token.expires_within(chrono::Utc::now(), margin)
            || api
                .message()
                .is_some_and(|m| m.to_ascii_lowercase().contains("expired")))
}

/// The one refresh of `stale`, reporting to the gate. The gate runs it inline in the call that
/// started it, or in a task of its own if that call is cancelled, so it always completes (and
/// keeps the new token).
async fn refresh_task(
    shared: Arc<Shared>,
    stale: Arc<Token>,
    request_id: Uuid,
    completion: Completion,
) -> Arc<Outcome> {
    let outcome = Arc::new(send_refresh(&shared, stale, request_id).await);
    completion.complete(&outcome);
    outcome
}

/// One `verify_phone_number_update` request with `token`.
async fn send_verify(
    shared: &Shared,
    token: Arc<Token>,
    request_id: Uuid,
    customer_id: Uuid,
    confirmation_code: String,
) -> Result<CustomerAccount, Error> {
    let operation = VerifyPhoneNumberUpdate {
        customer_id,
        body: menu_client::types::VerifyPhoneNumberUpdateRequest { confirmation_code },
    };
    let response = shared
        .execute(
            "verify_phone_number_update",
            &token,
            request_id,
            &|_| None,
            &operation,
        )
        .await?;
    Ok(response.data.customer_account)
}

/// One `refresh` request with `token`; on success the client switches to the new token (if it
/// still holds `token`) and the application's hook gets it.
async fn send_refresh(
    shared: &Shared,
    token: Arc<Token>,
    request_id: Uuid,
) -> Result<Session, Error> {
    const OPERATION: &str = "refresh";
    let unusable = |reason: &str| Error::Decode {
        operation: OPERATION,
        status: reqwest::StatusCode::OK,
        request_id,
        reason: format!("the server issued a token that {reason}"),
        body_snippet: String::new(),
    };
    // When the server answers 200 it has already invalidated the old token: if the body does
    // not decode as a whole, still keep the new token when it can be found.
    let salvage = |body: &[u8]| {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let found = value.pointer("/data/token")?;
        let new = match found {
            serde_json::Value::String(jwt) => Token::new(jwt.clone()),
            other => Token::deserialize(other).ok()?,
        };
        shared.tokens.replace_from_server(&token, &new).ok()?;
        Some("the new token it carried was kept and handed to on_token_refresh".to_owned())
    };
    let response = shared
        .execute(OPERATION, &token, request_id, &salvage, &Refresh)
        .await?;
    let payload = response.data;
    shared
        .tokens
        .replace_from_server(&token, &payload.token)
        .map_err(|_| unusable("cannot be sent as a header value"))?;
    Ok(Session {
        customer_account: payload.customer_account,
        token: payload.token,
    })
}

/// What the pipeline makes of a response body, for the fuzz targets and property tests: the typed
/// decodings, the refresh salvage's parse, and the error a caller would see (its `Display`).
pub(crate) fn examine_response(status: u16, body: &[u8], secrets: [&str; 2]) -> Option<String> {
    let status = reqwest::StatusCode::from_u16(status).ok()?;
    let _ = serde_json::from_slice::<menu_client::types::RefreshResponse>(body);
    let _ = serde_json::from_slice::<menu_client::types::VerifyPhoneNumberUpdateResponse>(body);
    if let Some(token) = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/data/token").cloned())
        .and_then(|t| Token::deserialize(t).ok())
    {
        let _ = (token.expires_at(), format!("{token:?} {token}"));
    }
    let info = CallInfo {
        operation: "examine",
        request_id: Uuid::nil(),
        secrets,
        body_limit: usize::MAX,
        attempts: 1,
    };
    let error = if status.is_success() {
        decode_error(status, "examined".into(), body, &info)
    } else {
        api_error(status, body, &info)
    };
    Some(format!("{error} {error:?}"))
}
