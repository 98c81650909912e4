//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! A call hands in the token it found stale; the gate then
//! 1. shares a completed *successful* refresh of that very token (it was already rotated: a second
//!    refresh would only be refused);
//! 2. joins the refresh of that token that is in flight, if there is one;
//! 3. uses the client's current token if it is another one (refreshed or set meanwhile);
//! 4. or becomes the leader: it runs the refresh itself, inline (no task, no cross-task wake-up
//!    on the common path). If the leader is cancelled (its future dropped) before the refresh is
//!    done, the refresh is moved, as it is, into a task of its own ([`DetachOnDrop`]), so that it
//!    still completes, keeps its token and hands it to `on_token_refresh`.
//!
//! A failure is shared only with the calls that were waiting for it; a later call tries again.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::error::Error;
use crate::{Session, Token};

/// What one refresh ends with.
pub(crate) type Outcome = Result<Session, Error>;

/// An outcome as the waiting calls share it.
type SharedOutcome = Arc<Outcome>;

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (run by this call or shared) produced this session.
    Refreshed(Box<Session>),
    /// The client already holds a newer token.
    Current(Arc<Token>),
}

/// The refresh in flight.
struct InFlight {
    /// The token it refreshes.
    from: Arc<Token>,
    /// The calls waiting for its outcome (none, most of the time: nothing is allocated then).
    waiting: Vec<oneshot::Sender<SharedOutcome>>,
}

#[derive(Default)]
struct GateState {
    in_flight: Option<InFlight>,
    /// The last completed successful refresh: from which token, to which session.
    last_success: Option<(Arc<Token>, SharedOutcome)>,
}

fn lock(state: &Mutex<GateState>) -> MutexGuard<'_, GateState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serialises refreshes and shares each outcome with the calls that waited for it.
#[derive(Default)]
pub(crate) struct RefreshGate {
    state: Arc<Mutex<GateState>>,
}

/// The leader's duty: report the refresh's outcome ([`Completion::complete`]). Dropped without
/// reporting (the refresh was dropped: its runtime shut down), it tells the waiting calls that the
/// refresh was abandoned.
pub(crate) struct Completion {
    state: Arc<Mutex<GateState>>,
    from: Arc<Token>,
    reported: bool,
}

impl Completion {
    /// Records the refresh's outcome and hands it to the waiting calls (one copy of the outcome,
    /// shared by all of them).
    pub(crate) fn complete(mut self, outcome: &Outcome) {
        self.reported = true;
        let shared = Arc::new(outcome.clone());
        let waiting = {
            let mut state = lock(&self.state);
            if outcome.is_ok() {
                state.last_success = Some((self.from.clone(), shared.clone()));
            }
            take_in_flight(&mut state, &self.from)
        };
        for waiter in waiting {
            let _ = waiter.send(shared.clone());
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if !self.reported {
            // Dropping the senders wakes the waiting calls with an error.
            let waiting = take_in_flight(&mut lock(&self.state), &self.from);
            drop(waiting);
        }
    }
}

/// Ends the refresh of `from` if it is the one in flight; returns its waiting calls.
fn take_in_flight(state: &mut GateState, from: &Arc<Token>) -> Vec<oneshot::Sender<SharedOutcome>> {
    match state.in_flight.take() {
        Some(in_flight) if Arc::ptr_eq(&in_flight.from, from) => in_flight.waiting,
        other => {
            state.in_flight = other;
            Vec::new()
        }
    }
}

/// What a call does at the gate.
enum Role {
    /// Waits for the refresh in flight.
    Follow(oneshot::Receiver<SharedOutcome>),
    /// Runs the refresh.
    Lead(Completion),
}

impl RefreshGate {
    /// A fresh token for a call that found `stale` (see the module documentation). `current`
    /// reads the client's token (`None` to never settle for it). `start` makes the one refresh of
    /// `stale`: a future that must end by calling [`Completion::complete`] and return the same
    /// outcome. This call then runs it inline, or in a task of its own if this call is dropped
    /// first.
    pub(crate) async fn refresh<F>(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        start: impl FnOnce(Completion) -> F,
    ) -> Result<Fresh, Error>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let role = {
            let mut state = lock(&self.state);
            if let Some((from, outcome)) = &state.last_success
                && Arc::ptr_eq(from, stale)
            {
                return fresh(outcome);
            }
            match state.in_flight.as_mut() {
                Some(in_flight) if Arc::ptr_eq(&in_flight.from, stale) => {
                    let (sender, receiver) = oneshot::channel();
                    in_flight.waiting.push(sender);
                    Role::Follow(receiver)
                }
                _ => {
                    if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
                        return Ok(Fresh::Current(token));
                    }
                    state.in_flight = Some(InFlight {
                        from: stale.clone(),
                        waiting: Vec::new(),
                    });
                    Role::Lead(Completion {
                        state: self.state.clone(),
                        from: stale.clone(),
                        reported: false,
                    })
                }
            }
        };
        match role {
            // The leader runs the refresh here, outside the lock (it may complete at once).
            Role::Lead(completion) => DetachOnDrop::new(start(completion))
                .await
                .map(|session| Fresh::Refreshed(Box::new(session))),
            Role::Follow(receiver) => match receiver.await {
                Ok(outcome) => fresh(&outcome),
                // The refresh was dropped before it completed (its runtime shut down).
                Err(_) => Err(Error::config(
                    "the token refresh was abandoned (its runtime shut down)",
                )),
            },
        }
    }
}

/// A waiting call's copy of a shared outcome.
fn fresh(outcome: &Outcome) -> Result<Fresh, Error> {
    match outcome {
        Ok(session) => Ok(Fresh::Refreshed(Box::new(session.clone()))),
        Err(error) => Err(error.clone()),
    }
}

/// Runs a future inline; if dropped before it is done, spawns the rest of it on the current
/// tokio runtime (the future is boxed, so it moves without being unpinned). Without a runtime
/// (it is shutting down) the rest is dropped.
struct DetachOnDrop<T: Send + 'static> {
    future: Option<Pin<Box<dyn Future<Output = T> + Send>>>,
}

impl<T: Send + 'static> DetachOnDrop<T> {
    fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        Self {
            future: Some(Box::pin(future)),
        }
    }
}

impl<T: Send + 'static> Future for DetachOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some(future) = self.future.as_mut() else {
            // Polled after completion: a contract violation by the caller; stay pending rather
            // than panic.
            return Poll::Pending;
        };
        let output = std::task::ready!(future.as_mut().poll(cx));
        self.future = None;
        Poll::Ready(output)
    }
}

impl<T: Send + 'static> Drop for DetachOnDrop<T> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(future);
        }
    }
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate")
            .field("in_flight", &lock(&self.state).in_flight.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn session(token: &str) -> Session {
        let body: serde_json::Value = serde_json::from_str(include_str!(
            "../../menu-client/tests/fixtures/refresh.json"
        ))
        .unwrap();
        Session {
            customer_account: serde_json::from_value(body["data"]["customer_account"].clone())
                .unwrap(),
            token: Token::new(token),
        }
    }

    /// A refresh that completes at once with `outcome`, counting its starts.
    fn instant(
        started: &Arc<AtomicUsize>,
        outcome: Outcome,
    ) -> impl FnOnce(Completion) -> std::future::Ready<Outcome> {
        let started = started.clone();
        move |completion| {
            started.fetch_add(1, Ordering::SeqCst);
            completion.complete(&outcome);
            std::future::ready(outcome)
        }
    }

    fn never(_: Completion) -> std::future::Ready<Outcome> {
        panic!("a second refresh")
    }

    #[tokio::test]
    async fn a_completed_refresh_of_the_same_token_is_shared_not_repeated() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let first = gate
            .refresh(&stale, || None, instant(&started, Ok(session("t1"))))
            .await
            .unwrap();
        assert!(matches!(first, Fresh::Refreshed(s) if s.token.value() == "t1"));
        // A caller that took its snapshot before the swap, and never settles for the current
        // token (an explicit refresh), still gets the same session.
        let again = gate.refresh(&stale, || None, never).await.unwrap();
        assert!(matches!(again, Fresh::Refreshed(s) if s.token.value() == "t1"));
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_is_not_served_to_later_callers() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let fail = instant(&started, Err(Error::config("down")));
        assert!(gate.refresh(&stale, || None, fail).await.is_err());
        let succeed = instant(&started, Ok(session("t1")));
        assert!(gate.refresh(&stale, || None, succeed).await.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cancelled_leader_s_refresh_still_completes_for_its_followers() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let slow = move |completion: Completion| async move {
            let _ = released.await;
            let outcome = Ok(session("t1"));
            completion.complete(&outcome);
            outcome
        };
        // The leader starts the refresh, then is cancelled while it is in flight.
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, slow).await.map(|_| ()) })
        };
        tokio::task::yield_now().await;
        let follower = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move {
                match gate.refresh(&stale, || None, never).await {
                    Ok(Fresh::Refreshed(session)) => session.token.value().to_owned(),
                    _ => String::new(),
                }
            })
        };
        tokio::task::yield_now().await;
        leader.abort();
        assert!(leader.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        assert_eq!(follower.await.unwrap(), "t1");
    }

    #[tokio::test]
    async fn a_refresh_dropped_before_it_reports_is_an_error_for_its_followers() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let dropped = move |completion: Completion| async move {
            let _ = released.await;
            drop(completion);
            Err(Error::config("the leader's own error"))
        };
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, dropped).await.is_err() })
        };
        tokio::task::yield_now().await;
        let follower = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move {
                match gate.refresh(&stale, || None, never).await {
                    Err(error) => error.to_string(),
                    Ok(_) => String::new(),
                }
            })
        };
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        assert!(leader.await.unwrap());
        assert!(follower.await.unwrap().contains("abandoned"));
        // The gate is free again: the next call leads a new refresh.
        let started = Arc::new(AtomicUsize::new(0));
        let again = gate
            .refresh(&stale, || None, instant(&started, Ok(session("t1"))))
            .await;
        assert!(again.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }
}
