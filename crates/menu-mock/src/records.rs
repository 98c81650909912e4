//! What the API remembers, as records: the application keys, the customers with their pending
//! email and phone changes, the one-time codes, the messages sent, the ids of invalidated tokens
//! and the codes' lifetime; and [`Change`], what a step of the domain (`domain.rs`) changed in
//! them, which the store (`persist.rs`) makes durable. Plain data: the rules are in `domain.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use menu_client::types::CustomerAccount;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::outbox::Message;

/// A phone number change waiting for its confirmation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPhoneChange {
    /// The number the customer asked to switch to.
    pub phone_number: String,
    /// The code that confirms it.
    pub confirmation_code: String,
}

/// A sign-up (or sign-in) code waiting to be used, by email.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Passcode {
    pub(crate) code: String,
    pub(crate) sent_at: DateTime<Utc>,
    pub(crate) used: bool,
}

/// A change of email waiting for its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingEmailChange {
    pub(crate) email: String,
    pub(crate) code: String,
    pub(crate) sent_at: DateTime<Utc>,
}

/// A customer: the account as the API returns it, and its pending changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Customer {
    pub(crate) account: CustomerAccount,
    pub(crate) pending_phone: Option<PendingPhoneChange>,
    /// When the pending phone change's code was sent (`None`: set by a test, no expiry).
    #[serde(default)]
    pub(crate) pending_phone_sent_at: Option<DateTime<Utc>>,
    pub(crate) pending_email: Option<PendingEmailChange>,
}

impl Customer {
    /// A customer with no pending change.
    pub(crate) fn new(account: CustomerAccount) -> Self {
        Self {
            account,
            pending_phone: None,
            pending_phone_sent_at: None,
            pending_email: None,
        }
    }
}

/// What the API remembers: everything a restart must not lose.
#[derive(Serialize, Deserialize)]
pub(crate) struct Records {
    pub(crate) application_keys: BTreeSet<String>,
    pub(crate) customers: HashMap<Uuid, Customer>,
    /// One-time codes by email (lower case).
    pub(crate) codes: HashMap<String, Passcode>,
    /// Every message sent, oldest first.
    pub(crate) outbox: Vec<Message>,
    /// The ids (`jti`) of tokens a refresh has invalidated.
    pub(crate) revoked: HashSet<String>,
    pub(crate) code_lifetime: Duration,
}

impl Records {
    /// Records with one application key, and nothing else yet.
    pub(crate) fn new(application_key: &str, code_lifetime: Duration) -> Self {
        Self {
            application_keys: BTreeSet::from([application_key.to_owned()]),
            customers: HashMap::new(),
            codes: HashMap::new(),
            outbox: Vec::new(),
            revoked: HashSet::new(),
            code_lifetime,
        }
    }

    /// The customer whose account has this email (case-insensitively).
    pub(crate) fn customer_with_email(&self, email: &str) -> Option<Uuid> {
        self.customers
            .iter()
            .find(|(_, c)| c.account.email.eq_ignore_ascii_case(email))
            .map(|(id, _)| *id)
    }
}

/// One change a step made to the [`Records`], in the terms of a database: which record was
/// created, updated or deleted. A store reads the record a change names from the records as they
/// are after the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// An application key is accepted.
    ApplicationKeyAdded(String),
    /// A customer was created (or replaced whole, by a test).
    CustomerCreated(Uuid),
    /// A customer's account or pending changes changed.
    CustomerUpdated(Uuid),
    /// A customer was deleted.
    CustomerDeleted(Uuid),
    /// A one-time code was issued for this email (lower case), replacing any earlier one.
    CodeIssued(String),
    /// The one-time code of this email (lower case) was used up.
    CodeConsumed(String),
    /// The one-time code of this email (lower case) was discarded (its account was deleted).
    CodeDiscarded(String),
    /// A message was sent (appended to the outbox).
    MessageSent(Message),
    /// A token (by its `jti`) was invalidated.
    TokenInvalidated(String),
    /// The lifetime of one-time codes changed.
    CodeLifetimeSet(Duration),
}
