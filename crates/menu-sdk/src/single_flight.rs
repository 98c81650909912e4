//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! Built on two standard primitives:
//! - a [`tokio::sync::Mutex`] that a refresh holds from start to finish, so refreshes never
//!   overlap and waiting calls queue behind it; it keeps the last few finished refreshes;
//! - a refresh that records its outcome before it lets the lock go, run by the call that started
//!   it and, if that call gives up (its future dropped), spawned onto the runtime to finish: a
//!   refresh aborted half-way would lose the new token after the server invalidated the old one.
//!   (Running it in the leading call saves a scheduling hop per refresh. As with tokio's
//!   `OnceCell::get_or_init`, on which smithy-rs' `ExpiringCache` is built, a leading call kept
//!   alive but not polled holds up the calls waiting for it.)
//!
//! A call that acquires the lock then
//! 1. shares a recent refresh if it was of the very token the call found stale, and succeeded
//!    (the token was rotated: a second refresh would only be refused) or finished after the call
//!    arrived (it waited for it);
//! 2. uses the client's current token if it is another one (refreshed or set meanwhile);
//! 3. or runs a refresh itself.
//!
//! So a failure is shared with the calls that waited for it, and a later call tries again.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Mutex;
use tracing::Instrument as _;

use crate::error::Error;
use crate::{Session, Token};

/// What one refresh ends with (the session shared, not copied, by the calls that wait for it).
pub(crate) type Outcome = Result<Arc<Session>, Error>;

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (run by this call or shared) produced this session.
    Refreshed(Arc<Session>),
    /// The client already holds another token.
    Current(Arc<Token>),
}

/// How a call came by its [`Fresh`] token (or its error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// This call ran the refresh.
    Ran,
    /// It shared another call's refresh, or needed none.
    Shared,
}

/// A finished refresh.
struct Finished {
    /// The token it refreshed.
    from: Arc<Token>,
    /// Its number, counting from 1 (see [`RefreshGate::finished`]).
    number: u64,
    outcome: Outcome,
}

/// How many finished refreshes are kept (more than one: a call that waited for the refresh of a
/// token the application has since replaced, and refreshed, still finds its own).
const KEPT: usize = 4;

/// Serialises refreshes and shares each outcome with the calls that waited for it.
#[derive(Default)]
pub(crate) struct RefreshGate {
    /// The last finished refreshes, newest last.
    recent: Arc<Mutex<VecDeque<Finished>>>,
    /// How many refreshes have finished: a call reads it on arrival, so it can tell a failure it
    /// waited for from an older one.
    finished: Arc<AtomicU64>,
}

impl RefreshGate {
    /// A fresh token for a call that found `stale` (see the module documentation). `current`
    /// reads the client's token (`None` to never settle for it: an explicit refresh); `refresh`
    /// makes the refresh of `stale`.
    pub(crate) async fn refresh<F>(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        refresh: impl FnOnce() -> F,
    ) -> (Result<Fresh, Error>, Origin)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let arrived = self.finished.load(Ordering::SeqCst);
        let mut recent = self.recent.clone().lock_owned().await;
        if let Some(done) = recent.iter().rev().find(|d| Arc::ptr_eq(&d.from, stale))
            && (done.outcome.is_ok() || done.number > arrived)
        {
            return (fresh(&done.outcome), Origin::Shared);
        }
        if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
            return (Ok(Fresh::Current(token)), Origin::Shared);
        }
        let (finished, from, running) = (self.finished.clone(), stale.clone(), refresh());
        let task = async move {
            let outcome = running.await;
            let number = finished.fetch_add(1, Ordering::SeqCst) + 1;
            recent.retain(|done| !Arc::ptr_eq(&done.from, &from));
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back(Finished {
                from,
                number,
                outcome: outcome.clone(),
            });
            outcome
        };
        let outcome = Detach(Some(Box::pin(task.in_current_span()))).await;
        (fresh(&outcome), Origin::Ran)
    }
}

/// A refresh that its caller runs in its own poll (no scheduling hop), and that is spawned onto
/// the runtime, as it stands, if the caller drops it before it finishes.
struct Detach<F: Future<Output = Outcome> + Send + 'static>(Option<Pin<Box<F>>>);

impl<F: Future<Output = Outcome> + Send + 'static> Future for Detach<F> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(running) = self.0.as_mut() else {
            return Poll::Ready(Err(Error::config(
                "internal error: a refresh was polled after it finished",
            )));
        };
        let outcome = std::task::ready!(running.as_mut().poll(cx));
        self.0 = None;
        Poll::Ready(outcome)
    }
}

impl<F: Future<Output = Outcome> + Send + 'static> Drop for Detach<F> {
    fn drop(&mut self) {
        // Outside a tokio runtime there is nothing to spawn on (and nothing to cancel it); while
        // unwinding, the refresh may be what panicked, and must not be polled again.
        if std::thread::panicking() {
            return;
        }
        if let (Some(running), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(running);
        }
    }
}

/// A waiting call's copy of an outcome.
fn fresh(outcome: &Outcome) -> Result<Fresh, Error> {
    match outcome {
        Ok(session) => Ok(Fresh::Refreshed(session.clone())),
        Err(error) => Err(error.clone()),
    }
}

impl std::fmt::Debug for RefreshGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshGate")
            .field("finished", &self.finished.load(Ordering::SeqCst))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use tokio::sync::oneshot;

    fn session(token: &str) -> Arc<Session> {
        let body: serde_json::Value =
            serde_json::from_str(include_str!("../../menu-mock/seed/refresh.json")).unwrap();
        Arc::new(Session {
            customer_account: serde_json::from_value(body["data"]["customer_account"].clone())
                .unwrap(),
            token: Token::new(token),
        })
    }

    type Refresh = Pin<Box<dyn Future<Output = Outcome> + Send>>;

    /// A refresh that completes with `outcome`, counting its starts.
    fn instant(started: &Arc<AtomicUsize>, outcome: Outcome) -> impl FnOnce() -> Refresh + use<> {
        let started = started.clone();
        move || {
            Box::pin(async move {
                started.fetch_add(1, Ordering::SeqCst);
                outcome
            })
        }
    }

    /// A refresh that says when it started, then completes with `outcome` once released.
    fn held(outcome: Outcome) -> (impl FnOnce() -> Refresh, Held) {
        let (started, on_start) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        let refresh = move || -> Refresh {
            Box::pin(async move {
                let _ = started.send(());
                let _ = released.await;
                outcome
            })
        };
        (refresh, Held { on_start, release })
    }

    struct Held {
        on_start: oneshot::Receiver<()>,
        release: oneshot::Sender<()>,
    }

    fn never() -> std::future::Ready<Outcome> {
        panic!("a second refresh")
    }

    /// Polls `future` once.
    async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
    }

    #[tokio::test]
    async fn a_completed_refresh_of_the_same_token_is_shared_not_repeated() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let (first, origin) = gate
            .refresh(&stale, || None, instant(&started, Ok(session("t1"))))
            .await;
        assert!(matches!(first, Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"));
        assert_eq!(origin, Origin::Ran);
        // A caller that took its snapshot before the swap, and never settles for the current
        // token (an explicit refresh), still gets the same session.
        let (again, origin) = gate.refresh(&stale, || None, never).await;
        assert!(matches!(again, Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"));
        assert_eq!(origin, Origin::Shared);
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_is_shared_with_waiting_calls_only() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (failing, held) = held(Err(Error::config("down")));
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, failing).await })
        };
        held.on_start.await.unwrap();
        // The follower arrives while the refresh is in flight, and waits for it.
        let mut follower = Box::pin(gate.refresh(&stale, || None, never));
        assert!(poll_once(&mut follower).await.is_pending());
        held.release.send(()).unwrap();
        let (leader, origin) = leader.await.unwrap();
        assert!(leader.is_err() && origin == Origin::Ran);
        let (shared, origin) = follower.await;
        assert!(matches!(shared, Err(e) if e.to_string().contains("down")));
        assert_eq!(origin, Origin::Shared);
        // A later call is not served the old failure.
        let started = Arc::new(AtomicUsize::new(0));
        let (later, _) = gate
            .refresh(&stale, || None, instant(&started, Ok(session("t1"))))
            .await;
        assert!(later.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_cancelled_caller_does_not_abort_the_refresh() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (slow, held) = held(Ok(session("t1")));
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, slow).await.0.is_ok() })
        };
        held.on_start.await.unwrap();
        // The caller gives up while its refresh is in flight.
        leader.abort();
        assert!(leader.await.unwrap_err().is_cancelled());
        held.release.send(()).unwrap();
        // The refresh finished anyway and is shared, not repeated.
        let (after, _) =
            tokio::time::timeout(Duration::from_secs(5), gate.refresh(&stale, || None, never))
                .await
                .expect("the refresh finished");
        assert!(matches!(after, Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"));
    }

    #[tokio::test]
    async fn a_refresh_that_panics_releases_the_gate() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let polls = Arc::new(AtomicUsize::new(0));
        let leader = {
            let (gate, stale, polls) = (gate.clone(), stale.clone(), polls.clone());
            tokio::spawn(async move {
                let panicking = move || -> Refresh {
                    Box::pin(async move {
                        polls.fetch_add(1, Ordering::SeqCst);
                        panic!("a bug in the refresh")
                    })
                };
                gate.refresh(&stale, || None, panicking).await.1
            })
        };
        assert!(leader.await.unwrap_err().is_panic());
        // It ran once, and the next call refreshes.
        tokio::task::yield_now().await;
        assert_eq!(polls.load(Ordering::SeqCst), 1);
        let started = Arc::new(AtomicUsize::new(0));
        let (fresh, origin) = tokio::time::timeout(
            Duration::from_secs(5),
            gate.refresh(&stale, || None, instant(&started, Ok(session("t1")))),
        )
        .await
        .expect("the gate was released");
        assert!(fresh.is_ok() && origin == Origin::Ran);
    }

    #[tokio::test]
    async fn another_current_token_is_used_instead_of_refreshing() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let other = Arc::new(Token::new("set meanwhile"));
        let (fresh, origin) = gate.refresh(&stale, || Some(other.clone()), never).await;
        assert!(matches!(fresh, Ok(Fresh::Current(t)) if Arc::ptr_eq(&t, &other)));
        assert_eq!(origin, Origin::Shared);
    }

    /// The token a refresh of `token` through `gate` gives (to `to` if it runs one).
    async fn refreshed(
        gate: &RefreshGate,
        started: &Arc<AtomicUsize>,
        token: &Arc<Token>,
        to: &str,
    ) -> String {
        match gate
            .refresh(token, || None, instant(started, Ok(session(to))))
            .await
            .0
        {
            Ok(Fresh::Refreshed(session)) => session.token.value().to_owned(),
            _ => String::new(),
        }
    }

    #[tokio::test]
    async fn refreshes_of_two_tokens_keep_their_own_outcomes() {
        let gate = RefreshGate::default();
        let (t0, u0) = (Arc::new(Token::new("t0")), Arc::new(Token::new("u0")));
        let started = Arc::new(AtomicUsize::new(0));
        assert_eq!(refreshed(&gate, &started, &t0, "t1").await, "t1");
        assert_eq!(refreshed(&gate, &started, &u0, "u1").await, "u1");
        // A call that found t0 stale before u0 was set still gets t0's successor.
        assert_eq!(refreshed(&gate, &started, &t0, "never").await, "t1");
        assert_eq!(started.load(Ordering::SeqCst), 2);
        // Only a few are kept.
        for n in 0..KEPT {
            let token = Arc::new(Token::new(format!("v{n}")));
            assert_eq!(refreshed(&gate, &started, &token, "w").await, "w");
        }
        assert_eq!(refreshed(&gate, &started, &t0, "t2").await, "t2");
    }
}
