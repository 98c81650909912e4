//! The pipeline's state machine, driven by fake attempts (no server): the generated operation is
//! replaced by a closure that answers what each test scripts. On paused time, so that retry
//! backoffs take no time.

#![allow(
    clippy::result_large_err,
    reason = "the scripted outcomes have the generated client's own error type"
)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use menu_client::operation::{Auth, TokenEffect};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::*;
use crate::Client;

type Outcome = Result<ResponseValue<()>, menu_client::Error<()>>;

/// An operation of the given shape (the pipeline reads nothing else of it).
const fn operation(
    id: &'static str,
    method: &'static str,
    auth: Auth,
    token: TokenEffect,
) -> Operation {
    Operation {
        id,
        tag: None,
        method,
        path: "/things",
        auth,
        token,
        idempotent: matches!(method.as_bytes(), b"PUT"),
        success_status: 200,
        summary: "",
        description: "",
        params: &[],
        body: None,
        example: None,
        confirm: None,
        unwraps: None,
    }
}

/// Takes the customer token when there is one.
static OPTIONAL: Operation = operation("look", "POST", Auth::Optional, TokenEffect::None);
/// Needs the customer token; idempotent.
static CUSTOMER: Operation = operation("put_thing", "PUT", Auth::Customer, TokenEffect::None);
/// Rotates the token.
static ROTATING: Operation = operation("rotate", "GET", Auth::Customer, TokenEffect::Rotates);

fn client() -> Client {
    Client::builder()
        .base_url("http://127.0.0.1:9/api")
        .application_key("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
        .token("first.token.value")
        .build()
        .unwrap()
}

fn ok() -> Outcome {
    Ok(ResponseValue::new((), StatusCode::OK, HeaderMap::new()))
}

fn status(code: u16, message: &str) -> Outcome {
    let body = format!(r#"{{"status":"ERROR","code":{code},"message":"{message}"}}"#);
    let response = http::Response::builder().status(code).body(body).unwrap();
    Err(menu_client::Error::UnexpectedResponse(
        reqwest::Response::from(response),
    ))
}

/// Sends `operation` with `client`, answering each attempt with the next of `script` (and
/// running `during`, if any, while the first attempt is in flight); the outcome and the attempts
/// made.
async fn run(
    client: &Client,
    operation: &'static Operation,
    script: Vec<Outcome>,
    during: impl Fn() + Sync,
) -> (Result<(), Error>, usize) {
    let script = Mutex::new(script.into_iter());
    let made = AtomicUsize::new(0);
    let attempt = |_client: menu_client::Client| {
        if made.fetch_add(1, Ordering::SeqCst) == 0 {
            during();
        }
        let next = script.lock().unwrap().next().expect("an attempt too many");
        async move { next }
    };
    let call = client.call();
    let sending = call.sending(operation).unwrap();
    let outcome = call.send_once(operation, &sending, &attempt).await;
    (outcome, made.load(Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn an_optional_token_the_server_refuses_is_dropped_once() {
    let client = client();
    let script = vec![status(401, "Unauthenticated."), ok()];
    let (outcome, made) = run(&client, &OPTIONAL, script, || {}).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(made, 2);
}

#[tokio::test(start_paused = true)]
async fn a_401_for_another_reason_than_expiry_stands() {
    let client = client();
    let script = vec![status(401, "Unauthenticated.")];
    let (outcome, made) = run(&client, &CUSTOMER, script, || {}).await;
    let status = outcome.unwrap_err().api_error().map(|api| api.status);
    assert_eq!((status, made), (Some(StatusCode::UNAUTHORIZED), 1));
}

#[tokio::test(start_paused = true)]
async fn a_401_to_a_token_replaced_meanwhile_is_retried_with_the_new_one() {
    let client = client();
    let script = vec![status(401, "Unauthenticated."), ok()];
    let replace = || client.set_token("second.token.value").unwrap();
    let (outcome, made) = run(&client, &CUSTOMER, script, replace).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(made, 2);
}

#[tokio::test(start_paused = true)]
async fn a_401_after_a_logout_stands() {
    let client = client();
    let script = vec![status(401, "Token has expired.")];
    let logout = || client.clear_token();
    let (outcome, made) = run(&client, &CUSTOMER, script, logout).await;
    assert!(outcome.is_err());
    assert_eq!(made, 1);
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_call_is_retried_on_503_without_waiting_in_real_time() {
    let client = client();
    let started = std::time::Instant::now();
    let script = vec![status(503, "Down."), status(503, "Down."), ok()];
    let (outcome, made) = run(&client, &CUSTOMER, script, || {}).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(made, 3);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn without_a_token_a_customer_call_sends_nothing() {
    let client = client();
    client.clear_token();
    let (outcome, made) = run(&client, &CUSTOMER, vec![], || {}).await;
    assert!(
        matches!(outcome, Err(Error::MissingToken { .. })),
        "{outcome:?}"
    );
    assert_eq!(made, 0);
}

/// The re-entry guard: the rotating operation never goes through a call's pipeline (the token
/// module sends it), so automatic refresh cannot recurse into it.
#[cfg(debug_assertions)]
#[tokio::test]
#[should_panic(expected = "never enters a call's pipeline")]
async fn the_rotation_cannot_enter_the_pipeline() {
    let client = client();
    let _ = run(&client, &ROTATING, vec![ok()], || {}).await;
}

/// The names `menu_sdk::trace` exports are those the SDK's span and retry events carry (a
/// subscriber that reads them, such as the CLI's `-v`, depends on it).
#[tokio::test(start_paused = true)]
async fn the_traced_names_are_the_exported_ones() {
    use std::sync::Arc;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[derive(Clone, Default)]
    struct Names(Arc<Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Names {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            let mut names = self.0.lock().unwrap();
            names.push(attrs.metadata().name().to_owned());
            names.extend(
                attrs
                    .metadata()
                    .fields()
                    .iter()
                    .map(|f| f.name().to_owned()),
            );
        }
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            let fields = event
                .metadata()
                .fields()
                .iter()
                .map(|f| f.name().to_owned());
            self.0.lock().unwrap().extend(fields);
        }
    }
    let names = Names::default();
    let _default =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(names.clone()));
    let client = client();
    let script = vec![status(503, "Down."), ok()];
    let (outcome, _) = run(&client, &CUSTOMER, script, || {}).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let seen = names.0.lock().unwrap().clone();
    for name in [
        crate::trace::SPAN,
        crate::trace::OPERATION,
        crate::trace::REQUEST_ID,
        crate::trace::STATUS,
        crate::trace::ATTEMPTS,
        crate::trace::DURATION_MS,
        crate::trace::REASON,
        crate::trace::WAIT_MS,
    ] {
        assert!(
            seen.iter().any(|seen| seen == name),
            "{name} not in {seen:?}"
        );
    }
}
