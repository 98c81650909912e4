//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! A call hands in the token it found stale; the gate then
//! 1. shares a completed *successful* refresh of that very token (it was already rotated: a second
//!    refresh would only be refused);
//! 2. joins the refresh of that token that is in flight, if there is one;
//! 3. uses the client's current token if it is another one (refreshed or set meanwhile);
//! 4. or starts the refresh.
//!
//! The refresh is one shared future that **every waiting call drives** (no task, no cross-task
//! wake-up on the common path of a single caller), so no waiter depends on another being polled.
//! A waiter dropped before the refresh is done ([`DetachOnDrop`]) hands it to a task of its own on
//! the runtime the waiter started on, so that it still completes, keeps its token and hands it to
//! `on_token_refresh`, whoever is still waiting.
//!
//! A failure is shared only with the calls that were waiting for it; a later call tries again.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, FutureExt as _, Shared};

use crate::error::Error;
use crate::{Session, Token};

/// What one refresh ends with.
pub(crate) type Outcome = Result<Session, Error>;

/// An outcome as the waiting calls share it.
type SharedOutcome = Arc<Outcome>;

/// A refresh in flight, as every waiting call holds it.
type Running = Shared<BoxFuture<'static, SharedOutcome>>;

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (started by this call or shared) produced this session.
    Refreshed(Box<Session>),
    /// The client already holds a newer token.
    Current(Arc<Token>),
}

#[derive(Default)]
struct GateState {
    /// The refreshes in flight, each with the token it refreshes (one per token; more than one
    /// only when the token was replaced while a refresh of the old one ran).
    in_flight: Vec<(Arc<Token>, Running)>,
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

/// The refresh's duty: report its outcome ([`Completion::complete`]). Dropped without reporting
/// (the refresh was dropped unfinished: its runtime shut down), it takes the refresh out of the
/// gate, so that a later call starts a new one.
pub(crate) struct Completion {
    state: Arc<Mutex<GateState>>,
    from: Arc<Token>,
    reported: bool,
}

impl Completion {
    /// Records the refresh's outcome (for calls that took the old token before the swap) and ends
    /// the refresh in flight.
    pub(crate) fn complete(mut self, outcome: &SharedOutcome) {
        self.reported = true;
        let mut state = lock(&self.state);
        if outcome.is_ok() {
            state.last_success = Some((self.from.clone(), outcome.clone()));
        }
        remove_in_flight(&mut state, &self.from);
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if !self.reported {
            remove_in_flight(&mut lock(&self.state), &self.from);
        }
    }
}

fn remove_in_flight(state: &mut GateState, from: &Arc<Token>) {
    state
        .in_flight
        .retain(|(token, _)| !Arc::ptr_eq(token, from));
}

impl RefreshGate {
    /// A fresh token for a call that found `stale` (see the module documentation). `current`
    /// reads the client's token (`None` to never settle for it). `start` makes the one refresh of
    /// `stale`: a future that must end by calling [`Completion::complete`] with the outcome it
    /// returns. `start` is called with the gate locked: it must only build the future (an `async`
    /// block or `async fn` call), all the work happening when it is polled.
    pub(crate) async fn refresh<F>(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        start: impl FnOnce(Completion) -> F,
    ) -> Result<Fresh, Error>
    where
        F: Future<Output = SharedOutcome> + Send + 'static,
    {
        let running = {
            let mut state = lock(&self.state);
            if let Some((from, outcome)) = &state.last_success
                && Arc::ptr_eq(from, stale)
            {
                return fresh(outcome);
            }
            match state
                .in_flight
                .iter()
                .find(|(from, _)| Arc::ptr_eq(from, stale))
            {
                Some((_, running)) => running.clone(),
                None => {
                    if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
                        return Ok(Fresh::Current(token));
                    }
                    let completion = Completion {
                        state: self.state.clone(),
                        from: stale.clone(),
                        reported: false,
                    };
                    // Not polled yet: nothing runs under the lock.
                    let running = start(completion).boxed().shared();
                    state.in_flight.push((stale.clone(), running.clone()));
                    running
                }
            }
        };
        fresh(DetachOnDrop::new(running).await.as_ref())
    }
}

/// A waiting call's copy of a shared outcome.
fn fresh(outcome: &Outcome) -> Result<Fresh, Error> {
    match outcome {
        Ok(session) => Ok(Fresh::Refreshed(Box::new(session.clone()))),
        Err(error) => Err(error.clone()),
    }
}

/// Drives a shared refresh; if dropped before it is done, hands a copy of it to a task on the
/// runtime this waiter started on (not on a panic, and not when that runtime is gone: the refresh
/// is then dropped, and its [`Completion`] frees the gate).
struct DetachOnDrop {
    running: Option<Running>,
    runtime: Option<tokio::runtime::Handle>,
}

impl DetachOnDrop {
    fn new(running: Running) -> Self {
        Self {
            running: Some(running),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

impl Future for DetachOnDrop {
    type Output = SharedOutcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SharedOutcome> {
        let Some(running) = self.running.as_mut() else {
            // Polled after completion: a contract violation by the caller; stay pending rather
            // than panic.
            return Poll::Pending;
        };
        let outcome = std::task::ready!(running.poll_unpin(cx));
        self.running = None;
        Poll::Ready(outcome)
    }
}

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        if let (Some(running), Some(runtime)) = (self.running.take(), self.runtime.take())
            && running.peek().is_none()
            && !std::thread::panicking()
        {
            runtime.spawn(running);
        }
    }
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate")
            .field("in_flight", &lock(&self.state).in_flight.len())
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
    ) -> impl FnOnce(Completion) -> BoxFuture<'static, SharedOutcome> {
        let started = started.clone();
        move |completion| {
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                let outcome = Arc::new(outcome);
                completion.complete(&outcome);
                outcome
            }
            .boxed()
        }
    }

    fn never(_: Completion) -> std::future::Ready<SharedOutcome> {
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
            let outcome = Arc::new(Ok(session("t1")));
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
    async fn a_refresh_that_does_not_report_still_frees_the_gate() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let dropped = move |completion: Completion| async move {
            let _ = released.await;
            drop(completion);
            Arc::new(Err(Error::config("the leader's own error")))
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
        // The follower shares the refresh itself, so it gets the same outcome.
        assert!(follower.await.unwrap().contains("the leader's own error"));
        // The gate is free again: the next call leads a new refresh.
        let started = Arc::new(AtomicUsize::new(0));
        let again = gate
            .refresh(&stale, || None, instant(&started, Ok(session("t1"))))
            .await;
        assert!(again.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    /// A refresh that completes with `t1` once `released` fires.
    fn gated(
        released: tokio::sync::oneshot::Receiver<()>,
    ) -> impl FnOnce(Completion) -> BoxFuture<'static, SharedOutcome> {
        move |completion| {
            async move {
                let _ = released.await;
                let outcome = Arc::new(Ok(session("t1")));
                completion.complete(&outcome);
                outcome
            }
            .boxed()
        }
    }

    #[tokio::test]
    async fn a_follower_does_not_depend_on_its_leader_being_polled() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        // The leader starts the refresh, then is kept alive but never polled again.
        let mut leader = Box::pin(gate.refresh(&stale, || None, gated(released)));
        assert!((&mut leader).now_or_never().is_none());
        release.send(()).unwrap();
        let follower = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            gate.refresh(&stale, || None, never),
        )
        .await
        .expect("the follower drives the refresh itself");
        assert!(matches!(follower, Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"));
        drop(leader);
    }

    #[tokio::test]
    async fn refreshes_of_two_tokens_keep_their_own_followers() {
        let gate = Arc::new(RefreshGate::default());
        let t0 = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let mut leader = Box::pin(gate.refresh(&t0, || None, gated(released)));
        assert!((&mut leader).now_or_never().is_none());
        let follower = {
            let (gate, t0) = (gate.clone(), t0.clone());
            tokio::spawn(async move {
                matches!(
                    gate.refresh(&t0, || None, never).await,
                    Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"
                )
            })
        };
        tokio::task::yield_now().await;
        // Meanwhile the application set another token, and it is refreshed too.
        let other = Arc::new(Token::new("u0"));
        let started = Arc::new(AtomicUsize::new(0));
        assert!(
            gate.refresh(&other, || None, instant(&started, Ok(session("u1"))))
                .await
                .is_ok()
        );
        release.send(()).unwrap();
        assert!(leader.await.is_ok());
        assert!(follower.await.unwrap());
    }
}
