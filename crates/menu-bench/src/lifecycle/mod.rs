//! Section 8, the mock's lifecycle: `menu mock serve` processes (the mock as a user runs it)
//! under raw HTTP/1.1 load from concurrent clients, each with a keep-alive connection of its own.
//!
//! - **Sign-up rate**: a sign-up is four requests (`check-email`, `passwordless-request`, the
//!   code read from the mock's outbox, `register`), each with a fresh email. The rate is measured
//!   over a fixed number of sign-ups once the mock holds each size (1,000 and 10,000 accounts),
//!   in memory and with `--state` (a fresh `state.db` in a temporary directory), and for a
//!   baseline `menu` (in memory), the sides alternating round by round.
//! - **Memory**: a fresh mock signs up 1,000 accounts, then their tokens rotate round-robin
//!   (`GET /customers/refresh`, each account's newest token); `VmRSS` and `VmHWM` of its process
//!   after 10,000 and 100,000 rotations.
//!
//! Each phase has a time cap (the JSON state file is rewritten whole at every change, so a mock
//! with `--state` may take long to grow): a capped phase is shown as such. The figures are
//! printed, with the targets as ratios, never asserted.

mod customer;
mod load;
mod markdown;
mod operations;
mod plan;
mod report;
mod runs;
mod served;
mod wire;

pub use load::Pace;
pub use plan::Plan;
pub use report::{LifecycleReport, MemoryPoint, MemoryRun, Mode, RatePoint, RateRun};
pub use runs::lifecycle;
pub use served::{Announced, Banner, Launch, Memory, MenuProcess, Running};
