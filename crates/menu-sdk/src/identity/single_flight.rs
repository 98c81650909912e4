//! Single-flight token refresh: however many calls find one token stale at once, one refresh
//! request goes out, and they all share its outcome (the new session, or the error).
//!
//! The refresh runs in the task of the call that starts it, with no task and no channel of its
//! own while that call is alone. It moves to a spawned task ([`hand_over`]) when another call
//! comes to wait for it (the starter may be kept without being polled: a `select!`, a buffered
//! stream), or when the starter goes away before it ends (aborting it half-way would lose the new
//! token the server issued), but not while the starter's thread unwinds from a panic. A panic of
//! the refresh is caught: it reaches the call that started it, and the others get
//! [`Error::RefreshInterrupted`]. The gate keeps the last refresh: a call that found the same
//! token stale shares its success (a second refresh would be refused), or its failure if it
//! arrived before it ended; a later call tries again.

use crate::error::Error;
use crate::{Session, Token};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
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

/// A refresh, boxed to be handed from the call that started it to a task.
type Refresh = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// How a refresh ended: with an outcome, or without one: at a panic (its payload, for the call
/// that started it), or dropped while its starter unwound (no payload).
#[derive(Clone)]
enum Ended {
    Outcome(Outcome),
    Stopped(Arc<Mutex<Option<Box<dyn Any + Send>>>>),
}

/// Where the calls waiting for a handed-over refresh learn how it ended.
type Waiting = watch::Receiver<Option<Ended>>;

/// One refresh and where it stands.
struct Flight {
    state: Mutex<State>,
}

enum State {
    /// Run by the call that started it: here between that call's polls, out (`None`) during one.
    /// `waiting`: the calls that came meanwhile, told by the starter when that poll ends.
    /// `starter`: the starter's waker, woken when another call hands the refresh to a task.
    Inline {
        refresh: Option<Refresh>,
        waiting: Option<watch::Sender<Option<Ended>>>,
        starter: Option<Waker>,
    },
    /// In a task of its own ([`hand_over`]).
    HandedOver(Waiting),
    Ended(Ended),
}

/// Runs refreshes one token at a time and shares each outcome.
#[derive(Default)]
pub(crate) struct RefreshGate {
    last: Mutex<Option<(Arc<Token>, Arc<Flight>)>>,
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate").finish_non_exhaustive()
    }
}

/// What a call does at the gate.
enum Join {
    Succeeded(Arc<Session>),
    Wait(Waiting),
    Lead(Starter),
}

impl RefreshGate {
    /// The outcome of a refresh of `stale`: the one in flight (or just succeeded), or `refresh`
    /// now (dropped unpolled when another is shared).
    pub(crate) async fn refresh<F>(&self, stale: &Arc<Token>, refresh: F) -> (Outcome, Origin)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let (ended, origin) = match self.join(stale, refresh) {
            Join::Succeeded(session) => return (Ok(session), Origin::Shared),
            Join::Wait(waiting) => (wait(waiting).await, Origin::Shared),
            Join::Lead(starter) => (starter.run().await, Origin::Ran),
        };
        match ended {
            Ended::Outcome(outcome) => (outcome, origin),
            Ended::Stopped(payload) => {
                // The panic reaches the call that started the refresh, as if it ran alone.
                if origin == Origin::Ran
                    && let Some(payload) = lock(&payload).take()
                {
                    std::panic::resume_unwind(payload);
                }
                // A refresh that stopped without an outcome is not run again for the calls that
                // waited for it: the token it was sent with may be rotated already.
                (Err(Error::RefreshInterrupted), origin)
            }
        }
    }

    /// What a call of `stale` finds at the gate (under one lock: two calls never both lead): a
    /// success to share, a refresh in flight to wait for, or nothing to share (none yet, another
    /// token's, or one that failed or stopped): then `refresh` becomes the last refresh.
    fn join<F>(&self, stale: &Arc<Token>, refresh: F) -> Join
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let mut last = lock(&self.last);
        if let Some((from, flight)) = last.as_ref()
            && Arc::ptr_eq(from, stale)
            && let Some(join) = flight.join()
        {
            return join;
        }
        let flight = Arc::new(Flight {
            state: Mutex::new(State::Inline {
                refresh: Some(Box::pin(refresh)),
                waiting: None,
                starter: None,
            }),
        });
        *last = Some((stale.clone(), flight.clone()));
        Join::Lead(Starter {
            flight,
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }
}

impl Flight {
    /// What a call that comes to this refresh does: share its success, or wait for it (handing
    /// it to a task if its starter is between polls: it may never poll it again); `None` when it
    /// failed or stopped.
    fn join(self: &Arc<Self>) -> Option<Join> {
        let mut state = lock(&self.state);
        match &mut *state {
            State::Ended(Ended::Outcome(Ok(session))) => Some(Join::Succeeded(session.clone())),
            State::Ended(_) => None,
            // Its task went away without an outcome (the runtime shut down).
            State::HandedOver(waiting) if waiting.has_changed().is_err() => None,
            State::HandedOver(waiting) => Some(Join::Wait(waiting.clone())),
            State::Inline {
                refresh,
                waiting,
                starter,
            } => {
                let told = waiting.take().unwrap_or_else(|| watch::channel(None).0);
                let waiting_rx = told.subscribe();
                match (refresh.take(), tokio::runtime::Handle::try_current()) {
                    // Its starter is between polls, and may never poll it again (a `select!`, a
                    // buffered stream): it goes on in a task, and the starter waits for it too.
                    (Some(refresh), Ok(runtime)) => {
                        let starter = starter.take();
                        *state = State::HandedOver(waiting_rx.clone());
                        drop(state);
                        if let Some(starter) = starter {
                            starter.wake();
                        }
                        let span = tracing::Span::current();
                        hand_over(&runtime, self.clone(), refresh, told, span);
                    }
                    // Its starter polls it now (or there is no runtime to hand it to): the
                    // starter tells, when its poll ends.
                    (taken, _) => {
                        *refresh = taken;
                        *waiting = Some(told);
                    }
                }
                Some(Join::Wait(waiting_rx))
            }
        }
    }

    /// Records how the refresh ended, and tells the calls waiting for it.
    fn end(&self, ended: &Ended, told: Option<watch::Sender<Option<Ended>>>) {
        *lock(&self.state) = State::Ended(ended.clone());
        if let Some(told) = told {
            let _ = told.send(Some(ended.clone()));
        }
    }
}

/// The call that started a refresh: polls it in its own task while it runs inline. Dropped
/// before it ends (the call gave up), it hands the refresh to a task on the runtime that started
/// it, so that the token the server issues is still adopted and stored; not while its thread
/// unwinds from a panic, nor outside any runtime (there it warns): the refresh is then dropped,
/// and the calls waiting for it get [`Error::RefreshInterrupted`].
struct Starter {
    flight: Arc<Flight>,
    runtime: Option<tokio::runtime::Handle>,
}

/// Where the starter's poll left the refresh.
enum Polled {
    Ended(Ended),
    HandedOver(Waiting),
}

impl Starter {
    async fn run(self) -> Ended {
        match std::future::poll_fn(|cx| self.poll_inline(cx)).await {
            Polled::Ended(ended) => ended,
            Polled::HandedOver(waiting) => wait(waiting).await,
        }
    }

    fn poll_inline(&self, cx: &mut Context<'_>) -> Poll<Polled> {
        let mut state = lock(&self.flight.state);
        let mut refresh = match &mut *state {
            State::Inline { refresh, .. } => match refresh.take() {
                Some(refresh) => refresh,
                // Taken out only by this call's own poll, which is not running.
                None => return Poll::Ready(Polled::Ended(stopped(None))),
            },
            State::HandedOver(waiting) => return Poll::Ready(Polled::HandedOver(waiting.clone())),
            State::Ended(ended) => return Poll::Ready(Polled::Ended(ended.clone())),
        };
        drop(state);
        let polled = poll_caught(&mut refresh, cx);
        let mut state = lock(&self.flight.state);
        let State::Inline {
            refresh: slot,
            waiting,
            starter,
        } = &mut *state
        else {
            // Nothing else moves a refresh that is out of its slot.
            return Poll::Ready(Polled::Ended(stopped(None)));
        };
        match polled {
            Poll::Ready(ended) => {
                let told = waiting.take();
                drop(state);
                self.flight.end(&ended, told);
                Poll::Ready(Polled::Ended(ended))
            }
            Poll::Pending => {
                // Calls came to wait during this poll: the refresh goes on in a task, so that
                // they do not depend on this call being polled again.
                if let Some(runtime) = &self.runtime
                    && let Some(told) = waiting.take()
                {
                    let waiting = told.subscribe();
                    *state = State::HandedOver(waiting.clone());
                    drop(state);
                    let span = tracing::Span::current();
                    hand_over(runtime, self.flight.clone(), refresh, told, span);
                    return Poll::Ready(Polled::HandedOver(waiting));
                }
                *slot = Some(refresh);
                if !starter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *starter = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Starter {
    fn drop(&mut self) {
        let mut state = lock(&self.flight.state);
        let State::Inline {
            refresh, waiting, ..
        } = &mut *state
        else {
            return;
        };
        let Some(refresh) = refresh.take() else {
            return;
        };
        let told = waiting.take();
        match &self.runtime {
            Some(runtime) if !std::thread::panicking() => {
                let told = told.unwrap_or_else(|| watch::channel(None).0);
                *state = State::HandedOver(told.subscribe());
                drop(state);
                hand_over(
                    runtime,
                    self.flight.clone(),
                    refresh,
                    told,
                    tracing::Span::current(),
                );
            }
            runtime => {
                if runtime.is_none() {
                    tracing::warn!(
                        "a token refresh was dropped outside a tokio runtime before it ended: \
                         the token the server issued, if any, is lost"
                    );
                }
                // Not continued: the waiting calls are told, and a later call starts anew.
                *state = State::Ended(stopped(None));
                drop(state);
                drop((refresh, told));
            }
        }
    }
}

/// Runs the rest of `refresh` in a task of its own on `runtime`, then records how it ended and
/// tells the calls waiting for it (`told`).
fn hand_over(
    runtime: &tokio::runtime::Handle,
    flight: Arc<Flight>,
    mut refresh: Refresh,
    told: watch::Sender<Option<Ended>>,
    span: tracing::Span,
) {
    let rest = async move {
        let ended = std::future::poll_fn(|cx| poll_caught(&mut refresh, cx)).await;
        flight.end(&ended, Some(told));
    };
    drop(runtime.spawn(rest.instrument(span)));
}

/// Polls `refresh`, its panic caught: a refresh that panicked is never polled again, since the
/// caller records it as ended.
fn poll_caught(refresh: &mut Refresh, cx: &mut Context<'_>) -> Poll<Ended> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| refresh.as_mut().poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(outcome)) => Poll::Ready(Ended::Outcome(outcome)),
        Err(payload) => Poll::Ready(stopped(Some(payload))),
    }
}

/// A refresh that ended without an outcome, with its panic if it panicked.
fn stopped(payload: Option<Box<dyn Any + Send>>) -> Ended {
    Ended::Stopped(Arc::new(Mutex::new(payload)))
}

/// How a handed-over refresh ended (stopped, if its task went away without telling).
async fn wait(mut waiting: Waiting) -> Ended {
    match waiting.wait_for(Option::is_some).await {
        Ok(ended) => ended.clone().unwrap_or_else(|| stopped(None)),
        Err(_) => stopped(None),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
