//! The checks every request goes through, whichever operation it is for (in the order of
//! `pipeline.rs`): the header parameters, the bearer token, the JSON body. A UUID is checked
//! by the operation table's rule (`Kind::Uuid`, canonical hyphenated form), as every parameter.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use chrono::Utc;
use menu_client::operation::Managed;
use menu_client::operations::MANAGED_HEADERS;

use crate::reply::Failure;
use crate::state::MockState;
use crate::tokens::{TokenRejection, TokenSubject};

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

pub(crate) fn check_header_parameters(
    state: &MockState,
    headers: &HeaderMap,
) -> Result<(), Failure> {
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
    if application.is_some_and(|key| !state.knows_application(key)) {
        return Err(Failure::unauthorized("Unknown application."));
    }
    Ok(())
}

/// The customer a valid bearer token names, and the token (a 401 otherwise).
pub(crate) fn authenticate(
    state: &MockState,
    headers: &HeaderMap,
    for_refresh: bool,
) -> Result<(TokenSubject, String), Failure> {
    let jwt = bearer_token(headers)?;
    let subject = state
        .tokens()
        .check(jwt, for_refresh, Utc::now())
        .map_err(|rejection| Failure::unauthorized(rejection.to_string()))?;
    Ok((subject, jwt.to_owned()))
}

/// The bearer token of the one `Authorization` header (a 401 otherwise).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, Failure> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(Failure::unauthorized(
            if headers.contains_key(header::AUTHORIZATION) {
                "Send exactly one Authorization header."
            } else {
                "Token not provided"
            },
        ));
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, jwt)| jwt.trim())
        .filter(|jwt| !jwt.is_empty())
        .ok_or_else(|| Failure::unauthorized(TokenRejection::Missing.to_string()))
}

/// The request body, which must be JSON (`Content-Type: application/json`) and at most
/// [`MAX_REQUEST_BODY_BYTES`]; a 400 otherwise.
pub(crate) async fn json_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Failure> {
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
