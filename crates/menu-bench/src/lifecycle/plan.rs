//! What the lifecycle section measures ([`Plan`]): the sizes, the counts, the rounds, and how
//! long each phase may take; the run and a smoke run.

use std::time::Duration;

/// What the section measures, and how long each phase may take.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Concurrent clients, each with a keep-alive connection of its own.
    pub concurrency: usize,
    /// The numbers of accounts at which the sign-up rate is measured, in increasing order.
    pub accounts: Vec<usize>,
    /// Sign-ups measured at each of them.
    pub measured: usize,
    /// Rounds of the in-memory sides (the baseline and the mock under test).
    pub rounds: usize,
    /// Rounds (the first ones) that also run the mock under test with `--state`.
    pub state_rounds: usize,
    /// Accounts whose tokens rotate in the memory runs.
    pub memory_accounts: usize,
    /// The numbers of rotations after which the memory is read, in increasing order.
    pub rotations: Vec<usize>,
    /// The longest the sign-ups that bring a mock to a size may take (the measurement then
    /// starts at the size reached, which the tables show).
    pub populate_cap: Duration,
    /// The longest one measurement of the sign-up rate may take.
    pub measure_cap: Duration,
    /// The longest the rotations up to one reading of the memory may take.
    pub rotation_cap: Duration,
}

impl Plan {
    /// The run: the rate at 1,000 and 10,000 accounts (2,000 sign-ups each, five
    /// rounds in memory, one with `--state`), the memory after 10,000 and 100,000 rotations of
    /// 1,000 accounts; 32 clients.
    pub fn full() -> Self {
        Self {
            concurrency: 32,
            accounts: vec![1_000, 10_000],
            measured: 2_000,
            rounds: 5,
            state_rounds: 1,
            memory_accounts: 1_000,
            rotations: vec![10_000, 100_000],
            populate_cap: Duration::from_secs(180),
            measure_cap: Duration::from_secs(60),
            rotation_cap: Duration::from_secs(180),
        }
    }

    /// Tiny numbers: proves the section runs.
    pub fn smoke() -> Self {
        Self {
            concurrency: 32,
            accounts: vec![40, 100],
            measured: 40,
            rounds: 1,
            state_rounds: 1,
            memory_accounts: 20,
            rotations: vec![100, 300],
            populate_cap: Duration::from_secs(60),
            measure_cap: Duration::from_secs(60),
            rotation_cap: Duration::from_secs(60),
        }
    }
}
