//! `cargo xtask generate [--check]` run as a process on a temporary copy of the workspace files
//! it reads and writes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = "openapi/menu-customers.yaml";
const OUTPUT: &str = "crates/menu-client/src/generated.rs";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A temporary root holding copies of the committed spec and generated file.
fn temp_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in [SPEC, OUTPUT] {
        let to = dir.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(workspace_root().join(file), to).unwrap();
    }
    dir
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("generate")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn check_passes_on_the_committed_files() {
    let dir = temp_copy();
    let out = xtask(dir.path(), &["--check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_fails_with_a_diff_when_the_spec_changes() {
    let dir = temp_copy();
    let spec = dir.path().join(SPEC);
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replace(
        "summary: Refresh the customer token",
        "summary: Renew the customer token",
    );
    assert_ne!(text, edited, "the edit must apply");
    std::fs::write(&spec, edited).unwrap();

    let before = std::fs::read(dir.path().join(OUTPUT)).unwrap();
    let out = xtask(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("--- a/crates/menu-client/src/generated.rs"),
        "{diff}"
    );
    assert!(
        diff.contains("-    /**Refresh the customer token"),
        "{diff}"
    );
    assert!(diff.contains("+    /**Renew the customer token"), "{diff}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is stale"));
    assert_eq!(
        before,
        std::fs::read(dir.path().join(OUTPUT)).unwrap(),
        "--check writes nothing"
    );

    // Regenerating fixes it.
    assert!(xtask(dir.path(), &[]).status.success());
    assert!(xtask(dir.path(), &["--check"]).status.success());
}

#[test]
fn check_fails_when_the_generated_file_was_edited_by_hand() {
    let dir = temp_copy();
    let output = dir.path().join(OUTPUT);
    let mut text = std::fs::read_to_string(&output).unwrap();
    text.push_str("// a hand edit\n");
    std::fs::write(&output, text).unwrap();
    assert_eq!(xtask(dir.path(), &["--check"]).status.code(), Some(1));
}

#[test]
fn generation_is_byte_for_byte_deterministic() {
    let dir = temp_copy();
    std::fs::remove_file(dir.path().join(OUTPUT)).unwrap();
    assert!(xtask(dir.path(), &[]).status.success());
    let first = std::fs::read(dir.path().join(OUTPUT)).unwrap();
    let out = xtask(dir.path(), &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    assert_eq!(first, std::fs::read(dir.path().join(OUTPUT)).unwrap());
    assert_eq!(
        first,
        std::fs::read(workspace_root().join(OUTPUT)).unwrap(),
        "same as committed"
    );
}

#[test]
fn an_invalid_spec_is_a_clear_error_not_a_panic() {
    let dir = temp_copy();
    std::fs::write(
        dir.path().join(SPEC),
        "openapi: 3.0.3\ninfo: [not, a, map]\n",
    )
    .unwrap();
    let out = xtask(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a valid OpenAPI 3.0 document"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
