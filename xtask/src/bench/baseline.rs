//! The baseline of section 8: the `menu` binary of an older commit ([`COMMIT`]), built in a
//! detached worktree of its own (`target/bench-baseline/COMMIT`) with a target directory of its
//! own (`target/bench-baseline/target`), once: while its binary exists, it is reused as it is.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit whose mock the mock under test is compared with (its in-memory sign-up rate).
pub const COMMIT: &str = "d80ccd9";

/// The baseline's release `menu` binary, built if it is not there yet.
pub fn menu(root: &Path, cargo: &str) -> Result<PathBuf, String> {
    let base = root.join("target/bench-baseline");
    let tree = base.join(COMMIT);
    let target = base.join("target");
    let binary = target.join("release/menu");
    if binary.is_file() {
        return Ok(binary);
    }
    if !tree.join("Cargo.toml").is_file() {
        eprintln!("bench: a worktree of {COMMIT} in {}", tree.display());
        run(
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["worktree", "add", "--detach", "--quiet"])
                .arg(&tree)
                .arg(COMMIT),
            &format!(
                "add a worktree of {COMMIT} in {} (if git says it is registered already, \
                 `git worktree prune` forgets a removed one)",
                tree.display()
            ),
        )?;
    }
    eprintln!("bench: building the menu of {COMMIT} (release, once)...");
    run(
        Command::new(cargo)
            .current_dir(&tree)
            .env("CARGO_TARGET_DIR", &target)
            .args([
                "build",
                "--release",
                "--quiet",
                "--locked",
                "-p",
                "menu-cli",
            ]),
        &format!("build the menu of {COMMIT} in {}", tree.display()),
    )?;
    if !binary.is_file() {
        return Err(format!(
            "the build of {COMMIT} made no {}",
            binary.display()
        ));
    }
    Ok(binary)
}

/// Runs `command`, which must succeed; `what` it was for, in the error.
pub(super) fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot {what}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("cannot {what}: {status}"))
}
