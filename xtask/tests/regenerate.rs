//! The cost of one more conventional operation is one spec edit plus `cargo xtask generate`.
//!
//! On a temporary copy of the workspace: add three operations to the spec (a customer `PUT` with a
//! path id and a JSON body with an integer field; a `GET` that needs no customer token, with
//! optional query parameters; a `DELETE` with a text path parameter and a 204), run
//! `cargo xtask generate`, check that nothing but the spec and the generated files changed, then
//! call both operations through `menu_sdk::Client` against a loopback server
//! (`proof/new_operations.rs`, the caller's code).
//!
//! The copy is built in a target directory of its own (`target/proof`), kept between runs: the
//! first run builds the dependencies there (a few minutes), later runs only the workspace's
//! crates. Never the workspace's own: cargo would take the copy's crates for its own, built.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SPEC: &str = "openapi/menu-customers.yaml";
const GENERATED: [&str; 3] = [
    "crates/menu-client/src/generated.rs",
    "crates/menu-client/src/operations.rs",
    "crates/menu-sdk/src/generated.rs",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file of the workspace (no `target`, no `.git`), relative path -> contents.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                dirs.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn copy_workspace(to: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let files = files(&workspace_root());
    for (relative, contents) in &files {
        let path = to.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    files
}

/// The spec with the proof's operations and schemas added.
fn with_new_operations(spec: &str) -> String {
    let paths = include_str!("proof/paths.yaml");
    let schemas = include_str!("proof/schemas.yaml");
    assert_eq!(spec.matches("\npaths:\n").count(), 1);
    assert_eq!(spec.matches("\n  schemas:\n").count(), 1);
    spec.replacen("\npaths:\n", &format!("\npaths:\n{paths}"), 1)
        .replacen("\n  schemas:\n", &format!("\n  schemas:\n{schemas}"), 1)
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn a_new_operation_is_one_spec_edit_and_a_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path();
    let before = copy_workspace(copy);

    // 1. The one edit: the spec.
    let spec = copy.join(SPEC);
    std::fs::write(
        &spec,
        with_new_operations(&std::fs::read_to_string(&spec).unwrap()),
    )
    .unwrap();

    // 2. `cargo xtask generate`, which says what changed.
    let summary = run(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--root"])
        .arg(copy));
    for line in [
        "+ operation `update_marketing_preferences` added",
        "+ operation `get_venue` added",
        "+ operation `remove_favourite` added",
    ] {
        assert!(summary.contains(line), "{line}\n{summary}");
    }
    assert!(summary.contains(", 0 breaking"), "{summary}");

    // Nothing else changed: no hand-written line anywhere.
    let after = files(copy);
    let changed: Vec<String> = after
        .iter()
        .filter(|(path, contents)| before.get(*path) != Some(contents))
        .map(|(path, _)| path.display().to_string())
        .collect();
    let mut expected: Vec<String> = std::iter::once(SPEC)
        .chain(GENERATED)
        .map(String::from)
        .collect();
    expected.sort();
    let mut changed_sorted = changed.clone();
    changed_sorted.sort();
    assert_eq!(changed_sorted, expected);

    // 3. The caller's code: the new operations through `menu_sdk::Client`, against wiremock.
    std::fs::write(
        copy.join("crates/menu-sdk/tests/new_operations.rs"),
        include_str!("proof/new_operations.rs"),
    )
    .unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("proof");
    let output = run(Command::new(env!("CARGO"))
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "test",
            "--locked",
            "-p",
            "menu-sdk",
            "--test",
            "new_operations",
        ]));
    assert!(output.contains("test result: ok. 3 passed"), "{output}");
}
