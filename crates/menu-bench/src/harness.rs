//! The harness: runs one side of a comparison from concurrent workers for a fixed time and
//! reports its throughput and latency percentiles; measures several sides in alternating rounds
//! and keeps the medians of their per-round ratios; makes sequential calls of one side for an
//! instruction profile.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long each measurement runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Warm-up before each measurement.
    pub warmup: Duration,
    /// Length of one measurement.
    pub measure: Duration,
    /// Rounds per side (the sides alternate; the median round counts).
    pub rounds: usize,
    /// Iterations of each decoding measurement.
    pub decode_iterations: usize,
}

impl Budget {
    /// The full run.
    pub fn full() -> Self {
        Self {
            warmup: Duration::from_millis(200),
            measure: Duration::from_millis(600),
            rounds: 9,
            decode_iterations: 200_000,
        }
    }

    /// A smoke run: proves every benchmark runs.
    pub fn smoke() -> Self {
        Self {
            warmup: Duration::from_millis(10),
            measure: Duration::from_millis(50),
            rounds: 1,
            decode_iterations: 50,
        }
    }
}

/// Throughput and latency of one side of a comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Requests completed.
    pub requests: u64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

/// Runs `call` from `concurrency` workers for `measure` (after `warmup`); latencies in ns.
async fn drive<F, Fut>(concurrency: usize, budget: Budget, call: F) -> Load
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let stop = Arc::new(AtomicBool::new(false));
    let recording = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (call, stop, recording) = (call.clone(), stop.clone(), recording.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                call().await;
                if recording.load(Ordering::Relaxed) {
                    latencies.push(started.elapsed().as_nanos() as u64);
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(budget.warmup).await;
    recording.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(budget.measure).await;
    recording.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort_unstable();
    Load {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile(&all, 0.50),
        p99_us: percentile(&all, 0.99),
        requests: all.len() as u64,
    }
}

/// One side of a comparison: makes one call.
pub type Side = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A side from a closure returning a future.
pub fn side<F, Fut>(call: F) -> Side
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move || Box::pin(call()) as Pin<Box<dyn Future<Output = ()> + Send>>)
}

/// Several sides measured in alternation: the median round of each side, and the medians of the
/// per-round ratios between any two (each ratio compares measurements taken in the same round,
/// so slow drift in the machine's speed cancels out).
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Each side's median round (by throughput), in the order given.
    pub loads: Vec<Load>,
    /// `throughput[i][j]`: median of the rounds' i/j throughput ratios.
    throughput: Vec<Vec<f64>>,
    /// `p99[i][j]`: median of the rounds' i/j p99 latency ratios.
    p99: Vec<Vec<f64>>,
}

impl Comparison {
    /// Side `a`'s throughput over side `b`'s (median of the rounds' ratios).
    pub fn throughput_ratio(&self, a: usize, b: usize) -> f64 {
        self.throughput[a][b]
    }

    /// Side `a`'s p99 latency over side `b`'s (median of the rounds' ratios).
    pub fn p99_ratio(&self, a: usize, b: usize) -> f64 {
        self.p99[a][b]
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Measures `sides` in alternating rounds: forwards in even rounds, backwards in odd ones (so no
/// side always goes first or last).
pub async fn compare(concurrency: usize, budget: Budget, sides: &[Side]) -> Comparison {
    let mut rounds: Vec<Vec<Load>> = vec![Vec::new(); sides.len()];
    for round in 0..budget.rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..sides.len()).collect()
        } else {
            (0..sides.len()).rev().collect()
        };
        for index in order {
            let side = sides[index].clone();
            rounds[index].push(drive(concurrency, budget, move || side()).await);
        }
    }
    let matrix = |f: fn(&Load) -> f64| -> Vec<Vec<f64>> {
        (0..sides.len())
            .map(|a| {
                (0..sides.len())
                    .map(|b| {
                        median(
                            rounds[a]
                                .iter()
                                .zip(&rounds[b])
                                .map(|(x, y)| f(x) / f(y))
                                .collect(),
                        )
                    })
                    .collect()
            })
            .collect()
    };
    let (throughput, p99) = (matrix(|load| load.rps), matrix(|load| load.p99_us));
    let loads = rounds
        .into_iter()
        .map(|mut loads| {
            loads.sort_by(|x, y| x.rps.total_cmp(&y.rps));
            loads[loads.len() / 2]
        })
        .collect();
    Comparison {
        loads,
        throughput,
        p99,
    }
}

/// Makes `calls` sequential calls of `side`, for an instruction profile
/// (`valgrind --tool=callgrind`), from a spawned task as in the benchmark (on the multi-thread
/// runtime, the calls then run on a worker thread, not on the thread that blocks on the runtime).
/// Prints to stderr how many times each of the runtime's workers parked (idle, or waiting for
/// I/O) and was woken again during the calls.
pub async fn profile(side: Side, calls: usize) {
    let metrics = tokio::runtime::Handle::current().metrics();
    let wakes = || -> Vec<u64> {
        (0..metrics.num_workers())
            .map(|worker| metrics.worker_park_unpark_count(worker))
            .collect()
    };
    let before = wakes();
    let calls = tokio::spawn(async move {
        for _ in 0..calls {
            side().await;
        }
    });
    calls.await.expect("the profiled calls panicked");
    let woken: Vec<u64> = wakes()
        .iter()
        .zip(&before)
        .map(|(after, before)| (after - before) / 2)
        .collect();
    eprintln!("parks and wake-ups per worker during the calls: {woken:?}");
}
