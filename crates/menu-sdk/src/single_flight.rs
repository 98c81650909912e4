//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! Built on two standard primitives:
//! - a [`tokio::sync::Mutex`] that a refresh holds from start to finish, so refreshes never
//!   overlap and waiting calls queue behind it; it keeps the last few finished refreshes;
//! - a spawned task that runs the refresh and records its outcome before it lets the lock go, so a
//!   caller that gives up (its future dropped) cannot abort a refresh half-way: the server would
//!   have invalidated the old token and the new one would be lost.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::error::Error;
use crate::{Session, Token};

/// What one refresh ends with.
pub(crate) type Outcome = Result<Session, Error>;

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (run by this call or shared) produced this session.
    Refreshed(Box<Session>),
    /// The client already holds another token.
    Current(Arc<Token>),
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
    ) -> Result<Fresh, Error>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let arrived = self.finished.load(Ordering::SeqCst);
        let mut recent = self.recent.clone().lock_owned().await;
        if let Some(done) = recent
            .iter()
            .rev()
            .find(|done| Arc::ptr_eq(&done.from, stale))
            && (done.outcome.is_ok() || done.number > arrived)
        {
            return fresh(&done.outcome);
        }
        if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
            return Ok(Fresh::Current(token));
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
        let outcome = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => match runtime.spawn(task).await {
                Ok(outcome) => outcome,
                // The application's `on_token_refresh` hook panicked: that panic is its to see.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(Error::config(
                    "the token refresh did not finish: its tokio runtime is shutting down",
                )),
            },
            // Outside a tokio runtime there is nothing to spawn on (and nothing to cancel it).
            Err(_) => task.await,
        };
        fresh(&outcome)
    }
}

/// A waiting call's copy of an outcome.
fn fresh(outcome: &Outcome) -> Result<Fresh, Error> {
    match outcome {
        Ok(session) => Ok(Fresh::Refreshed(Box::new(session.clone()))),
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

    /// A refresh that completes with `outcome` once `released` fires (at once without it),
    /// counting its starts.
    fn counted(
        started: &Arc<AtomicUsize>,
        outcome: Outcome,
        released: Option<tokio::sync::oneshot::Receiver<()>>,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Outcome> + Send>> + use<> {
        let started = started.clone();
        move || {
            Box::pin(async move {
                started.fetch_add(1, Ordering::SeqCst);
                if let Some(released) = released {
                    let _ = released.await;
                }
                outcome
            })
        }
    }

    fn never() -> std::future::Ready<Outcome> {
        panic!("a second refresh")
    }

    #[tokio::test]
    async fn a_completed_refresh_of_the_same_token_is_shared_not_repeated() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let first = gate
            .refresh(&stale, || None, counted(&started, Ok(session("t1")), None))
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
    async fn a_failure_is_shared_with_waiting_calls_only() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::oneshot::channel();
        let failing = counted(&started, Err(Error::config("down")), Some(released));
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, failing).await.is_err() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let follower = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move {
                match gate.refresh(&stale, || None, never).await {
                    Err(error) => error.to_string(),
                    Ok(_) => String::new(),
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.send(()).unwrap();
        assert!(leader.await.unwrap());
        assert!(
            follower.await.unwrap().contains("down"),
            "the follower shared it"
        );
        // A later call is not served the old failure.
        let succeed = counted(&started, Ok(session("t1")), None);
        assert!(gate.refresh(&stale, || None, succeed).await.is_ok());
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cancelled_caller_does_not_abort_the_refresh() {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let started = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::oneshot::channel();
        let slow = counted(&started, Ok(session("t1")), Some(released));
        // The leader starts the refresh, then is cancelled while it is in flight.
        let leader = {
            let (gate, stale) = (gate.clone(), stale.clone());
            tokio::spawn(async move { gate.refresh(&stale, || None, slow).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        assert!(leader.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        // The refresh finished anyway and is shared, not repeated.
        let after =
            tokio::time::timeout(Duration::from_secs(5), gate.refresh(&stale, || None, never))
                .await
                .expect("the refresh finished");
        assert!(matches!(after, Ok(Fresh::Refreshed(s)) if s.token.value() == "t1"));
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn another_current_token_is_used_instead_of_refreshing() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let other = Arc::new(Token::new("set meanwhile"));
        let fresh = gate
            .refresh(&stale, || Some(other.clone()), never)
            .await
            .unwrap();
        assert!(matches!(fresh, Fresh::Current(t) if Arc::ptr_eq(&t, &other)));
    }

    #[tokio::test]
    async fn refreshes_of_two_tokens_keep_their_own_outcomes() {
        let gate = RefreshGate::default();
        let (t0, u0) = (Arc::new(Token::new("t0")), Arc::new(Token::new("u0")));
        let started = Arc::new(AtomicUsize::new(0));
        gate.refresh(&t0, || None, counted(&started, Ok(session("t1")), None))
            .await
            .unwrap();
        gate.refresh(&u0, || None, counted(&started, Ok(session("u1")), None))
            .await
            .unwrap();
        // A call that found t0 stale before u0 was set still gets t0's successor.
        let late = gate.refresh(&t0, || None, never).await.unwrap();
        assert!(matches!(late, Fresh::Refreshed(s) if s.token.value() == "t1"));
        assert_eq!(started.load(Ordering::SeqCst), 2);
        // Only a few are kept.
        for n in 0..KEPT {
            let token = Arc::new(Token::new(format!("v{n}")));
            gate.refresh(&token, || None, counted(&started, Ok(session("w")), None))
                .await
                .unwrap();
        }
        let again = gate
            .refresh(&t0, || None, counted(&started, Ok(session("t2")), None))
            .await
            .unwrap();
        assert!(matches!(again, Fresh::Refreshed(s) if s.token.value() == "t2"));
    }
}
