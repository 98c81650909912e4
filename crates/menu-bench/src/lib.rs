//! Benchmarks of the Menu SDK, as a library so that the smoke test can run them with tiny budgets.
//! `cargo xtask bench` runs the binary (release) and adds generation time and footprint.
//!
//! Every comparison is measured in the same run, alternating the two sides round by round, so
//! that the ratios hold on a noisy machine even when absolute figures drift.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

mod decode;
mod harness;
pub mod lifecycle;
pub mod minimal;
mod mock;
mod overhead;
mod reference;

pub use decode::{Decode, decoding};
pub use harness::{Budget, Comparison, Load, Side, compare, profile, side};
pub use mock::{MockRig, MockThroughput, mock_throughput};
pub use overhead::{
    APPLICATION_KEY, CONTROL, Call, Overhead, OverheadRig, Peer, USER_AGENT, call_overhead,
    overhead_table, production_http_client,
};
pub use reference::{REFRESH_BODY, VERIFY_BODY, long_lived_jwt, start_reference_server};
