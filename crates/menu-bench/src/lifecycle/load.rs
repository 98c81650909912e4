//! The load: concurrent workers, each with a connection of its own, share a number of operations
//! (each worker takes the next index) until all are done or a time cap has passed; how many were
//! done, in how long, and the latencies of the operations.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::customer::{Client, Endpoint};

/// What a worker does, `index` being the operation's number in the phase.
pub(crate) trait Operation: Send + Sync + 'static {
    /// Makes operation `index` with `client`.
    fn call(
        &self,
        client: &mut Client,
        index: usize,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// How far a phase goes: `count` operations, or fewer if `cap` has passed (no operation starts
/// after it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Goal {
    pub(crate) count: usize,
    pub(crate) cap: Duration,
}

/// What a phase did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pace {
    /// Operations done.
    pub done: usize,
    /// From the first operation's start to the last one's end.
    pub elapsed: Duration,
    /// Whether the time cap stopped the phase before its count.
    pub capped: bool,
    /// Median latency of an operation, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}

impl Pace {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        self.done as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `goal.count` operations of `operation` from `concurrency` workers against `endpoint`.
/// The first failure stops the phase and is its error.
pub(crate) async fn drive<O: Operation>(
    endpoint: &Arc<Endpoint>,
    concurrency: usize,
    goal: Goal,
    operation: Arc<O>,
) -> Result<Pace, String> {
    if goal.count == 0 {
        return Ok(Pace::default());
    }
    let mut clients = Vec::new();
    for _ in 0..concurrency.clamp(1, goal.count) {
        clients.push(Client::connect(endpoint.clone()).await?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + goal.cap;
    let mut workers = Vec::new();
    for mut client in clients {
        let (next, failed, operation) = (next.clone(), failed.clone(), operation.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !failed.load(Ordering::Relaxed) && Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= goal.count {
                    break;
                }
                let start = Instant::now();
                if let Err(error) = operation.call(&mut client, index).await {
                    failed.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                latencies.push(start.elapsed().as_nanos() as u64);
            }
            Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    let mut failure = None;
    for worker in workers {
        match worker.await {
            Ok(Ok(done)) => latencies.extend(done),
            Ok(Err(error)) => failure = failure.or(Some(error)),
            Err(error) => failure = failure.or(Some(format!("a load worker failed: {error}"))),
        }
    }
    let elapsed = started.elapsed();
    if let Some(error) = failure {
        return Err(error);
    }
    latencies.sort_unstable();
    Ok(Pace {
        done: latencies.len(),
        elapsed,
        capped: latencies.len() < goal.count,
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
    })
}

/// The `p` percentile of sorted nanoseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index] as f64 / 1e6
}
