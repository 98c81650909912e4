//! `cargo xtask proof`: one more operation costs one spec edit plus `cargo xtask generate`, and the
//! whole test suite stays green. Proved on a copy of the workspace, `<target>/proof/workspace`
//! (replaced on every run; `.ci/run` then runs the contract checks over it):
//!
//! 1. The spec grows by the proof's operations and schemas (`xtask/tests/proof/`): `middle.yaml`
//!    between the committed spec's first two paths, `paths.yaml` after its last one, and
//!    `schemas.yaml` among its schemas.
//! 2. `cargo xtask generate` says that each new operation was added and that nothing breaks, and
//!    changes nothing but the spec and the generated files ([`generate::OUTPUTS`]).
//! 3. The caller's code for the new operations is dropped in as tests (`new_operations.rs`: the
//!    SDK against wiremock; `cli.rs`: the copy's `menu` against the copy's mock), and the copy's
//!    whole test suite runs: every test of the workspace, on the grown spec, with no other edit.
//! 4. The token marks move (`x-token: rotates` taken off its operation, `x-token: issues` put on
//!    `sign_in`), the copy is regenerated, and the token handling follows (`marks.rs`). The spec
//!    then goes back to step 1's, which the copy's `menu` binary was built from.
//!
//! The copy shares this workspace's cargo build directory: the dependencies are built once, for
//! both. Its final artifacts (the `menu` binary above all) go to `<target>/proof`, never over the
//! ones in `<target>/debug` that the CLI tests and `.ci/contract` run. cargo names a workspace
//! crate's intermediate artifacts after its path relative to the workspace root, the same in the
//! copy, so the copy's own crates get a profile setting of their own ([`Dirs::cargo`]): their
//! artifacts never take the workspace's names. Its test executables, most of what it adds there,
//! are removed once the proof has passed: the next run builds them again anyway, as its files are
//! new. cargo's output streams as it comes, and each step says when it starts.

mod files;

use files::{files, git_files, walk};

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::generate;

/// Where the proof's additions and the caller's code are, relative to the workspace root.
const PROOF_DIR: &str = "xtask/tests/proof";

/// Runs the proof on a fresh copy of the workspace at `root`.
pub fn run(root: &Path) -> Result<ExitCode, String> {
    let started = Instant::now();
    let step = |what: &str| println!("\n== proof: {what} (t+{}s)", started.elapsed().as_secs());
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let proof = root.join(PROOF_DIR);
    let dirs = Dirs::of(root)?;
    let copy = dirs.target.join("proof/workspace");

    step(&format!("copy the workspace to {}", copy.display()));
    if copy.exists() {
        std::fs::remove_dir_all(&copy)
            .map_err(|e| format!("cannot remove {}: {e}", copy.display()))?;
    }
    let before = files(root, &git_files(root)?)?;
    for (relative, contents) in &before {
        let path = copy.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    step("1. the one edit: the spec grows");
    let spec_path = copy.join(generate::SPEC_PATH);
    let middle = read(&proof.join("middle.yaml"))?;
    let end = read(&proof.join("paths.yaml"))?;
    let grown = grow(
        &read(&spec_path)?,
        &middle,
        &end,
        &read(&proof.join("schemas.yaml"))?,
    )?;
    write(&spec_path, &grown)?;

    step("2. cargo xtask generate");
    let summary = xtask_generate(&copy)?;
    for id in operation_ids(&middle)
        .into_iter()
        .chain(operation_ids(&end))
    {
        let line = format!("+ operation `{id}` added");
        if !summary.contains(&line) {
            return Err(format!("the regeneration did not say `{line}`"));
        }
    }
    if !summary.contains(", 0 breaking") {
        return Err("the regeneration reported breaking changes".into());
    }
    // Every file of the copy now (it has no `.git` and no `target`): a new one is a change too.
    let after = files(&copy, &walk(&copy)?)?;
    let mut changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .map(|path| path.display().to_string())
        .collect();
    changed.sort();
    changed.dedup();
    let mut expected: Vec<String> = std::iter::once(generate::SPEC_PATH)
        .chain(generate::OUTPUTS)
        .map(String::from)
        .collect();
    expected.sort();
    if changed != expected {
        return Err(format!(
            "the regeneration changed {changed:?}; only {expected:?} may change"
        ));
    }
    println!("changed: {}", changed.join(", "));

    step("3. the caller's code as tests, and the copy's whole test suite");
    for (from, to) in [
        (
            "new_operations.rs",
            "crates/menu-sdk/tests/new_operations.rs",
        ),
        ("cli.rs", "crates/menu-cli/tests/new_operations.rs"),
    ] {
        write(&copy.join(to), &read(&proof.join(from))?)?;
    }
    let mut built = dirs.cargo(
        &copy,
        &["test", "--locked", "--workspace", "--no-fail-fast"],
    )?;

    step("4. the token marks drive the token handling");
    let unmarked = grown.replacen("      x-token: rotates\n", "", 1);
    let marked = unmarked.replacen(
        "      operationId: sign_in\n",
        "      operationId: sign_in\n      x-token: issues\n",
        1,
    );
    if unmarked == grown {
        return Err("the grown spec has no `x-token: rotates` line to take off".into());
    }
    if marked == unmarked {
        return Err("the grown spec has no `operationId: sign_in` line to mark".into());
    }
    write(&spec_path, &marked)?;
    xtask_generate(&copy)?;
    let marks = copy.join("crates/menu-sdk/tests/marks.rs");
    write(&marks, &read(&proof.join("marks.rs"))?)?;
    // `--workspace`: the features of the whole workspace, as above, so that no dependency is
    // built again with others.
    built.extend(dirs.cargo(
        &copy,
        &["test", "--locked", "--workspace", "--test", "marks"],
    )?);
    // Back to the spec that the copy's `menu` was built from (`.ci/run` checks its contract), and
    // to a copy whose own tests pass.
    std::fs::remove_file(&marks).map_err(|e| format!("cannot remove {}: {e}", marks.display()))?;
    write(&spec_path, &grown)?;
    xtask_generate(&copy)?;

    // The copy's test executables are most of what it adds to the build directory, and the next
    // run builds them again anyway (its files are new): they go.
    let mut freed = 0;
    for executable in &built {
        let size = std::fs::metadata(executable).map_or(0, |m| m.len());
        match std::fs::remove_file(executable) {
            Ok(()) => freed += size,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", executable.display())),
        }
    }
    println!(
        "removed the copy's {} test executables ({} MB)",
        built.len(),
        freed / 1_000_000
    );
    step(&format!(
        "done: the copy is in {}, its `menu` in {}",
        copy.display(),
        dirs.proof_target().join("debug/menu").display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `spec` with `middle` inserted between its first two path items, `end` after its last one and
/// `schemas` at the start of its component schemas. The spec is edited as text, as its author
/// would, so that its own order and comments stay.
fn grow(spec: &str, middle: &str, end: &str, schemas: &str) -> Result<String, String> {
    let lines: Vec<&str> = spec.split_inclusive('\n').collect();
    let paths = lines
        .iter()
        .position(|l| l.trim_end() == "paths:")
        .ok_or("the spec has no `paths:`")?;
    // Path items are the lines indented by two spaces; the block ends at the next top-level key.
    let end_of_paths = (paths + 1..lines.len())
        .find(|&i| !lines[i].starts_with(' ') && !lines[i].trim().is_empty())
        .unwrap_or(lines.len());
    let items: Vec<usize> = (paths + 1..end_of_paths)
        .filter(|&i| lines[i].starts_with("  /"))
        .collect();
    let [_, second, ..] = items[..] else {
        return Err("the spec has fewer than two paths".into());
    };
    let schemas_at = lines
        .iter()
        .position(|l| l.trim_end() == "  schemas:")
        .ok_or("the spec has no `components: schemas:`")?;
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == second {
            out.push_str(middle);
        }
        if i == end_of_paths {
            out.push_str(end);
        }
        out.push_str(line);
        if i == schemas_at {
            out.push_str(schemas);
        }
    }
    if end_of_paths == lines.len() {
        out.push_str(end);
    }
    Ok(out)
}

/// The `operationId`s in a piece of the spec.
fn operation_ids(yaml: &str) -> Vec<&str> {
    yaml.lines()
        .filter_map(|line| line.trim().strip_prefix("operationId: "))
        .collect()
}

/// `cargo xtask generate --root copy`, run as a user runs it; its output, also printed.
fn xtask_generate(copy: &Path) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find xtask itself: {e}"))?;
    let out = Command::new(exe)
        .args(["generate", "--root"])
        .arg(copy)
        .output()
        .map_err(|e| format!("cannot run xtask generate: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    if !out.status.success() {
        return Err(format!(
            "xtask generate failed on the copy ({})",
            out.status
        ));
    }
    Ok(text)
}

/// This workspace's cargo directories, which the copy's builds share, and its packages.
struct Dirs {
    /// Final artifacts (`target`).
    target: PathBuf,
    /// Intermediate artifacts (cargo's `build-dir`; the target directory unless configured).
    build: PathBuf,
    /// The workspace's packages (the copy has the same).
    members: Vec<String>,
}

impl Dirs {
    fn of(root: &Path) -> Result<Dirs, String> {
        let out = Command::new(cargo())
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let metadata: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("cargo metadata answered something else than JSON: {e}"))?;
        let dir = |key: &str| metadata[key].as_str().map(PathBuf::from);
        let target = dir("target_directory").ok_or("cargo metadata names no target directory")?;
        let build = dir("build_directory").unwrap_or_else(|| target.clone());
        let members = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|package| package["name"].as_str().map(String::from))
            .collect();
        Ok(Dirs {
            target,
            build,
            members,
        })
    }

    /// Where the copy's final artifacts go.
    fn proof_target(&self) -> PathBuf {
        self.target.join("proof")
    }

    /// `cargo args` in `copy`, its output streamed; an error if it fails, else the test
    /// executables it built for the copy's packages.
    ///
    /// The copy's own packages are built with `codegen-units = 16` and without incremental
    /// state, which changes nothing they do (it is rustc's default then) but is part of what
    /// cargo names their artifacts after: in the shared build directory they take names of their
    /// own as long as the workspace does not build its packages with exactly these settings.
    fn cargo(&self, copy: &Path, args: &[&str]) -> Result<Vec<PathBuf>, String> {
        let mut config = Vec::new();
        for member in &self.members {
            for profile in ["dev", "test"] {
                config.push("--config".to_owned());
                config.push(format!(
                    "profile.{profile}.package.{member}.codegen-units=16"
                ));
            }
        }
        println!(
            "$ CARGO_INCREMENTAL=0 cargo {} {}",
            config.join(" "),
            args.join(" ")
        );
        let mut child = Command::new(cargo())
            .current_dir(copy)
            .args(&config)
            .args(args)
            // What cargo built, as JSON lines among the tests' output on stdout.
            .arg("--message-format=json-render-diagnostics")
            .env("CARGO_TARGET_DIR", self.proof_target())
            .env("CARGO_BUILD_BUILD_DIR", &self.build)
            // The copy is built once per run: incremental state would only take room.
            .env("CARGO_INCREMENTAL", "0")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        // cargo names the manifest by the real path of the directory it runs in.
        let copy = copy.canonicalize().unwrap_or_else(|_| copy.to_path_buf());
        let mut executables = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).split(b'\n') {
                let line = line.map_err(|e| format!("cannot read cargo's output: {e}"))?;
                let Ok(message) = serde_json::from_slice::<serde_json::Value>(&line) else {
                    // The tests' own output.
                    println!("{}", String::from_utf8_lossy(&line));
                    continue;
                };
                let ours = message["manifest_path"]
                    .as_str()
                    .is_some_and(|manifest| Path::new(manifest).starts_with(&copy));
                if message["reason"] == "compiler-artifact"
                    && message["profile"]["test"] == true
                    && ours
                    && let Some(executable) = message["executable"].as_str()
                {
                    executables.push(PathBuf::from(executable));
                }
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("cannot wait for cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "`cargo {}` failed on the copy ({status})",
                args.join(" ")
            ));
        }
        Ok(executables)
    }
}

/// The cargo that runs xtask.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_grows_in_the_middle_at_the_end_and_in_its_schemas() {
        let spec = "openapi: 3.0.3\npaths:\n  /a:\n    get: {}\n  /b:\n    get: {}\n\
                    components:\n  schemas:\n    A: {}\n";
        let grown = grow(spec, "  /m:\n", "  /z:\n", "    Z: {}\n").unwrap();
        assert_eq!(
            grown,
            "openapi: 3.0.3\npaths:\n  /a:\n    get: {}\n  /m:\n  /b:\n    get: {}\n  /z:\n\
             components:\n  schemas:\n    Z: {}\n    A: {}\n"
        );
        assert!(grow("paths:\n  /a:\n", "", "", "").is_err());
    }

    #[test]
    fn the_proofs_additions_name_their_operations() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/proof");
        let ids: Vec<String> = ["middle.yaml", "paths.yaml"]
            .iter()
            .flat_map(|f| {
                operation_ids(&std::fs::read_to_string(root.join(f)).unwrap())
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            ids.len() >= 3 && ids.contains(&"sign_in".to_string()),
            "{ids:?}"
        );
    }
}
