//! Single-flight token refresh: however many calls find one token stale at once, one refresh
//! request goes out, and they all share its outcome (the new session, or the error).
//!
//! The refresh is a spawned task: a caller that gives up cannot abort it half-way (which would
//! lose the new token the server issued). Its starter awaits its `JoinHandle`, the others a
//! `watch` channel the task fills. The gate keeps the last refresh: a call that found the same
//! token stale shares its success (a second refresh would be refused), or its failure (or its
//! end without an outcome: a panic) if it arrived before it; a later call tries again.

use crate::error::Error;
use crate::{Session, Token};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use tracing::Instrument as _;

/// What one refresh ends with (the session shared, not copied, by the calls that wait for it).
pub(crate) type Outcome = Result<Arc<Session>, Error>;

/// How a call came by its outcome: it started the refresh (`Ran`), or shared another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Ran,
    Shared,
}

/// The last refresh: the token it refreshes, and its outcome once there is one.
#[derive(Debug)]
struct Flight {
    from: Arc<Token>,
    outcome: watch::Receiver<Option<Outcome>>,
}

/// Runs refreshes one token at a time and shares each outcome.
#[derive(Debug, Default)]
pub(crate) struct RefreshGate {
    last: Mutex<Option<Flight>>,
}

impl RefreshGate {
    /// The outcome of a refresh of `stale`: the one in flight (or just succeeded), or `refresh`
    /// now (dropped unpolled when another is shared).
    pub(crate) async fn refresh<F>(&self, stale: &Arc<Token>, refresh: F) -> (Outcome, Origin)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let next = {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let shared = last
                .as_ref()
                .filter(|flight| Arc::ptr_eq(&flight.from, stale))
                .map(|flight| flight.outcome.clone())
                // In flight, or succeeded; not failed, nor ended without an outcome.
                .filter(|outcome| match &*outcome.borrow() {
                    Some(outcome) => outcome.is_ok(),
                    None => outcome.has_changed().is_ok(),
                });
            match shared {
                Some(outcome) => Next::Wait(outcome),
                None => {
                    let (done, outcome) = watch::channel(None);
                    *last = Some(Flight {
                        from: stale.clone(),
                        outcome,
                    });
                    Next::Lead(done)
                }
            }
        };
        match next {
            Next::Lead(done) => {
                let task = tokio::spawn(
                    async move {
                        let outcome = refresh.await;
                        let _ = done.send(Some(outcome.clone()));
                        outcome
                    }
                    .in_current_span(),
                );
                match task.await {
                    Ok(outcome) => (outcome, Origin::Ran),
                    // A panic (a bug) reaches its caller, as if it ran inline; a task is
                    // cancelled only when the runtime, and so the caller, shuts down.
                    Err(error) => std::panic::resume_unwind(match error.try_into_panic() {
                        Ok(panic) => panic,
                        Err(_) => Box::new("the runtime shut down during a token refresh"),
                    }),
                }
            }
            // A refresh that stopped without an outcome (it panicked) is not run again for the
            // calls that waited for it: the token it was sent with may be rotated already.
            Next::Wait(mut outcome) => match outcome.wait_for(Option::is_some).await {
                Ok(outcome) => (
                    outcome.clone().unwrap_or(Err(Error::RefreshInterrupted)),
                    Origin::Shared,
                ),
                Err(_) => (Err(Error::RefreshInterrupted), Origin::Shared),
            },
        }
    }
}

/// What a call does at the gate: lead a new refresh (and tell the others its outcome), or wait
/// for the one there.
enum Next {
    Lead(watch::Sender<Option<Outcome>>),
    Wait(watch::Receiver<Option<Outcome>>),
}

#[cfg(test)]
mod tests;
