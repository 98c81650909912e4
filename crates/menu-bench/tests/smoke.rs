//! Every benchmark runs (tiny budgets; the figures themselves are not asserted).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use menu_bench::{Budget, call_overhead, decoding, mock_throughput};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_benchmark_runs() {
    let budget = Budget::smoke();
    let overhead = call_overhead(budget).await;
    assert_eq!(overhead.len(), 6);
    assert!(
        overhead
            .iter()
            .all(|row| row.result.a.requests > 0 && row.result.b.requests > 0),
        "{overhead:?}"
    );
    let decode = decoding(budget);
    assert!(
        decode
            .iter()
            .all(|row| row.sdk_ns > 0.0 && row.minimal_ns > 0.0),
        "{decode:?}"
    );
    let mock = mock_throughput(budget).await;
    assert!(
        mock.iter()
            .all(|row| row.result.a.requests > 0 && row.result.b.requests > 0),
        "{mock:?}"
    );
}
