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
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::watch;

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

#[derive(Default)]
struct GateState {
    /// The refresh in flight: the token it refreshes, and where its outcome will appear.
    in_flight: Option<(Arc<Token>, watch::Receiver<Option<SharedOutcome>>)>,
    /// The last completed successful refresh: from which token, to which session.
    last_success: Option<(Arc<Token>, SharedOutcome)>,
}

/// Serialises refreshes and shares each outcome with the calls that waited for it.
#[derive(Default)]
pub(crate) struct RefreshGate {
    state: Mutex<GateState>,
}

/// Where a started refresh reports its outcome (see [`RefreshGate::refresh`]).
pub(crate) struct Completion {
    from: Arc<Token>,
    sender: watch::Sender<Option<SharedOutcome>>,
}

impl RefreshGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh token for a call that found `stale` (see the module documentation). `current`
    /// reads the client's token (`None` to never settle for it). `start` makes the one refresh of
    /// `stale`: a future that must end by calling [`RefreshGate::complete`] with the
    /// [`Completion`] and return the same outcome. This call then runs it inline, or in a task of
    /// its own if this call is dropped first.
    pub(crate) async fn refresh<F>(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        start: impl FnOnce(Completion) -> F,
    ) -> Result<Fresh, Error>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        // Ok: join the refresh in flight; Err: lead a new one.
        let receiver = {
            let mut state = self.lock();
            if let Some((from, outcome)) = &state.last_success
                && Arc::ptr_eq(from, stale)
            {
                return fresh(outcome);
            }
            match &state.in_flight {
                Some((from, receiver)) if Arc::ptr_eq(from, stale) => Ok(receiver.clone()),
                _ => {
                    if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
                        return Ok(Fresh::Current(token));
                    }
                    let (sender, receiver) = watch::channel(None);
                    state.in_flight = Some((stale.clone(), receiver));
                    Err(Completion {
                        from: stale.clone(),
                        sender,
                    })
                }
            }
        };
        let mut receiver = match receiver {
            Ok(receiver) => receiver,
            Err(completion) => {
                // The leader: run the refresh here, outside the lock (it may complete at once).
                let outcome = DetachOnDrop::new(start(completion)).await;
                return outcome.map(|session| Fresh::Refreshed(Box::new(session)));
            }
        };
        let outcome = receiver
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone())
            .unwrap_or(None);
        match outcome {
            Some(outcome) => fresh(&outcome),
            // The refresh ended without a word (its runtime shut down before it completed).
            None => Err(Error::config(
                "the token refresh was abandoned (its runtime shut down)",
            )),
        }
    }

    /// Records a refresh's outcome and wakes the calls waiting for it (one copy of the outcome,
    /// shared by all of them).
    pub(crate) fn complete(&self, completion: Completion, outcome: &Outcome) {
        let shared = Arc::new(outcome.clone());
        {
            let mut state = self.lock();
            if state
                .in_flight
                .as_ref()
                .is_some_and(|(from, _)| Arc::ptr_eq(from, &completion.from))
            {
                state.in_flight = None;
            }
            if outcome.is_ok() {
                state.last_success = Some((completion.from.clone(), shared.clone()));
            }
        }
        let _ = completion.sender.send(Some(shared));
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
            .field("in_flight", &self.lock().in_flight.is_some())
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
        gate: &Arc<RefreshGate>,
        started: &Arc<AtomicUsize>,
        outcome: Outcome,
    ) -> impl FnOnce(Completion) -> std::future::Ready<Outcome> {
        let (gate, started) = (gate.clone(), started.clone());
        move |completion| {
            started.fetch_add(1, Ordering::SeqCst);
            gate.complete(completion, &outcome);
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
            .refresh(&stale, || None, instant(&gate, &started, Ok(session("t1"))))
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
        let fail = instant(&gate, &started, Err(Error::config("down")));
        assert!(gate.refresh(&stale, || None, fail).await.is_err());
        let succeed = instant(&gate, &started, Ok(session("t1")));
        assert!(gate.refresh(&stale, || None, succeed).await.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cancelled_leader_s_refresh_still_completes_for_its_followers() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let gate = gate.clone();
            move |completion: Completion| async move {
                let _ = released.await;
                let outcome = Ok(session("t1"));
                gate.complete(completion, &outcome);
                outcome
            }
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
}
