//! [`MockState`], the façade of the mock's state and the library API tests use to arrange and
//! inspect it: the records of what the API remembers (`records.rs`), changed only by the rules of
//! `domain.rs`, one step at a time under one lock; the token issuer; the store that makes each
//! step's changes durable, when asked (`persist.rs`); the test controls (`controls.rs`); and
//! the [`Notice`]s of what happens. The seed data is in `seed.rs`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Utc;
use menu_client::Token;
use menu_client::types::CustomerAccount;
use uuid::Uuid;

use crate::controls::Controls;
use crate::domain::{self, DomainError, Step};
use crate::outbox::{Message, MessageKind};
use crate::persist::{JsonFile, Store};
use crate::records::{Change, Records};
use crate::tokens::{TokenIssuer, TokenSpec, TokenSubject};

pub use crate::codes::DEFAULT_CODE_LIFETIME;
pub use crate::error::StateError;
pub use crate::records::PendingPhoneChange;
pub use crate::seed::{
    DEFAULT_APPLICATION_KEY, DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN, IVAN_CONFIRMATION_CODE,
};

/// Something the mock wants a person (or a log) to know as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// A message was sent (and kept in the outbox).
    Sent(Message),
    /// The state could not be saved to its file (the change holds in memory).
    NotSaved(String),
}

/// A callback for [`Notice`]s.
type NoticeHook = Box<dyn Fn(&Notice) + Send + Sync>;

/// The mock's state, shared by the server and the test code that drives it.
pub struct MockState {
    records: Mutex<Records>,
    tokens: TokenIssuer,
    signing_key: [u8; 16],
    application_key: String,
    pub(crate) controls: Controls,
    /// Where each change is made durable, if anywhere.
    store: Option<Box<dyn Store>>,
    notices: Option<NoticeHook>,
}

impl MockState {
    /// A state with the default application key and the two reference customers.
    pub fn seeded() -> Self {
        let state = Self::empty(DEFAULT_APPLICATION_KEY);
        state.step(|step| {
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
        let records = Records::new(application_key, DEFAULT_CODE_LIFETIME);
        Self::with(
            *Uuid::new_v4().as_bytes(),
            application_key.to_owned(),
            records,
        )
    }

    fn with(signing_key: [u8; 16], application_key: String, records: Records) -> Self {
        Self {
            records: Mutex::new(records),
            tokens: TokenIssuer::new(
                &signing_key,
                "http://menu-mock.local/api/customers/sign-in".into(),
            ),
            signing_key,
            application_key,
            controls: Controls::default(),
            store: None,
            notices: None,
        }
    }

    /// The state saved in `path` by a mock started with [`MockState::save_to`]: its customers,
    /// codes, messages and tokens. A file that cannot be read, or is not a state file, is an
    /// error (never an empty state).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let saved = crate::persist::load(path.as_ref())?;
        Ok(Self::with(
            saved.signing_key,
            saved.application_key,
            saved.records,
        ))
    }

    /// Saves the state in `path` now, and again after every change from then on (atomically:
    /// a temporary file beside it, renamed over it). A failed later save is a
    /// [`Notice::NotSaved`]; the change holds in memory.
    pub fn save_to(mut self, path: impl Into<PathBuf>) -> Result<Self, StateError> {
        let store = JsonFile::new(path.into(), self.application_key.clone(), self.signing_key);
        store.save_all(&self.records)?;
        self.store = Some(Box::new(store));
        Ok(self)
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

    /// Runs `f` with exclusive access to the records (one consistent step of a request); what it
    /// changed is then made durable (a failure is a notice: the change holds in memory), and the
    /// messages it sent are noticed.
    pub(crate) fn step<R>(&self, f: impl FnOnce(&mut Step<'_>) -> R) -> R {
        let (result, changes) = {
            let mut records = self.lock();
            let mut step = Step::new(&mut records);
            let result = f(&mut step);
            (result, step.into_changes())
        };
        if changes.is_empty() {
            return result;
        }
        if let Some(store) = &self.store
            && let Err(error) = store.apply(&self.records, &changes)
        {
            self.notify(&Notice::NotSaved(error.to_string()));
        }
        for change in changes {
            if let Change::MessageSent(message) = change {
                self.notify(&Notice::Sent(message));
            }
        }
        result
    }

    /// The application key the state was created with.
    pub fn application_key(&self) -> &str {
        &self.application_key
    }

    /// Accepts another application key.
    pub fn add_application_key(&self, key: impl Into<String>) {
        self.step(|step| step.add_application_key(key.into()));
    }

    /// Whether the mock accepts this application key.
    pub(crate) fn knows_application(&self, key: &str) -> bool {
        self.lock().application_keys.contains(key)
    }

    /// Adds (or replaces) a customer; `has_pending_*_change` follow the pending changes (none).
    pub fn add_customer(&self, account: CustomerAccount) {
        self.step(|step| step.add_customer(account));
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
        self.step(|step| step.set_pending_phone_change(id, change))
            .map_err(|_| StateError::UnknownCustomer(id))
    }

    /// The customer's pending phone number change, if any.
    pub fn pending_phone_change(&self, id: Uuid) -> Option<PendingPhoneChange> {
        self.lock().customer(&id)?.pending_phone.clone()
    }

    /// Every message sent so far, oldest first.
    pub fn outbox(&self) -> Vec<Message> {
        self.lock().outbox.clone()
    }

    /// The code of the last message of `kind` sent to `to` (an email, case-insensitively, or a
    /// phone number).
    pub fn last_code(&self, to: &str, kind: MessageKind) -> Option<String> {
        self.lock()
            .outbox
            .iter()
            .rev()
            .find(|m| m.kind == kind && m.to.eq_ignore_ascii_case(to))
            .map(|m| m.code.clone())
    }

    /// How long one-time codes can be used from now on (default [`DEFAULT_CODE_LIFETIME`]);
    /// [`Duration::ZERO`] makes every code expire at once.
    pub fn set_code_lifetime(&self, lifetime: Duration) {
        self.step(|step| step.set_code_lifetime(lifetime));
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
    fn a_saved_state_loads_back_with_its_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let state = MockState::seeded().save_to(&path).unwrap();
        let token = state.issue_token(DRAGOS).unwrap();
        state.step(|step| step.send_passcode("new@example.com"));
        let loaded = MockState::load(&path).unwrap();
        assert!(loaded.accepts_token(token.value(), false));
        assert_eq!(loaded.outbox(), state.outbox());
        assert_eq!(loaded.customer(DRAGOS), state.customer(DRAGOS));
        std::fs::write(&path, "{\"format\": 1").unwrap();
        let err = MockState::load(&path).unwrap_err().to_string();
        assert!(err.contains("not a mock state file"), "{err}");
        let err = MockState::load(dir.path().join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read it"), "{err}");
    }
}
