//! The waker a call polls its shared refresh with ([`Relay`]): its task's waker, less the
//! wake-ups that arrive while the call itself polls the refresh and it ends.
//!
//! `futures`' `Shared` wakes every call waiting for it when the shared future ends, the call
//! that polls it at that moment too. Woken while it runs, a tokio task is rescheduled as if it
//! had yielded, which wakes an idle worker: at one call at a time, one cross-thread hand-off per
//! refresh (BENCHMARKS.md measures it). A wake-up that arrives during a poll is passed on only
//! when that poll returns `Pending`, so none is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::{ArcWake, AtomicWaker, waker_ref};

/// One call's waker for its shared refresh.
#[derive(Default)]
pub(super) struct Relay {
    task: AtomicWaker,
    polling: AtomicBool,
    missed: AtomicBool,
}

impl Relay {
    /// Polls `poll` with this relay as its waker, for the task of `cx`.
    pub(super) fn poll<T>(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.task.register(cx.waker());
        self.polling.store(true, Ordering::SeqCst);
        let waker = waker_ref(self);
        let polled = poll(&mut Context::from_waker(&waker));
        self.polling.store(false, Ordering::SeqCst);
        if self.missed.swap(false, Ordering::SeqCst) && polled.is_pending() {
            cx.waker().wake_by_ref();
        }
        polled
    }
}

impl ArcWake for Relay {
    fn wake_by_ref(relay: &Arc<Self>) {
        if relay.polling.load(Ordering::SeqCst) {
            relay.missed.store(true, Ordering::SeqCst);
        } else {
            relay.task.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl ArcWake for Count {
        fn wake_by_ref(count: &Arc<Self>) {
            count.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wake_up_during_a_poll_is_passed_on_only_if_the_poll_is_pending() {
        let (relay, count) = (Arc::new(Relay::default()), Arc::new(Count::default()));
        let task = futures_util::task::waker(count.clone());
        let mut cx = Context::from_waker(&task);
        let woken = || count.0.load(Ordering::SeqCst);
        // Woken while it ends: dropped.
        let ended = relay.poll(&mut cx, |cx| {
            cx.waker().wake_by_ref();
            Poll::Ready(())
        });
        assert_eq!((ended, woken()), (Poll::Ready(()), 0));
        // Woken while it stays pending (a yield): passed on once the poll returns.
        let pending = relay.poll(&mut cx, |cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
        assert_eq!((pending, woken()), (Poll::Pending, 1));
        // Woken between polls: passed on at once.
        let mut kept = None;
        let _ = relay.poll(&mut cx, |cx| {
            kept = Some(cx.waker().clone());
            Poll::<()>::Pending
        });
        kept.unwrap().wake();
        assert_eq!(woken(), 2);
    }
}
