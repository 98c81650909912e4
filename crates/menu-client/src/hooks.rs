//! The hand-written hooks of the generated client: the one place where it touches a request after
//! the generated code has built it, and a response before the generated code reads it.
//!
//! `cargo xtask generate` hands progenitor a view of the spec without the header parameters that
//! are the same on every call (the managed headers: `x-managed` in the spec, the operation table's
//! [`crate::operations::MANAGED_HEADERS`]) and without the error responses, so the generated
//! methods take only what varies between calls. What they leave out comes from the client's
//! [`RequestContext`], for every operation alike:
//! - **`pre`**: its headers are set on the request, each replacing what the generated code set
//!   (so the `api-version: <info.version>` that progenitor always adds is overridden by the
//!   context's `API-Version`, never doubled), except `Accept` and `Content-Type`, which only fill
//!   in for an operation that sets none (a body keeps its media type); the request id header is
//!   the context's, or a fresh UUID v4 per request; `Authorization: Bearer <token>` when it holds
//!   a token (marked sensitive), for an operation that takes one (by its `Auth` in the operation
//!   table: the caller chose the token, this says which operations may carry it); a header
//!   parameter the operation table marks secret (`x-secret` in the spec) is marked sensitive; its
//!   timeout replaces the HTTP client's.
//! - **`exec`**: sends the request; with a body limit, a response body without a
//!   `Content-Length` within the limit is wrapped in [`http_body_util::Limited`], so reading more
//!   than the limit fails instead of allocating; with an observer (opt-in), the response is
//!   also passed to it ([`crate::observe`]).
//!
//! Every non-2xx status reaches the caller as [`crate::Error::UnexpectedResponse`] with its body
//! unread.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::ResponseBuilderExt as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::Client;
use crate::models::Token;
use crate::observe::Observer;
use crate::operation::{Location, Managed};
use crate::operations;

/// The request id header: the managed header `x-managed: request-id`, if the spec has one.
fn request_id_header() -> Option<HeaderName> {
    let header = operations::managed(Managed::RequestId)?;
    HeaderName::from_bytes(header.name.as_bytes()).ok()
}

/// What a generated [`Client`] adds to each of its requests (see the module documentation).
///
/// Cheap to clone. Its `Debug` output never shows a header value.
#[derive(Clone, Default)]
pub struct RequestContext {
    headers: Arc<HeaderMap>,
    extra_headers: Option<Arc<HeaderMap>>,
    request_id: Option<HeaderValue>,
    authorization: Option<HeaderValue>,
    timeout: Option<Duration>,
    max_response_body_bytes: Option<usize>,
    observer: Option<(Observer, usize)>,
}

impl RequestContext {
    /// A context that adds nothing but a fresh `X-Request-ID` per request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Headers set on every request, each replacing what the generated code set (for example
    /// `Application`, `API-Version`, `X-QB-Enabled`, `User-Agent`), except `Accept` and
    /// `Content-Type`, which are defaults for an operation that sets none. Mark secret values
    /// [`HeaderValue::set_sensitive`].
    pub fn headers(mut self, headers: impl Into<Arc<HeaderMap>>) -> Self {
        self.headers = headers.into();
        self
    }

    /// More headers for every request, set only where the request has none of that name (an
    /// operation's own header parameter wins). Mark secret values [`HeaderValue::set_sensitive`].
    pub fn extra_headers(mut self, headers: impl Into<Arc<HeaderMap>>) -> Self {
        let headers = headers.into();
        self.extra_headers = (!headers.is_empty()).then_some(headers);
        self
    }

    /// Sends `request_id` as `X-Request-ID` on every request (retries of one call share it);
    /// without it, each request gets a fresh UUID v4.
    pub fn request_id(mut self, request_id: uuid::Uuid) -> Self {
        self.request_id = header_of(request_id);
        self
    }

    /// Sends `Authorization: Bearer <token>` on every request, reusing the header value the token
    /// keeps (built once per token). Fails when the token cannot be a header value (a control
    /// character such as CR or LF, or a non-visible byte); the error does not contain the token.
    pub fn token(mut self, token: &Token) -> Result<Self, InvalidToken> {
        self.authorization = Some(token.bearer_header().ok_or(InvalidToken(()))?.clone());
        Ok(self)
    }

    /// Like [`RequestContext::token`], from the JWT alone.
    pub fn bearer_token(self, token: &str) -> Result<Self, InvalidToken> {
        self.token(&Token::new(token))
    }

    /// The whole-request timeout of every request (instead of the HTTP client's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest response body read; a larger one fails while being read (its error's source
    /// chain holds an [`http_body_util::LengthLimitError`]).
    pub fn max_response_body_bytes(mut self, limit: usize) -> Self {
        self.max_response_body_bytes = Some(limit);
        self
    }

    /// Passes each response to `observer` (its status, headers and the first `keep` bytes of its
    /// body, raw) once its body is read or dropped: for a debugging tool. See
    /// [`crate::observe`].
    pub fn observe(mut self, observer: Observer, keep: usize) -> Self {
        self.observer = Some((observer, keep));
        self
    }
}

fn header_of(id: uuid::Uuid) -> Option<HeaderValue> {
    let mut buffer = uuid::Uuid::encode_buffer();
    HeaderValue::from_bytes(id.hyphenated().encode_lower(&mut buffer).as_bytes()).ok()
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .flat_map(|h| h.keys())
                    .collect::<Vec<_>>(),
            )
            .field("request_id", &self.request_id)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "Bearer <redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("observed", &self.observer.is_some())
            .finish()
    }
}

/// A bearer token that cannot be sent as a header value. Carries no part of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidToken(());

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the bearer token contains characters that are not allowed in an HTTP header \
             (control characters such as CR or LF, or non-visible bytes)",
        )
    }
}

impl std::error::Error for InvalidToken {}

/// Applies `context` to a request the generated code built for `operation_id` (see the module
/// documentation).
fn prepare(context: &RequestContext, request: &mut reqwest::Request, operation_id: &str) {
    let headers = request.headers_mut();
    for (name, value) in context.headers.iter() {
        if name == ACCEPT || name == CONTENT_TYPE {
            headers.entry(name).or_insert_with(|| value.clone());
        } else {
            headers.insert(name.clone(), value.clone());
        }
    }
    for (name, value) in context.extra_headers.iter().flat_map(|h| h.iter()) {
        headers.entry(name).or_insert_with(|| value.clone());
    }
    if let Some(name) = request_id_header() {
        let request_id = context
            .request_id
            .clone()
            .or_else(|| header_of(uuid::Uuid::new_v4()));
        if let Some(request_id) = request_id {
            headers.insert(name, request_id);
        }
    }
    let operation = operations::find(operation_id);
    let needs_no_token = operation.is_some_and(|op| !op.auth.takes_token());
    if let Some(authorization) = context.authorization.as_ref().filter(|_| !needs_no_token) {
        headers.insert(AUTHORIZATION, authorization.clone());
    }
    // A header parameter the spec marks `x-secret` (however it was set) is sensitive.
    let secret = operation.into_iter().flat_map(|op| op.params);
    for param in secret.filter(|p| p.secret && p.location == Location::Header) {
        let Ok(name) = HeaderName::from_bytes(param.name.as_bytes()) else {
            continue;
        };
        if let http::header::Entry::Occupied(mut values) = headers.entry(name) {
            values
                .iter_mut()
                .for_each(|value| value.set_sensitive(true));
        }
    }
    if let Some(timeout) = context.timeout {
        *request.timeout_mut() = Some(timeout);
    }
}

/// `response` with its body limited to `limit` bytes (and its URL kept).
fn limit_body(response: reqwest::Response, limit: usize) -> reqwest::Response {
    rewrap(response, |_, body| {
        reqwest::Body::wrap(http_body_util::Limited::new(body, limit))
    })
}

/// `response` with its body replaced by `wrap`'s (and its URL kept).
fn rewrap(
    response: reqwest::Response,
    wrap: impl FnOnce(&http::response::Parts, reqwest::Body) -> reqwest::Body,
) -> reqwest::Response {
    let url = response.url().clone();
    let (mut parts, body) = http::Response::from(response).into_parts();
    // reqwest keeps a response's URL in an extension only its builder can set.
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    let body = wrap(&parts, body);
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

impl ClientHooks<RequestContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        prepare(&self.inner, request, info.operation_id);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client.execute(request).await?;
        // A body whose `Content-Length` is within the limit is left as it is: hyper reads no more
        // than the declared length.
        let response = match self.inner.max_response_body_bytes {
            Some(limit) if response.content_length().is_none_or(|n| n > limit as u64) => {
                limit_body(response, limit)
            }
            _ => response,
        };
        Ok(match &self.inner.observer {
            Some((observer, keep)) => rewrap(response, |parts, body| {
                crate::observe::tee(info.operation_id, parts, body, observer.clone(), *keep)
            }),
            None => response,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> reqwest::Request {
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/api".parse().unwrap(),
        );
        // What the generated code sets before the hook runs.
        request
            .headers_mut()
            .append("api-version", HeaderValue::from_static("5.0.0"));
        request
    }

    #[test]
    fn context_headers_replace_the_generated_ones() {
        let mut headers = HeaderMap::new();
        headers.insert("API-Version", HeaderValue::from_static("4.38.0"));
        let context = RequestContext::new().headers(headers);
        let mut request = request();
        prepare(&context, &mut request, "refresh");
        let values: Vec<_> = request.headers().get_all("api-version").iter().collect();
        assert_eq!(values, [HeaderValue::from_static("4.38.0")]);
    }

    #[test]
    fn media_types_are_defaults_that_a_body_keeps() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let context = RequestContext::new().headers(headers);
        let mut with_body = request();
        with_body.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data"),
        );
        prepare(&context, &mut with_body, "refresh");
        assert_eq!(with_body.headers()[CONTENT_TYPE], "multipart/form-data");
        assert_eq!(with_body.headers()[ACCEPT], "application/json");
        let mut without = request();
        prepare(&context, &mut without, "refresh");
        assert_eq!(without.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn a_fresh_request_id_per_request_unless_set() {
        let context = RequestContext::new();
        let (mut a, mut b) = (request(), request());
        prepare(&context, &mut a, "refresh");
        prepare(&context, &mut b, "refresh");
        let id = |r: &reqwest::Request| -> uuid::Uuid {
            r.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_ne!(id(&a), id(&b));
        assert_eq!(id(&a).get_version_num(), 4);
        let chosen = uuid::Uuid::new_v4();
        let mut c = request();
        prepare(&RequestContext::new().request_id(chosen), &mut c, "refresh");
        assert_eq!(id(&c), chosen);
    }

    #[test]
    fn the_bearer_token_is_sensitive_and_redacted() {
        let context = RequestContext::new().bearer_token("secret-jwt").unwrap();
        let mut request = request();
        prepare(&context, &mut request, "refresh");
        let value = &request.headers()[AUTHORIZATION];
        assert_eq!(value, "Bearer secret-jwt");
        assert!(value.is_sensitive());
        assert!(!format!("{context:?}").contains("secret-jwt"));
    }

    #[test]
    fn secret_header_parameters_are_sensitive() {
        let secret = |p: &&crate::operation::Param| p.secret && p.location == Location::Header;
        let operation = operations::ALL
            .iter()
            .find(|op| op.params.iter().any(|p| secret(&p)))
            .expect("the spec marks a secret header parameter");
        let mut request = request();
        for param in operation.params {
            let name = HeaderName::from_bytes(param.name.as_bytes()).unwrap();
            request
                .headers_mut()
                .insert(name, HeaderValue::from_static("v"));
        }
        prepare(&RequestContext::new(), &mut request, operation.id);
        for param in operation.params {
            let value = &request.headers()[param.name];
            assert_eq!(value.is_sensitive(), secret(&param), "{}", param.name);
        }
    }

    #[test]
    fn a_token_with_a_newline_is_rejected_without_echo() {
        let err = RequestContext::new()
            .bearer_token("abc\r\nX-Evil: 1")
            .unwrap_err();
        assert!(!err.to_string().contains("X-Evil"));
    }

    #[tokio::test]
    async fn the_limited_body_fails_past_the_limit_and_keeps_the_url() {
        let url: reqwest::Url = "http://127.0.0.1/api/x".parse().unwrap();
        let response = |body: &'static str| {
            reqwest::Response::from(
                http::Response::builder()
                    .url(url.clone())
                    .body(body)
                    .unwrap(),
            )
        };
        let ok = limit_body(response("12345"), 5);
        assert_eq!(ok.url(), &url);
        assert_eq!(ok.bytes().await.unwrap(), "12345");
        let err = limit_body(response("123456"), 5).bytes().await.unwrap_err();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        let mut found = false;
        while let Some(cause) = source {
            found |= cause.is::<http_body_util::LengthLimitError>();
            source = cause.source();
        }
        assert!(found, "{err:?}");
    }
}
