//! What a generated operation's outcome becomes for the caller: its typed value, or a
//! [`crate::Error`] with the call's request id, its attempts and a bounded, scrubbed snippet of
//! the raw body.
//!
//! The generated client decodes only documented success bodies; every other status arrives as
//! `UnexpectedResponse` with its body unread (see `menu_client::hooks`), and is read here, within
//! the body limit: an error status becomes an [`ApiError`] (with the error envelope when the body
//! is one, read field by field), an undocumented success status a decode error.

use std::sync::Arc;

use menu_client::ResponseValue;
use reqwest::StatusCode;
use uuid::Uuid;

use menu_client::operation::Operation;

use crate::ErrorEnvelope;
use crate::error::{ApiError, Error, TransportErrorKind};
use crate::secret::{body_snippet, scrub, scrub_json};

/// What is known about a call when its outcome is read.
pub(crate) struct CallInfo<'a> {
    pub(crate) operation: &'static Operation,
    pub(crate) request_id: Uuid,
    pub(crate) attempts: u32,
    /// The application key, the token (empty when none was sent) and the values of sensitive
    /// extra headers: scrubbed from errors.
    pub(crate) secrets: Vec<&'a str>,
    pub(crate) body_limit: usize,
}

/// The caller's result from the generated operation's `outcome`.
pub(crate) async fn read<T, E>(
    outcome: Result<ResponseValue<T>, menu_client::Error<E>>,
    info: &CallInfo<'_>,
) -> Result<T, Error> {
    use menu_client::Error as E;
    let documented = StatusCode::from_u16(info.operation.success_status).unwrap_or(StatusCode::OK);
    match outcome {
        Ok(value) => {
            record_status(value.status());
            Ok(value.into_inner())
        }
        Err(E::UnexpectedResponse(response)) => {
            let status = response.status();
            record_status(status);
            match response.bytes().await {
                Ok(body) if status.is_success() => Err(decode_error(
                    status,
                    "the spec documents no such success status".into(),
                    &body,
                    info,
                )),
                Ok(body) => Err(api_error(status, &body, info)),
                Err(error) => Err(body_error(error, status, info)),
            }
        }
        Err(E::InvalidResponsePayload(body, source)) => {
            record_status(documented);
            Err(decode_error(documented, source.to_string(), &body, info))
        }
        Err(E::ResponseBodyError(error)) => Err(body_error(error, documented, info)),
        // The request could not be built, so nothing was sent: an argument that cannot be
        // serialized (a one-time code that an integer field cannot take, `menu_client::Code`).
        Err(E::CommunicationError(error)) if error.is_builder() => Err(Error::InvalidArgument {
            operation: info.operation.id,
            // reqwest's own "builder error" says less than its cause.
            message: scrub(
                &std::error::Error::source(&error).map_or_else(|| error.to_string(), error_chain),
                &info.secrets,
            ),
        }),
        Err(E::CommunicationError(error) | E::InvalidUpgrade(error)) => {
            Err(transport_error(error, info))
        }
        // The client view documents no error response, so the generated code never decodes one.
        Err(E::ErrorResponse(response)) => Err(api_error(response.status(), &[], info)),
        Err(E::InvalidRequest(message) | E::Custom(message)) => Err(Error::InvalidArgument {
            operation: info.operation.id,
            message,
        }),
    }
}

/// Records the answer's status on the call's span.
fn record_status(status: StatusCode) {
    tracing::Span::current().record(crate::trace::STATUS, status.as_u16());
}

/// A body that could not be read whole: over the limit, or broken off.
fn body_error(error: reqwest::Error, status: StatusCode, info: &CallInfo<'_>) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return Error::ResponseTooLarge {
                operation: info.operation.id,
                status,
                request_id: info.request_id,
                limit: info.body_limit,
            };
        }
        source = cause.source();
    }
    transport_error(error, info)
}

fn transport_error(error: reqwest::Error, info: &CallInfo<'_>) -> Error {
    Error::Transport {
        operation: info.operation.id,
        kind: TransportErrorKind::of(&error),
        request_id: info.request_id,
        attempts: info.attempts,
        detail: error_chain(&error),
        source: Arc::new(error),
    }
}

/// An [`Error::Decode`]. serde quotes offending values in its messages, so the reason is scrubbed
/// like the body.
pub(crate) fn decode_error(
    status: StatusCode,
    reason: String,
    body: &[u8],
    info: &CallInfo<'_>,
) -> Error {
    Error::Decode {
        operation: info.operation.id,
        status,
        request_id: info.request_id,
        reason: scrub(&reason, &info.secrets),
        body_snippet: body_snippet(body, &info.secrets),
    }
}

/// An [`ApiError`] from an error status and its raw body. The envelope is read field by field (a
/// field of an unexpected type is dropped, not the whole envelope), and every string in it is
/// scrubbed after JSON unescaping, so an escaped secret cannot slip through either.
pub(crate) fn api_error(status: StatusCode, body: &[u8], info: &CallInfo<'_>) -> Error {
    let envelope = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .map(|mut value| {
            scrub_json(&mut value, &info.secrets);
            lenient_envelope(&value)
        });
    Error::Api(Box::new(ApiError {
        operation: info.operation.id,
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
