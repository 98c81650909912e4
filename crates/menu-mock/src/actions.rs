//! What each operation does once its request passed the checks (`pipeline.rs`): the stateful
//! handlers of the customer's lifecycle, by operation (this is the mock's meaning, so it names
//! operations), the rotation of the operation the spec marks `x-token: rotates`, and, for any
//! other operation, its documented example.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use menu_client::operation::Operation;
use menu_client::types::{
    CustomerAccountPayload, CustomerAccountUpdate, EmailCheck, EmailRequest, RegisterRequest,
    Session, VerifyEmailUpdateRequest, VerifyPhoneNumberUpdateRequest,
};
use serde::de::DeserializeOwned;

use crate::domain::Step;
use crate::pipeline::Checked;
use crate::reply::{self, Failure, ok};
use crate::state::MockState;
use crate::tokens::{TokenRejection, TokenSpec};

/// The action of `operation` for a checked request.
pub(crate) async fn act(
    state: Arc<MockState>,
    operation: &'static Operation,
    checked: Checked,
) -> Response {
    let outcome = if operation.token.refreshes() {
        rotate(state, checked).await
    } else {
        match operation.id {
            "check_email" => check_email(&state, checked),
            "passwordless_request" => passwordless_request(state, checked).await,
            "register" => register(state, checked).await,
            "update_customer_account" => update(state, operation, checked).await,
            "verify_email_update" => verify_email(state, operation, checked).await,
            "verify_phone_number_update" => verify_phone(state, operation, checked).await,
            "delete_customer_account" => delete(state, operation, checked).await,
            _ => Ok(example(operation)),
        }
    };
    outcome.unwrap_or_else(IntoResponse::into_response)
}

/// Runs a step of the domain that may change the state: on tokio's blocking threads when the
/// state is saved to a database (the step waits for its commit).
async fn step<R: Send + 'static>(
    state: &Arc<MockState>,
    f: impl FnOnce(&mut Step<'_>) -> R + Send + 'static,
) -> Result<R, Failure> {
    if !state.is_durable() {
        return Ok(state.step(f)?);
    }
    let state = state.clone();
    match tokio::task::spawn_blocking(move || state.step(f)).await {
        Ok(result) => Ok(result?),
        // The router's panic layer answers it, as for a panic on the worker.
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The mock is stopping.",
            )),
        },
    }
}

/// The body, as its generated type (the pipeline checked it already).
fn body<T: DeserializeOwned>(checked: &Checked) -> Result<T, Failure> {
    let value = checked.body.clone().unwrap_or(serde_json::Value::Null);
    serde_json::from_value(value)
        .map_err(|e| Failure::bad_request(format!("The request body is invalid: {e}.")))
}

/// The customer the path names (the pipeline checked that it is the token's); a 500 when the
/// spec marks no path parameter of `operation` with `x-customer`.
fn customer(operation: &Operation, checked: &Checked) -> Result<uuid::Uuid, Failure> {
    checked.customer.ok_or_else(|| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "The spec names no customer in the path of {} (no parameter marked x-customer).",
                operation.id
            ),
        )
    })
}

/// An answer with the customer's account.
fn account(customer_account: menu_client::types::CustomerAccount) -> Response {
    ok(&CustomerAccountPayload { customer_account })
}

fn check_email(state: &MockState, checked: Checked) -> Result<Response, Failure> {
    let request: EmailRequest = body(&checked)?;
    let exists = state.has_account(&request.email);
    Ok(ok(&EmailCheck {
        exists,
        is_social: false,
        provider: None,
    }))
}

async fn passwordless_request(
    state: Arc<MockState>,
    checked: Checked,
) -> Result<Response, Failure> {
    let request: EmailRequest = body(&checked)?;
    step(&state, move |step| step.send_passcode(&request.email)).await?;
    Ok(reply::envelope_only())
}

async fn register(state: Arc<MockState>, checked: Checked) -> Result<Response, Failure> {
    let request: RegisterRequest = body(&checked)?;
    let customer_account = step(&state, move |step| {
        step.register(
            &request.passwordless_email,
            request.passwordless_code.as_str(),
            request.first_name.as_deref().unwrap_or_default(),
            request.last_name.as_deref().unwrap_or_default(),
        )
    })
    .await??;
    let token = state.tokens().issue(customer_account.id, TokenSpec::now());
    Ok(ok(&Session {
        customer_account,
        token,
    }))
}

async fn update(
    state: Arc<MockState>,
    operation: &Operation,
    checked: Checked,
) -> Result<Response, Failure> {
    let update: CustomerAccountUpdate = body(&checked)?;
    let id = customer(operation, &checked)?;
    Ok(account(
        step(&state, move |step| step.update(id, &update)).await??,
    ))
}

async fn verify_email(
    state: Arc<MockState>,
    operation: &Operation,
    checked: Checked,
) -> Result<Response, Failure> {
    let request: VerifyEmailUpdateRequest = body(&checked)?;
    let id = customer(operation, &checked)?;
    let code = request.confirmation_code;
    Ok(account(
        step(&state, move |step| step.verify_email(id, code.as_str())).await??,
    ))
}

async fn verify_phone(
    state: Arc<MockState>,
    operation: &Operation,
    checked: Checked,
) -> Result<Response, Failure> {
    let request: VerifyPhoneNumberUpdateRequest = body(&checked)?;
    let id = customer(operation, &checked)?;
    let code = request.confirmation_code;
    Ok(account(
        step(&state, move |step| step.verify_phone(id, code.as_str())).await??,
    ))
}

async fn delete(
    state: Arc<MockState>,
    operation: &Operation,
    checked: Checked,
) -> Result<Response, Failure> {
    let id = customer(operation, &checked)?;
    step(&state, move |step| step.delete(id)).await??;
    Ok(reply::envelope_only())
}

/// The rotation: the token the request carried is invalidated, and a new one issued with the same
/// lifetimes.
async fn rotate(state: Arc<MockState>, checked: Checked) -> Result<Response, Failure> {
    let subject = checked
        .subject
        .ok_or_else(|| Failure::unauthorized(TokenRejection::Missing.to_string()))?;
    let customer_id = subject.customer_id;
    let (customer_account, successor) = step(&state, move |step| step.rotate(subject)).await??;
    // Signed outside the state's lock; the old token is already invalid.
    let token = state.tokens().issue(customer_id, successor);
    if let Some(old) = &checked.bearer {
        state.tokens().forget(old);
    }
    Ok(ok(&Session {
        customer_account,
        token,
    }))
}

/// The documented success: the example, or no body.
fn example(operation: &'static Operation) -> Response {
    let status = StatusCode::from_u16(operation.success_status).unwrap_or(StatusCode::OK);
    match operation.example {
        Some(example) => reply::raw_json(status, example),
        None if status == StatusCode::NO_CONTENT || status == StatusCode::ACCEPTED => {
            status.into_response()
        }
        None => Failure::new(
            StatusCode::NOT_IMPLEMENTED,
            format!(
                "The spec documents no example of a {} answer to {}: the mock has nothing to \
                 answer with.",
                operation.success_status, operation.id
            ),
        )
        .into_response(),
    }
}
