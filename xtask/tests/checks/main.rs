//! xtask's integration tests, in one test binary (one link instead of one per file).

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

mod generate;
mod layout;
mod module_cycles;
mod no_special_cases;
