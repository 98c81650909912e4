//! [`Retention`]: how much of what grows with use the mock keeps (the outbox's window, the number
//! of revocations), so that its memory and its state database stay bounded however long it runs.
//! The records drop the rest as they change (`records.rs`: pruning on write, no background task).

use std::time::Duration;

/// How much of what grows with use the mock keeps ([`crate::MockState::retain`]).
///
/// Pruning happens as the state changes, never in the background. Besides what is configured
/// here, a one-time code is dropped once it has been expired for ten minutes (until then, using it
/// is refused as expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// How long a message stays in the outbox: never less than the codes' lifetime, so that a
    /// code that can still be used can still be read.
    pub outbox_max_age: Duration,
    /// How many messages the outbox keeps at most (the oldest are dropped first; 0 keeps none).
    pub outbox_max_messages: usize,
    /// How many revocations (tokens a refresh invalidated) are kept at most. A revocation is
    /// dropped anyway once its token could neither be used nor refreshed; over the cap, those
    /// whose tokens would reach that point soonest go first, and such a token is accepted again
    /// until then.
    pub revocations_max: usize,
}

impl Retention {
    /// The default window of the outbox: one hour, 10,000 messages; 10,000 revocations.
    pub const DEFAULT: Self = Self {
        outbox_max_age: Duration::from_secs(60 * 60),
        outbox_max_messages: 10_000,
        revocations_max: 10_000,
    };

    /// The defaults with another window for the outbox.
    pub fn outbox(max_age: Duration, max_messages: usize) -> Self {
        Self {
            outbox_max_age: max_age,
            outbox_max_messages: max_messages,
            ..Self::DEFAULT
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::DEFAULT
    }
}
