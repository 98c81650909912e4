//! `menu-bench [--smoke]`: prints the call overhead, decoding and mock-server figures. Run through
//! `cargo xtask bench`, which builds it in release mode and adds generation time and footprint.
//!
//! `menu-bench [--smoke] overhead|decoding|mock` runs only the named sections.
//!
//! `menu-bench lifecycle --menu PATH [--baseline PATH] [--smoke] [options]` prints section 8, the
//! mock's lifecycle: the sign-up rate and the memory of `PATH mock serve` processes (and the
//! sign-up rate of the baseline `menu`'s); `cargo xtask bench mock` runs it (`--help` lists the
//! options).
//!
//! `menu-bench profile <sdk|raw|mock|axum> <verify|refresh> <calls>` makes `calls` sequential
//! calls of one side on a single thread, for an instruction profile
//! (`valgrind --tool=callgrind menu-bench profile sdk verify 2000`).

use std::sync::Arc;

use menu_bench::{Budget, Call, MockRig, OverheadRig, call_overhead, decoding, mock_throughput};

mod lifecycle_cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("lifecycle") {
        std::process::exit(lifecycle_cli::run(&args[1..]));
    }
    if args.first().map(String::as_str) == Some("profile") {
        if let Err(message) = profile(&args[1..]) {
            eprintln!("menu-bench profile: {message}");
            eprintln!("usage: menu-bench profile <sdk|raw|mock|axum> <verify|refresh> <calls>");
            std::process::exit(2);
        }
        return;
    }
    let budget = if args.iter().any(|a| a == "--smoke") {
        Budget::smoke()
    } else {
        Budget::full()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("menu-bench: cannot start a tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    // `menu-bench [--smoke] [overhead] [decoding] [mock]`: the named sections, or all of them.
    let named: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for section in &named {
        if !["overhead", "decoding", "mock"].contains(section) {
            eprintln!(
                "menu-bench: unknown section {section:?} (overhead, decoding, mock; \
                 `menu-bench lifecycle --help` for section 8)"
            );
            std::process::exit(2);
        }
    }
    let wanted = |section: &str| named.is_empty() || named.contains(&section);
    runtime.block_on(report(
        budget,
        [wanted("overhead"), wanted("decoding"), wanted("mock")],
    ));
}

fn profile(args: &[String]) -> Result<(), String> {
    let [side, operation, calls] = args else {
        return Err("expected three arguments".into());
    };
    if !["sdk", "raw", "mock", "axum"].contains(&side.as_str()) {
        return Err(format!("unknown side {side:?}"));
    }
    let is_refresh = match operation.as_str() {
        "refresh" => true,
        "verify" => false,
        other => return Err(format!("unknown operation {other:?}")),
    };
    let calls: usize = calls
        .parse()
        .map_err(|_| format!("not a number of calls: {calls:?}"))?;
    let runtime = if std::env::var_os("MENU_BENCH_MULTI_THREAD").is_some() {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        match side.as_str() {
            "sdk" | "raw" => {
                let rig = Arc::new(OverheadRig::start().await);
                let sdk = side == "sdk";
                let call = if is_refresh {
                    Call::Refresh
                } else {
                    Call::Verify
                };
                let call = menu_bench::side(move || {
                    let rig = rig.clone();
                    async move {
                        if sdk {
                            rig.sdk_call(call).await
                        } else {
                            rig.raw_call(call).await
                        }
                    }
                });
                menu_bench::profile(call, calls).await;
            }
            _ => {
                let rig = MockRig::start(4).await;
                for _ in 0..calls {
                    if side == "mock" {
                        rig.mock_call(is_refresh).await;
                    } else {
                        rig.minimal_call(is_refresh).await;
                    }
                }
                rig.shutdown().await;
            }
        }
    });
    Ok(())
}

async fn report(budget: Budget, [overhead, decode, mock]: [bool; 3]) {
    if overhead {
        print_overhead(budget).await;
    }
    if decode {
        print_decoding(budget);
    }
    if mock {
        print_mock(budget).await;
    }
}

async fn print_overhead(budget: Budget) {
    println!(
        "## 1. Call overhead: SDK vs raw reqwest (the same requests, production-configured clients; \
         minimal hyper server)\n"
    );
    let rig = Arc::new(OverheadRig::start().await);
    print!(
        "{}",
        menu_bench::overhead_table(&call_overhead(budget, rig, None).await)
    );
}

fn print_decoding(budget: Budget) {
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
}

async fn print_mock(budget: Budget) {
    println!(
        "\n## 4. Mock server: menu-mock vs a minimal axum handler (same bytes; 64 connections)\n"
    );
    println!("| operation | menu-mock req/s | minimal axum req/s | mock/minimal |");
    println!("| --- | --- | --- | --- |");
    for row in mock_throughput(budget).await {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} |",
            row.operation,
            row.result.loads[0].rps,
            row.result.loads[1].rps,
            row.result.throughput_ratio(0, 1)
        );
    }
}
