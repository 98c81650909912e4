//! Any status and body: the SDK's decoding and error building must not panic, and the error a
//! caller would see must not contain the call's secrets.
#![no_main]

use libfuzzer_sys::fuzz_target;

const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA";

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the status; the rest is the body.
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + (u16::from_le_bytes([*a, *b]) % 500), rest),
        _ => (200, data),
    };
    if let Some(shown) = menu_sdk::fuzzing::response(status, body, [APP_KEY, TOKEN]) {
        assert!(!shown.contains(APP_KEY) && !shown.contains(TOKEN));
    }
});
