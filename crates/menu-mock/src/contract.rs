//! The stateless contract checks: what a request must look like to be a request of its operation,
//! read from the operation table alone, with no state (a validating proxy can run them as they
//! are). The managed headers (`MANAGED_HEADERS`) present once and of their kind; the bearer token
//! present and shaped as a JWT; the path, query and header parameters, and the body JSON (within
//! the size limit), by the operation model's one check (`Operation::check_params`,
//! `Body::verify`), which the `menu` command line runs before sending. The stateful checks (`checks.rs`) come between them, in the order of `pipeline.rs`.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts as _, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use menu_client::operation::{Location, Managed, Operation, Refusal, Subject};
use menu_client::operations::MANAGED_HEADERS;

use crate::reply::Failure;
use crate::tokens::TokenRejection;

/// The largest request body the mock reads.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;

/// The one value of a header, or a 400 when it is missing, repeated, empty or not text.
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, Failure> {
    let mut values = headers.get_all(name).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        let problem = if headers.contains_key(name) {
            "must be sent once"
        } else {
            "is required"
        };
        return Err(Failure::invalid_field(
            name,
            format!("The {name} header {problem}."),
        ));
    };
    match value.to_str().map(str::trim) {
        Ok(text) if !text.is_empty() => Ok(text),
        Ok(_) => Err(Failure::invalid_field(
            name,
            format!("The {name} header must be non-empty text."),
        )),
        Err(_) => Err(Failure::invalid_field(
            name,
            format!("The {name} header must be visible ASCII text."),
        )),
    }
}

/// The managed headers every operation carries, each once and of its kind (a 400 otherwise);
/// the application key, for the check that it is known.
pub(crate) fn managed_headers(headers: &HeaderMap) -> Result<Option<&str>, Failure> {
    let mut application = None;
    for managed in MANAGED_HEADERS {
        let value = single_header(headers, managed.name)?;
        if !managed.kind.accepts(value) {
            return Err(Failure::invalid_field(
                managed.name,
                format!(
                    "The {} header must be {}.",
                    managed.name,
                    managed.kind.describe()
                ),
            ));
        }
        if managed.value == Managed::Application {
            application = Some(value);
        }
    }
    Ok(application)
}

/// The bearer token of the one `Authorization` header, shaped as a JWT (three base64url
/// segments); a 401 otherwise.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, Failure> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(Failure::unauthorized(
            if headers.contains_key(header::AUTHORIZATION) {
                "Send exactly one Authorization header.".to_owned()
            } else {
                TokenRejection::Missing.to_string()
            },
        ));
    };
    let jwt = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, jwt)| jwt.trim())
        .filter(|jwt| !jwt.is_empty())
        .ok_or_else(|| Failure::unauthorized(TokenRejection::Missing.to_string()))?;
    if !is_jwt_shaped(jwt) {
        return Err(Failure::unauthorized(TokenRejection::Invalid.to_string()));
    }
    Ok(jwt)
}

/// Three segments of base64url (the signature's may be empty), as a compact JWT is.
fn is_jwt_shaped(jwt: &str) -> bool {
    let base64url = |segment: &str| {
        segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let segments: Vec<&str> = jwt.split('.').collect();
    matches!(segments.as_slice(), [header, payload, signature]
        if !header.is_empty() && !payload.is_empty()
            && base64url(header) && base64url(payload) && base64url(signature))
}

/// The path, query and header parameters of `operation`: the required ones present, each of its
/// kind (a 400 otherwise). The path's values, by name.
pub(crate) async fn parameters(
    operation: &Operation,
    parts: &mut Parts,
) -> Result<HashMap<String, String>, Failure> {
    let path = match Path::<HashMap<String, String>>::from_request_parts(parts, &()).await {
        Ok(Path(values)) => values,
        // Not UTF-8 once percent-decoded: no parameter can be of its kind.
        Err(_) => {
            let first = operation
                .params
                .iter()
                .find(|p| p.location == Location::Path);
            return Err(match first {
                Some(param) => refused(Refusal::Invalid(Subject::Param(*param))),
                None => Failure::bad_request("The path cannot be read."),
            });
        }
    };
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(pairs)| pairs)
        .map_err(|_| Failure::bad_request("The query string cannot be read."))?;
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"))
    };
    // The model's one check, which the `menu` command line runs before sending.
    operation
        .check_params(|param| match param.location {
            Location::Path => path.get(param.name).map(String::as_str),
            Location::Query => query
                .iter()
                .find(|(name, _)| name == param.name)
                .map(|(_, value)| value.as_str()),
            Location::Header => header(param.name),
            // A place this mock cannot read: the parameter is absent.
            _ => None,
        })
        .map_err(refused)?;
    Ok(path)
}

/// A 400 saying what the model's check refused, about the parameter or field at fault.
fn refused(refusal: Refusal) -> Failure {
    let message = format!("The {refusal}.");
    match refusal.subject() {
        Some(subject) => Failure::invalid_field(subject.name(), message),
        None => Failure::bad_request(message),
    }
}

/// The body against its schema; the body as JSON when there is one.
pub(crate) async fn body(
    headers: &HeaderMap,
    body: Body,
    schema: &menu_client::operation::Body,
) -> Result<Option<serde_json::Value>, Failure> {
    let absent = !headers.contains_key(header::CONTENT_TYPE)
        && headers
            .get(header::CONTENT_LENGTH)
            .is_none_or(|length| length == "0");
    match (absent, schema.required) {
        (true, false) => return Ok(None),
        (true, true) => return Err(Failure::bad_request("The request body is required.")),
        _ => {}
    }
    let bytes = json_body(headers, body).await?;
    if bytes.is_empty() && !schema.required {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::bad_request(format!("The request body is not valid JSON: {e}.")))?;
    // The model's one check (shape, fields, the generated type), which the `menu` command line
    // runs before sending: formats, lengths, patterns, bounds, no `null`.
    schema.verify(&value).map_err(refused)?;
    Ok(Some(value))
}

/// The request body, which must be JSON (`Content-Type: application/json`) and at most
/// [`MAX_REQUEST_BODY_BYTES`]; a 400 otherwise.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Failure> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(Failure::invalid_field(
            "Content-Type",
            "The request body must be sent as Content-Type: application/json.",
        ));
    }
    axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES)
        .await
        .map_err(|_| {
            Failure::bad_request(format!(
                "The request body is larger than {} KiB (or broke off).",
                MAX_REQUEST_BODY_BYTES / 1024
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The headers of a valid request, with `authorization` if any.
    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("X-Request-ID", "6735e303-50a1-4887-9b11-915a6919cc66"),
            ("Application", "any-key"),
            ("API-Version", "5.0.0"),
            ("X-QB-Enabled", "true"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn headers_and_bearer_are_checked_without_state() {
        // Any application key has the right shape: whether it is known is a stateful check.
        assert_eq!(managed_headers(&headers(None)).unwrap(), Some("any-key"));
        let mut bad = headers(None);
        bad.insert("X-QB-Enabled", HeaderValue::from_static("yes"));
        assert_eq!(managed_headers(&bad).unwrap_err().status, 400);

        // Shaped as a JWT: accepted here, whoever signed it.
        let shaped = headers(Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"));
        assert_eq!(
            bearer_token(&shaped).unwrap(),
            "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"
        );
        for (authorization, message) in [
            (None, "Token not provided"),
            (Some("Basic dXNlcjpwYXNz"), "Token not provided"),
            (Some("Bearer not-a-jwt"), "Token is invalid"),
            (Some("Bearer a.b.c.d"), "Token is invalid"),
            (Some("Bearer a..c"), "Token is invalid"),
            (Some("Bearer a.b+/.c"), "Token is invalid"),
        ] {
            let failure = bearer_token(&headers(authorization)).unwrap_err();
            assert_eq!(failure.status, 401, "{authorization:?}");
            assert_eq!(failure.message, message, "{authorization:?}");
        }
    }
}
