//! The decoding comparison: each reference body into the SDK's generated types and into the
//! minimal hand-written structs, alternating.

use std::time::Instant;

use serde::Deserialize;

use crate::harness::Budget;
use crate::minimal;
use crate::reference::{REFRESH_BODY, VERIFY_BODY};

/// Decoding time of one body, SDK types vs the minimal structs, nanoseconds per decode.
#[derive(Debug, Clone, Copy)]
pub struct Decode {
    /// Which body.
    pub body: &'static str,
    /// Into the SDK's (generated) types.
    pub sdk_ns: f64,
    /// Into the minimal hand-written structs.
    pub minimal_ns: f64,
}

fn time_per_iteration(iterations: usize, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed().as_nanos() as f64 / iterations as f64
}

/// Decodes each reference body into the SDK's types and into the minimal structs, alternating.
pub fn decoding(budget: Budget) -> Vec<Decode> {
    fn measure<S: for<'de> Deserialize<'de>, M: for<'de> Deserialize<'de>>(
        name: &'static str,
        body: &str,
        budget: Budget,
    ) -> Decode {
        let (mut sdk, mut minimal) = (Vec::new(), Vec::new());
        for _ in 0..budget.rounds.max(3) {
            sdk.push(time_per_iteration(budget.decode_iterations, || {
                std::hint::black_box(
                    serde_json::from_str::<S>(std::hint::black_box(body)).unwrap(),
                );
            }));
            minimal.push(time_per_iteration(budget.decode_iterations, || {
                std::hint::black_box(
                    serde_json::from_str::<M>(std::hint::black_box(body)).unwrap(),
                );
            }));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        Decode {
            body: name,
            sdk_ns: median(sdk),
            minimal_ns: median(minimal),
        }
    }
    vec![
        measure::<menu_client::types::CustomerAccountResponse, minimal::Envelope<minimal::Verify>>(
            "verify",
            VERIFY_BODY,
            budget,
        ),
        measure::<menu_client::types::SessionResponse, minimal::Envelope<minimal::Refresh>>(
            "refresh",
            REFRESH_BODY,
            budget,
        ),
    ]
}
