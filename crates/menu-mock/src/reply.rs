//! The mock's responses: the success envelope and the JSON error envelope, always
//! `application/json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// `{"status":"OK","code":200,"data":...}` with status 200.
pub(crate) fn ok(data: impl Serialize) -> Response {
    #[derive(Serialize)]
    struct Envelope<T> {
        status: &'static str,
        code: u16,
        data: T,
    }
    json(
        StatusCode::OK,
        &Envelope {
            status: "OK",
            code: 200,
            data,
        },
    )
}

/// `{"status":"OK","code":200}`: a success without `data`.
pub(crate) fn envelope_only() -> Response {
    raw_json(StatusCode::OK, r#"{"status":"OK","code":200}"#)
}

/// An error: `{"status":"ERROR","code":N,"message":"..."}` (plus `errors` for field problems).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) errors: Option<serde_json::Value>,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A 400 about one field (`{"errors": {"field": ["message"]}}`, as Laravel validation does).
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            errors: Some(json!({ field: [message.clone()] })),
            message,
        }
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct ErrorEnvelope<'a> {
            status: &'static str,
            code: u16,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            errors: Option<&'a serde_json::Value>,
        }
        json(
            self.status,
            &ErrorEnvelope {
                status: "ERROR",
                code: self.status.as_u16(),
                message: &self.message,
                errors: self.errors.as_ref(),
            },
        )
    }
}

/// A JSON text as it is, with `status`.
pub(crate) fn raw_json(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `body` as JSON with `status`.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
