//! `cargo xtask bench [--smoke]`: builds release binaries and prints every benchmark figure.
//! Sections 1, 2 and 4 come from `menu-bench`; 3 (generation) and 5 (footprint) are measured here.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

pub fn run(root: &Path, smoke: bool) -> Result<ExitCode, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "menu-bench",
            "-p",
            "menu-cli",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the release build failed".into());
    }
    let target = root.join("target/release");

    let mut bench = Command::new(target.join("menu-bench"));
    if smoke {
        bench.arg("--smoke");
    }
    if !bench
        .status()
        .map_err(|e| format!("cannot run menu-bench: {e}"))?
        .success()
    {
        return Err("menu-bench failed".into());
    }

    println!("\n## 3. Generation\n");
    let spec = std::fs::read_to_string(root.join(crate::generate::SPEC_PATH))
        .map_err(|e| e.to_string())?;
    let runs = if smoke { 1 } else { 5 };
    let mut in_process = Vec::new();
    let mut command = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        crate::generate::render(&spec)?;
        in_process.push(started.elapsed());
        let started = Instant::now();
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["xtask", "generate", "--check"])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        command.push(started.elapsed());
        if !status.success() {
            return Err("cargo xtask generate --check failed".into());
        }
    }
    println!("| measure | median of {runs} |\n| --- | --- |");
    println!(
        "| `cargo xtask generate --check`, wall time (built) | {:.0} ms |",
        median_ms(&mut command)
    );
    println!(
        "| spec -> formatted Rust, in process | {:.1} ms |",
        median_ms(&mut in_process)
    );

    println!("\n## 5. Footprint\n");
    let peak_kib = peak_rss_kib(
        Command::new(target.join("menu"))
            .arg("demo")
            .stdout(Stdio::null()),
    )?;
    let crates = dependency_count(root, &cargo)?;
    let size = std::fs::metadata(target.join("menu"))
        .map_err(|e| e.to_string())?
        .len();
    println!("| measure | value |\n| --- | --- |");
    println!(
        "| peak resident memory of `menu demo` (VmHWM) | {:.1} MiB |",
        peak_kib as f64 / 1024.0
    );
    println!("| crates in menu-sdk's dependency tree (normal deps, itself included) | {crates} |");
    println!(
        "| release `menu` binary | {:.1} MiB ({size} bytes) |",
        size as f64 / 1024.0 / 1024.0
    );
    Ok(ExitCode::SUCCESS)
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

/// Runs the command and samples its high-water resident set (`VmHWM`) until it exits.
fn peak_rss_kib(command: &mut Command) -> Result<u64, String> {
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start menu demo: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(peak),
            Ok(Some(status)) => return Err(format!("menu demo failed: {status}")),
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Distinct packages in `cargo tree -p menu-sdk -e normal`.
fn dependency_count(root: &Path, cargo: &str) -> Result<usize, String> {
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["tree", "-p", "menu-sdk", "-e", "normal", "--prefix", "none"])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut crates: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    crates.sort_unstable();
    crates.dedup();
    Ok(crates.len())
}
