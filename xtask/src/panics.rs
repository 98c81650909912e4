//! Running code that may panic on bad input (openapiv3 on some invalid documents, progenitor on
//! some unsupported shapes) so that the panic is an error that says why, not a crash.

/// Runs `f`, turning a panic into an error carrying its message (and printing nothing). The
/// process's panic hook is swapped meanwhile: one caller at a time.
pub fn without_panicking<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _swapping = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into())
    })
}
