//! One pending timer per tokio runtime while SDK calls are being made, so that arming a request's
//! timeout does not wake tokio's timer driver.
//!
//! **Why.** tokio wakes its time driver (an eventfd write, and a parked worker thread woken up to
//! re-arm its sleep) whenever a timer is registered that is due before every other pending timer.
//! Every request carries a timeout (30 s by default); at low concurrency, with no other timer
//! pending, every request paid that wake-up. At concurrency 1 it was the largest part of the SDK's
//! overhead over raw reqwest (`BENCHMARKS.md`: raw reqwest with the same per-request timeout pays
//! it too).
//!
//! **How.** While calls keep coming, a small task per runtime sleeps [`PERIOD`] at a time: a
//! pending timer due sooner than any request deadline, so a request's timer is never the earliest
//! one. It stops after [`IDLE`] without a call; the next call starts a new one. It costs one
//! wake-up per [`PERIOD`] while the SDK is in use, and nothing when it is not.
//!
//! Only speed depends on it. With a request timeout shorter than [`PERIOD`], outside a tokio
//! runtime, or while a runtime shuts down, requests behave exactly the same.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::time::Instant;

/// How long the anchor sleeps at a time (a request timeout longer than this never wakes the
/// driver).
pub(crate) const PERIOD: Duration = Duration::from_secs(1);

/// How long without a call before the anchor stops.
pub(crate) const IDLE: Duration = Duration::from_secs(10);

/// The anchor of one runtime.
struct Anchor {
    /// When the last call was made: milliseconds since [`epoch`].
    last_call_ms: AtomicU64,
    /// Whether its task still runs.
    alive: AtomicBool,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The running anchors, by runtime.
fn anchors() -> &'static Mutex<HashMap<Id, Arc<Anchor>>> {
    static ANCHORS: OnceLock<Mutex<HashMap<Id, Arc<Anchor>>>> = OnceLock::new();
    ANCHORS.get_or_init(Default::default)
}

thread_local! {
    /// The anchor this thread last used, and its runtime: the common case takes no lock.
    static LAST_USED: RefCell<Option<(Id, Arc<Anchor>)>> = const { RefCell::new(None) };
}

/// Notes a call on the current runtime, starting its anchor if none runs. Does nothing outside a
/// tokio runtime.
pub(crate) fn hold() {
    let Ok(runtime) = Handle::try_current() else {
        return;
    };
    let id = runtime.id();
    let now = now_ms();
    let cached = LAST_USED.with(|slot| {
        let slot = slot.borrow();
        match slot.as_ref() {
            Some((cached_id, anchor))
                if *cached_id == id && anchor.alive.load(Ordering::Relaxed) =>
            {
                anchor.last_call_ms.store(now, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    });
    if cached {
        return;
    }
    let (anchor, start) = {
        let mut running = anchors().lock().unwrap_or_else(PoisonError::into_inner);
        match running.get(&id) {
            Some(anchor) if anchor.alive.load(Ordering::Relaxed) => (anchor.clone(), false),
            _ => {
                let anchor = Arc::new(Anchor {
                    last_call_ms: AtomicU64::new(now),
                    alive: AtomicBool::new(true),
                });
                running.insert(id, anchor.clone());
                (anchor, true)
            }
        }
    };
    if start {
        // Spawned with the lock released: a runtime that is shutting down drops the task at once,
        // on this thread, and its registration then takes the lock to unregister. The
        // registration is in the future from the start, so it is undone also if the runtime
        // drops the task before it ever runs.
        runtime.spawn(keep_a_timer_pending(Registration(id, anchor.clone())));
    }
    anchor.last_call_ms.store(now, Ordering::Relaxed);
    LAST_USED.with(|slot| *slot.borrow_mut() = Some((id, anchor)));
}

/// The anchor's task: sleeps [`PERIOD`] at a time until [`IDLE`] has passed without a call.
async fn keep_a_timer_pending(registration: Registration) {
    let anchor = &registration.1;
    let idle = u64::try_from(IDLE.as_millis()).unwrap_or(u64::MAX);
    loop {
        tokio::time::sleep(PERIOD).await;
        let last_call = anchor.last_call_ms.load(Ordering::Relaxed);
        if now_ms().saturating_sub(last_call) > idle {
            return;
        }
    }
}

/// A running anchor's entry; dropping it (however the task ends) marks the anchor stopped.
struct Registration(Id, Arc<Anchor>);

impl Drop for Registration {
    fn drop(&mut self) {
        self.1.alive.store(false, Ordering::Relaxed);
        let mut running = anchors().lock().unwrap_or_else(PoisonError::into_inner);
        if running
            .get(&self.0)
            .is_some_and(|anchor| Arc::ptr_eq(anchor, &self.1))
        {
            running.remove(&self.0);
        }
    }
}

/// Whether an anchor runs on the current runtime (for tests).
#[cfg(test)]
fn running_here() -> bool {
    let id = Handle::current().id();
    anchors()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .is_some_and(|anchor| anchor.alive.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_runtime_it_does_nothing() {
        hold();
    }

    #[tokio::test(start_paused = true)]
    async fn one_anchor_per_runtime_which_stops_when_idle() {
        assert!(!running_here());
        hold();
        assert!(running_here());
        let count = |id| {
            anchors()
                .lock()
                .unwrap()
                .keys()
                .filter(|k| **k == id)
                .count()
        };
        let id = Handle::current().id();
        for _ in 0..100 {
            hold();
        }
        assert_eq!(count(id), 1);
        // Keep calling for a while: it stays; then stop: it ends after IDLE.
        tokio::time::sleep(PERIOD * 2).await;
        hold();
        assert!(running_here());
        tokio::time::sleep(IDLE + PERIOD * 2).await;
        assert!(!running_here());
        // The next call starts a new one.
        hold();
        assert!(running_here());
    }

    #[test]
    fn a_runtime_that_shuts_down_leaves_no_anchor_behind() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let id = runtime.handle().id();
        runtime.block_on(async { hold() });
        assert!(anchors().lock().unwrap().contains_key(&id));
        drop(runtime);
        assert!(!anchors().lock().unwrap().contains_key(&id));
    }
}
