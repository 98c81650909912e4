//! Single-flight token refresh: however many calls find one token stale at once, one refresh
//! request goes out, and they all share its outcome (the new session, or the error).
//!
//! The refresh runs in the task of the call that starts it, with no hand-off to another worker.
//! A caller that gives up cannot abort it half-way, which would lose the new token the server
//! issued: the refresh then moves to a spawned task ([`HandOver`]), unless the caller's thread is
//! unwinding from a panic. The other calls wait on a `watch` channel that the refresh fills. The
//! gate keeps the last refresh: a call that found the same token stale shares its success (a
//! second refresh would be refused), or its failure (or its end without an outcome: a panic) if
//! it arrived before it; a later call tries again.

use crate::error::Error;
use crate::{Session, Token};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
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
                let refresh = async move {
                    let outcome = refresh.await;
                    let _ = done.send(Some(outcome.clone()));
                    outcome
                };
                // A panic (a bug) reaches the caller; the waiters see the channel closed.
                let outcome = HandOver::new(refresh.in_current_span()).await;
                (outcome, Origin::Ran)
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

/// A refresh polled in its caller's task until it ends. Dropped before then (the caller gave up),
/// it spawns the rest of the refresh on the current runtime, so the token the server issues is
/// still adopted and stored, and the waiters still get it. Dropped while its thread unwinds (the
/// refresh or the caller panicked), it drops the refresh: a panicked future is not resumed, and
/// the waiters see the outcome channel closed. Outside a runtime (no way to go on), the refresh
/// is dropped too.
#[must_use = "a future does nothing unless polled"]
pub(crate) struct HandOver<F: Future + Send + 'static> {
    refresh: Option<Pin<Box<F>>>,
}

impl<F: Future + Send + 'static> HandOver<F> {
    pub(crate) fn new(refresh: F) -> Self {
        Self {
            refresh: Some(Box::pin(refresh)),
        }
    }
}

impl<F: Future + Send + 'static> Future for HandOver<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(refresh) = self.refresh.as_mut() else {
            // Polled after it ended: nothing is left to run.
            return Poll::Pending;
        };
        let output = std::task::ready!(refresh.as_mut().poll(cx));
        self.refresh = None;
        Poll::Ready(output)
    }
}

impl<F: Future + Send + 'static> Drop for HandOver<F> {
    fn drop(&mut self) {
        let Some(refresh) = self.refresh.take() else {
            return;
        };
        if std::thread::panicking() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(async move {
                let _ = refresh.await;
            }));
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
