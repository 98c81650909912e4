//! The gate's own tests: sharing, a later retry after a failure, a panicked refresh.

use super::*;
use futures_util::FutureExt as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Waker;

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

/// The start count and the release of a [`counted`] refresh.
fn controls() -> (Arc<AtomicUsize>, Arc<tokio::sync::Notify>) {
    (Arc::default(), Arc::new(tokio::sync::Notify::new()))
}

/// A call of `stale` spawned to share the refresh in flight (it never starts one).
fn follower(
    gate: &Arc<RefreshGate>,
    stale: &Arc<Token>,
) -> tokio::task::JoinHandle<(Outcome, Origin)> {
    let (gate, stale) = (gate.clone(), stale.clone());
    tokio::spawn(async move { gate.refresh(&stale, never()).await })
}

/// The refresh runs in its caller's task; when the caller goes away before it ends, it goes on
/// in a task of its own: the waiters get its outcome, and it ran once.
#[tokio::test]
async fn a_refresh_whose_caller_goes_away_goes_on_in_a_task_of_its_own() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let leader = tokio::spawn({
        let (gate, stale) = (gate.clone(), stale.clone());
        let refresh = counted(&started, &release, session("t1"));
        async move { gate.refresh(&stale, refresh).await }
    });
    while started.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let follower = follower(&gate, &stale);
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

/// A refresh whose only caller goes away before it ends goes on in a task of its own: the token
/// the server issues is kept, and shared with a later call of the same token.
#[tokio::test]
async fn a_refresh_whose_only_caller_goes_away_still_ends() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let refresh = counted(&started, &release, session("t1"));
    let call = tokio::time::timeout(
        std::time::Duration::from_millis(20),
        gate.refresh(&stale, refresh),
    );
    assert!(call.await.is_err(), "the caller gave up");
    release.notify_one();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let (shared, origin) = gate.refresh(&stale, never()).await;
    assert_eq!(shared.unwrap().token.value(), "t1");
    assert_eq!(
        (origin, started.load(Ordering::SeqCst)),
        (Origin::Shared, 1)
    );
}

/// A refresh whose caller's thread unwinds from a panic is dropped, not continued: a later call
/// of the same token starts another.
#[tokio::test]
async fn a_refresh_dropped_while_unwinding_is_not_continued() {
    let gate = RefreshGate::default();
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let finished = Arc::<AtomicUsize>::default();
    let refresh = {
        let finished = finished.clone();
        let counted = counted(&started, &release, session("t1"));
        async move {
            let outcome = counted.await;
            finished.fetch_add(1, Ordering::SeqCst);
            outcome
        }
    };
    let waker = futures_util::task::noop_waker();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut call = Box::pin(gate.refresh(&stale, refresh));
        let polled = call.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(polled.is_pending());
        panic!("the caller panics");
    }));
    assert!(unwound.is_err());
    release.notify_one();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "the refresh was continued"
    );
    let (later, origin) = gate.refresh(&stale, async { session("t2") }).await;
    assert_eq!((later.unwrap().token.value(), origin), ("t2", Origin::Ran));
}

/// A refresh that panicked is never polled again, even once its caller caught the panic and
/// dropped the call.
#[tokio::test]
async fn a_refresh_that_panicked_is_not_resumed() {
    let gate = RefreshGate::default();
    let stale = Arc::new(Token::new("t0"));
    let (polls, release) = (
        Arc::<AtomicUsize>::default(),
        Arc::new(tokio::sync::Notify::new()),
    );
    let panicking = {
        let (polls, release) = (polls.clone(), release.clone());
        futures_util::future::poll_fn(move |cx| {
            polls.fetch_add(1, Ordering::SeqCst);
            let notified = release.notified();
            futures_util::pin_mut!(notified);
            if notified.poll(cx).is_ready() {
                panic!("a bug in the refresh");
            }
            Poll::<Outcome>::Pending
        })
    };
    let mut call =
        Box::pin(std::panic::AssertUnwindSafe(gate.refresh(&stale, panicking)).catch_unwind());
    assert!(futures_util::poll!(call.as_mut()).is_pending());
    release.notify_one();
    assert!(call.as_mut().await.is_err(), "the panic reaches the caller");
    drop(call);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(polls.load(Ordering::SeqCst), 2, "polled after its panic");
}

/// The refresh's last caller dropped on a thread outside any runtime: the refresh goes on in the
/// runtime that started it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_dropped_outside_a_runtime_goes_on_in_its_own() {
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let mut call = Box::pin({
        let (gate, stale) = (gate.clone(), stale.clone());
        let refresh = counted(&started, &release, session("t1"));
        async move { gate.refresh(&stale, refresh).await }
    });
    assert!(futures_util::poll!(call.as_mut()).is_pending());
    std::thread::spawn(move || drop(call)).join().unwrap();
    release.notify_one();
    let shared = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let (Ok(session), Origin::Shared) = gate
                .refresh(&stale, async { Err(Error::config("not shared")) })
                .await
            {
                return session;
            }
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(shared.await.unwrap().token.value(), "t1");
    assert_eq!(started.load(Ordering::SeqCst), 1);
}

/// A call that comes to wait for a refresh does not depend on the call that started it, which
/// may be kept but no longer polled (a `select!`, a buffered stream whose consumer awaits another
/// call): the refresh goes on in a task.
#[tokio::test]
async fn a_waiting_call_does_not_depend_on_a_starter_no_longer_polled() {
    let gate = RefreshGate::default();
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let mut leader = Box::pin(gate.refresh(&stale, counted(&started, &release, session("t1"))));
    assert!(futures_util::poll!(leader.as_mut()).is_pending());
    release.notify_one();
    let waiting = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        gate.refresh(&stale, never()),
    );
    let (shared, origin) = waiting.await.expect("the waiting call drove the refresh");
    assert_eq!(
        (shared.unwrap().token.value(), origin),
        ("t1", Origin::Shared)
    );
    let (led, origin) = leader.await;
    assert_eq!((led.unwrap().token.value(), origin), ("t1", Origin::Ran));
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl futures_util::task::ArcWake for Count {
    fn wake_by_ref(count: &Arc<Self>) {
        count.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    (count.clone(), futures_util::task::waker(count))
}

/// Two calls that find the same stale token at the same moment, on two threads: one refresh.
#[test]
fn calls_that_arrive_together_start_one_refresh() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    for _ in 0..500 {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (started, done) = (Arc::<AtomicUsize>::default(), Arc::<AtomicBool>::default());
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (gate, stale, started, done, barrier) = (
                    gate.clone(),
                    stale.clone(),
                    started.clone(),
                    done.clone(),
                    barrier.clone(),
                );
                let handle = runtime.handle().clone();
                std::thread::spawn(move || {
                    let _runtime = handle.enter();
                    let mut first = true;
                    let refresh = std::future::poll_fn(move |_| {
                        if std::mem::take(&mut first) {
                            started.fetch_add(1, Ordering::SeqCst);
                        }
                        match done.load(Ordering::SeqCst) {
                            true => Poll::Ready(Err(Error::config("done"))),
                            false => Poll::Pending,
                        }
                    });
                    barrier.wait();
                    let mut call = Box::pin(async move { gate.refresh(&stale, refresh).await });
                    let waker = futures_util::task::noop_waker();
                    let _ = call.as_mut().poll(&mut Context::from_waker(&waker));
                    barrier.wait();
                    call
                })
            })
            .collect();
        let calls: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "two refreshes of one token"
        );
        done.store(true, Ordering::SeqCst);
        drop(calls);
    }
}

/// A call that came to wait while the starter polled the refresh is woken when it ends, whether
/// the starter goes away right after that poll, or is kept and never polled again
/// (futures-rs#2706 was this, with `Shared`).
#[test]
fn a_waiting_call_is_woken_after_the_starter_goes_away_or_stops_polling() {
    for keep_the_starter in [false, true] {
        a_waiting_call_is_woken_when_the_starter(keep_the_starter);
    }
}

fn a_waiting_call_is_woken_when_the_starter(keep_the_starter: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let _runtime = runtime.enter();
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (go, went) = std::sync::mpsc::channel::<()>();
    let (waiting, waited) = std::sync::mpsc::channel::<()>();
    let mut polls = 0;
    let refresh = std::future::poll_fn(move |cx| {
        polls += 1;
        if polls > 1 {
            return Poll::Ready(session("t1"));
        }
        // A wake-up of the starter's poll; meanwhile another call comes to wait.
        cx.waker().wake_by_ref();
        go.send(()).unwrap();
        waited.recv().unwrap();
        Poll::Pending
    });
    let other = {
        let (gate, stale) = (gate.clone(), stale.clone());
        std::thread::spawn(move || {
            went.recv().unwrap();
            let (count, waker) = counting();
            let mut call = Box::pin(async move { gate.refresh(&stale, never()).await });
            assert!(
                call.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            waiting.send(()).unwrap();
            (call, count, waker)
        })
    };
    let (_, starter_waker) = counting();
    let mut starter = Box::pin(gate.refresh(&stale, refresh));
    let polled = starter
        .as_mut()
        .poll(&mut Context::from_waker(&starter_waker));
    let (mut call, count, waker) = other.join().unwrap();
    let kept = keep_the_starter.then_some(starter); // else dropped: it gave up
    drop(polled);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while count.0.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        count.0.load(Ordering::SeqCst) > 0,
        "the waiting call was never woken (starter kept: {keep_the_starter})"
    );
    let Poll::Ready((shared, origin)) = call.as_mut().poll(&mut Context::from_waker(&waker)) else {
        panic!("woken, yet not ready");
    };
    assert_eq!(
        (shared.unwrap().token.value(), origin),
        ("t1", Origin::Shared)
    );
    drop(kept);
}

/// A call that arrives while the starter's last poll ends (the refresh just succeeded) shares
/// the success: it is never told `RefreshInterrupted`.
#[test]
fn a_call_that_arrives_as_the_refresh_ends_shares_its_success() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let (mut lost, mut immediate, mut waiters_total) = (0, 0, 0);
    for _ in 0..500 {
        let gate = Arc::new(RefreshGate::default());
        let stale = Arc::new(Token::new("t0"));
        let (go, went) = std::sync::mpsc::channel::<()>();
        let mut polls = 0;
        let refresh = std::future::poll_fn(move |_| {
            polls += 1;
            if polls == 1 {
                return Poll::Pending;
            }
            go.send(()).unwrap();
            let t = std::time::Instant::now();
            while t.elapsed() < std::time::Duration::from_micros(20) {}
            Poll::Ready(session("t1"))
        });
        let other = {
            let (gate, stale) = (gate.clone(), stale.clone());
            let handle = runtime.handle().clone();
            std::thread::spawn(move || {
                let _rt = handle.enter();
                went.recv().unwrap();
                let waker = futures_util::task::noop_waker();
                let (mut pending, mut refused) = (Vec::new(), 0);
                loop {
                    let mut call = Box::pin({
                        let (gate, stale) = (gate.clone(), stale.clone());
                        async move { gate.refresh(&stale, never()).await }
                    });
                    match call.as_mut().poll(&mut Context::from_waker(&waker)) {
                        Poll::Ready((r, _)) => {
                            refused += usize::from(r.is_err());
                            break;
                        }
                        Poll::Pending => pending.push(call),
                    }
                }
                (pending, refused)
            })
        };
        let _rt = runtime.enter();
        let waker = futures_util::task::noop_waker();
        let mut starter = Box::pin(gate.refresh(&stale, refresh));
        assert!(
            starter
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let Poll::Ready((led, _)) = starter.as_mut().poll(&mut Context::from_waker(&waker)) else {
            panic!("starter not ready")
        };
        assert!(led.is_ok());
        let (pending, refused) = other.join().unwrap();
        immediate += refused;
        waiters_total += pending.len();
        for call in pending {
            let (r, _) = block_on(call);
            if r.is_err() {
                lost += 1;
            }
        }
    }
    assert_eq!(
        (lost, immediate),
        (0, 0),
        "calls told RefreshInterrupted for a success (of {waiters_total} waiting)"
    );
}

/// Runs `f` on this thread, outside any runtime.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let thread = std::thread::current();
    struct T(std::thread::Thread);
    impl futures_util::task::ArcWake for T {
        fn wake_by_ref(t: &Arc<Self>) {
            t.0.unpark();
        }
    }
    let waker = futures_util::task::waker(Arc::new(T(thread)));
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
            return v;
        }
        std::thread::park_timeout(std::time::Duration::from_secs(5));
    }
}

/// A refresh handed over by a waiting call goes on in the runtime it started on, not in the
/// waiting call's (here a short-lived one, as a blocking wrapper makes, dropped when it gives up).
#[test]
fn a_refresh_handed_over_goes_on_in_the_runtime_it_started_on() {
    let main_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = controls();
    let finished = Arc::<AtomicUsize>::default();
    let refresh = {
        let finished = finished.clone();
        let counted = counted(&started, &release, session("t1"));
        async move {
            let o = counted.await;
            finished.fetch_add(1, Ordering::SeqCst);
            o
        }
    };
    let mut starter = {
        let _g = main_rt.enter();
        let mut s = Box::pin(gate.refresh(&stale, refresh));
        let waker = futures_util::task::noop_waker();
        assert!(
            s.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        s
    };
    {
        let short = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let r = short.block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_millis(20),
                gate.refresh(&stale, never()),
            )
            .await
        });
        assert!(r.is_err(), "the waiter gave up");
    } // dropped: its tasks too
    release.notify_one();
    let (led, _) = main_rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(5), starter.as_mut())
            .await
            .expect("starter hung")
    });
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "refresh dropped mid-way: {led:?}"
    );
}

/// A call waiting outside any runtime, the starter kept but not polled: the refresh goes on in
/// the starter's runtime, and the call gets it.
#[test]
fn a_call_waiting_outside_a_runtime_gets_the_refresh() {
    let main_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let gate = Arc::new(RefreshGate::default());
    let stale = Arc::new(Token::new("t0"));
    let (started, release) = (Arc::default(), Arc::new(tokio::sync::Notify::new()));
    let _starter = {
        let _g = main_rt.enter();
        let mut s = Box::pin(gate.refresh(&stale, counted(&started, &release, session("t1"))));
        let waker = futures_util::task::noop_waker();
        assert!(
            s.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        s
    };
    release.notify_one();
    let (tx, rx) = std::sync::mpsc::channel();
    let (gate2, stale2) = (gate.clone(), stale.clone());
    std::thread::spawn(move || {
        let r = block_on(async move { gate2.refresh(&stale2, never()).await });
        let _ = tx.send(r.0.is_ok());
    });
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(3)),
        Ok(true),
        "waiter outside a runtime hung"
    );
}

/// Many calls on a multi-thread runtime, some given up at various points: one refresh, and every
/// call that finishes gets its success.
#[test]
fn many_calls_some_given_up_share_one_refresh() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..200u64 {
        runtime.block_on(async {
            let gate = Arc::new(RefreshGate::default());
            let stale = Arc::new(Token::new("t0"));
            let started = Arc::<AtomicUsize>::default();
            let mut tasks = Vec::new();
            for i in 0..8u64 {
                let (gate, stale, started) = (gate.clone(), stale.clone(), started.clone());
                tasks.push(tokio::spawn(async move {
                    for _ in 0..(i % 3) {
                        tokio::task::yield_now().await;
                    }
                    let refresh = async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        for _ in 0..4 {
                            tokio::task::yield_now().await;
                        }
                        session("t1")
                    };
                    let call = gate.refresh(&stale, refresh);
                    if (i + round) % 3 == 0 {
                        // given up after a few polls
                        let mut call = std::pin::pin!(call);
                        for _ in 0..((i + round) % 4) {
                            if futures_util::poll!(call.as_mut()).is_ready() {
                                return None;
                            }
                            tokio::task::yield_now().await;
                        }
                        None
                    } else {
                        Some(call.await.0.is_ok())
                    }
                }));
            }
            for t in tasks {
                if let Some(ok) = tokio::time::timeout(std::time::Duration::from_secs(5), t)
                    .await
                    .expect("a call hung")
                    .unwrap()
                {
                    assert!(ok, "round {round}: a call did not get the success");
                }
            }
            assert_eq!(started.load(Ordering::SeqCst), 1, "round {round}");
        });
    }
}
