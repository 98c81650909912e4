//! The two operations of the load (`load.rs`): sign-ups of new customers (the tokens of the
//! first ones kept, for the rotations), and round-robin rotations of the accounts' tokens, each
//! account's newest token sent and its successor kept.

use std::sync::{Mutex, PoisonError};

use super::customer::Client;
use super::load::Operation;

/// Sign-ups of new customers, keeping the tokens of the first `keep` (by index) for rotations.
pub(crate) struct SignUps {
    kept: Mutex<Vec<Option<String>>>,
}

impl SignUps {
    /// Sign-ups that keep the tokens of the first `keep`.
    pub(crate) fn keeping(keep: usize) -> Self {
        Self {
            kept: Mutex::new(vec![None; keep]),
        }
    }

    /// The tokens kept, in sign-up order (those of the sign-ups that were made).
    pub(crate) fn into_tokens(self) -> Vec<String> {
        self.kept
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .flatten()
            .collect()
    }
}

impl Operation for SignUps {
    async fn call(&self, client: &mut Client, index: usize) -> Result<(), String> {
        let token = client.sign_up().await?;
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = kept.get_mut(index) {
            *slot = Some(token);
        }
        Ok(())
    }
}

/// Rotations of the accounts' tokens, round-robin: operation `i` rotates account `i % n`'s newest
/// token and keeps its successor.
pub(crate) struct Rotations {
    tokens: Vec<tokio::sync::Mutex<String>>,
}

impl Rotations {
    /// Rotations of these accounts' tokens.
    pub(crate) fn of(tokens: Vec<String>) -> Result<Self, String> {
        if tokens.is_empty() {
            return Err("no account to rotate the token of".into());
        }
        Ok(Self {
            tokens: tokens.into_iter().map(tokio::sync::Mutex::new).collect(),
        })
    }
}

impl Operation for Rotations {
    async fn call(&self, client: &mut Client, index: usize) -> Result<(), String> {
        // One rotation of an account at a time: the token it sends is its newest.
        let mut token = self.tokens[index % self.tokens.len()].lock().await;
        *token = client.rotate(&token).await?;
        Ok(())
    }
}
