//! The mock's HTTP surface: every operation of the spec under `/api`, plus JSON 404/405
//! fallbacks, the `X-Request-ID` echo, the test controls (the answers a test sets with
//! [`MockState::respond`], a count of the requests of each operation), the faults a request asks
//! for (`faults.rs`), and the mock-only `GET /_mock/outbox`.
//!
//! The routes come from the operation table (`menu_client::operations`), so a new operation in
//! the spec is served with no line here: every request goes through the one order of checks of
//! `pipeline.rs`, then its operation's action (`actions.rs`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use menu_client::operation::{Managed, Operation};
use menu_client::operations;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use uuid::Uuid;

use crate::faults::Fault;
use crate::reply::{self, Failure};
use crate::state::MockState;
use crate::{actions, pipeline};

/// The mock-only path of the outbox (outside the API's base path `/api`).
pub const OUTBOX_PATH: &str = "/_mock/outbox";

/// A request body must arrive within this time (a slow client gets a 400).
pub const REQUEST_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
        .route(OUTBOX_PATH, get(outbox))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            (state.clone(), operations),
            controls,
        ))
        .with_state(state)
        .layer(RequestBodyTimeoutLayer::new(REQUEST_BODY_TIMEOUT))
        .layer(CatchPanicLayer::custom(|_| {
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal mock error").into_response()
        }))
        // Outermost, so that every response (a caught panic's too) echoes the request id.
        .layer(middleware::from_fn(echo_request_id))
}

/// The route of one operation: its request goes through the pipeline (`pipeline.rs`).
fn route(operation: &'static Operation) -> MethodRouter<Arc<MockState>> {
    let method = MethodFilter::try_from(
        Method::from_bytes(operation.method.as_bytes()).unwrap_or(Method::GET),
    )
    .unwrap_or(MethodFilter::GET);
    let route = on(
        method,
        move |State(state): State<Arc<MockState>>, request: Request| async move {
            match pipeline::check(&state, operation, request).await {
                Ok(checked) => actions::act(state, operation, checked).await,
                Err(failure) => failure.into_response(),
            }
        },
    );
    if operation.token.changes_tokens() && operation.method == "GET" {
        // axum answers HEAD with the GET handler unless told otherwise, which would change the
        // tokens and drop a new one with the body.
        let allow = operation.method;
        return route.head(move |method: Method, uri: Uri| async move {
            method_not_allowed(&method, &uri, allow)
        });
    }
    route
}

/// Counts the request for its operation, then answers with what a test set for the operation
/// ([`MockState::respond`]) or with the fault the request asked for (`faults.rs`), if any.
async fn controls(
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
    state.controls.count_request(operation.id);
    if let Some((status, body)) = state.controls.answer_for(operation.id) {
        return reply::json(status, &body);
    }
    let fault = match Fault::of(request.headers()) {
        Ok(Some(fault)) => fault,
        Ok(None) => return next.run(request).await,
        Err(failure) => return failure.into_response(),
    };
    let request_id = request_id(request.headers())
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    if !fault.applies_to(state.controls.attempt(request_id)) {
        return next.run(request).await;
    }
    fault.wait().await;
    match fault.answer(operation.success_status) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// `GET /_mock/outbox[?to=ADDRESS]`: the messages the mock sent (to that address), oldest first.
/// Outside the API's base path: no real API has it.
async fn outbox(
    State(state): State<Arc<MockState>>,
    Query(filter): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let messages = match filter.get("to") {
        Some(to) => state.messages_to(to),
        None => state.outbox(),
    };
    reply::json(StatusCode::OK, &messages)
}

/// Sends back the request's `X-Request-ID` (or a fresh one when it had none) on every response.
async fn echo_request_id(request: Request, next: Next) -> Response {
    let Some(name) = request_id_header() else {
        return next.run(request).await;
    };
    let id = request.headers().get(&name).cloned();
    let mut response = next.run(request).await;
    let id = id.or_else(|| HeaderValue::try_from(Uuid::new_v4().to_string()).ok());
    if let Some(id) = id {
        response.headers_mut().insert(name, id);
    }
    response
}

/// The request id header (the managed header `x-managed: request-id`), if the spec has one.
fn request_id_header() -> Option<HeaderName> {
    let header = operations::managed(Managed::RequestId)?;
    HeaderName::from_bytes(header.name.as_bytes()).ok()
}

/// The request's id, if it has one.
fn request_id(headers: &HeaderMap) -> Option<&HeaderValue> {
    headers.get(request_id_header()?)
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
