//! [`MockState`], the façade of the mock's state and the library API tests use to arrange and
//! inspect it: the records of what the API remembers (`records.rs`), changed only by the rules of
//! `domain.rs`, one step at a time (`state/changes.rs`), and pruned as they change
//! (`retention.rs`); the token issuer; the store that makes each step's changes durable before
//! the step ends, when there is one (`persist.rs`); the test controls (`controls.rs`); and the
//! [`Notice`]s of what happens. The seed data is in `seed.rs`.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use chrono::Utc;
use menu_client::Token;
use menu_client::types::CustomerAccount;
use uuid::Uuid;

use crate::controls::Controls;
use crate::domain::{self, DomainError};
use crate::outbox::{Message, MessageKind};
use crate::persist::Store;
use crate::records::Records;
use crate::tokens::{TokenIssuer, TokenSpec, TokenSubject};

pub use crate::codes::DEFAULT_CODE_LIFETIME;
pub use crate::error::StateError;
pub use crate::records::PendingPhoneChange;
pub use crate::retention::Retention;
pub use crate::seed::{
    DEFAULT_APPLICATION_KEY, DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN, IVAN_CONFIRMATION_CODE,
};

mod changes;

/// Something the mock wants a person (or a log) to know as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// A message was sent (and kept in the outbox).
    Sent(Message),
    /// A change could not be saved to the state's database, and was undone (a request that
    /// made it is answered with a 500), or could not even be undone
    /// ([`StateError::Diverged`]): why.
    NotSaved(String),
}

/// A callback for [`Notice`]s.
type NoticeHook = Box<dyn Fn(&Notice) + Send + Sync>;

/// The mock's state, shared by the server and the test code that drives it.
pub struct MockState {
    records: Mutex<Records>,
    tokens: TokenIssuer,
    application_key: String,
    pub(crate) controls: Controls,
    /// What the records keep of what grows with use.
    retention: Retention,
    /// Where each change is made durable, if anywhere.
    store: Option<Box<dyn Store>>,
    /// Held by a step that changes the state from its start to its commit (with a store): one
    /// at a time.
    writing: Mutex<()>,
    /// Set when a change could be neither saved nor undone: the records may differ from the
    /// store, so no change is made from then on.
    diverged: OnceLock<String>,
    notices: Option<NoticeHook>,
}

impl MockState {
    /// A state with the default application key and the two reference customers.
    pub fn seeded() -> Self {
        Self::empty(DEFAULT_APPLICATION_KEY).seed()
    }

    /// This state with the two reference customers added.
    fn seed(self) -> Self {
        let state = self;
        state.change(|step| {
            for (account, pending) in crate::seed::customers() {
                let id = account.id;
                step.add_customer(account);
                if let Some(pending) = pending {
                    let _ = step.set_pending_phone_change(id, pending);
                }
            }
        });
        state
    }

    /// A state with one application key and no customers.
    pub fn empty(application_key: &str) -> Self {
        Self::with(
            new_signing_key(),
            application_key.to_owned(),
            Self::records(application_key),
        )
    }

    /// Records with one application key, and nothing else yet.
    fn records(application_key: &str) -> Records {
        Records::new(application_key, DEFAULT_CODE_LIFETIME)
    }

    fn with(signing_key: [u8; 16], application_key: String, records: Records) -> Self {
        Self {
            records: Mutex::new(records),
            tokens: TokenIssuer::new(
                &signing_key,
                "http://menu-mock.local/api/customers/sign-in".into(),
            ),
            application_key,
            controls: Controls::default(),
            retention: Retention::DEFAULT,
            store: None,
            writing: Mutex::new(()),
            diverged: OnceLock::new(),
            notices: None,
        }
    }

    /// Keeps this much of what grows with use (the outbox, the revoked tokens) from now on,
    /// instead of [`Retention::DEFAULT`]. The rest is dropped as the state changes.
    pub fn retain(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Calls `hook` with every [`Notice`] (each message sent, a failed save), as it happens.
    pub fn on_notice(mut self, hook: impl Fn(&Notice) + Send + Sync + 'static) -> Self {
        self.notices = Some(Box::new(hook));
        self
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self, notice: &Notice) {
        if let Some(hook) = &self.notices {
            hook(notice);
        }
    }

    /// The application key the state was created with.
    pub fn application_key(&self) -> &str {
        &self.application_key
    }

    /// Accepts another application key.
    pub fn add_application_key(&self, key: impl Into<String>) {
        self.change(|step| step.add_application_key(key.into()));
    }

    /// Whether an account has this email (case-insensitively).
    pub(crate) fn has_account(&self, email: &str) -> bool {
        self.lock().customer_with_email(email).is_some()
    }

    /// Whether the mock accepts this application key.
    pub(crate) fn knows_application(&self, key: &str) -> bool {
        self.lock().application_keys.contains(key)
    }

    /// Adds a customer, replacing the one with its id and any other with its email (an email
    /// names one account); `has_pending_*_change` follow the pending changes (none).
    pub fn add_customer(&self, account: CustomerAccount) {
        self.change(|step| step.add_customer(account));
    }

    /// The customer's account as the API would return it.
    pub fn customer(&self, id: Uuid) -> Option<CustomerAccount> {
        self.lock().customer(&id).map(|c| c.account.clone())
    }

    /// Whether the customer exists.
    pub(crate) fn has_customer(&self, id: Uuid) -> bool {
        self.lock().customer(&id).is_some()
    }

    /// The account that has this email (case-insensitively).
    pub fn customer_by_email(&self, email: &str) -> Option<CustomerAccount> {
        let records = self.lock();
        records
            .customer_with_email(email)
            .and_then(|id| records.customer(&id))
            .map(|c| c.account.clone())
    }

    /// Starts a phone number change that `confirmation_code` confirms (it never expires).
    pub fn set_pending_phone_change(
        &self,
        id: Uuid,
        phone_number: impl Into<String>,
        confirmation_code: impl Into<String>,
    ) -> Result<(), StateError> {
        let change = PendingPhoneChange {
            phone_number: phone_number.into(),
            confirmation_code: confirmation_code.into(),
        };
        self.step(|step| step.set_pending_phone_change(id, change))?
            .map_err(|_| StateError::UnknownCustomer(id))
    }

    /// The customer's pending phone number change, if any.
    pub fn pending_phone_change(&self, id: Uuid) -> Option<PendingPhoneChange> {
        self.lock().customer(&id)?.pending_phone.clone()
    }

    /// The messages sent, oldest first: those the outbox keeps ([`Retention`]).
    pub fn outbox(&self) -> Vec<Message> {
        self.lock().outbox.iter().cloned().collect()
    }

    /// The messages the outbox keeps that were sent to `to` (an email, case-insensitively, or a
    /// phone number), oldest first.
    pub fn messages_to(&self, to: &str) -> Vec<Message> {
        self.lock().outbox.to(to).cloned().collect()
    }

    /// The code of the last message of `kind` sent to `to` (an email, case-insensitively, or a
    /// phone number).
    pub fn last_code(&self, to: &str, kind: MessageKind) -> Option<String> {
        self.lock()
            .outbox
            .to(to)
            .rev()
            .find(|m| m.kind == kind)
            .map(|m| m.code.clone())
    }

    /// How long one-time codes can be used from now on (default [`DEFAULT_CODE_LIFETIME`]);
    /// [`Duration::ZERO`] makes every code expire at once.
    pub fn set_code_lifetime(&self, lifetime: Duration) {
        self.change(|step| step.set_code_lifetime(lifetime));
    }

    /// Issues a token for the customer, valid for the default lifetime.
    pub fn issue_token(&self, id: Uuid) -> Result<Token, StateError> {
        self.issue_token_with(id, TokenSpec::now())
    }

    /// Issues a token for the customer with a chosen issue time, lifetime and refresh window
    /// (e.g. one that has already expired but can still be refreshed).
    pub fn issue_token_with(&self, id: Uuid, spec: TokenSpec) -> Result<Token, StateError> {
        if !self.has_customer(id) {
            return Err(StateError::UnknownCustomer(id));
        }
        Ok(self.tokens.issue(id, spec))
    }

    /// Whether `token` would be accepted now (signature, times, not invalidated by a refresh,
    /// its customer still there); `for_refresh` accepts an expired token inside its refresh
    /// window.
    pub fn accepts_token(&self, token: &str, for_refresh: bool) -> bool {
        self.tokens
            .check(token, for_refresh, Utc::now())
            .is_ok_and(|subject| self.check_subject(&subject).is_ok())
    }

    /// Whether a token's subject is still good: not invalidated by a refresh, its customer
    /// still there.
    pub(crate) fn check_subject(&self, subject: &TokenSubject) -> Result<(), DomainError> {
        domain::check_subject(&self.lock(), subject)
    }

    pub(crate) fn tokens(&self) -> &TokenIssuer {
        &self.tokens
    }

    /// Makes the mock answer every request of the operation `operation_id` with `status` and
    /// `body` (as JSON), whatever the request, until [`MockState::clear_response`]: to show a
    /// client a server error, an odd body, or an answer the mock would not give, without writing
    /// a handler. (A request can also ask for a fault itself: the `Prefer` header, see the
    /// crate's documentation.)
    pub fn respond(
        &self,
        operation_id: &str,
        status: u16,
        body: serde_json::Value,
    ) -> Result<(), StateError> {
        self.controls.respond(operation_id, status, body)
    }

    /// Goes back to the mock's own answers for `operation_id`.
    pub fn clear_response(&self, operation_id: &str) {
        self.controls.clear_response(operation_id);
    }

    /// How many requests of the operation `operation_id` (its `operationId` in the spec, such as
    /// `"refresh"`) reached the mock, valid or not; 0 for an operation the mock does not serve.
    pub fn requests(&self, operation_id: &str) -> u64 {
        self.controls.requests(operation_id)
    }
}

/// A fresh key to sign tokens with.
fn new_signing_key() -> [u8; 16] {
    *Uuid::new_v4().as_bytes()
}

impl Default for MockState {
    fn default() -> Self {
        Self::seeded()
    }
}

impl std::fmt::Debug for MockState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockState")
            .field("customers", &self.lock().customer_count())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_the_reference_customers() {
        let state = MockState::seeded();
        let dragos = state.customer(DRAGOS).unwrap();
        assert_eq!(dragos.first_name, "Dragos");
        assert_eq!(dragos.phone_number, "+40700000000");
        assert!(dragos.has_pending_phone_number_change);
        assert_eq!(
            state.pending_phone_change(DRAGOS).unwrap().phone_number,
            "+40724373613"
        );
        assert_eq!(state.customer(IVAN).unwrap().first_name, "Ivan");
        assert!(state.knows_application(DEFAULT_APPLICATION_KEY));
    }

    #[test]
    fn unknown_customers_are_errors() {
        let state = MockState::seeded();
        let nobody = Uuid::new_v4();
        assert_eq!(
            state.issue_token(nobody),
            Err(StateError::UnknownCustomer(nobody))
        );
        assert!(state.set_pending_phone_change(nobody, "+1", "1").is_err());
    }

    #[test]
    fn a_rotated_token_stays_refused_while_it_could_still_be_used() {
        // It expires an hour after it was issued, but its refresh window closed a minute in.
        let state = MockState::seeded();
        let token = state
            .issue_token_with(
                DRAGOS,
                TokenSpec {
                    issued_at: Utc::now() - chrono::Duration::minutes(10),
                    lifetime: Duration::from_secs(3600),
                    refresh_window: Duration::from_secs(60),
                },
            )
            .unwrap();
        let subject = state
            .tokens()
            .check(token.value(), false, Utc::now())
            .unwrap();
        state.step(|step| step.rotate(subject)).unwrap().unwrap();
        // A later change prunes what it can: the revocation is kept.
        state.add_customer(state.customer(IVAN).unwrap());
        assert!(!state.accepts_token(token.value(), false));
    }

    #[test]
    fn a_window_past_the_calendar_keeps_everything_without_failing() {
        let state = MockState::seeded().retain(Retention::outbox(Duration::MAX, usize::MAX));
        state.set_code_lifetime(Duration::from_secs(10u64.pow(13)));
        state
            .step(|step| step.send_passcode("a@example.com"))
            .unwrap();
        state
            .step(|step| step.send_passcode("b@example.com"))
            .unwrap();
        assert_eq!(state.outbox().len(), 2);
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_step_that_panics_is_undone_and_the_state_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let state = MockState::open(dir.path().join("state.db")).unwrap();
        let mut account = state.customer(DRAGOS).unwrap();
        account.id = Uuid::new_v4();
        account.email = "new@example.com".into();
        let added = account.clone();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            state.step(|step| {
                step.add_customer(added);
                panic!("a step that panics");
            })
        }));
        assert!(caught.is_err());
        assert!(state.customer(account.id).is_none(), "undone");
        assert!(state.has_diverged().is_none());
        state.add_customer(account.clone());
        assert!(state.customer(account.id).is_some());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_state_kept_in_a_database_opens_back_with_its_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let state = MockState::open(&path).unwrap();
        assert_eq!(state.state_file(), Some(path.as_path()));
        let token = state.issue_token(DRAGOS).unwrap();
        state
            .step(|step| step.send_passcode("new@example.com"))
            .unwrap();
        let outbox = state.outbox();
        let dragos = state.customer(DRAGOS);
        drop(state); // it holds the database until dropped
        let opened = MockState::open(&path).unwrap();
        assert!(opened.accepts_token(token.value(), false));
        assert_eq!(opened.outbox(), outbox);
        assert_eq!(opened.customer(DRAGOS), dragos);
        std::fs::write(dir.path().join("text"), "hello").unwrap();
        let err = MockState::open(dir.path().join("text"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a mock state file"), "{err}");
        let err = MockState::open(dir.path().join("no/such/dir/state.db"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot create it"), "{err}");
    }
}
