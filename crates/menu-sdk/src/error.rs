//! The SDK's one error type. Every message says what happened and what to do, carries the request
//! id once a request exists, and never contains a secret.

use std::fmt;
use std::sync::Arc;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::ErrorEnvelope;

/// Everything that can go wrong in a call or while building a client. `Clone`, so that calls
/// waiting for one shared token refresh can all be handed its error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration (or a value given to it) is invalid. Nothing was sent.
    #[error("invalid Menu client configuration: {message}")]
    InvalidConfig {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// An argument of the call cannot be sent (a value that cannot be a header, a path or a
    /// query; an extra header the SDK manages itself). Nothing was sent.
    #[error("{operation}: an argument cannot be sent: {message} (nothing was sent)")]
    InvalidArgument {
        /// The operation (the spec's `operationId`).
        operation: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The operation is not one of the spec's (an untyped call by `operationId`). Nothing was
    /// sent.
    #[error("the spec has no operation `{operation_id}` (nothing was sent)")]
    UnknownOperation {
        /// The `operationId` asked for.
        operation_id: String,
    },

    /// The customer token would have gone over plain `http://` to a host other than this
    /// machine, where anyone on the way could read it. Nothing was sent.
    #[error(
        "{operation}: refusing to send the customer token over plain http:// to {base_url} \
         (nothing was sent): use https://, or `ClientBuilder::allow_insecure_http(true)` if you \
         must"
    )]
    InsecureTransport {
        /// The operation (the spec's `operationId`).
        operation: &'static str,
        /// The client's base URL.
        base_url: String,
    },

    /// The server issued a token the client cannot use: empty, or with characters that cannot
    /// be sent in a header. The client keeps the token it held.
    #[error(
        "{operation}: the Menu API issued a token that cannot be used: {reason} (request id \
         {request_id}); the client keeps the token it held"
    )]
    InvalidIssuedToken {
        /// The operation that issued it.
        operation: &'static str,
        /// The request id it was answered to.
        request_id: Uuid,
        /// What is wrong with it (never the token itself).
        reason: String,
    },

    /// A customer call was made while the client holds no customer token. Nothing was sent.
    #[error(
        "{operation} needs a customer token and the client has none: set one with \
         `ClientBuilder::token` or `Client::set_token` (nothing was sent)"
    )]
    MissingToken {
        /// The operation (the spec's `operationId`).
        operation: &'static str,
    },

    /// The API answered with an error status (4xx, 5xx, or an unexpected status).
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request could not be completed: connection refused or reset, timeout, broken body.
    #[error(
        "{operation} failed before a complete response arrived ({kind}) (request id {request_id}, \
         {attempts} attempt(s)): {detail}. Check the base URL and the network"
    )]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What kind of failure.
        kind: TransportErrorKind,
        /// The request id the call was sent with (every attempt carried it).
        request_id: Uuid,
        /// How many attempts were made.
        attempts: u32,
        /// reqwest's description, including the chain of causes.
        detail: String,
        /// The underlying error.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// A success status arrived, but its body is not what the spec describes.
    #[error(
        "{operation}: the Menu API answered {status} with a body that cannot be decoded: {reason} \
         (request id {request_id}); the body begins: {body_snippet}"
    )]
    Decode {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// The request id the call was sent with.
        request_id: Uuid,
        /// Why it does not decode.
        reason: String,
        /// The start of the body (bounded; secrets removed).
        body_snippet: String,
    },

    /// The token refresh the call depended on failed: the automatic refresh of a call whose
    /// token was about to expire or was refused as expired, or the concurrent refresh of the same
    /// token that a [`crate::Client::refresh`] joined. `source` is the refresh's own error, with
    /// the refresh request's id. Nothing more was sent for the call.
    #[error(
        "{operation}: the token refresh it waited for failed (request id {request_id}): {source}"
    )]
    RefreshFailed {
        /// The operation of the call.
        operation: &'static str,
        /// The call's request id.
        request_id: Uuid,
        /// Why the refresh failed (shared by every call that waited for that refresh).
        #[source]
        source: Box<Error>,
    },

    /// The call succeeded, but the client's [`crate::TokenStore`] failed: it could not save the
    /// new token the server issued (a `register`, a refresh), or forget a revoked one. The client
    /// itself is up to date ([`crate::Client::token`]: the new token, or none); the previous
    /// token may no longer work (a refresh invalidates it). Fix the store, and keep the current
    /// token meanwhile.
    #[error(
        "{operation}: the call succeeded, but the token store failed (request id {request_id}): \
         {source}. The client holds the token the server left it with (`Client::token()`): keep \
         it yourself until the store works; the previous token may no longer work"
    )]
    TokenStore {
        /// The operation that brought the token.
        operation: &'static str,
        /// The request id it was sent with.
        request_id: Uuid,
        /// The store's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },

    /// The token refresh a call waited for stopped without an outcome: it panicked (a bug, in the
    /// SDK or in a token store), or the call that started it was dropped while its thread
    /// unwound from a panic, or its runtime shut down. It is not sent again (the server may have
    /// rotated the token already); the client keeps the token it holds.
    #[error(
        "the token refresh this call waited for stopped without an outcome (it panicked, or its \
         runtime shut down); the client keeps the token it holds"
    )]
    RefreshInterrupted,

    /// The response body exceeded the client's size limit; reading stopped there.
    #[error(
        "{operation}: the response body is larger than the {limit}-byte limit (status {status}, \
         request id {request_id}); raise `ClientBuilder::max_response_body_bytes` if this is expected"
    )]
    ResponseTooLarge {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// The request id the call was sent with.
        request_id: Uuid,
        /// The limit in bytes.
        limit: usize,
    },
}

impl Error {
    /// The HTTP status of the response, when one arrived (for [`Error::RefreshFailed`], the
    /// refresh's).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Transport { source, .. } => source.status(),
            Error::RefreshFailed { source, .. } => source.status(),
            Error::InvalidConfig { .. }
            | Error::InvalidArgument { .. }
            | Error::UnknownOperation { .. }
            | Error::InsecureTransport { .. }
            | Error::InvalidIssuedToken { .. }
            | Error::MissingToken { .. }
            | Error::TokenStore { .. }
            | Error::RefreshInterrupted => None,
        }
    }

    /// The `X-Request-ID` the call was sent with, once a request existed. Quote it to Menu support.
    pub fn request_id(&self) -> Option<Uuid> {
        match self {
            Error::Api(api) => Some(api.request_id),
            Error::Transport { request_id, .. }
            | Error::Decode { request_id, .. }
            | Error::RefreshFailed { request_id, .. }
            | Error::TokenStore { request_id, .. }
            | Error::InvalidIssuedToken { request_id, .. }
            | Error::ResponseTooLarge { request_id, .. } => Some(*request_id),
            Error::InvalidConfig { .. }
            | Error::InvalidArgument { .. }
            | Error::UnknownOperation { .. }
            | Error::InsecureTransport { .. }
            | Error::MissingToken { .. }
            | Error::RefreshInterrupted => None,
        }
    }

    /// The API error, when the server answered with an error status (for
    /// [`Error::RefreshFailed`], the refresh's).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            Error::RefreshFailed { source, .. } => source.api_error(),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::InvalidConfig {
            message: message.into(),
        }
    }
}

/// What kind of transport failure a [`Error::Transport`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (refused, DNS).
    Connect,
    /// The TLS handshake failed: the server's certificate is not trusted (a private CA needs
    /// [`crate::ClientBuilder::tls_root_certificate`]), expired, or for another host. Never
    /// retried.
    Tls,
    /// The request or the connection timed out.
    Timeout,
    /// The response body broke off (reset, truncated).
    Body,
    /// Anything else reqwest reports.
    Other,
}

impl TransportErrorKind {
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() && is_tls(error) {
            Self::Tls
        } else if error.is_connect() {
            Self::Connect
        } else if error.is_body() || error.is_decode() {
            Self::Body
        } else {
            Self::Other
        }
    }
}

/// Whether rustls (reqwest's TLS, which reports through `std::io::Error`s) refused the connection.
/// With another TLS backend (a supplied client) such a failure stays [`TransportErrorKind::Connect`].
fn is_tls(error: &reqwest::Error) -> bool {
    let mut cause = std::error::Error::source(error);
    while let Some(current) = cause {
        if current.is::<rustls::Error>() {
            return true;
        }
        // An `io::Error`'s `source()` skips the error it wraps: step into that one.
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "cannot connect",
            Self::Tls => "TLS handshake failed",
            Self::Timeout => "timed out",
            Self::Body => "the response body broke off",
            Self::Other => "transport error",
        })
    }
}

/// An error status from the Menu API, with everything known about it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation (the spec's `operationId`).
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The request id the call was sent with (every attempt carried it).
    pub request_id: Uuid,
    /// How many attempts were made (more than one when the status was retried).
    pub attempts: u32,
    /// The error body, when it is a JSON error envelope (the API does not document it).
    pub envelope: Option<ErrorEnvelope>,
    /// The start of the raw body (at most 1 KiB, secrets removed), whatever its shape.
    pub body_snippet: String,
}

impl ApiError {
    /// The server's message, when the body had one.
    pub fn message(&self) -> Option<&str> {
        self.envelope.as_ref()?.message.as_deref()
    }

    /// What the caller can do about this status.
    fn hint(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "the request was rejected: check the input (the body, the parameters)",
            401 => {
                "the application key or the customer token is missing, invalid or expired: \
                 refresh the token or sign the customer in again"
            }
            403 => "the token does not allow this call (another customer's resource, say)",
            // A path without ids that is not found is the wrong place: the base URL.
            404 => match menu_client::operations::find(self.operation) {
                Some(operation) if !operation.path.contains('{') => {
                    "not found: check the base URL (the API's ends in `/api`)"
                }
                _ => "not found: check the ids in the path, and the base URL",
            },
            429 => "rate limited: retry later",
            500..=599 => "the server failed: retry later, quoting the request id",
            _ => "unexpected status",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the Menu API answered {}",
            self.operation, self.status
        )?;
        if let Some(message) = self.message() {
            // The message is the server's: bounded, so a hostile one cannot flood logs.
            const SHOWN: usize = 300;
            match message.char_indices().nth(SHOWN) {
                Some((cut, _)) => write!(f, " \"{}...\"", &message[..cut])?,
                None => write!(f, " \"{message}\"")?,
            }
        } else if !self.body_snippet.is_empty() {
            let kind = if self.envelope.is_some() {
                "an error"
            } else {
                "a non-JSON"
            };
            write!(f, " with {kind} body: {}", self.body_snippet)?;
        }
        write!(f, " (request id {}", self.request_id)?;
        if self.attempts > 1 {
            write!(f, ", after {} attempts", self.attempts)?;
        }
        write!(f, "); {}", self.hint())
    }
}

impl std::error::Error for ApiError {}
