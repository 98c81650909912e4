//! The one rule of one-time codes, whatever they are for (the sign-up code `register` takes, the
//! codes that confirm a new email or phone number): [`redeem`]. When a code fails more than one
//! condition, the first refusal in this order answers: nothing pending -> the code was used
//! already -> it has expired -> it is not the code sent. So a code past its lifetime is refused
//! as expired whatever was typed (no other code would do: a new one must be asked for), and a
//! used code as used.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::records::{Passcode, PendingEmailChange, PendingPhoneChange};

/// How long a one-time code (sign-up, sign-in, email or phone change) can be used, unless
/// [`crate::MockState::set_code_lifetime`] says otherwise.
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Why a one-time code is refused, in the order [`redeem`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeRefusal {
    /// No code was sent (or no change is pending).
    NothingPending,
    /// The code was used already.
    Used,
    /// The code is past its lifetime.
    Expired,
    /// Not the code that was sent.
    Wrong,
}

/// A one-time code waiting to be used, as [`redeem`] sees it.
pub(crate) trait OneTimeCode {
    /// The code that was sent.
    fn code(&self) -> &str;
    /// When it was sent (`None`: it never expires).
    fn sent_at(&self) -> Option<DateTime<Utc>>;
    /// Whether it was used already.
    fn used(&self) -> bool {
        false
    }
}

impl OneTimeCode for Passcode {
    fn code(&self) -> &str {
        &self.code
    }
    fn sent_at(&self) -> Option<DateTime<Utc>> {
        Some(self.sent_at)
    }
    fn used(&self) -> bool {
        self.used
    }
}

impl OneTimeCode for PendingEmailChange {
    fn code(&self) -> &str {
        &self.code
    }
    fn sent_at(&self) -> Option<DateTime<Utc>> {
        Some(self.sent_at)
    }
}

/// A pending phone number change, with when its code was sent (`None`: set by a test).
pub(crate) struct PhoneCode {
    pub(crate) change: PendingPhoneChange,
    pub(crate) sent_at: Option<DateTime<Utc>>,
}

impl OneTimeCode for PhoneCode {
    fn code(&self) -> &str {
        &self.change.confirmation_code
    }
    fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.sent_at
    }
}

/// `given` redeems `pending` (handed back) at `now`, codes living `lifetime`; or the first
/// refusal that applies (see the module documentation).
pub(crate) fn redeem<C: OneTimeCode>(
    pending: Option<C>,
    given: &str,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> Result<C, CodeRefusal> {
    let pending = pending.ok_or(CodeRefusal::NothingPending)?;
    if pending.used() {
        return Err(CodeRefusal::Used);
    }
    let lifetime = TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::MAX);
    let expired = pending.sent_at().is_some_and(|sent_at| {
        sent_at
            .checked_add_signed(lifetime)
            .is_some_and(|end| now >= end)
    });
    if expired {
        return Err(CodeRefusal::Expired);
    }
    if pending.code() != given {
        return Err(CodeRefusal::Wrong);
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_refusal_that_applies_answers() {
        let now = Utc::now();
        let code = |used, minutes_ago| Passcode {
            code: "123456".into(),
            sent_at: now - TimeDelta::minutes(minutes_ago),
            used,
        };
        let minute = Duration::from_secs(60);
        let redeem = |pending, given| redeem(pending, given, 5 * minute, now).map(drop);
        assert_eq!(redeem(None, "123456"), Err(CodeRefusal::NothingPending));
        assert_eq!(
            redeem(Some(code(true, 9)), "000000"),
            Err(CodeRefusal::Used)
        );
        assert_eq!(
            redeem(Some(code(false, 9)), "000000"),
            Err(CodeRefusal::Expired)
        );
        assert_eq!(
            redeem(Some(code(false, 1)), "000000"),
            Err(CodeRefusal::Wrong)
        );
        assert_eq!(redeem(Some(code(false, 1)), "123456"), Ok(()));
        // A phone change set by a test never expires.
        let change = PendingPhoneChange {
            phone_number: "+1".into(),
            confirmation_code: "1".into(),
        };
        let phone = PhoneCode {
            change,
            sent_at: None,
        };
        assert!(super::redeem(Some(phone), "1", Duration::ZERO, now).is_ok());
    }
}
