//! `cargo xtask bench mock [--smoke]`: section 8, the mock's lifecycle. Release-builds `menu` and
//! `menu-bench`, builds the baseline's `menu` (`baseline.rs`), and runs `menu-bench lifecycle`
//! with both: the mock under test is named after this checkout's commit, the baseline after its
//! own.

use std::path::Path;
use std::process::{Command, ExitCode};

use super::baseline;

pub fn run(root: &Path, cargo: &str, smoke: bool) -> Result<ExitCode, String> {
    super::release_build(root, cargo)?;
    let baseline = baseline::menu(root, cargo)?;
    let target = root.join("target/release");
    let mut bench = Command::new(target.join("menu-bench"));
    bench
        .arg("lifecycle")
        .arg("--menu")
        .arg(target.join("menu"))
        .args(["--label", &label(root)])
        .arg("--baseline")
        .arg(&baseline)
        .args(["--baseline-label", baseline::COMMIT]);
    if smoke {
        bench.arg("--smoke");
    }
    let status = bench
        .status()
        .map_err(|e| format!("cannot run menu-bench lifecycle: {e}"))?;
    if !status.success() {
        return Err(format!("menu-bench lifecycle failed: {status}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// This checkout's commit, abbreviated, with `+changes` when tracked files differ from it.
fn label(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "this checkout".to_owned();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if changes.is_empty() => commit,
        _ => format!("{commit}+changes"),
    }
}
