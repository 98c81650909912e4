//! Any token value: reading its claims and expiry must not panic, and formatting it must not
//! show it. The value is wrapped in a marker that no fixed text contains, so any part of the value
//! showing up in the output shows the marker too.
#![no_main]

use libfuzzer_sys::fuzz_target;

const MARK: &str = "Qz7Xv";

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let shown = menu_sdk::fuzzing::token(&format!("{MARK}{value}{MARK}"), Some(1440));
    assert!(!shown.contains(MARK), "{shown}");
    // The payload segment alone, unwrapped, exercises the claims parser on real JWT shapes.
    let _ = menu_sdk::fuzzing::token(value, None);
});
