//! The mock's HTTP surface: both operations under `/api`, validated the way the API documents it,
//! plus JSON 404/405 fallbacks and the `X-Request-ID` echo.
//!
//! Every request is checked in this order, and the first problem answers:
//! 1. the header parameters (`X-Request-ID` a UUID, `Application` present and known, `API-Version`
//!    present, `X-QB-Enabled` `true`/`false`; each at most once) -> 400, or 401 for an unknown
//!    application;
//! 2. the path's `customer_id` is a UUID -> 400;
//! 3. the bearer token: present, ours, not expired (refresh: inside its refresh window), not
//!    invalidated by a refresh -> 401;
//! 4. the body (verify): `Content-Type: application/json`, at most 64 KiB, a JSON object with a
//!    string `confirmation_code` -> 400;
//! 5. the customer: unknown -> 404; not the token's customer -> 403;
//! 6. the operation itself: no pending change or a wrong code -> 400.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on, post};
use chrono::Utc;
use menu_client::Token;
use menu_client::types::CustomerAccount;
use serde::Serialize;
use serde_json::value::RawValue;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use uuid::Uuid;

use crate::reply::{Failure, ok};
use crate::state::{MockState, VerifyOutcome};
use crate::tokens::{TokenRejection, TokenSubject};

/// The largest request body the mock reads.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;
/// A request body must arrive within this time (a slow client gets a 400).
pub const REQUEST_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const VERIFY_PATH: &str = "/api/customers/{customer_id}/verify-phone-number-update";
const REFRESH_PATH: &str = "/api/customers/refresh";

pub(crate) fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .route(VERIFY_PATH, post(verify).fallback(method_not_allowed))
        // GET only: axum answers HEAD with the GET handler unless told otherwise, which would
        // rotate the token and drop the new one with the body.
        .route(
            REFRESH_PATH,
            on(MethodFilter::GET, refresh)
                .head(method_not_allowed)
                .fallback(method_not_allowed),
        )
        .fallback(not_found)
        .with_state(state)
        .layer(RequestBodyTimeoutLayer::new(REQUEST_BODY_TIMEOUT))
        .layer(CatchPanicLayer::custom(|_| {
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal mock error").into_response()
        }))
        // Outermost, so that every response (a caught panic's too) echoes the request id.
        .layer(middleware::from_fn(echo_request_id))
}

/// Sends back the request's `X-Request-ID` (or a fresh one when it had none) on every response.
async fn echo_request_id(request: Request, next: Next) -> Response {
    let id = request.headers().get(&X_REQUEST_ID).cloned();
    let mut response = next.run(request).await;
    let id = id.or_else(|| HeaderValue::try_from(Uuid::new_v4().to_string()).ok());
    if let Some(id) = id {
        response.headers_mut().insert(X_REQUEST_ID, id);
    }
    response
}

async fn not_found(uri: Uri) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        format!("No route matches {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allow = if uri.path().ends_with("/refresh") {
        "GET"
    } else {
        "POST"
    };
    let mut response = Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}; use {allow}", uri.path()),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// `POST /api/customers/{customer_id}/verify-phone-number-update`
async fn verify(
    State(state): State<Arc<MockState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    state.counters().count_verify();
    check_header_parameters(&state, &headers)?;
    let customer_id = path
        .ok()
        .and_then(|Path(raw)| strict_uuid(&raw))
        .ok_or_else(|| Failure::invalid_field("customer_id", "The customer id must be a UUID."))?;
    let subject = authenticate(&state, &headers, false)?;
    let code = confirmation_code(&headers, body).await?;
    state.with(|tx| {
        tx.check_not_revoked(&subject)?;
        if !tx.customer_exists(customer_id) {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("Customer {customer_id} not found."),
            ));
        }
        if subject.customer_id != customer_id {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                format!("This token does not belong to customer {customer_id}."),
            ));
        }
        match tx.verify_phone_change(customer_id, &code) {
            VerifyOutcome::Confirmed(account) => Ok(ok(&AccountData {
                customer_account: &account,
            })),
            VerifyOutcome::UnknownCustomer => Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("Customer {customer_id} not found."),
            )),
            VerifyOutcome::NoPendingChange => Err(Failure::bad_request(
                "There is no pending phone number change to verify.",
            )),
            VerifyOutcome::WrongCode => Err(Failure::invalid_field(
                "confirmation_code",
                "The confirmation code is invalid.",
            )),
        }
    })
}

/// `GET /api/customers/refresh`
async fn refresh(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    state.counters().count_refresh();
    check_header_parameters(&state, &headers)?;
    let subject = authenticate(&state, &headers, true)?;
    let customer_id = subject.customer_id;
    let (account, successor) = state.with(|tx| {
        tx.check_not_revoked(&subject)?;
        let Some(account) = tx.account_json(customer_id) else {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("Customer {customer_id} not found."),
            ));
        };
        Ok((account, tx.revoke_for_rotation(subject)))
    })?;
    // Signed outside the state's lock; the old token is already invalid.
    let token = state.tokens().issue(customer_id, successor);
    if let Ok(old) = bearer_token(&headers) {
        state.tokens().forget(old);
    }
    Ok(ok(&SessionData {
        customer_account: &account,
        token: &token,
    }))
}

/// The refresh payload.
#[derive(Serialize)]
struct SessionData<'a> {
    customer_account: &'a RawValue,
    token: &'a Token,
}

/// The verify payload.
#[derive(Serialize)]
struct AccountData<'a> {
    customer_account: &'a CustomerAccount,
}

/// A UUID in its canonical hyphenated form (as `format: uuid` means), nothing laxer.
fn strict_uuid(text: &str) -> Option<Uuid> {
    let hyphens_at = [8, 13, 18, 23];
    let shaped = text.len() == 36
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| hyphens_at.contains(&i) == (b == b'-'));
    shaped.then(|| text.parse().ok()).flatten()
}

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

fn check_header_parameters(state: &MockState, headers: &HeaderMap) -> Result<(), Failure> {
    let request_id = single_header(headers, "X-Request-ID")?;
    if strict_uuid(request_id).is_none() {
        return Err(Failure::invalid_field(
            "X-Request-ID",
            "The X-Request-ID header must be a UUID.",
        ));
    }
    let application = single_header(headers, "Application")?;
    single_header(headers, "API-Version")?;
    let query_builder = single_header(headers, "X-QB-Enabled")?;
    if !matches!(query_builder, "true" | "false") {
        return Err(Failure::invalid_field(
            "X-QB-Enabled",
            "The X-QB-Enabled header must be `true` or `false`.",
        ));
    }
    if !state.knows_application(application) {
        return Err(Failure::unauthorized("Unknown application."));
    }
    Ok(())
}

/// The customer a valid bearer token names (a 401 otherwise).
fn authenticate(
    state: &MockState,
    headers: &HeaderMap,
    for_refresh: bool,
) -> Result<TokenSubject, Failure> {
    let jwt = bearer_token(headers)?;
    state
        .tokens()
        .check(jwt, for_refresh, Utc::now())
        .map_err(|rejection| Failure::unauthorized(rejection.to_string()))
}

/// The bearer token of the one `Authorization` header (a 401 otherwise).
fn bearer_token(headers: &HeaderMap) -> Result<&str, Failure> {
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

/// The verify body's `confirmation_code`.
async fn confirmation_code(headers: &HeaderMap, body: Body) -> Result<String, Failure> {
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
    let bytes = axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES)
        .await
        .map_err(|_| {
            Failure::bad_request(format!(
                "The request body is larger than {} KiB (or broke off).",
                MAX_REQUEST_BODY_BYTES / 1024
            ))
        })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::bad_request(format!("The request body is not valid JSON: {e}.")))?;
    match value.get("confirmation_code") {
        Some(serde_json::Value::String(code)) => Ok(code.clone()),
        Some(_) => Err(Failure::invalid_field(
            "confirmation_code",
            "The confirmation code must be a string.",
        )),
        None => Err(Failure::invalid_field(
            "confirmation_code",
            "The confirmation code is required.",
        )),
    }
}
