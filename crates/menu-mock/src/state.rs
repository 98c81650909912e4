//! The mock's in-memory state: application keys, customers with their pending phone number
//! changes, and the token issuer. [`MockState`] is also the library API tests use to arrange and
//! inspect that state.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use chrono::Utc;
use menu_client::types::CustomerAccount;
use menu_client::{Timestamp, Token};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::reply::Failure;
use crate::tokens::{TokenIssuer, TokenRejection, TokenSpec, TokenSubject};

/// The application key every mock accepts, unless configured otherwise.
pub const DEFAULT_APPLICATION_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The customer of the verify reference page (seeded with a pending phone number change).
pub const DRAGOS: Uuid = Uuid::from_u128(0x6735e303_50a1_4887_9b11_915a6919cc66);
/// The customer of the refresh reference page (seeded with a pending phone number change).
pub const IVAN: Uuid = Uuid::from_u128(0x0da5a3f0_a354_4c04_8438_f1389c19a3f7);
/// The confirmation code of Dragos's seeded phone number change (the reference page's example).
pub const DRAGOS_CONFIRMATION_CODE: &str = "164138";
/// The confirmation code of Ivan's seeded phone number change.
pub const IVAN_CONFIRMATION_CODE: &str = "246810";

/// A phone number change waiting for its confirmation code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPhoneChange {
    /// The number the customer asked to switch to.
    pub phone_number: String,
    /// The code that confirms it.
    pub confirmation_code: String,
}

/// Something the state cannot do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No customer has this id.
    #[error("no customer {0}")]
    UnknownCustomer(Uuid),
    /// The spec has no operation with this `operationId`.
    #[error("the spec has no operation `{0}`")]
    UnknownOperation(String),
    /// Not a status an answer can have (200 to 599).
    #[error("{0} is not a status an answer can have (200 to 599)")]
    InvalidStatus(u16),
}

struct Customer {
    account: CustomerAccount,
    pending: Option<PendingPhoneChange>,
    /// `account` serialized, kept until the account changes ([`Customer::account_mut`]): a
    /// refresh answers with it, unchanged most of the time.
    account_json: Option<Arc<RawValue>>,
}

impl Customer {
    fn new(account: CustomerAccount) -> Self {
        Self {
            account,
            pending: None,
            account_json: None,
        }
    }

    /// The account, to change it (which drops its serialized form).
    fn account_mut(&mut self) -> &mut CustomerAccount {
        self.account_json = None;
        &mut self.account
    }

    /// The account serialized as JSON.
    fn account_json(&mut self) -> Option<Arc<RawValue>> {
        if self.account_json.is_none() {
            let json = serde_json::value::to_raw_value(&self.account).ok()?;
            self.account_json = Some(Arc::from(json));
        }
        self.account_json.clone()
    }
}

struct Inner {
    application_keys: HashSet<String>,
    customers: HashMap<Uuid, Customer>,
    /// The ids (`jti`) of tokens a refresh has invalidated.
    revoked: HashSet<String>,
    /// Answers set by tests, by `operationId` ([`MockState::respond`]).
    answers: HashMap<String, (StatusCode, serde_json::Value)>,
    /// Requests received, by `operationId`.
    requests: HashMap<&'static str, u64>,
}

/// The mock's state, shared by the server and the test code that drives it.
pub struct MockState {
    inner: Mutex<Inner>,
    tokens: TokenIssuer,
    application_key: String,
}

impl MockState {
    /// A state with the default application key and the two reference customers.
    pub fn seeded() -> Self {
        let state = Self::empty(DEFAULT_APPLICATION_KEY);
        for (account, pending) in seed_customers() {
            let id = account.id;
            state.add_customer(account);
            if let Some(pending) = pending {
                let _ = state.set_pending_phone_change(
                    id,
                    pending.phone_number,
                    pending.confirmation_code,
                );
            }
        }
        state
    }

    /// A state with one application key and no customers.
    pub fn empty(application_key: &str) -> Self {
        let secret = Uuid::new_v4();
        Self {
            inner: Mutex::new(Inner {
                application_keys: HashSet::from([application_key.to_owned()]),
                customers: HashMap::new(),
                revoked: HashSet::new(),
                answers: HashMap::new(),
                requests: HashMap::new(),
            }),
            tokens: TokenIssuer::new(
                secret.as_bytes(),
                "http://menu-mock.local/api/customers/sign-in".into(),
            ),
            application_key: application_key.to_owned(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The application key the state was created with.
    pub fn application_key(&self) -> &str {
        &self.application_key
    }

    /// Accepts another application key.
    pub fn add_application_key(&self, key: impl Into<String>) {
        self.lock().application_keys.insert(key.into());
    }

    pub(crate) fn knows_application(&self, key: &str) -> bool {
        self.lock().application_keys.contains(key)
    }

    /// Adds (or replaces) a customer; `has_pending_phone_number_change` follows the pending change.
    pub fn add_customer(&self, mut account: CustomerAccount) {
        account.has_pending_phone_number_change = false;
        self.lock()
            .customers
            .insert(account.id, Customer::new(account));
    }

    /// The customer's account as the API would return it.
    pub fn customer(&self, id: Uuid) -> Option<CustomerAccount> {
        self.lock().customers.get(&id).map(|c| c.account.clone())
    }

    /// Starts a phone number change that `confirmation_code` confirms.
    pub fn set_pending_phone_change(
        &self,
        id: Uuid,
        phone_number: impl Into<String>,
        confirmation_code: impl Into<String>,
    ) -> Result<(), StateError> {
        let mut inner = self.lock();
        let customer = inner
            .customers
            .get_mut(&id)
            .ok_or(StateError::UnknownCustomer(id))?;
        customer.pending = Some(PendingPhoneChange {
            phone_number: phone_number.into(),
            confirmation_code: confirmation_code.into(),
        });
        customer.account_mut().has_pending_phone_number_change = true;
        Ok(())
    }

    /// The customer's pending phone number change, if any.
    pub fn pending_phone_change(&self, id: Uuid) -> Option<PendingPhoneChange> {
        self.lock().customers.get(&id)?.pending.clone()
    }

    /// Issues a token for the customer, valid for the default lifetime.
    pub fn issue_token(&self, id: Uuid) -> Result<Token, StateError> {
        self.issue_token_with(id, TokenSpec::now())
    }

    /// Issues a token for the customer with a chosen issue time, lifetime and refresh window
    /// (e.g. one that has already expired but can still be refreshed).
    pub fn issue_token_with(&self, id: Uuid, spec: TokenSpec) -> Result<Token, StateError> {
        if !self.lock().customers.contains_key(&id) {
            return Err(StateError::UnknownCustomer(id));
        }
        Ok(self.tokens.issue(id, spec))
    }

    /// Whether `token` would be accepted now (signature, times, not invalidated by a refresh);
    /// `for_refresh` accepts an expired token inside its refresh window.
    pub fn accepts_token(&self, token: &str, for_refresh: bool) -> bool {
        self.tokens
            .check(token, for_refresh, Utc::now())
            .is_ok_and(|subject| !self.lock().revoked.contains(&subject.jti))
    }

    /// Makes the mock answer every request of the operation `operation_id` with `status` and
    /// `body` (as JSON), whatever the request, until [`MockState::clear_response`]: to show a
    /// client a server error, an odd body, or an answer the mock would not give, without writing
    /// a handler.
    pub fn respond(
        &self,
        operation_id: &str,
        status: u16,
        body: serde_json::Value,
    ) -> Result<(), StateError> {
        let operation = menu_client::operations::find(operation_id)
            .ok_or_else(|| StateError::UnknownOperation(operation_id.to_owned()))?;
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| (200..600).contains(&s.as_u16()))
            .ok_or(StateError::InvalidStatus(status))?;
        self.lock()
            .answers
            .insert(operation.id.to_owned(), (status, body));
        Ok(())
    }

    /// Goes back to the mock's own answers for `operation_id`.
    pub fn clear_response(&self, operation_id: &str) {
        self.lock().answers.remove(operation_id);
    }

    /// The answer a test set for `operation_id`.
    pub(crate) fn answer_for(&self, operation_id: &str) -> Option<(StatusCode, serde_json::Value)> {
        self.lock().answers.get(operation_id).cloned()
    }

    /// How many requests of the operation `operation_id` reached the mock (valid or not).
    pub fn requests(&self, operation_id: &str) -> u64 {
        self.lock().requests.get(operation_id).copied().unwrap_or(0)
    }

    pub(crate) fn count_request(&self, operation_id: &'static str) {
        *self.lock().requests.entry(operation_id).or_default() += 1;
    }

    /// How many refresh requests reached the mock (valid or not): `requests("refresh")`.
    pub fn refresh_requests(&self) -> u64 {
        self.requests("refresh")
    }

    /// How many verify requests reached the mock (valid or not).
    pub fn verify_requests(&self) -> u64 {
        self.requests("verify_phone_number_update")
    }

    pub(crate) fn tokens(&self) -> &TokenIssuer {
        &self.tokens
    }

    /// Runs `f` with exclusive access (one consistent step of a request).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Transaction<'_>) -> R) -> R {
        let mut inner = self.lock();
        let mut tx = Transaction { inner: &mut inner };
        f(&mut tx)
    }
}

impl Default for MockState {
    fn default() -> Self {
        Self::seeded()
    }
}

/// Exclusive access to the state during one request.
pub(crate) struct Transaction<'a> {
    inner: &'a mut Inner,
}

/// What a verify attempt found.
pub(crate) enum VerifyOutcome {
    Confirmed(Box<CustomerAccount>),
    UnknownCustomer,
    NoPendingChange,
    WrongCode,
}

impl Transaction<'_> {
    /// A 401 when a refresh has invalidated the token.
    pub(crate) fn check_not_revoked(&self, subject: &TokenSubject) -> Result<(), Failure> {
        if self.inner.revoked.contains(&subject.jti) {
            return Err(Failure::unauthorized(
                TokenRejection::Blacklisted.to_string(),
            ));
        }
        Ok(())
    }

    pub(crate) fn customer_exists(&self, id: Uuid) -> bool {
        self.inner.customers.contains_key(&id)
    }

    /// The customer's account, serialized (`None`: no such customer).
    pub(crate) fn account_json(&mut self, id: Uuid) -> Option<Arc<RawValue>> {
        self.inner.customers.get_mut(&id)?.account_json()
    }

    /// Confirms the pending change if `code` matches.
    pub(crate) fn verify_phone_change(&mut self, id: Uuid, code: &str) -> VerifyOutcome {
        let Some(customer) = self.inner.customers.get_mut(&id) else {
            return VerifyOutcome::UnknownCustomer;
        };
        let Some(pending) = &customer.pending else {
            return VerifyOutcome::NoPendingChange;
        };
        if pending.confirmation_code != code {
            return VerifyOutcome::WrongCode;
        }
        let phone_number = pending.phone_number.clone();
        customer.pending = None;
        let account = customer.account_mut();
        account.phone_number = phone_number;
        account.has_pending_phone_number_change = false;
        account.updated_at = Some(now_timestamp());
        VerifyOutcome::Confirmed(Box::new(customer.account.clone()))
    }

    /// Invalidates the old token; returns what its successor must be (from now, with the same
    /// lifetimes), to be signed with [`TokenIssuer::issue`] once the state is released.
    pub(crate) fn revoke_for_rotation(&mut self, old: TokenSubject) -> TokenSpec {
        self.inner.revoked.insert(old.jti);
        TokenSpec {
            issued_at: Utc::now(),
            lifetime: old.lifetime,
            refresh_window: old.refresh_window,
        }
    }
}

/// Now, in the API's timestamp shape (`2023-08-02 10:09:12`, UTC).
fn now_timestamp() -> Timestamp {
    Timestamp::new(Utc::now().format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The two customers of the reference pages, each with a pending phone number change.
fn seed_customers() -> Vec<(CustomerAccount, Option<PendingPhoneChange>)> {
    let verify: serde_json::Value =
        serde_json::from_str(include_str!("../seed/verify-phone-number-update.json"))
            .unwrap_or_default();
    let refresh: serde_json::Value =
        serde_json::from_str(include_str!("../seed/refresh.json")).unwrap_or_default();
    let account = |value: &serde_json::Value| {
        value
            .pointer("/data/customer_account")
            .and_then(|a| serde_json::from_value::<CustomerAccount>(a.clone()).ok())
    };
    let mut seeds = Vec::new();
    if let Some(mut dragos) = account(&verify) {
        // Before the change the reference page confirms.
        let new_number = std::mem::replace(&mut dragos.phone_number, "+40700000000".into());
        seeds.push((
            dragos,
            Some(PendingPhoneChange {
                phone_number: new_number,
                confirmation_code: DRAGOS_CONFIRMATION_CODE.into(),
            }),
        ));
    }
    if let Some(ivan) = account(&refresh) {
        seeds.push((
            ivan,
            Some(PendingPhoneChange {
                phone_number: "+381222222222".into(),
                confirmation_code: IVAN_CONFIRMATION_CODE.into(),
            }),
        ));
    }
    seeds
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
}
