//! menu-sdk's integration tests, against real servers on loopback, in one test binary: one
//! link instead of one per file, and every test of the crate run in parallel with the others.
//! Each module is one subject (its own documentation says which).

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

mod support;

mod auto_refresh;
mod errors;
mod faults;
mod headers;
mod inspect;
mod options;
mod schemas;
mod secrets;
mod shapes;
mod signup;
mod snapshots;
mod store;
mod tls;
mod token;
