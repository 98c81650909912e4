//! Any token value: reading its claims and expiry must not panic, and formatting it must not
//! show it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let shown = menu_sdk::fuzzing::token(value, Some(1440));
    if value.len() >= 8 {
        assert!(!shown.contains(value));
    }
});
