//! Single-flight token refresh: however many calls find one token stale at once, one refresh
//! request goes out, and they all share its outcome (the new session, or the error).
//!
//! The refresh is a shared future (`futures`' [`Shared`]) polled by the calls that wait for it,
//! in their own tasks: at one call at a time it runs inline, with no task and no channel, and
//! any waiting call that is polled drives it, so a caller that keeps its call but stops polling
//! it (a `select!`, a buffered stream) holds no one up. A refresh whose last caller goes away
//! before it ends moves to a spawned task ([`Joined`]'s `Drop`): aborting it half-way would lose
//! the new token the server issued. The gate keeps the last refresh: a call that found the same
//! token stale shares its success (a second refresh would be refused), or its failure (or its end
//! at a panic) if it arrived before it ended; a later call tries again.

use crate::error::Error;
use crate::{Session, Token};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared, WeakShared};
use relay::Relay;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

/// What one refresh ends with (the session shared, not copied, by the calls that wait for it).
pub(crate) type Outcome = Result<Arc<Session>, Error>;

/// How a call came by its outcome: it started the refresh (`Ran`), or shared another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Ran,
    Shared,
}

/// How a refresh ended: with an outcome, or at a panic (a bug), caught so that the calls sharing
/// it are told rather than taken down. The payload is for the call that started the refresh.
#[derive(Clone)]
enum Ended {
    Outcome(Outcome),
    Panicked(Arc<Mutex<Option<Box<dyn Any + Send>>>>),
}

/// A refresh in flight, shared by the calls that wait for it.
type Refresh = Shared<Ending>;

/// The refresh as its calls share it: its outcome (a success is kept for later calls of the same
/// token), or its panic, caught so that it reaches only the call that started it. Polled in the
/// span of that call, wherever it runs.
struct Ending {
    refresh: BoxFuture<'static, Outcome>,
    held: Arc<Held>,
    span: tracing::Span,
}

impl Future for Ending {
    type Output = Ended;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = &mut *self;
        let _entered = this.span.enter();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            this.refresh.as_mut().poll(cx)
        }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(outcome)) => {
                if let Ok(session) = &outcome {
                    let _ = this.held.succeeded.set(session.clone());
                }
                Poll::Ready(Ended::Outcome(outcome))
            }
            // `Shared` never polls it again.
            Err(payload) => Poll::Ready(Ended::Panicked(Arc::new(Mutex::new(Some(payload))))),
        }
    }
}

/// The last refresh: the token it refreshes, the refresh itself while a call holds it, and what
/// its calls share.
struct Flight {
    from: Arc<Token>,
    refresh: Option<WeakShared<Ending>>,
    held: Arc<Held>,
}

/// What the calls of one refresh share besides the refresh itself.
struct Held {
    /// Filled by the refresh when it succeeds: what later calls of the same token share.
    succeeded: OnceLock<Arc<Session>>,
    /// The calls holding the refresh that may still drive it: the last one to go away before it
    /// ends hands it to a task.
    callers: AtomicUsize,
    /// Where that task goes: the runtime of the call that started the refresh.
    runtime: Option<tokio::runtime::Handle>,
}

/// Runs refreshes one token at a time and shares each outcome.
#[derive(Default)]
pub(crate) struct RefreshGate {
    last: Mutex<Option<Flight>>,
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate").finish_non_exhaustive()
    }
}

impl RefreshGate {
    /// The outcome of a refresh of `stale`: the one in flight (or just succeeded), or `refresh`
    /// now (dropped unpolled when another is shared).
    pub(crate) async fn refresh<F>(&self, stale: &Arc<Token>, refresh: F) -> (Outcome, Origin)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let (joined, origin) = match self.join(stale) {
            Join::Succeeded(session) => return (Ok(session), Origin::Shared),
            Join::Waiting(joined) => (joined, Origin::Shared),
            Join::Lead => (self.lead(stale, refresh), Origin::Ran),
        };
        match joined.await {
            Ended::Outcome(outcome) => (outcome, origin),
            // The panic reaches the call that started the refresh, as if it ran alone.
            Ended::Panicked(payload) => {
                let payload = payload
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                match (origin, payload) {
                    (Origin::Ran, Some(payload)) => std::panic::resume_unwind(payload),
                    // A refresh that stopped without an outcome is not run again for the calls
                    // that waited for it: the token it was sent with may be rotated already.
                    _ => (Err(Error::RefreshInterrupted), origin),
                }
            }
        }
    }

    /// What a call of `stale` finds at the gate: a success to share, a refresh in flight to wait
    /// for, or nothing to share (none yet, another token's, or one that failed or panicked).
    fn join(&self, stale: &Arc<Token>) -> Join {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(flight) = last.as_ref().filter(|f| Arc::ptr_eq(&f.from, stale)) else {
            return Join::Lead;
        };
        if let Some(session) = flight.held.succeeded.get() {
            return Join::Succeeded(session.clone());
        }
        match flight.refresh.as_ref().and_then(WeakShared::upgrade) {
            // Still in flight (an ended one that failed is not shared with later calls).
            Some(refresh) if refresh.peek().is_none() => {
                flight.held.callers.fetch_add(1, Ordering::AcqRel);
                Join::Waiting(Joined {
                    refresh: Some(refresh),
                    held: flight.held.clone(),
                    relay: Arc::default(),
                })
            }
            _ => Join::Lead,
        }
    }

    /// Starts `refresh` of `stale` as the gate's last refresh, held by its caller.
    fn lead<F>(&self, stale: &Arc<Token>, refresh: F) -> Joined
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let held = Arc::new(Held {
            succeeded: OnceLock::new(),
            callers: AtomicUsize::new(1),
            runtime: tokio::runtime::Handle::try_current().ok(),
        });
        let refresh: Refresh = Ending {
            refresh: Box::pin(refresh),
            held: held.clone(),
            span: tracing::Span::current(),
        }
        .shared();
        let flight = Flight {
            from: stale.clone(),
            // `None` only for a refresh that ended, which this one has not: it is not polled yet.
            refresh: refresh.downgrade(),
            held: held.clone(),
        };
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(flight);
        Joined {
            refresh: Some(refresh),
            held,
            relay: Arc::default(),
        }
    }
}

/// What a call does at the gate.
enum Join {
    Succeeded(Arc<Session>),
    Waiting(Joined),
    Lead,
}

/// One call's hold on a refresh in flight: polling it drives the refresh. Dropped before the
/// refresh ends by the last call holding it (it gave up), it spawns the rest of the refresh on
/// the runtime that started it, so the token the server issues is still adopted and stored.
/// Not while the thread unwinds from a panic, nor outside any runtime (there it warns): the
/// refresh is then dropped.
#[must_use = "a future does nothing unless polled"]
struct Joined {
    refresh: Option<Refresh>,
    held: Arc<Held>,
    relay: Arc<Relay>,
}

impl Future for Joined {
    type Output = Ended;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = &mut *self;
        let Some(refresh) = this.refresh.as_mut() else {
            panic!("a refresh polled again after it ended");
        };
        let ended = std::task::ready!(this.relay.poll(cx, |cx| refresh.poll_unpin(cx)));
        this.refresh = None;
        Poll::Ready(ended)
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        let Some(refresh) = self.refresh.take() else {
            return;
        };
        if refresh.peek().is_some() || self.held.callers.fetch_sub(1, Ordering::AcqRel) != 1 {
            // Ended, or another call still holds it.
            return;
        }
        if std::thread::panicking() {
            return;
        }
        match &self.held.runtime {
            Some(runtime) => drop(runtime.spawn(refresh.map(drop))),
            None => tracing::warn!(
                "a token refresh was dropped outside a tokio runtime before it ended: the token \
                 the server issued, if any, is lost"
            ),
        }
    }
}

mod relay;
#[cfg(test)]
mod tests;
