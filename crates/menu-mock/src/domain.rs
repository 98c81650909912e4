//! The rules of the customer's lifecycle, over the [`Records`]: sign-up with one-time codes,
//! account changes confirmed with codes, deletion, the rotation of a token. Each rule runs in a
//! [`Step`] (exclusive access to the records), refuses with a [`DomainError`] (what the HTTP edge,
//! `reply.rs`, turns into an answer: no HTTP here) and records each [`Change`] it makes, for the
//! store to make durable.
//!
//! The three kinds of one-time code follow the one rule of `codes.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use menu_client::Timestamp;
use menu_client::types::{CustomerAccount, CustomerAccountUpdate, Demographic};
use uuid::Uuid;

use crate::codes::{self, CodeRefusal, OneTimeCode, PhoneCode};
use crate::outbox::{Message, MessageKind, new_code};
use crate::records::{Change, Customer, Passcode, PendingEmailChange, PendingPhoneChange, Records};
use crate::retention::Retention;
use crate::tokens::{TokenSpec, TokenSubject};

/// What a code, or an email, is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Signing up (`register`).
    SignUp,
    /// Changing the account's email.
    EmailChange,
    /// Changing the account's phone number.
    PhoneChange,
}

/// Why a rule refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DomainError {
    /// No customer has this id.
    UnknownCustomer(Uuid),
    /// The code given for this purpose is refused.
    CodeRefused(Purpose, CodeRefusal),
    /// Another account has the email (signing up, or changing the email).
    EmailTaken(Purpose),
    /// The token was invalidated by a refresh.
    TokenInvalidated,
    /// The token's customer no longer exists.
    TokenCustomerGone,
}

/// Checks a token's subject against the records: not invalidated, its customer still there.
pub(crate) fn check_subject(records: &Records, subject: &TokenSubject) -> Result<(), DomainError> {
    if records.is_revoked(&subject.jti) {
        return Err(DomainError::TokenInvalidated);
    }
    if records.customer(&subject.customer_id).is_none() {
        return Err(DomainError::TokenCustomerGone);
    }
    Ok(())
}

/// Exclusive access to the records during one step of a request, and what it changed.
pub(crate) struct Step<'a> {
    records: &'a mut Records,
    changes: Vec<Change>,
    now: DateTime<Utc>,
}

impl<'a> Step<'a> {
    /// A step on `records`, now.
    pub(crate) fn new(records: &'a mut Records) -> Self {
        Self {
            records,
            changes: Vec::new(),
            now: Utc::now(),
        }
    }

    /// What the step changed, in order; if it changed anything, followed by what the
    /// `retention` no longer keeps, dropped now (pruning on write).
    pub(crate) fn into_changes(mut self, retention: &Retention) -> Vec<Change> {
        if !self.changes.is_empty() {
            let pruned = self.records.prune(self.now, retention);
            self.changes.extend(pruned);
        }
        self.changes
    }

    fn customer(&self, id: Uuid) -> Result<&Customer, DomainError> {
        self.records
            .customer(&id)
            .ok_or(DomainError::UnknownCustomer(id))
    }

    fn customer_mut(&mut self, id: Uuid) -> Result<&mut Customer, DomainError> {
        self.records
            .customer_mut(&id)
            .ok_or(DomainError::UnknownCustomer(id))
    }

    /// Now, in the API's timestamp shape (`2023-08-02 10:09:12`, UTC).
    fn timestamp(&self) -> Timestamp {
        Timestamp::new(self.now.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    fn send(&mut self, to: &str, kind: MessageKind, code: &str) {
        let message = Message {
            to: to.to_owned(),
            kind,
            code: code.to_owned(),
            sent_at: self.now,
        };
        self.records.outbox.push_back(message.clone());
        self.changes.push(Change::MessageSent(message));
    }

    /// The one rule of one-time codes (`codes.rs`), for `purpose`.
    fn redeem<C: OneTimeCode>(
        &self,
        purpose: Purpose,
        pending: Option<C>,
        given: &str,
    ) -> Result<C, DomainError> {
        codes::redeem(pending, given, self.records.code_lifetime, self.now)
            .map_err(|refusal| DomainError::CodeRefused(purpose, refusal))
    }

    /// Whether an account has this email.
    pub(crate) fn email_exists(&self, email: &str) -> bool {
        self.records.customer_with_email(email).is_some()
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
        let key = email.to_ascii_lowercase();
        let passcode = Passcode {
            code: code.clone(),
            sent_at: self.now,
            used: false,
        };
        self.records.insert_code(key.clone(), passcode);
        self.changes.push(Change::CodeIssued(key));
        self.send(email, kind, &code);
    }

    /// Creates the account of `email` with the one-time code sent to it (used up by this).
    pub(crate) fn register(
        &mut self,
        email: &str,
        code: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<CustomerAccount, DomainError> {
        let key = email.to_ascii_lowercase();
        let pending = self.records.code(&key).cloned();
        self.redeem(Purpose::SignUp, pending, code)?;
        if self.email_exists(email) {
            return Err(DomainError::EmailTaken(Purpose::SignUp));
        }
        // Every check passed: the code is used up by this registration.
        if self.records.use_code(&key) {
            self.changes.push(Change::CodeConsumed(key));
        }
        let now = self.timestamp();
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
        self.records.insert_customer(Customer::new(account.clone()));
        self.changes.push(Change::CustomerCreated(account.id));
        Ok(account)
    }

    /// Applies an update (checked against its schema, opt-ins from 1 to 3 included): names,
    /// demographics and opt-ins at once; a new email or phone number becomes a pending change,
    /// with a code sent to the new address.
    pub(crate) fn update(
        &mut self,
        id: Uuid,
        update: &CustomerAccountUpdate,
    ) -> Result<CustomerAccount, DomainError> {
        let current = &self.customer(id)?.account;
        let new_email = update
            .email
            .as_deref()
            .filter(|email| !current.email.eq_ignore_ascii_case(email));
        let new_phone = update
            .phone_number
            .as_deref()
            .filter(|phone| current.phone_number != *phone);
        if new_email.is_some_and(|email| self.email_exists(email)) {
            return Err(DomainError::EmailTaken(Purpose::EmailChange));
        }
        let (now, timestamp) = (self.now, self.timestamp());
        let mut sends = Vec::new();
        let customer = self.customer_mut(id)?;
        if let Some(email) = new_email {
            let code = new_code();
            customer.pending_email = Some(PendingEmailChange {
                email: email.to_owned(),
                code: code.clone(),
                sent_at: now,
            });
            sends.push((email, MessageKind::EmailChange, code));
        }
        if let Some(phone) = new_phone {
            let code = new_code();
            customer.pending_phone = Some(PendingPhoneChange {
                phone_number: phone.to_owned(),
                confirmation_code: code.clone(),
            });
            customer.pending_phone_sent_at = Some(now);
            sends.push((phone, MessageKind::PhoneChange, code));
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
        account.updated_at = Some(timestamp);
        let account = account.clone();
        self.changes.push(Change::CustomerUpdated(id));
        for (to, kind, code) in sends {
            self.send(to, kind, &code);
        }
        Ok(account)
    }

    /// Confirms the pending email change with `code`.
    pub(crate) fn verify_email(
        &mut self,
        id: Uuid,
        code: &str,
    ) -> Result<CustomerAccount, DomainError> {
        let pending = self.customer(id)?.pending_email.clone();
        let pending = self.redeem(Purpose::EmailChange, pending, code)?;
        if self
            .records
            .customer_with_email(&pending.email)
            .is_some_and(|other| other != id)
        {
            return Err(DomainError::EmailTaken(Purpose::EmailChange));
        }
        let timestamp = self.timestamp();
        self.customer(id)?;
        self.records.set_customer_email(id, pending.email);
        let customer = self.customer_mut(id)?;
        customer.pending_email = None;
        let account = &mut customer.account;
        account.has_pending_email_change = false;
        account.updated_at = Some(timestamp);
        let account = account.clone();
        self.changes.push(Change::CustomerUpdated(id));
        Ok(account)
    }

    /// Confirms the pending phone number change with `code`.
    pub(crate) fn verify_phone(
        &mut self,
        id: Uuid,
        code: &str,
    ) -> Result<CustomerAccount, DomainError> {
        let customer = self.customer(id)?;
        let pending = customer.pending_phone.clone().map(|change| PhoneCode {
            change,
            sent_at: customer.pending_phone_sent_at,
        });
        let pending = self.redeem(Purpose::PhoneChange, pending, code)?;
        let timestamp = self.timestamp();
        let customer = self.customer_mut(id)?;
        customer.pending_phone = None;
        customer.pending_phone_sent_at = None;
        let account = &mut customer.account;
        account.phone_number = pending.change.phone_number;
        account.has_pending_phone_number_change = false;
        account.updated_at = Some(timestamp);
        let account = account.clone();
        self.changes.push(Change::CustomerUpdated(id));
        Ok(account)
    }

    /// Deletes the account: its tokens are refused from then on, and its email is free.
    pub(crate) fn delete(&mut self, id: Uuid) -> Result<(), DomainError> {
        let customer = self
            .records
            .remove_customer(id)
            .ok_or(DomainError::UnknownCustomer(id))?;
        self.changes.push(Change::CustomerDeleted(id));
        let key = customer.account.email.to_ascii_lowercase();
        if self.records.remove_code(&key) {
            self.changes.push(Change::CodeDiscarded(key));
        }
        Ok(())
    }

    /// The rotation of the token `old` names: it is invalidated, and the answer is its customer's
    /// account and what the successor must be (from now, with the same lifetimes), to be signed
    /// once the records are released.
    pub(crate) fn rotate(
        &mut self,
        old: TokenSubject,
    ) -> Result<(CustomerAccount, TokenSpec), DomainError> {
        check_subject(self.records, &old)?;
        let account = self.customer(old.customer_id)?.account.clone();
        self.records.revoke(old.jti.clone(), old.usable_until);
        self.changes.push(Change::TokenInvalidated(old.jti));
        let successor = TokenSpec {
            issued_at: self.now,
            lifetime: old.lifetime,
            refresh_window: old.refresh_window,
        };
        Ok((account, successor))
    }

    /// Accepts another application key.
    pub(crate) fn add_application_key(&mut self, key: String) {
        self.records.application_keys.insert(key.clone());
        self.changes.push(Change::ApplicationKeyAdded(key));
    }

    /// Adds a customer, with no pending change, replacing the one with its id, and any other
    /// with its email (an email names one account).
    pub(crate) fn add_customer(&mut self, mut account: CustomerAccount) {
        account.has_pending_phone_number_change = false;
        account.has_pending_email_change = false;
        let id = account.id;
        if let Some(displaced) = self.records.insert_customer(Customer::new(account)) {
            self.changes.push(Change::CustomerDeleted(displaced));
        }
        self.changes.push(Change::CustomerCreated(id));
    }

    /// Starts a phone number change that never expires.
    pub(crate) fn set_pending_phone_change(
        &mut self,
        id: Uuid,
        change: PendingPhoneChange,
    ) -> Result<(), DomainError> {
        let customer = self.customer_mut(id)?;
        customer.pending_phone = Some(change);
        customer.pending_phone_sent_at = None;
        customer.account.has_pending_phone_number_change = true;
        self.changes.push(Change::CustomerUpdated(id));
        Ok(())
    }

    /// Sets how long one-time codes can be used from now on.
    pub(crate) fn set_code_lifetime(&mut self, lifetime: Duration) {
        self.records.code_lifetime = lifetime;
        self.changes.push(Change::CodeLifetimeSet(lifetime));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::DEFAULT_CODE_LIFETIME;

    #[test]
    fn each_rule_refuses_with_a_domain_error_and_records_what_it_changed() {
        let mut records = Records::new("app", DEFAULT_CODE_LIFETIME);
        let mut step = Step::new(&mut records);
        let email = "Ana@Example.com";
        let key = "ana@example.com".to_owned();
        step.send_passcode(email);
        let code = step.records.code(&key).unwrap().code.clone();
        assert_eq!(
            step.register(email, "wrong", "Ana", "P"),
            Err(DomainError::CodeRefused(
                Purpose::SignUp,
                CodeRefusal::Wrong
            ))
        );
        let id = step.register(email, &code, "Ana", "P").unwrap().id;
        step.delete(id).unwrap();
        assert_eq!(step.delete(id), Err(DomainError::UnknownCustomer(id)));
        let changes = step.into_changes(&Retention::DEFAULT);
        assert!(
            matches!(
                changes.as_slice(),
                [
                    Change::CodeIssued(issued),
                    Change::MessageSent(message),
                    Change::CodeConsumed(consumed),
                    Change::CustomerCreated(created),
                    Change::CustomerDeleted(deleted),
                    Change::CodeDiscarded(discarded),
                ] if *issued == key && message.to == email && *consumed == key
                    && *created == id && *deleted == id && *discarded == key
            ),
            "{changes:?}"
        );
        assert!(records.customer_count() == 0 && records.code(&key).is_none());
    }
}
