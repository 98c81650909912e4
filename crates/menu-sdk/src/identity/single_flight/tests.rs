//! The gate's own tests: sharing, a later retry after a failure, a panicked refresh.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn session(token: &str) -> Outcome {
    let body: serde_json::Value =
        serde_json::from_str(include_str!("../../../../menu-mock/seed/refresh.json")).unwrap();
    let mut session: Session = serde_json::from_value(body["data"].clone()).unwrap();
    session.token = Token::new(token);
    Ok(Arc::new(session))
}

/// A refresh that counts its starts and waits for `release`, then ends with `outcome`.
fn counted(
    started: &Arc<AtomicUsize>,
    release: &Arc<tokio::sync::Notify>,
    outcome: Outcome,
) -> impl Future<Output = Outcome> + Send + 'static {
    let (started, release) = (started.clone(), release.clone());
    async move {
        started.fetch_add(1, Ordering::SeqCst);
        release.notified().await;
        outcome
    }
}

async fn never() -> Outcome {
    unreachable!("a second refresh")
}
#[tokio::test]
async fn waiting_calls_share_one_refresh_and_only_a_success_outlives_it() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = (Arc::default(), Arc::new(tokio::sync::Notify::new()));
    let failing = counted(&started, &release, Err(Error::config("down")));
    let leader = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        async move { gate.refresh(&stale, failing).await }
    });
    while started.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    // A call that arrives while the refresh is in flight waits for it, and shares it.
    let follower = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        async move { gate.refresh(&stale, never()).await }
    });
    tokio::task::yield_now().await;
    release.notify_one();
    let ((led, ran), (shared, origin)) = (leader.await.unwrap(), follower.await.unwrap());
    assert!(led.is_err() && shared.is_err());
    assert_eq!((ran, origin), (Origin::Ran, Origin::Shared));
    // A later call is not served the old failure: it refreshes, and that success is kept.
    release.notify_one();
    let later = counted(&started, &release, session("t1"));
    assert!(gate.refresh(&stale, later).await.0.is_ok());
    let (again, origin) = gate.refresh(&stale, never()).await;
    assert_eq!(again.unwrap().token.value(), "t1");
    assert_eq!(
        (origin, started.load(Ordering::SeqCst)),
        (Origin::Shared, 2)
    );
}
#[tokio::test]
async fn the_waiters_of_a_panicked_refresh_are_told_and_a_later_call_tries_again() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = (
        Arc::<AtomicUsize>::default(),
        Arc::new(tokio::sync::Notify::new()),
    );
    let panicking = {
        let (started, release) = (started.clone(), release.clone());
        async move {
            started.fetch_add(1, Ordering::SeqCst);
            release.notified().await;
            panic!("a bug in the refresh");
        }
    };
    let leader = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        async move { gate.refresh(&stale, panicking).await }
    });
    while started.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let follower = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        async move { gate.refresh(&stale, never()).await }
    });
    tokio::task::yield_now().await;
    release.notify_one();
    assert!(
        leader.await.unwrap_err().is_panic(),
        "the panic reaches its caller"
    );
    let (shared, origin) = follower.await.unwrap();
    assert!(
        matches!(shared, Err(Error::RefreshInterrupted)),
        "{shared:?}"
    );
    assert_eq!(origin, Origin::Shared);
    // The gate is not wedged: a later call of the same token refreshes.
    let (later, origin) = gate.refresh(&stale, async { session("t1") }).await;
    assert_eq!((later.unwrap().token.value(), origin), ("t1", Origin::Ran));
}

/// The refresh runs in its caller's task; when the caller goes away before it ends, it goes on
/// in a task of its own: the waiters get its outcome, and it ran once.
#[tokio::test]
async fn a_refresh_whose_caller_goes_away_goes_on_in_a_task_of_its_own() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = (
        Arc::<AtomicUsize>::default(),
        Arc::new(tokio::sync::Notify::new()),
    );
    let leader = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        let refresh = counted(&started, &release, session("t1"));
        async move { gate.refresh(&stale, refresh).await }
    });
    while started.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let follower = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        async move { gate.refresh(&stale, never()).await }
    });
    tokio::task::yield_now().await;
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    release.notify_one();
    let (shared, origin) = follower.await.unwrap();
    assert_eq!(shared.unwrap().token.value(), "t1");
    assert_eq!(
        (origin, started.load(Ordering::SeqCst)),
        (Origin::Shared, 1)
    );
}

/// A hand-over dropped while its thread unwinds drops the refresh (a panicked future is never
/// resumed); dropped otherwise, the refresh goes on.
#[tokio::test]
async fn a_refresh_dropped_while_unwinding_is_not_continued() {
    let waker = futures_util::task::noop_waker();
    for unwinding in [true, false] {
        let (release, finished) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::<AtomicUsize>::default(),
        );
        let refresh = {
            let (release, finished) = (release.clone(), finished.clone());
            async move {
                release.notified().await;
                finished.fetch_add(1, Ordering::SeqCst);
            }
        };
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut hand_over = Box::pin(HandOver::new(refresh));
            let polled = hand_over
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker));
            assert!(polled.is_pending());
            if unwinding {
                panic!("the caller panics");
            }
        }));
        assert_eq!(dropped.is_err(), unwinding);
        release.notify_one();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let expected = usize::from(!unwinding);
        assert_eq!(
            finished.load(Ordering::SeqCst),
            expected,
            "unwinding: {unwinding}"
        );
    }
}
