//! Property tests (stable, in CI) over the code the fuzz targets exercise: whatever a server
//! sends, decoding never panics, the error a caller sees is bounded, and no secret survives.

use super as fuzzing;
use proptest::prelude::*;

const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3OCJ9.c2lnbmF0dXJlLXNlY3JldA";
const REFRESH_BODY: &str = include_str!("../../../menu-mock/seed/refresh.json");

/// JSON-ish bodies: the reference body with one value replaced, arbitrary JSON, or raw bytes.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let scalar = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from(TOKEN)),
        Just(serde_json::Value::from(format!("key {APP_KEY} echoed"))),
    ];
    let json = scalar.clone().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                "(status|code|message|errors|data|token|value|ttl|[a-z]{1,6})",
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    let pointers = prop_oneof![
        Just("/status"),
        Just("/code"),
        Just("/data"),
        Just("/data/token"),
        Just("/data/token/value"),
        Just("/data/token/ttl"),
        Just("/data/customer_account"),
        Just("/data/customer_account/id"),
        Just("/data/customer_account/updated_at"),
        Just("/data/customer_account/demographics"),
    ];
    prop_oneof![
        (pointers, scalar).prop_map(|(pointer, value)| {
            let mut body: serde_json::Value = serde_json::from_str(REFRESH_BODY).unwrap();
            if let Some(slot) = body.pointer_mut(pointer) {
                *slot = value;
            }
            serde_json::to_vec(&body).unwrap()
        }),
        json.prop_map(|v| serde_json::to_vec(&v).unwrap()),
        prop::collection::vec(any::<u8>(), 0..2048),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_response_body_gives_a_bounded_error_without_secrets(
        status in prop_oneof![Just(200u16), Just(201), Just(400), Just(401), Just(403), Just(404), Just(429), Just(500), Just(502), 100u16..600],
        body in bodies(),
    ) {
        let Some(shown) = fuzzing::response(status, &body, [APP_KEY, TOKEN]) else { return Ok(()) };
        prop_assert!(!shown.contains(APP_KEY), "{shown}");
        prop_assert!(!shown.contains(TOKEN), "{shown}");
        prop_assert!(!shown.contains("c2lnbmF0dXJlLXNlY3JldA"), "{shown}");
        // Display + Debug each hold at most a 1 KiB snippet, a 300-character message, the
        // envelope (Debug) and fixed text.
        prop_assert!(shown.len() < 16 * 1024 + 4 * body.len().min(4096), "{}", shown.len());
    }

    #[test]
    fn any_token_value_is_parsed_without_panicking_and_never_shown(
        value in prop_oneof![
            ".{0,200}",
            "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_=-]{0,80}\\.[A-Za-z0-9_-]{0,40}",
            (any::<i64>(), any::<i64>()).prop_map(|(iat, exp)| {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                format!("eyJhbGciOiJIUzI1NiJ9.{}.c2lnbmF0dXJl", b64.encode(format!(r#"{{"iat":{iat},"exp":{exp}}}"#)))
            }),
        ],
        ttl in prop::option::of(any::<i64>()),
    ) {
        // A marker no fixed text contains: if any of the value shows, the marker shows.
        const MARK: &str = "Qz7Xv";
        let shown = fuzzing::token(&format!("{MARK}{value}{MARK}"), ttl);
        prop_assert!(!shown.contains(MARK), "{shown}");
        let _ = fuzzing::token(&value, ttl);
    }

    #[test]
    fn snippets_are_bounded_and_scrubbed(
        prefix in ".{0,1500}",
        suffix in ".{0,1500}",
        secret in "[a-f0-9]{16,40}",
    ) {
        let body = format!("{prefix}{secret}{suffix}{TOKEN}");
        let snippet = fuzzing::snippet(body.as_bytes(), &[&secret]);
        prop_assert!(!snippet.contains(&secret));
        prop_assert!(!snippet.contains(TOKEN));
        prop_assert!(snippet.len() <= 1024 + 3);
    }
}
