//! The messages the mock "sends": one-time codes for sign-up and sign-in, and the codes that
//! confirm a new email or phone number. Nothing leaves the process: each message is kept in the
//! outbox, which tests read from the library ([`crate::MockState::outbox`]) or over HTTP
//! (`GET /_mock/outbox`, outside the API's base path), and `menu mock serve` prints as it is sent;
//! `Outbox`, the messages kept, indexed by recipient.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessageKind {
    /// The one-time code that `register` takes (no account had the email).
    SignUpCode,
    /// The one-time code for an email that already has an account.
    LoginCode,
    /// The code that confirms a new email (`verify_email_update`), sent to the new email.
    EmailChange,
    /// The code that confirms a new phone number (`verify_phone_number_update`), sent to it.
    PhoneChange,
}

/// One message the mock sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The email address or phone number it went to.
    pub to: String,
    /// What it is for.
    pub kind: MessageKind,
    /// The code it carries.
    pub code: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// The messages kept, oldest first, indexed by recipient (case-insensitively), so that reading
/// one address's messages does not scan them all.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    messages: VecDeque<Message>,
    /// The position, since the outbox began, of `messages[0]`.
    first: u64,
    /// The positions of each recipient's messages (lower case), oldest first.
    by_recipient: HashMap<String, VecDeque<u64>>,
}

impl Outbox {
    /// Adds `message` as the newest.
    pub(crate) fn push_back(&mut self, message: Message) {
        let position = self.first + self.messages.len() as u64;
        self.by_recipient
            .entry(message.to.to_ascii_lowercase())
            .or_default()
            .push_back(position);
        self.messages.push_back(message);
    }

    /// Removes the oldest message.
    pub(crate) fn pop_front(&mut self) -> Option<Message> {
        let message = self.messages.pop_front()?;
        self.first += 1;
        let recipient = message.to.to_ascii_lowercase();
        if let Some(positions) = self.by_recipient.get_mut(&recipient) {
            positions.pop_front();
            if positions.is_empty() {
                self.by_recipient.remove(&recipient);
            }
        }
        Some(message)
    }

    /// The oldest message.
    pub(crate) fn front(&self) -> Option<&Message> {
        self.messages.front()
    }

    /// How many messages are kept.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    /// Every message, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter()
    }

    /// The messages sent to `to` (case-insensitively), oldest first.
    pub(crate) fn to(&self, to: &str) -> impl DoubleEndedIterator<Item = &Message> {
        self.by_recipient
            .get(&to.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .filter_map(|position| {
                let index = usize::try_from(position.checked_sub(self.first)?).ok()?;
                self.messages.get(index)
            })
    }
}

impl Extend<Message> for Outbox {
    fn extend<I: IntoIterator<Item = Message>>(&mut self, messages: I) {
        for message in messages {
            self.push_back(message);
        }
    }
}

/// A fresh six-digit code (never starting with 0, so that it reads the same as a number).
pub(crate) fn new_code() -> String {
    let n = 100_000 + uuid::Uuid::new_v4().as_u128() % 900_000;
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(to: &str, code: &str) -> Message {
        Message {
            to: to.into(),
            kind: MessageKind::SignUpCode,
            code: code.into(),
            sent_at: Utc::now(),
        }
    }

    #[test]
    fn each_recipients_messages_are_found_in_order_through_pruning() {
        let mut outbox = Outbox::default();
        outbox.extend([
            message("Ann@Example.com", "1"),
            message("bob@example.com", "2"),
            message("ann@example.com", "3"),
        ]);
        let codes = |outbox: &Outbox, to: &str| -> Vec<String> {
            outbox.to(to).map(|m| m.code.clone()).collect()
        };
        assert_eq!(codes(&outbox, "ANN@example.com"), ["1", "3"]);
        assert_eq!(outbox.pop_front().unwrap().code, "1");
        assert_eq!(codes(&outbox, "ann@example.com"), ["3"]);
        assert_eq!(outbox.to("bob@example.com").next_back().unwrap().code, "2");
        outbox.pop_front();
        outbox.pop_front();
        assert!(outbox.to("ann@example.com").next().is_none());
        assert!(
            outbox.by_recipient.is_empty(),
            "no index entry outlives its messages"
        );
        outbox.push_back(message("ann@example.com", "4"));
        assert_eq!(codes(&outbox, "ann@example.com"), ["4"]);
        assert_eq!(outbox.len(), 1);
    }
}
