//! The HTTP answer to each refusal of the domain (`domain.rs`, `codes.rs`): its status, its
//! message (the API's wording) and the request field at fault. The one place a [`DomainError`]
//! becomes a [`Failure`] (`?` converts it, in the actions and the checks), and so does a
//! [`StateError`]: a change the state could not save (500, and the change undone).

use axum::http::StatusCode;

use crate::codes::CodeRefusal;
use crate::domain::{DomainError, Purpose};
use crate::error::StateError;
use crate::reply::Failure;
use crate::tokens::TokenRejection;

/// Why is told where the mock runs ([`crate::Notice::NotSaved`]), not to the client: the error
/// names files and quotes the database.
impl From<StateError> for Failure {
    fn from(error: StateError) -> Self {
        let message = match error {
            StateError::Diverged(_) => {
                "The mock's state could be neither saved nor restored: restart the mock."
            }
            _ => "The mock could not save the change, which was undone (the mock's log says why).",
        };
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<DomainError> for Failure {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::UnknownCustomer(id) => {
                Self::new(StatusCode::NOT_FOUND, format!("Customer {id} not found."))
            }
            DomainError::CodeRefused(purpose, refusal) => code_refused(purpose, refusal),
            DomainError::EmailTaken(purpose) => Self::invalid_field(
                match purpose {
                    Purpose::SignUp => "passwordless_email",
                    Purpose::EmailChange | Purpose::PhoneChange => "email",
                },
                "The email has already been taken.",
            ),
            DomainError::TokenInvalidated => {
                Self::unauthorized(TokenRejection::Blacklisted.to_string())
            }
            DomainError::TokenCustomerGone => {
                Self::unauthorized("The customer account of this token no longer exists.")
            }
        }
    }
}

/// A refused one-time code: a 400 about the request's code field, or, when there is nothing to
/// confirm, a 400 that says so.
fn code_refused(purpose: Purpose, refusal: CodeRefusal) -> Failure {
    let (field, code) = match purpose {
        Purpose::SignUp => ("passwordless_code", "one-time code"),
        Purpose::EmailChange | Purpose::PhoneChange => ("confirmation_code", "confirmation code"),
    };
    let problem = match refusal {
        CodeRefusal::NothingPending => {
            return match purpose {
                Purpose::SignUp => {
                    Failure::invalid_field(field, "No one-time code was requested for this email.")
                }
                Purpose::EmailChange => {
                    Failure::bad_request("There is no pending email change to verify.")
                }
                Purpose::PhoneChange => {
                    Failure::bad_request("There is no pending phone number change to verify.")
                }
            };
        }
        CodeRefusal::Used => "has already been used",
        CodeRefusal::Expired => "has expired",
        CodeRefusal::Wrong => "is invalid",
    };
    Failure::invalid_field(field, format!("The {code} {problem}."))
}
