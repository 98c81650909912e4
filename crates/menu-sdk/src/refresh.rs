//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! A call hands in the token it found stale. Under the gate's lock it then either
//! - sees that a refresh of that very token finished while it waited: it shares that outcome
//!   (success or failure, so a failed refresh is not repeated by every waiter: no refresh storms);
//! - sees that the client already holds another token (refreshed or set meanwhile): it uses it;
//! - or performs the refresh itself.
//!
//! A failure is shared only with the calls that were waiting for it; a later call tries again.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::error::Error;
use crate::{Session, Token};

/// The last refresh the gate performed.
struct LastRefresh {
    /// The token that was refreshed.
    from: Arc<Token>,
    outcome: Result<Session, Error>,
}

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (this call's or a shared one) produced this session.
    Refreshed(Box<Session>),
    /// The client already holds a newer token.
    Current(Arc<Token>),
}

/// Serialises refreshes and shares each outcome with the calls that waited for it.
#[derive(Default)]
pub(crate) struct RefreshGate {
    last: Mutex<Option<LastRefresh>>,
    /// Bumped after every refresh; a call compares it with the value it saw before waiting.
    generation: AtomicU64,
}

impl RefreshGate {
    /// A fresh token for a call that found `stale`: see the module documentation.
    /// `current` reads the client's token; `refresh` performs one refresh of `stale`.
    pub(crate) async fn refresh<F, Fut>(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        refresh: F,
    ) -> Result<Fresh, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Session, Error>>,
    {
        let seen = self.generation.load(Ordering::Acquire);
        let mut last = self.last.lock().await;
        if self.generation.load(Ordering::Acquire) != seen
            && let Some(done) = last.as_ref().filter(|l| Arc::ptr_eq(&l.from, stale))
        {
            return done.outcome.clone().map(|s| Fresh::Refreshed(Box::new(s)));
        }
        if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
            return Ok(Fresh::Current(token));
        }
        let outcome = refresh().await;
        *last = Some(LastRefresh {
            from: stale.clone(),
            outcome: outcome.clone(),
        });
        self.generation.fetch_add(1, Ordering::Release);
        outcome.map(|s| Fresh::Refreshed(Box::new(s)))
    }
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate")
            .field("refreshes", &self.generation.load(Ordering::Relaxed))
            .finish()
    }
}
