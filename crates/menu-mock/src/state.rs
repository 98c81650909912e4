//! The mock's state: the customers and what the API remembers about them (pending email and phone
//! changes, one-time codes, invalidated tokens, the messages it sent), the token issuer, and, when
//! asked, the file the state is saved in. [`MockState`] is also the library API tests use to
//! arrange and inspect that state; the test controls (answers set by tests, request counts) live
//! beside it (`controls.rs`), not in it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use menu_client::types::{CustomerAccount, Demographic};
use menu_client::{Timestamp, Token};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::controls::Controls;
pub use crate::error::StateError;
use crate::outbox::{Message, MessageKind, new_code};
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
/// How long a one-time code (sign-up, sign-in, email or phone change) can be used, unless
/// [`MockState::set_code_lifetime`] says otherwise.
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A phone number change waiting for its confirmation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPhoneChange {
    /// The number the customer asked to switch to.
    pub phone_number: String,
    /// The code that confirms it.
    pub confirmation_code: String,
}

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

/// A code waiting to be used.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Passcode {
    code: String,
    sent_at: DateTime<Utc>,
    used: bool,
}

/// A change of email waiting for its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingEmailChange {
    email: String,
    code: String,
    sent_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct Customer {
    account: CustomerAccount,
    pending_phone: Option<PendingPhoneChange>,
    /// When the pending phone change's code was sent (`None`: set by a test, no expiry).
    #[serde(default)]
    pending_phone_sent_at: Option<DateTime<Utc>>,
    pending_email: Option<PendingEmailChange>,
}

impl Customer {
    fn new(account: CustomerAccount) -> Self {
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
struct Domain {
    application_keys: BTreeSet<String>,
    customers: HashMap<Uuid, Customer>,
    /// One-time codes by email (lower case).
    codes: HashMap<String, Passcode>,
    /// Every message sent, oldest first.
    outbox: Vec<Message>,
    /// The ids (`jti`) of tokens a refresh has invalidated.
    revoked: HashSet<String>,
    code_lifetime: Duration,
}

/// What a state file holds.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    /// The format, for a later change of it.
    format: u32,
    application_key: String,
    /// The key the tokens are signed with (hex), so that they survive a restart.
    signing_key: String,
    domain: Domain,
}

/// The mock's state, shared by the server and the test code that drives it.
pub struct MockState {
    domain: Mutex<Domain>,
    tokens: TokenIssuer,
    signing_key: [u8; 16],
    application_key: String,
    pub(crate) controls: Controls,
    /// The file the state is saved in after every change (and the lock that orders the saves).
    file: Option<(PathBuf, Mutex<()>)>,
    notices: Option<NoticeHook>,
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
        let domain = Domain {
            application_keys: BTreeSet::from([application_key.to_owned()]),
            customers: HashMap::new(),
            codes: HashMap::new(),
            outbox: Vec::new(),
            revoked: HashSet::new(),
            code_lifetime: DEFAULT_CODE_LIFETIME,
        };
        Self::with(
            *Uuid::new_v4().as_bytes(),
            application_key.to_owned(),
            domain,
        )
    }

    fn with(signing_key: [u8; 16], application_key: String, domain: Domain) -> Self {
        Self {
            domain: Mutex::new(domain),
            tokens: TokenIssuer::new(
                &signing_key,
                "http://menu-mock.local/api/customers/sign-in".into(),
            ),
            signing_key,
            application_key,
            controls: Controls::default(),
            file: None,
            notices: None,
        }
    }

    /// The state saved in `path` by a mock started with [`MockState::save_to`]: its customers,
    /// codes, messages and tokens. A file that cannot be read, or is not a state file, is an
    /// error (never an empty state).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let path = path.as_ref();
        let error = |reason: String| StateError::File {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
        let snapshot: Snapshot = serde_json::from_slice(&text)
            .map_err(|e| error(format!("it is not a mock state file ({e})")))?;
        if snapshot.format != 1 {
            return Err(error(format!("unknown format {}", snapshot.format)));
        }
        let signing_key = decode_hex(&snapshot.signing_key)
            .ok_or_else(|| error("its signing key is not 32 hexadecimal digits".into()))?;
        Ok(Self::with(
            signing_key,
            snapshot.application_key,
            snapshot.domain,
        ))
    }

    /// Saves the state in `path` now, and again after every change from then on (atomically:
    /// a temporary file beside it, renamed over it). A failed later save is a
    /// [`Notice::NotSaved`]; the change holds in memory.
    pub fn save_to(mut self, path: impl Into<PathBuf>) -> Result<Self, StateError> {
        self.file = Some((path.into(), Mutex::new(())));
        self.save()?;
        Ok(self)
    }

    /// Calls `hook` with every [`Notice`] (each message sent, a failed save), as it happens.
    pub fn on_notice(mut self, hook: impl Fn(&Notice) + Send + Sync + 'static) -> Self {
        self.notices = Some(Box::new(hook));
        self
    }

    fn lock(&self) -> MutexGuard<'_, Domain> {
        self.domain.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the state file, if there is one.
    fn save(&self) -> Result<(), StateError> {
        let Some((path, order)) = &self.file else {
            return Ok(());
        };
        let _in_order = order.lock().unwrap_or_else(PoisonError::into_inner);
        let error = |reason: String| StateError::File {
            path: path.clone(),
            reason,
        };
        let json = {
            let domain = self.lock();
            serde_json::to_vec_pretty(&SnapshotRef {
                format: 1,
                application_key: &self.application_key,
                signing_key: encode_hex(&self.signing_key),
                domain: &domain,
            })
            .map_err(|e| error(format!("cannot encode it: {e}")))?
        };
        write_atomically(path, &json).map_err(|e| error(format!("cannot write it: {e}")))
    }

    /// Saves after a change; a failure is a notice (the change holds in memory).
    pub(crate) fn changed(&self) {
        if let Err(error) = self.save() {
            self.notify(&Notice::NotSaved(error.to_string()));
        }
    }

    fn notify(&self, notice: &Notice) {
        if let Some(hook) = &self.notices {
            hook(notice);
        }
    }

    /// Sends what a step queued (outside the state's lock).
    pub(crate) fn sent(&self, messages: Vec<Message>) {
        for message in messages {
            self.notify(&Notice::Sent(message));
        }
    }

    /// The application key the state was created with.
    pub fn application_key(&self) -> &str {
        &self.application_key
    }

    /// Accepts another application key.
    pub fn add_application_key(&self, key: impl Into<String>) {
        self.lock().application_keys.insert(key.into());
        self.changed();
    }

    pub(crate) fn knows_application(&self, key: &str) -> bool {
        self.lock().application_keys.contains(key)
    }

    /// Adds (or replaces) a customer; `has_pending_*_change` follow the pending changes (none).
    pub fn add_customer(&self, mut account: CustomerAccount) {
        account.has_pending_phone_number_change = false;
        account.has_pending_email_change = false;
        self.lock()
            .customers
            .insert(account.id, Customer::new(account));
        self.changed();
    }

    /// The customer's account as the API would return it.
    pub fn customer(&self, id: Uuid) -> Option<CustomerAccount> {
        self.lock().customers.get(&id).map(|c| c.account.clone())
    }

    /// The account that has this email (case-insensitively).
    pub fn customer_by_email(&self, email: &str) -> Option<CustomerAccount> {
        let domain = self.lock();
        domain
            .customer_with_email(email)
            .map(|id| domain.customers[&id].account.clone())
    }

    /// Starts a phone number change that `confirmation_code` confirms.
    pub fn set_pending_phone_change(
        &self,
        id: Uuid,
        phone_number: impl Into<String>,
        confirmation_code: impl Into<String>,
    ) -> Result<(), StateError> {
        {
            let mut domain = self.lock();
            let customer = domain
                .customers
                .get_mut(&id)
                .ok_or(StateError::UnknownCustomer(id))?;
            customer.pending_phone = Some(PendingPhoneChange {
                phone_number: phone_number.into(),
                confirmation_code: confirmation_code.into(),
            });
            customer.pending_phone_sent_at = None;
            customer.account.has_pending_phone_number_change = true;
        }
        self.changed();
        Ok(())
    }

    /// The customer's pending phone number change, if any.
    pub fn pending_phone_change(&self, id: Uuid) -> Option<PendingPhoneChange> {
        self.lock().customers.get(&id)?.pending_phone.clone()
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
        self.lock().code_lifetime = lifetime;
        self.changed();
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

    /// Whether `token` would be accepted now (signature, times, not invalidated by a refresh,
    /// its customer still there); `for_refresh` accepts an expired token inside its refresh
    /// window.
    pub fn accepts_token(&self, token: &str, for_refresh: bool) -> bool {
        self.tokens
            .check(token, for_refresh, Utc::now())
            .is_ok_and(|subject| self.lock().check_subject(&subject).is_ok())
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

    pub(crate) fn tokens(&self) -> &TokenIssuer {
        &self.tokens
    }

    /// Runs `f` with exclusive access to the domain (one consistent step of a request); the
    /// messages it queues are sent, and the change saved, afterwards.
    pub(crate) fn step<R>(&self, f: impl FnOnce(&mut Step<'_>) -> R) -> R {
        let (result, messages, changed) = {
            let mut domain = self.lock();
            let mut step = Step {
                domain: &mut domain,
                messages: Vec::new(),
                changed: false,
            };
            let result = f(&mut step);
            (result, step.messages, step.changed)
        };
        if changed {
            self.changed();
        }
        self.sent(messages);
        result
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
            .field("customers", &self.lock().customers.len())
            .field("file", &self.file.as_ref().map(|(path, _)| path))
            .finish_non_exhaustive()
    }
}

/// A [`Snapshot`] to write, borrowing the domain.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    application_key: &'a str,
    signing_key: String,
    domain: &'a Domain,
}

impl Domain {
    fn customer_with_email(&self, email: &str) -> Option<Uuid> {
        self.customers
            .iter()
            .find(|(_, c)| c.account.email.eq_ignore_ascii_case(email))
            .map(|(id, _)| *id)
    }

    /// A 401 when the token was invalidated by a refresh, or its customer is gone.
    fn check_subject(&self, subject: &TokenSubject) -> Result<(), Failure> {
        if self.revoked.contains(&subject.jti) {
            return Err(Failure::unauthorized(
                TokenRejection::Blacklisted.to_string(),
            ));
        }
        if !self.customers.contains_key(&subject.customer_id) {
            return Err(Failure::unauthorized(
                "The customer account of this token no longer exists.",
            ));
        }
        Ok(())
    }
}

/// A one-time code as [`Step::redeem`] sees it.
struct PendingCode<'a> {
    code: &'a str,
    /// When it was sent (`None`: it never expires).
    sent_at: Option<DateTime<Utc>>,
    used: bool,
}

/// Why a one-time code is refused, in the order [`Step::redeem`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeRefusal {
    NothingPending,
    Used,
    Expired,
    Wrong,
}

/// The answer to a refused code that confirms a pending `change` ("email change").
fn change_code_refused(refusal: CodeRefusal, change: &str) -> Failure {
    let problem = match refusal {
        CodeRefusal::NothingPending => {
            return Failure::bad_request(format!("There is no pending {change} to verify."));
        }
        CodeRefusal::Used => "has already been used",
        CodeRefusal::Expired => "has expired",
        CodeRefusal::Wrong => "is invalid",
    };
    Failure::invalid_field(
        "confirmation_code",
        format!("The confirmation code {problem}."),
    )
}

/// Exclusive access to the state during one step of a request.
pub(crate) struct Step<'a> {
    domain: &'a mut Domain,
    messages: Vec<Message>,
    changed: bool,
}

impl Step<'_> {
    /// A 401 when the token was invalidated by a refresh, or its customer is gone.
    pub(crate) fn check_subject(&self, subject: &TokenSubject) -> Result<(), Failure> {
        self.domain.check_subject(subject)
    }

    pub(crate) fn customer_exists(&self, id: Uuid) -> bool {
        self.domain.customers.contains_key(&id)
    }

    /// The customer's account (`None`: no such customer).
    pub(crate) fn account(&self, id: Uuid) -> Option<CustomerAccount> {
        self.domain.customers.get(&id).map(|c| c.account.clone())
    }

    fn send(&mut self, to: &str, kind: MessageKind, code: &str) {
        let message = Message {
            to: to.to_owned(),
            kind,
            code: code.to_owned(),
            sent_at: Utc::now(),
        };
        self.domain.outbox.push(message.clone());
        self.messages.push(message);
        self.changed = true;
    }

    /// The one rule of one-time codes (sign-up codes, the codes that confirm a new email or phone
    /// number): `given` redeems `pending`, or the first refusal that applies, in this order:
    /// nothing pending -> used -> expired -> wrong. A code past its lifetime is refused as
    /// expired whatever was typed (no other code would do: a new one must be asked for).
    fn redeem(&self, pending: Option<PendingCode<'_>>, given: &str) -> Result<(), CodeRefusal> {
        let pending = pending.ok_or(CodeRefusal::NothingPending)?;
        if pending.used {
            return Err(CodeRefusal::Used);
        }
        let lifetime = chrono::TimeDelta::from_std(self.domain.code_lifetime)
            .unwrap_or(chrono::TimeDelta::MAX);
        let expired = pending.sent_at.is_some_and(|sent_at| {
            sent_at
                .checked_add_signed(lifetime)
                .is_some_and(|end| Utc::now() >= end)
        });
        if expired {
            return Err(CodeRefusal::Expired);
        }
        if pending.code != given {
            return Err(CodeRefusal::Wrong);
        }
        Ok(())
    }

    /// Whether an account has this email.
    pub(crate) fn email_exists(&self, email: &str) -> bool {
        self.domain.customer_with_email(email).is_some()
    }

    /// Sends a one-time code to `email`: a login code if an account has it, a sign-up code
    /// otherwise. It replaces an earlier code of that email.
    pub(crate) fn send_passcode(&mut self, email: &str) {
        let code = new_code();
        let kind = if self.email_exists(email) {
            MessageKind::LoginCode
        } else {
            MessageKind::SignUpCode
        };
        self.domain.codes.insert(
            email.to_ascii_lowercase(),
            Passcode {
                code: code.clone(),
                sent_at: Utc::now(),
                used: false,
            },
        );
        self.send(email, kind, &code);
    }

    /// Creates the account of `email` with the one-time code sent to it (used up by this).
    pub(crate) fn register(
        &mut self,
        email: &str,
        code: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<CustomerAccount, Failure> {
        let passcode = self.domain.codes.get(&email.to_ascii_lowercase());
        let pending = passcode.map(|p| PendingCode {
            code: &p.code,
            sent_at: Some(p.sent_at),
            used: p.used,
        });
        self.redeem(pending, code).map_err(|refusal| {
            let field = "passwordless_code";
            Failure::invalid_field(
                field,
                match refusal {
                    CodeRefusal::NothingPending => "No one-time code was requested for this email.",
                    CodeRefusal::Used => "The one-time code has already been used.",
                    CodeRefusal::Expired => "The one-time code has expired.",
                    CodeRefusal::Wrong => "The one-time code is invalid.",
                },
            )
        })?;
        if self.email_exists(email) {
            return Err(Failure::invalid_field(
                "passwordless_email",
                "The email has already been taken.",
            ));
        }
        // Every check passed: the code is used up by this registration.
        if let Some(code) = self.domain.codes.get_mut(&email.to_ascii_lowercase()) {
            code.used = true;
        }
        self.changed = true;
        let now = now_timestamp();
        let account = CustomerAccount {
            id: Uuid::new_v4(),
            type_id: 1,
            reference_type: Some("CustomerAccount".into()),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email: email.to_owned(),
            phone_number: String::new(),
            locale: "en".into(),
            state: 1,
            demographics: Vec::new(),
            optin_status_email: 3,
            optin_status_pn: 3,
            has_pending_email_change: false,
            has_pending_phone_number_change: false,
            is_social: false,
            social_login: None,
            updated_at: Some(now.clone()),
            created_at: Some(now),
            confirmed: true,
        };
        self.domain
            .customers
            .insert(account.id, Customer::new(account.clone()));
        Ok(account)
    }

    /// Applies an update (checked against its schema, opt-ins from 1 to 3 included): names,
    /// demographics and opt-ins at once; a new email or phone number
    /// becomes a pending change, with a code sent to the new address.
    pub(crate) fn update(
        &mut self,
        id: Uuid,
        update: &menu_client::types::CustomerAccountUpdate,
    ) -> Result<CustomerAccount, Failure> {
        let Some(current) = self.domain.customers.get(&id).map(|c| &c.account) else {
            return Err(Failure::new(StatusCode::NOT_FOUND, "Customer not found."));
        };
        let new_email = update
            .email
            .as_deref()
            .filter(|email| !current.email.eq_ignore_ascii_case(email));
        let new_phone = update
            .phone_number
            .as_deref()
            .filter(|phone| current.phone_number != *phone);
        if let Some(email) = new_email
            && self.email_exists(email)
        {
            return Err(Failure::invalid_field(
                "email",
                "The email has already been taken.",
            ));
        }
        let mut sends = Vec::new();
        let customer = self
            .domain
            .customers
            .get_mut(&id)
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Customer not found."))?;
        if let Some(email) = new_email {
            let code = new_code();
            customer.pending_email = Some(PendingEmailChange {
                email: email.to_owned(),
                code: code.clone(),
                sent_at: Utc::now(),
            });
            sends.push((email.to_owned(), MessageKind::EmailChange, code));
        }
        if let Some(phone) = new_phone {
            let code = new_code();
            customer.pending_phone = Some(PendingPhoneChange {
                phone_number: phone.to_owned(),
                confirmation_code: code.clone(),
            });
            customer.pending_phone_sent_at = Some(Utc::now());
            sends.push((phone.to_owned(), MessageKind::PhoneChange, code));
        }
        let has_email = customer.pending_email.is_some();
        let has_phone = customer.pending_phone.is_some();
        let account = &mut customer.account;
        if let Some(first_name) = &update.first_name {
            account.first_name.clone_from(first_name);
        }
        if let Some(last_name) = &update.last_name {
            account.last_name.clone_from(last_name);
        }
        for answer in &update.demographics {
            match account
                .demographics
                .iter_mut()
                .find(|d| d.demographic_id == answer.demographic_id)
            {
                Some(known) => known.value.clone_from(&answer.value),
                None => account.demographics.push(Demographic {
                    demographic_id: answer.demographic_id,
                    id: Some(Uuid::new_v4()),
                    value: answer.value.clone(),
                }),
            }
        }
        if let Some(status) = update.optin_status_email {
            account.optin_status_email = i64::from(status.get());
        }
        if let Some(status) = update.optin_status_pn {
            account.optin_status_pn = i64::from(status.get());
        }
        account.has_pending_email_change = has_email;
        account.has_pending_phone_number_change = has_phone;
        account.updated_at = Some(now_timestamp());
        let account = account.clone();
        self.changed = true;
        for (to, kind, code) in sends {
            self.send(&to, kind, &code);
        }
        Ok(account)
    }

    /// Confirms the pending email change with `code`.
    pub(crate) fn verify_email(
        &mut self,
        id: Uuid,
        code: &str,
    ) -> Result<CustomerAccount, Failure> {
        let pending = self
            .domain
            .customers
            .get(&id)
            .and_then(|c| c.pending_email.clone());
        let view = pending.as_ref().map(|p| PendingCode {
            code: &p.code,
            sent_at: Some(p.sent_at),
            used: false,
        });
        self.redeem(view, code)
            .map_err(|refusal| change_code_refused(refusal, "email change"))?;
        let Some(pending) = pending else {
            return Err(change_code_refused(
                CodeRefusal::NothingPending,
                "email change",
            ));
        };
        if self
            .domain
            .customer_with_email(&pending.email)
            .is_some_and(|other| other != id)
        {
            return Err(Failure::invalid_field(
                "email",
                "The email has already been taken.",
            ));
        }
        let customer = self
            .domain
            .customers
            .get_mut(&id)
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Customer not found."))?;
        customer.pending_email = None;
        let account = &mut customer.account;
        account.email = pending.email;
        account.has_pending_email_change = false;
        account.updated_at = Some(now_timestamp());
        self.changed = true;
        Ok(account.clone())
    }

    /// Confirms the pending phone number change with `code`.
    pub(crate) fn verify_phone(
        &mut self,
        id: Uuid,
        code: &str,
    ) -> Result<CustomerAccount, Failure> {
        let customer = self
            .domain
            .customers
            .get(&id)
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Customer not found."))?;
        let view = customer.pending_phone.as_ref().map(|p| PendingCode {
            code: &p.confirmation_code,
            sent_at: customer.pending_phone_sent_at,
            used: false,
        });
        self.redeem(view, code)
            .map_err(|refusal| change_code_refused(refusal, "phone number change"))?;
        let customer = self
            .domain
            .customers
            .get_mut(&id)
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Customer not found."))?;
        let Some(pending) = &customer.pending_phone else {
            return Err(change_code_refused(
                CodeRefusal::NothingPending,
                "phone number change",
            ));
        };
        let phone_number = pending.phone_number.clone();
        customer.pending_phone = None;
        customer.pending_phone_sent_at = None;
        let account = &mut customer.account;
        account.phone_number = phone_number;
        account.has_pending_phone_number_change = false;
        account.updated_at = Some(now_timestamp());
        self.changed = true;
        Ok(account.clone())
    }

    /// Deletes the account: its tokens are refused from then on, and its email is free.
    pub(crate) fn delete(&mut self, id: Uuid) -> Result<(), Failure> {
        let customer = self
            .domain
            .customers
            .remove(&id)
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Customer not found."))?;
        self.domain
            .codes
            .remove(&customer.account.email.to_ascii_lowercase());
        self.changed = true;
        Ok(())
    }

    /// Invalidates the old token; returns what its successor must be (from now, with the same
    /// lifetimes), to be signed with [`TokenIssuer::issue`] once the state is released.
    pub(crate) fn revoke_for_rotation(&mut self, old: TokenSubject) -> TokenSpec {
        self.domain.revoked.insert(old.jti);
        self.changed = true;
        TokenSpec {
            issued_at: Utc::now(),
            lifetime: old.lifetime,
            refresh_window: old.refresh_window,
        }
    }
}

/// Writes `contents` to `path` through a temporary file beside it, renamed over it.
fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".menu-mock-state-")
        .tempfile_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<[u8; 16]> {
    let mut bytes = [0u8; 16];
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(bytes)
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
