//! The hand-written hooks of the generated client: the one place where it touches a request after
//! the generated code has built it and before it is sent.
//!
//! Two things happen here, for every operation:
//! - **Exactly one `API-Version` header.** The generated code always appends
//!   `api-version: <info.version>` and then the operation's own `API-Version` parameter, so the
//!   built request has two values. The explicit parameter (the last value) wins; the other is
//!   dropped.
//! - **The customer token.** progenitor does not implement `securitySchemes`; when the
//!   [`RequestContext`] holds a bearer token, it is sent as `Authorization: Bearer <token>`, with
//!   the header value marked sensitive.
//!
//! Then the request is sent by the context's [`Transport`] if it has one (the `menu-sdk` crate
//! plugs its own in: header defaults, a body size limit), or by the `reqwest::Client`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, Entry, HeaderMap, HeaderName, HeaderValue};

use crate::Client;
use crate::models::Token;

/// The header both the generated code and the `API-Version` parameter set (names are
/// case-insensitive).
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// Per-client state read by the hooks: what the generated operations cannot take as arguments.
///
/// Its `Debug` output never shows the token.
#[derive(Clone, Default)]
pub struct RequestContext {
    authorization: Option<HeaderValue>,
    transport: Option<Arc<dyn Transport>>,
}

/// A boxed, `Send` future, as [`Transport::execute`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends a request that the generated code has built and the hooks have finished.
///
/// The default (no transport) is `client.execute(request)`. An implementation may edit the
/// request, retry it (`request.try_clone()`), or buffer and rebuild the response, as long as it
/// returns what the generated code should decode.
pub trait Transport: Send + Sync {
    /// Sends `request` for the operation named `operation_id` (the spec's `operationId`).
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

impl RequestContext {
    /// A context that sends no `Authorization` header (calls that need only the application key).
    pub fn new() -> Self {
        Self::default()
    }

    /// A context that sends `Authorization: Bearer <token>` on every call.
    ///
    /// Fails when the token cannot be a header value (a control character such as CR or LF, or a
    /// non-visible byte). The error does not contain the token.
    pub fn with_bearer_token(token: &str) -> Result<Self, InvalidToken> {
        let mut value =
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| InvalidToken(()))?;
        value.set_sensitive(true);
        Ok(Self {
            authorization: Some(value),
            transport: None,
        })
    }

    /// A context that sends `token` as `Authorization: Bearer <token>` on every call, reusing the
    /// header value the token keeps (built once per token, not once per call).
    ///
    /// Fails as [`RequestContext::with_bearer_token`] does.
    pub fn with_token(token: &Token) -> Result<Self, InvalidToken> {
        let value = token.bearer_header().ok_or(InvalidToken(()))?;
        Ok(Self {
            authorization: Some(value.clone()),
            transport: None,
        })
    }

    /// Sends every request through `transport` instead of `reqwest::Client::execute`.
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Whether a bearer token is set.
    pub fn has_bearer_token(&self) -> bool {
        self.authorization.is_some()
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "Bearer <redacted>"),
            )
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
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

/// Keep only the last `API-Version` value: the operation's explicit parameter, which the generated
/// code appends after its own default.
pub fn keep_last_api_version(headers: &mut HeaderMap) {
    if let Entry::Occupied(mut entry) = headers.entry(API_VERSION) {
        let last = entry.iter().next_back().cloned();
        if let Some(value) = last {
            entry.insert(value);
        }
    }
}

impl ClientHooks<RequestContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let headers = request.headers_mut();
        keep_last_api_version(headers);
        if let Some(authorization) = &self.inner.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner.transport {
            Some(transport) => {
                transport
                    .execute(&self.client, request, info.operation_id)
                    .await
            }
            None => self.client.execute(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_api_version_only() {
        let mut headers = HeaderMap::new();
        headers.append("api-version", HeaderValue::from_static("5.0.0"));
        headers.append("API-Version", HeaderValue::from_static("4.38.0"));
        keep_last_api_version(&mut headers);
        let values: Vec<_> = headers.get_all("api-version").iter().collect();
        assert_eq!(values, vec![HeaderValue::from_static("4.38.0")]);
    }

    #[test]
    fn no_api_version_stays_absent() {
        let mut headers = HeaderMap::new();
        keep_last_api_version(&mut headers);
        assert!(headers.is_empty());
    }

    #[test]
    fn bearer_token_is_sensitive_and_redacted() {
        let context = RequestContext::with_bearer_token("secret-jwt").unwrap();
        assert!(context.authorization.as_ref().unwrap().is_sensitive());
        assert!(!format!("{context:?}").contains("secret-jwt"));
    }

    #[test]
    fn a_token_context_sends_the_same_sensitive_header() {
        let token = Token::new("secret-jwt");
        let context = RequestContext::with_token(&token).unwrap();
        let expected = RequestContext::with_bearer_token("secret-jwt").unwrap();
        assert_eq!(context.authorization, expected.authorization);
        assert!(context.authorization.as_ref().unwrap().is_sensitive());
        assert!(RequestContext::with_token(&Token::new("a\nb")).is_err());
    }

    #[test]
    fn bearer_token_with_newline_is_rejected_without_echo() {
        let err = RequestContext::with_bearer_token("abc\r\nX-Evil: 1").unwrap_err();
        assert!(!err.to_string().contains("X-Evil"));
    }
}
