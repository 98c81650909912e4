//! What the API remembers, as records: the application keys, the customers with their pending
//! email and phone changes, the one-time codes, the messages sent, the ids of invalidated tokens
//! and the codes' lifetime, each indexed for the lookups the steps make and for pruning (what the
//! [`Retention`] drops, oldest first); and [`Change`], what a step of the domain (`domain.rs`) or
//! pruning changed in them, which the store (`persist.rs`) makes durable. Plain data: the rules
//! are in `domain.rs`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use menu_client::types::CustomerAccount;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::outbox::{Message, Outbox};
use crate::retention::Retention;

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
pub(crate) struct Records {
    pub(crate) application_keys: BTreeSet<String>,
    /// Changed only through the methods below, which keep `emails`.
    customers: HashMap<Uuid, Customer>,
    /// The customers by email (lower case), so that finding one does not scan them all.
    emails: HashMap<String, Uuid>,
    /// One-time codes by email (lower case); changed only through the methods below, which
    /// keep `codes_by_age`.
    codes: HashMap<String, Passcode>,
    /// The codes' emails by when they were sent, oldest first: what pruning drops first.
    codes_by_age: BTreeSet<(DateTime<Utc>, String)>,
    /// The messages sent, oldest first (within the [`Retention`]).
    pub(crate) outbox: Outbox,
    /// The ids (`jti`) of tokens a refresh has invalidated, with the time their token could
    /// neither be used nor refreshed anyway (the later of its expiry and its refresh deadline);
    /// changed only through the methods below, which keep `revoked_by_deadline`.
    revoked: HashMap<String, DateTime<Utc>>,
    /// The revocations by deadline, soonest first: what pruning drops first.
    revoked_by_deadline: BTreeSet<(DateTime<Utc>, String)>,
    pub(crate) code_lifetime: Duration,
}

impl Records {
    /// Records with one application key, and nothing else yet.
    pub(crate) fn new(application_key: &str, code_lifetime: Duration) -> Self {
        Self {
            application_keys: BTreeSet::from([application_key.to_owned()]),
            customers: HashMap::new(),
            emails: HashMap::new(),
            codes: HashMap::new(),
            codes_by_age: BTreeSet::new(),
            outbox: Outbox::default(),
            revoked: HashMap::new(),
            revoked_by_deadline: BTreeSet::new(),
            code_lifetime,
        }
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

    /// Adds `customer`, or replaces the one with its id. An email names one customer: another
    /// customer with its email is removed, and its id returned.
    pub(crate) fn insert_customer(&mut self, customer: Customer) -> Option<Uuid> {
        let id = customer.account.id;
        let email = customer.account.email.to_ascii_lowercase();
        let displaced = self
            .emails
            .get(&email)
            .copied()
            .filter(|other| *other != id);
        if let Some(other) = displaced {
            self.remove_customer(other);
        }
        if let Some(replaced) = self.customers.insert(id, customer) {
            self.forget_email(&replaced.account.email, id);
        }
        self.emails.insert(email, id);
        displaced
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

    /// The one-time code of `email` (lower case).
    pub(crate) fn code(&self, email: &str) -> Option<&Passcode> {
        self.codes.get(email)
    }

    /// Every one-time code, by email (lower case).
    #[cfg(feature = "sqlite")]
    pub(crate) fn codes(&self) -> impl Iterator<Item = (&String, &Passcode)> {
        self.codes.iter()
    }

    /// Gives `email` (lower case) this code, replacing any earlier one.
    pub(crate) fn insert_code(&mut self, email: String, code: Passcode) {
        if let Some(replaced) = self.codes.get(&email) {
            self.codes_by_age.remove(&(replaced.sent_at, email.clone()));
        }
        self.codes_by_age.insert((code.sent_at, email.clone()));
        self.codes.insert(email, code);
    }

    /// Marks the code of `email` (lower case) used; whether it had one.
    pub(crate) fn use_code(&mut self, email: &str) -> bool {
        self.codes
            .get_mut(email)
            .map(|code| code.used = true)
            .is_some()
    }

    /// Removes the code of `email` (lower case); whether it had one.
    pub(crate) fn remove_code(&mut self, email: &str) -> bool {
        let Some(removed) = self.codes.remove(email) else {
            return false;
        };
        self.codes_by_age
            .remove(&(removed.sent_at, email.to_owned()));
        true
    }

    /// Whether a refresh invalidated the token with this id.
    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        self.revoked.contains_key(jti)
    }

    /// When the invalidated token `jti` could no longer be refreshed anyway.
    #[cfg(feature = "sqlite")]
    pub(crate) fn revocation(&self, jti: &str) -> Option<DateTime<Utc>> {
        self.revoked.get(jti).copied()
    }

    /// Every revocation, with its deadline.
    #[cfg(feature = "sqlite")]
    pub(crate) fn revocations(&self) -> impl Iterator<Item = (&String, &DateTime<Utc>)> {
        self.revoked.iter()
    }

    /// Invalidates the token `jti`, which could be used or refreshed until `deadline`.
    pub(crate) fn revoke(&mut self, jti: String, deadline: DateTime<Utc>) {
        self.revoked_by_deadline.insert((deadline, jti.clone()));
        if let Some(earlier) = self.revoked.insert(jti.clone(), deadline)
            && earlier != deadline
        {
            self.revoked_by_deadline.remove(&(earlier, jti));
        }
    }

    /// Drops what the [`Retention`] no longer keeps at `now`, and names each drop as a
    /// [`Change`]: the codes expired for [`EXPIRED_CODES_KEPT`], the messages outside the
    /// outbox's window, and the revocations of tokens past their refresh deadline or beyond the
    /// cap (the soonest deadlines first).
    pub(crate) fn prune(&mut self, now: DateTime<Utc>, retention: &Retention) -> Vec<Change> {
        let mut changes = Vec::new();
        let code_kept = self.code_lifetime.saturating_add(EXPIRED_CODES_KEPT);
        while let Some((sent_at, email)) = self.codes_by_age.first()
            && older_than(*sent_at, code_kept, now)
        {
            let email = email.clone();
            self.remove_code(&email);
            changes.push(Change::CodeDiscarded(email));
        }
        let message_kept = retention.outbox_max_age.max(self.code_lifetime);
        let mut dropped = 0;
        while let Some(oldest) = self.outbox.front()
            && (self.outbox.len() > retention.outbox_max_messages
                || older_than(oldest.sent_at, message_kept, now))
        {
            self.outbox.pop_front();
            dropped += 1;
        }
        if dropped > 0 {
            changes.push(Change::MessagesDropped(dropped));
        }
        while let Some((deadline, jti)) = self.revoked_by_deadline.first()
            && (*deadline <= now || self.revoked.len() > retention.revocations_max)
        {
            let jti = jti.clone();
            self.revoked_by_deadline.remove(&(*deadline, jti.clone()));
            self.revoked.remove(&jti);
            changes.push(Change::RevocationDropped(jti));
        }
        changes
    }
}

/// How long a code is kept once expired, so that using it is refused as expired (not as never
/// sent) for that long.
pub(crate) const EXPIRED_CODES_KEPT: Duration = Duration::from_secs(10 * 60);

/// Whether `then` is `age` or more before `now` (never, for an age past the calendar's end).
fn older_than(then: DateTime<Utc>, age: Duration, now: DateTime<Utc>) -> bool {
    chrono::Duration::from_std(age)
        .ok()
        .and_then(|age| then.checked_add_signed(age))
        .is_some_and(|end| end <= now)
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
    /// The one-time code of this email (lower case) was discarded (its account was deleted, or
    /// it expired long enough ago).
    CodeDiscarded(String),
    /// A message was sent (appended to the outbox).
    MessageSent(Message),
    /// The oldest messages of the outbox, this many, were dropped (outside its window).
    MessagesDropped(usize),
    /// A token (by its `jti`) was invalidated.
    TokenInvalidated(String),
    /// The revocation of a token (by its `jti`) was dropped (its token can no longer be
    /// refreshed, or the revocations were over their cap).
    RevocationDropped(String),
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
        assert_eq!(records.insert_customer(again), None);
        // Another customer with her email displaces her.
        let mut twin = customer("ANN@third.example");
        let twin_id = twin.account.id;
        assert_eq!(records.insert_customer(twin.clone()), Some(id));
        assert_eq!(
            records.customer_with_email("ann@third.example"),
            Some(twin_id)
        );
        assert!(records.customer(&id).is_none());
        twin.account.id = id;
        assert_eq!(records.insert_customer(twin), Some(twin_id));
        assert_eq!(records.customer_with_email("ann@new.example"), None);
        assert_eq!(records.customer_with_email("ann@third.example"), Some(id));
        assert!(records.remove_customer(id).is_some());
        assert_eq!(records.customer_with_email("ann@third.example"), None);
    }

    fn message(sent_at: DateTime<Utc>) -> crate::outbox::Message {
        crate::outbox::Message {
            to: "ann@example.com".into(),
            kind: crate::outbox::MessageKind::SignUpCode,
            code: "123456".into(),
            sent_at,
        }
    }

    #[test]
    fn pruning_drops_old_codes_messages_and_revocations_and_names_each_drop() {
        let minute = chrono::Duration::minutes(1);
        let now = Utc::now();
        let mut records = Records::new("app", Duration::from_secs(60));
        let retention = Retention {
            outbox_max_age: Duration::from_secs(120),
            outbox_max_messages: 3,
            revocations_max: 2,
        };
        // Codes: kept while usable, then for EXPIRED_CODES_KEPT (refused as expired meanwhile).
        let passcode = |sent_at| Passcode {
            code: "1".into(),
            sent_at,
            used: false,
        };
        records.insert_code("old@example.com".into(), passcode(now - minute * 12));
        records.insert_code("new@example.com".into(), passcode(now - minute * 10));
        // Replaced: its earlier age no longer counts.
        records.insert_code("again@example.com".into(), passcode(now - minute * 30));
        records.insert_code("again@example.com".into(), passcode(now));
        // Messages: older than the window (at least the code lifetime), or beyond the count.
        records.outbox.push_back(message(now - minute * 3));
        for _ in 0..4 {
            records.outbox.push_back(message(now));
        }
        // Revocations: past their deadline, then beyond the cap (soonest deadline first).
        records.revoke("past".into(), now - minute);
        records.revoke("soon".into(), now + minute);
        records.revoke("later".into(), now + minute * 2);
        records.revoke("latest".into(), now + minute * 3);
        let changes = records.prune(now, &retention);
        assert_eq!(
            changes,
            [
                Change::CodeDiscarded("old@example.com".into()),
                Change::MessagesDropped(2),
                Change::RevocationDropped("past".into()),
                Change::RevocationDropped("soon".into()),
            ]
        );
        assert!(records.code("old@example.com").is_none());
        assert!(records.code("new@example.com").is_some());
        assert!(records.code("again@example.com").is_some());
        assert_eq!(records.outbox.len(), 3);
        assert!(!records.is_revoked("soon") && records.is_revoked("later"));
        assert!(records.prune(now, &retention).is_empty(), "nothing more");
        // The window never drops a message whose code can still be used.
        records.code_lifetime = Duration::from_secs(3600);
        records.outbox = Outbox::default();
        records.outbox.push_back(message(now - minute * 30));
        assert!(
            records
                .prune(
                    now,
                    &Retention {
                        outbox_max_messages: 10,
                        ..retention
                    }
                )
                .is_empty()
        );
    }
}
