//! Single-flight token refresh: however many calls find the token stale at once, one refresh
//! request goes out; they all wait for it and share its outcome (the new session, or the error).
//!
//! A call hands in the token it found stale; the gate then
//! 1. shares a completed *successful* refresh of that very token (it was already rotated: a second
//!    refresh would only be refused);
//! 2. joins the refresh of that token that is in flight, if there is one;
//! 3. uses the client's current token if it is another one (refreshed or set meanwhile);
//! 4. or starts the refresh, in a task of its own, so that it completes (and its token is kept
//!    and handed to `on_token_refresh`) even if every waiting call is cancelled.
//!
//! A failure is shared only with the calls that were waiting for it; a later call tries again.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use crate::error::Error;
use crate::{Session, Token};

type Outcome = Result<Session, Error>;

/// What a waiting call ends up with.
pub(crate) enum Fresh {
    /// A refresh (started by this call or shared) produced this session.
    Refreshed(Box<Session>),
    /// The client already holds a newer token.
    Current(Arc<Token>),
}

#[derive(Default)]
struct GateState {
    /// The refresh in flight: the token it refreshes, and where its outcome will appear.
    in_flight: Option<(Arc<Token>, watch::Receiver<Option<Outcome>>)>,
    /// The last completed successful refresh: from which token, to which session.
    last_success: Option<(Arc<Token>, Session)>,
}

/// Serialises refreshes and shares each outcome with the calls that waited for it.
#[derive(Default)]
pub(crate) struct RefreshGate {
    state: Mutex<GateState>,
}

/// Where a started refresh reports its outcome (see [`RefreshGate::refresh`]).
pub(crate) struct Completion {
    from: Arc<Token>,
    sender: watch::Sender<Option<Outcome>>,
}

impl RefreshGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh token for a call that found `stale` (see the module documentation). `current`
    /// reads the client's token (`None` to never settle for it); `start` spawns one refresh of
    /// `stale`, which must end by calling [`RefreshGate::complete`] with the [`Completion`].
    pub(crate) async fn refresh(
        &self,
        stale: &Arc<Token>,
        current: impl Fn() -> Option<Arc<Token>>,
        start: impl FnOnce(Completion),
    ) -> Result<Fresh, Error> {
        let (mut receiver, to_start) = {
            let mut state = self.lock();
            if let Some((from, session)) = &state.last_success
                && Arc::ptr_eq(from, stale)
            {
                return Ok(Fresh::Refreshed(Box::new(session.clone())));
            }
            match &state.in_flight {
                Some((from, receiver)) if Arc::ptr_eq(from, stale) => (receiver.clone(), None),
                _ => {
                    if let Some(token) = current().filter(|t| !Arc::ptr_eq(t, stale)) {
                        return Ok(Fresh::Current(token));
                    }
                    let (sender, receiver) = watch::channel(None);
                    state.in_flight = Some((stale.clone(), receiver.clone()));
                    let completion = Completion {
                        from: stale.clone(),
                        sender,
                    };
                    (receiver, Some(completion))
                }
            }
        };
        // Started outside the lock: `start` may complete at once.
        if let Some(completion) = to_start {
            start(completion);
        }
        let outcome = receiver
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone())
            .unwrap_or(None);
        match outcome {
            Some(outcome) => outcome.map(|session| Fresh::Refreshed(Box::new(session))),
            // The refresh task ended without a word (its runtime shut down).
            None => Err(Error::config(
                "the token refresh was abandoned (its runtime shut down)",
            )),
        }
    }

    /// Records a refresh's outcome and wakes the calls waiting for it.
    pub(crate) fn complete(&self, completion: Completion, outcome: Outcome) {
        {
            let mut state = self.lock();
            if state
                .in_flight
                .as_ref()
                .is_some_and(|(from, _)| Arc::ptr_eq(from, &completion.from))
            {
                state.in_flight = None;
            }
            if let Ok(session) = &outcome {
                state.last_success = Some((completion.from.clone(), session.clone()));
            }
        }
        let _ = completion.sender.send(Some(outcome));
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

    #[tokio::test]
    async fn a_completed_refresh_of_the_same_token_is_shared_not_repeated() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let started = std::sync::atomic::AtomicUsize::new(0);
        let start = |completion: Completion| {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            gate.complete(completion, Ok(session("t1")));
        };
        let first = gate.refresh(&stale, || None, start).await.unwrap();
        assert!(matches!(first, Fresh::Refreshed(s) if s.token.value() == "t1"));
        // A caller that took its snapshot before the swap, and never settles for the current
        // token (an explicit refresh), still gets the same session.
        let again = gate
            .refresh(&stale, || None, |_| panic!("a second refresh of t0"))
            .await
            .unwrap();
        assert!(matches!(again, Fresh::Refreshed(s) if s.token.value() == "t1"));
        assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_is_not_served_to_later_callers() {
        let gate = RefreshGate::default();
        let stale = Arc::new(Token::new("t0"));
        let fail = |completion: Completion| gate.complete(completion, Err(Error::config("down")));
        assert!(gate.refresh(&stale, || None, fail).await.is_err());
        let retried = std::sync::atomic::AtomicBool::new(false);
        let succeed = |completion: Completion| {
            retried.store(true, std::sync::atomic::Ordering::SeqCst);
            gate.complete(completion, Ok(session("t1")));
        };
        assert!(gate.refresh(&stale, || None, succeed).await.is_ok());
        assert!(retried.load(std::sync::atomic::Ordering::SeqCst));
    }
}
