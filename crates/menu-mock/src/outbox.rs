//! The messages the mock "sends": one-time codes for sign-up and sign-in, and the codes that
//! confirm a new email or phone number. Nothing leaves the process: each message is kept in the
//! outbox, which tests read from the library ([`crate::MockState::outbox`]) or over HTTP
//! (`GET /_mock/outbox`, outside the API's base path), and `menu mock serve` prints as it is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessageKind {
    /// The one-time code that `register` takes (no account had the email).
    SignUpCode,
    /// The one-time code for an email that already has an account.
    LoginCode,
    /// The code that confirms a new email (`verify_email_update`), sent to the new email.
    EmailChange,
    /// The code that confirms a new phone number (`verify_phone_number_update`), sent to it.
    PhoneChange,
}

/// One message the mock sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The email address or phone number it went to.
    pub to: String,
    /// What it is for.
    pub kind: MessageKind,
    /// The code it carries.
    pub code: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// A fresh six-digit code (never starting with 0, so that it reads the same as a number).
pub(crate) fn new_code() -> String {
    let n = 100_000 + uuid::Uuid::new_v4().as_u128() % 900_000;
    n.to_string()
}
