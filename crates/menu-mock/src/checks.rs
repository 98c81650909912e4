//! The stateful checks of a request: those that need the mock's state ([`MockState`]), in the
//! order of `pipeline.rs`, between the stateless contract checks (`contract.rs`). The application
//! key is one the mock knows; the bearer token is one it signed, in its times (an expired one
//! inside its refresh window, for the rotation), not invalidated by a refresh, its customer still
//! there; the customer the path names exists, and is the token's.

use axum::http::StatusCode;
use chrono::Utc;
use uuid::Uuid;

use crate::domain::DomainError;
use crate::reply::Failure;
use crate::state::MockState;
use crate::tokens::TokenSubject;

/// The state is one the mock can answer from: not one that could be neither saved nor restored
/// ([`crate::StateError::Diverged`]); a 500 otherwise.
pub(crate) fn state_usable(state: &MockState) -> Result<(), Failure> {
    match state.has_diverged() {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

/// The application key (if the spec has the header) is one the mock accepts; a 401 otherwise.
pub(crate) fn known_application(state: &MockState, key: Option<&str>) -> Result<(), Failure> {
    if key.is_some_and(|key| !state.knows_application(key)) {
        return Err(Failure::unauthorized("Unknown application."));
    }
    Ok(())
}

/// The customer a valid bearer token names (a 401 otherwise). `for_refresh` accepts an expired
/// token inside its refresh window.
pub(crate) fn authenticate(
    state: &MockState,
    jwt: &str,
    for_refresh: bool,
) -> Result<TokenSubject, Failure> {
    let subject = state
        .tokens()
        .check(jwt, for_refresh, Utc::now())
        .map_err(|rejection| Failure::unauthorized(rejection.to_string()))?;
    state.check_subject(&subject)?;
    Ok(subject)
}

/// The customer of the path exists (a 404 otherwise), and is the token's (a 403 otherwise).
pub(crate) fn customer_matches(
    state: &MockState,
    subject: Uuid,
    customer: Uuid,
) -> Result<(), Failure> {
    if !state.has_customer(customer) {
        return Err(DomainError::UnknownCustomer(customer).into());
    }
    if subject != customer {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            format!("This token does not belong to customer {customer}."),
        ));
    }
    Ok(())
}
