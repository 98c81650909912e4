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
    /// Changed only through the methods below, which keep `emails`.
    customers: HashMap<Uuid, Customer>,
    /// One-time codes by email (lower case).
    pub(crate) codes: HashMap<String, Passcode>,
    /// Every message sent, oldest first.
    pub(crate) outbox: Vec<Message>,
    /// The ids (`jti`) of tokens a refresh has invalidated.
    pub(crate) revoked: HashSet<String>,
    pub(crate) code_lifetime: Duration,
    /// The customers by email (lower case), so that finding one does not scan them all. Kept by
    /// [`Records::insert_customer`], [`Records::remove_customer`] and
    /// [`Records::set_customer_email`]; rebuilt after loading ([`Records::reindexed`]).
    #[serde(skip)]
    emails: HashMap<String, Uuid>,
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
            emails: HashMap::new(),
        }
    }

    /// The records with their email index built (after loading them).
    pub(crate) fn reindexed(mut self) -> Self {
        self.emails = self
            .customers
            .iter()
            .map(|(id, c)| (c.account.email.to_ascii_lowercase(), *id))
            .collect();
        self
    }

    /// The customer `id`.
    pub(crate) fn customer(&self, id: &Uuid) -> Option<&Customer> {
        self.customers.get(id)
    }

    /// The customer `id`, to change (its email only through [`Records::set_customer_email`]).
    pub(crate) fn customer_mut(&mut self, id: &Uuid) -> Option<&mut Customer> {
        self.customers.get_mut(id)
    }

    /// Every customer.
    #[cfg(feature = "sqlite")]
    pub(crate) fn customers(&self) -> impl Iterator<Item = &Customer> {
        self.customers.values()
    }

    /// How many customers there are.
    pub(crate) fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// The customer whose account has this email (case-insensitively).
    pub(crate) fn customer_with_email(&self, email: &str) -> Option<Uuid> {
        self.emails.get(&email.to_ascii_lowercase()).copied()
    }

    /// Adds `customer`, or replaces the one with its id. An email names one customer: a customer
    /// added with another's email is the one found by it from then on.
    pub(crate) fn insert_customer(&mut self, customer: Customer) {
        let id = customer.account.id;
        let email = customer.account.email.to_ascii_lowercase();
        if let Some(replaced) = self.customers.insert(id, customer) {
            self.forget_email(&replaced.account.email, id);
        }
        self.emails.insert(email, id);
    }

    /// Removes the customer `id`, if there is one.
    pub(crate) fn remove_customer(&mut self, id: Uuid) -> Option<Customer> {
        let customer = self.customers.remove(&id)?;
        self.forget_email(&customer.account.email, id);
        Some(customer)
    }

    /// Changes the email of the customer `id` (none: nothing changes).
    pub(crate) fn set_customer_email(&mut self, id: Uuid, email: String) {
        let Some(customer) = self.customers.get_mut(&id) else {
            return;
        };
        let previous = std::mem::replace(&mut customer.account.email, email);
        let folded = customer.account.email.to_ascii_lowercase();
        self.forget_email(&previous, id);
        self.emails.insert(folded, id);
    }

    /// Drops `email` from the index if it names `id`.
    fn forget_email(&mut self, email: &str, id: Uuid) {
        let folded = email.to_ascii_lowercase();
        if self.emails.get(&folded) == Some(&id) {
            self.emails.remove(&folded);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(email: &str) -> Customer {
        let (mut account, _) = crate::seed::customers().remove(0);
        account.id = Uuid::new_v4();
        account.email = email.to_owned();
        Customer::new(account)
    }

    #[test]
    fn a_customer_is_found_by_email_through_every_change_and_after_loading() {
        let mut records = Records::new("app", Duration::from_secs(60));
        let ann = customer("Ann@Example.com");
        let id = ann.account.id;
        records.insert_customer(ann);
        assert_eq!(records.customer_with_email("ann@example.COM"), Some(id));
        records.set_customer_email(id, "ann@new.example".into());
        assert_eq!(records.customer_with_email("ann@example.com"), None);
        assert_eq!(records.customer_with_email("ANN@new.example"), Some(id));
        // Replaced whole under the same id, with another email: the old one is free.
        let mut again = customer("ann@third.example");
        again.account.id = id;
        records.insert_customer(again);
        assert_eq!(records.customer_with_email("ann@new.example"), None);
        assert_eq!(records.customer_with_email("ann@third.example"), Some(id));
        // Loaded back (the index is not saved): rebuilt.
        let json = serde_json::to_string(&records).unwrap();
        let loaded: Records = serde_json::from_str::<Records>(&json).unwrap().reindexed();
        assert_eq!(loaded.customer_with_email("ANN@third.example"), Some(id));
        assert!(records.remove_customer(id).is_some());
        assert_eq!(records.customer_with_email("ann@third.example"), None);
    }
}
