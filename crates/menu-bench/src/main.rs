//! `menu-bench [--smoke]`: prints the call overhead, decoding and mock-server figures. Run through
//! `cargo xtask bench`, which builds it in release mode and adds generation time and footprint.

use menu_bench::{Budget, call_overhead, decoding, mock_throughput};

#[tokio::main]
async fn main() {
    let budget = if std::env::args().any(|a| a == "--smoke") {
        Budget::smoke()
    } else {
        Budget::full()
    };

    println!(
        "## 1. Call overhead: SDK vs raw reqwest (same headers, body, pool; minimal hyper server)\n"
    );
    println!(
        "| operation | concurrency | SDK req/s | raw req/s | SDK/raw throughput | SDK p50 us | raw p50 us | SDK p99 us | raw p99 us | p99 SDK/raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in call_overhead(budget).await {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.3} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3} |",
            row.operation,
            row.concurrency,
            row.sdk.rps,
            row.raw.rps,
            row.sdk.rps / row.raw.rps,
            row.sdk.p50_us,
            row.raw.p50_us,
            row.sdk.p99_us,
            row.raw.p99_us,
            row.sdk.p99_us / row.raw.p99_us
        );
    }

    println!("\n## 2. Decoding: SDK types vs minimal hand-written serde structs\n");
    println!("| body | SDK ns/decode | minimal ns/decode | SDK/minimal |");
    println!("| --- | --- | --- | --- |");
    for row in decoding(budget) {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} |",
            row.body,
            row.sdk_ns,
            row.minimal_ns,
            row.sdk_ns / row.minimal_ns
        );
    }

    println!(
        "\n## 4. Mock server: menu-mock vs a minimal axum handler (same bytes; 64 connections)\n"
    );
    println!("| operation | menu-mock req/s | minimal axum req/s | mock/minimal |");
    println!("| --- | --- | --- | --- |");
    for row in mock_throughput(budget).await {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} |",
            row.operation,
            row.mock.rps,
            row.minimal.rps,
            row.mock.rps / row.minimal.rps
        );
    }
}
