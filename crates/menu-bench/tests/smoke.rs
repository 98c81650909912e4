//! Every benchmark runs (tiny budgets; the figures themselves are not asserted).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use menu_bench::{Budget, OverheadRig, call_overhead, decoding, mock_throughput};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_benchmark_runs() {
    let budget = Budget::smoke();
    let rig = Arc::new(OverheadRig::start().await);
    // A stand-in peer: the smoke run has no generated client; it shows the third side runs.
    let peer_rig = rig.clone();
    let peer: menu_bench::Peer = Arc::new(move |call| {
        let rig = peer_rig.clone();
        Box::pin(async move { rig.raw_call(call).await })
    });
    let overhead = call_overhead(budget, rig, Some(peer)).await;
    assert_eq!(overhead.len(), 8);
    assert!(
        overhead
            .iter()
            .all(|row| row.result.loads.iter().all(|load| load.requests > 0)),
        "{overhead:?}"
    );
    let table = menu_bench::overhead_table(&overhead);
    assert_eq!(table.lines().count(), 10, "{table}");
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
            .all(|row| row.result.loads.iter().all(|load| load.requests > 0)),
        "{mock:?}"
    );
}
