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
