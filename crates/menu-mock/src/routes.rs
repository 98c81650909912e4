//! The mock's HTTP surface: every operation of the spec under `/api`, plus JSON 404/405
//! fallbacks, the `X-Request-ID` echo, the answers a test sets ([`MockState::respond`]) and a
//! count of the requests of each operation.
//!
//! The routes come from the operation table (`menu_client::operations`), so a new operation in
//! the spec is served with no line here: by a stateful handler when it has one (below:
//! `verify_phone_number_update`, `refresh`), otherwise from the spec (`generic.rs`).
//!
//! Every request of a stateful handler is checked in this order, and the first problem answers:
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
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use menu_client::Token;
use menu_client::operation::Operation;
use menu_client::types::CustomerAccount;
use serde::Serialize;
use serde_json::value::RawValue;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use uuid::Uuid;

use crate::checks::{authenticate, bearer_token, check_header_parameters, json_body, strict_uuid};
use crate::generic;
use crate::reply::{self, Failure, ok};
use crate::state::{MockState, VerifyOutcome};

/// A request body must arrive within this time (a slow client gets a 400).
pub const REQUEST_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router of `operations`, on `state`.
pub(crate) fn router(state: Arc<MockState>, operations: &'static [&'static Operation]) -> Router {
    let mut paths: Vec<(&str, Vec<&'static Operation>)> = Vec::new();
    for &operation in operations {
        match paths.iter_mut().find(|(path, _)| *path == operation.path) {
            Some((_, ops)) => ops.push(operation),
            None => paths.push((operation.path, vec![operation])),
        }
    }
    let mut router = Router::new();
    for (path, ops) in paths {
        let allow: Vec<&'static str> = ops.iter().map(|op| op.method).collect();
        let mut methods = MethodRouter::new();
        for operation in ops {
            methods = methods.merge(route(operation));
        }
        let methods = methods.fallback(move |method: Method, uri: Uri| async move {
            method_not_allowed(&method, &uri, &allow.join(", "))
        });
        router = router.route(&format!("/api{path}"), methods);
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            (state.clone(), operations),
            answer_set_by_test,
        ))
        .with_state(state)
        .layer(RequestBodyTimeoutLayer::new(REQUEST_BODY_TIMEOUT))
        .layer(CatchPanicLayer::custom(|_| {
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal mock error").into_response()
        }))
        // Outermost, so that every response (a caught panic's too) echoes the request id.
        .layer(middleware::from_fn(echo_request_id))
}

/// The route of one operation: its stateful handler, or its answer from the spec.
fn route(operation: &'static Operation) -> MethodRouter<Arc<MockState>> {
    let method = MethodFilter::try_from(
        Method::from_bytes(operation.method.as_bytes()).unwrap_or(Method::GET),
    )
    .unwrap_or(MethodFilter::GET);
    match operation.id {
        "verify_phone_number_update" => on(method, verify),
        // GET only: axum answers HEAD with the GET handler unless told otherwise, which would
        // rotate the token and drop the new one with the body.
        "refresh" => on(method, refresh).head(|method: Method, uri: Uri| async move {
            method_not_allowed(&method, &uri, "GET")
        }),
        _ => on(
            method,
            move |State(state): State<Arc<MockState>>, request: Request| {
                generic::answer(state, operation, request)
            },
        ),
    }
}

/// Counts the request for its operation, and answers with what a test set for the operation
/// ([`MockState::respond`]), if anything.
async fn answer_set_by_test(
    State((state, operations)): State<(Arc<MockState>, &'static [&'static Operation])>,
    request: Request,
    next: Next,
) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| path.as_str().strip_prefix("/api").map(str::to_owned));
    // HEAD is answered by the GET handler: it is counted and answered as a GET.
    let method = match request.method() {
        &Method::HEAD => "GET",
        other => other.as_str(),
    };
    let operation = operations
        .iter()
        .find(|op| matched.as_deref() == Some(op.path) && method == op.method);
    let Some(operation) = operation else {
        return next.run(request).await;
    };
    state.count_request(operation.id);
    match state.answer_for(operation.id) {
        Some((status, body)) => reply::json(status, &body),
        None => next.run(request).await,
    }
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

fn method_not_allowed(method: &Method, uri: &Uri, allow: &str) -> Response {
    let mut response = Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}; use {allow}", uri.path()),
    )
    .into_response();
    if let Ok(allow) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// `POST /api/customers/{customer_id}/verify-phone-number-update`
async fn verify(
    State(state): State<Arc<MockState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
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

/// The verify body's `confirmation_code`.
async fn confirmation_code(headers: &HeaderMap, body: Body) -> Result<String, Failure> {
    let bytes = json_body(headers, body).await?;
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
