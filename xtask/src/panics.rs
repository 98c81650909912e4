//! Running code that may panic on bad input (openapiv3 on some invalid documents, progenitor on
//! some unsupported shapes) so that the panic is an error that says why, not a crash.
//!
//! The panic hook is process-wide, and tests run in parallel threads: replacing it while `f` runs
//! would silence another thread's failing assertion. So the hook is wrapped once, for good, by one
//! that stays quiet only on a thread that is inside [`without_panicking`] and hands every other
//! panic to the hook it wrapped.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`without_panicking`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into an error carrying its message (and printing nothing for it).
/// Panics on other threads are reported as usual.
pub fn without_panicking<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static WRAP: Once = Once::new();
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| unless_quiet(|| previous(info))));
    });
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(was_quiet));
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into())
    })
}

/// Runs `report` (the wrapped hook) unless this thread is inside [`without_panicking`].
fn unless_quiet(report: impl FnOnce()) {
    if !QUIET.with(Cell::get) {
        report();
    }
}

#[cfg(test)]
mod tests {
    use super::{unless_quiet, without_panicking};
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_panic_is_an_error_with_its_message() {
        assert_eq!(without_panicking(|| 7), Ok(7));
        let err = without_panicking(|| -> () { panic!("bad input: {}", 42) }).unwrap_err();
        assert_eq!(err, "bad input: 42");
        // A nested call leaves the outer one quiet.
        let err = without_panicking(|| {
            let inner = without_panicking(|| -> () { panic!("inner") });
            assert_eq!(inner, Err("inner".to_string()));
            panic!("outer")
        })
        .unwrap_err();
        assert_eq!(err, "outer");
    }

    #[test]
    fn the_hook_is_quiet_only_on_the_thread_inside() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let report = |what: &'static str| {
            let seen = Arc::clone(&seen);
            move || seen.lock().unwrap().push(what)
        };
        unless_quiet(report("before"));
        let inside = without_panicking(|| {
            unless_quiet(report("inside"));
            // Meanwhile, another thread's panic is reported.
            let other = report("another thread");
            std::thread::spawn(move || unless_quiet(other))
                .join()
                .unwrap();
        });
        assert_eq!(inside, Ok(()));
        unless_quiet(report("after"));
        assert_eq!(*seen.lock().unwrap(), ["before", "another thread", "after"]);
    }
}
