//! Single-flight token refresh: however many calls find one token stale at once, one refresh
//! request goes out, and they all share its outcome (the new session, or the error).
//!
//! The refresh runs in the task of the call that starts it, with no task and no channel of its
//! own while that call is alone. It moves to a spawned task ([`HandOver`]) when another call
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

/// Tells the calls waiting for a refresh how it ended.
type Told = watch::Sender<Option<Ended>>;

/// One refresh and where it stands.
struct Flight {
    state: Mutex<State>,
}

enum State {
    /// Run by the call that started it: here between that call's polls, out (`None`) during one.
    Inline {
        refresh: Option<Refresh>,
        /// The calls that came meanwhile, told when the refresh ends or moves to a task.
        waiting: Option<Told>,
        /// The starter's waker, woken when another call hands the refresh to a task.
        starter: Option<Waker>,
        /// The runtime the refresh started on: where it goes on in a task.
        runtime: Option<tokio::runtime::Handle>,
    },
    /// In a task of its own ([`HandOver`]).
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
            && let Some((join, hand_over)) = flight.join()
        {
            drop(last);
            if let Some(hand_over) = hand_over {
                hand_over.start();
            }
            return join;
        }
        let flight = Arc::new(Flight {
            state: Mutex::new(State::Inline {
                refresh: Some(Box::pin(refresh)),
                waiting: None,
                starter: None,
                runtime: tokio::runtime::Handle::try_current().ok(),
            }),
        });
        *last = Some((stale.clone(), flight.clone()));
        Join::Lead(Starter { flight })
    }
}

impl Flight {
    /// What a call that comes to this refresh does: share its success, or wait for it (and the
    /// refresh moves to a task, which the caller starts once the gate is unlocked, if its starter
    /// is between polls: it may never poll it again); `None` when it failed or stopped.
    fn join(self: &Arc<Self>) -> Option<(Join, Option<HandOver>)> {
        let mut state = lock(&self.state);
        match &mut *state {
            State::Ended(Ended::Outcome(Ok(session))) => {
                Some((Join::Succeeded(session.clone()), None))
            }
            State::Ended(_) => None,
            // Its task went away without an outcome (the runtime shut down).
            State::HandedOver(waiting) if waiting.has_changed().is_err() => None,
            State::HandedOver(waiting) => Some((Join::Wait(waiting.clone()), None)),
            State::Inline { waiting, .. } => {
                let told = waiting.get_or_insert_with(|| watch::channel(None).0);
                let join = Join::Wait(told.subscribe());
                Some((join, self.hand_over(&mut state)))
            }
        }
    }

    /// Moves the refresh out of `state` to be run in a task, if it is inline and between its
    /// starter's polls, and a runtime is known (the one it started on, else the caller's).
    fn hand_over(self: &Arc<Self>, state: &mut MutexGuard<'_, State>) -> Option<HandOver> {
        let State::Inline {
            refresh,
            waiting,
            starter,
            runtime,
        } = &mut **state
        else {
            return None;
        };
        let runtime = runtime
            .clone()
            .or_else(|| tokio::runtime::Handle::try_current().ok())?;
        let refresh = refresh.take()?;
        let told = waiting.take().unwrap_or_else(|| watch::channel(None).0);
        let starter = starter.take();
        **state = State::HandedOver(told.subscribe());
        Some(HandOver {
            runtime,
            flight: self.clone(),
            refresh,
            told,
            starter,
            span: tracing::Span::current(),
        })
    }

    /// Records how the refresh ended in `state`; the calls waiting for it are then told.
    fn end(state: &mut State, ended: &Ended) -> Option<Told> {
        let told = match state {
            State::Inline { waiting, .. } => waiting.take(),
            _ => None,
        };
        *state = State::Ended(ended.clone());
        told
    }
}

/// Tells the calls waiting for a refresh how it ended.
fn tell(told: Option<Told>, ended: &Ended) {
    if let Some(told) = told {
        let _ = told.send(Some(ended.clone()));
    }
}

/// A refresh moving to a task of its own, started once no lock is held.
struct HandOver {
    runtime: tokio::runtime::Handle,
    flight: Arc<Flight>,
    refresh: Refresh,
    told: Told,
    starter: Option<Waker>,
    span: tracing::Span,
}

impl HandOver {
    /// Wakes the starter (it waits for the task from now on) and spawns the rest of the refresh,
    /// which records how it ended and tells the calls waiting for it.
    fn start(self) {
        let HandOver {
            runtime,
            flight,
            mut refresh,
            told,
            starter,
            span,
        } = self;
        if let Some(starter) = starter {
            starter.wake();
        }
        let rest = async move {
            let ended = std::future::poll_fn(|cx| poll_caught(&mut refresh, cx)).await;
            Flight::end(&mut lock(&flight.state), &ended);
            tell(Some(told), &ended);
        };
        drop(runtime.spawn(rest.instrument(span)));
    }
}

/// The call that started a refresh: polls it in its own task while it runs inline. Dropped
/// before the refresh ends (the call gave up), it hands the refresh to a task on the runtime the
/// refresh started on (else the current one), so that the token the server issues is still
/// adopted and stored; except while its thread unwinds from a panic, or with no runtime at all
/// (then it warns): the refresh is dropped, and the calls waiting for it get
/// [`Error::RefreshInterrupted`].
struct Starter {
    flight: Arc<Flight>,
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
            ..
        } = &mut *state
        else {
            // Nothing else moves a refresh that is out of its slot.
            return Poll::Ready(Polled::Ended(stopped(None)));
        };
        let Poll::Ready(ended) = polled else {
            *slot = Some(refresh);
            if waiting.is_none() {
                if !starter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *starter = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            // Calls came to wait during this poll: the refresh goes on in a task, so that they
            // do not depend on this call being polled again (nor wake it: it goes on waiting).
            *starter = None;
            let Some(hand_over) = self.flight.hand_over(&mut state) else {
                return Poll::Pending;
            };
            let waiting = hand_over.told.subscribe();
            drop(state);
            hand_over.start();
            return Poll::Ready(Polled::HandedOver(waiting));
        };
        let told = Flight::end(&mut state, &ended);
        drop(state);
        tell(told, &ended);
        Poll::Ready(Polled::Ended(ended))
    }
}

impl Drop for Starter {
    fn drop(&mut self) {
        let mut state = lock(&self.flight.state);
        if !matches!(
            &*state,
            State::Inline {
                refresh: Some(_),
                ..
            }
        ) {
            // Ended, or handed over.
            return;
        }
        if !std::thread::panicking() {
            if let Some(hand_over) = self.flight.hand_over(&mut state) {
                drop(state);
                hand_over.start();
                return;
            }
            tracing::warn!(
                "a token refresh was dropped outside any tokio runtime before it ended: the token \
                 the server issued, if any, is lost"
            );
        }
        // Not continued: the waiting calls are told, and a later call starts anew.
        let refresh = match &mut *state {
            State::Inline { refresh, .. } => refresh.take(),
            _ => None,
        };
        let stopped = stopped(None);
        let told = Flight::end(&mut state, &stopped);
        drop(state);
        drop(refresh);
        tell(told, &stopped);
    }
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
