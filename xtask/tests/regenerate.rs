//! The cost of one more conventional operation is one spec edit plus `cargo xtask generate`.
//!
//! On a temporary copy of the workspace: add three operations to the spec (a customer `PUT` with a
//! path id and a JSON body with an integer field; a `GET` that needs no customer token, with
//! optional query parameters; a `DELETE` with a text path parameter and a 204), run
//! `cargo xtask generate`, check that nothing but the spec and the generated files changed, then
//! - call them through `menu_sdk::Client` against a loopback server (`proof/new_operations.rs`,
//!   the caller's code);
//! - call them through the copy's `menu` command line against the copy's mock server
//!   (`menu mock serve`), which answers them from the spec.
//!
//! The copy is built in a target directory of its own (`target/proof`), kept between runs: the
//! first run builds the dependencies there (a few minutes), later runs only the workspace's
//! crates. Never the workspace's own: cargo would take the copy's crates for its own, built.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

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
    // `.ci/run` keeps the copy (`MENU_PROOF_COPY`) to run the contract checks over it too.
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("MENU_PROOF_COPY").map(PathBuf::from);
    if let Some(kept) = &kept {
        let _ = std::fs::remove_dir_all(kept);
    }
    let copy = kept.as_deref().unwrap_or(dir.path());
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
        "+ operation `sign_in` added",
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
    assert!(output.contains("test result: ok. 4 passed"), "{output}");

    // 4. The copy's command line against the copy's mock.
    run(Command::new(env!("CARGO"))
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--locked", "-p", "menu-cli"]));
    cli_against_the_mock(&target.join("debug/menu"));

    // 5. The token marks drive the token handling: `x-token: rotates` taken off `refresh`,
    //    `x-token: issues` put on `sign_in`, regenerated, nothing else edited.
    let proven = std::fs::read_to_string(&spec).unwrap();
    let marked = proven.replacen("      x-token: rotates\n", "", 1).replacen(
        "      operationId: sign_in\n",
        "      operationId: sign_in\n      x-token: issues\n",
        1,
    );
    assert_ne!(marked, proven);
    std::fs::write(&spec, marked).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--root"])
        .arg(copy));
    std::fs::write(
        copy.join("crates/menu-sdk/tests/marks.rs"),
        include_str!("proof/marks.rs"),
    )
    .unwrap();
    let output = run(Command::new(env!("CARGO"))
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", &target)
        .args(["test", "--locked", "-p", "menu-sdk", "--test", "marks"]));
    assert!(output.contains("test result: ok. 2 passed"), "{output}");
    // The copy goes back to what its `menu` binary was built from (`.ci/run` checks the contract
    // over it).
    std::fs::write(&spec, proven).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--root"])
        .arg(copy));
}

/// The mock server, stopped when dropped.
struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `menu mock serve` and returns it with the `MENU_*` variables it prints.
fn serve(menu: &Path) -> (Mock, Vec<(String, String)>) {
    let mut child = Command::new(menu)
        .args(["mock", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mock = Mock(child);
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let mut vars = Vec::new();
    while vars.len() < 3 {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .expect("the mock prints its MENU_* variables");
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            vars.push((name.to_owned(), value.to_owned()));
        }
    }
    (mock, vars)
}

/// `menu args...` with `vars`, `stdin` on its standard input.
fn menu(menu: &Path, vars: &[(String, String)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(menu)
        .env_clear()
        .envs(vars.iter().map(|(n, v)| (n, v)))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn cli_against_the_mock(binary: &Path) {
    const DRAGOS: &str = "6735e303-50a1-4887-9b11-915a6919cc66";
    let (_mock, vars) = serve(binary);
    let without_token: Vec<_> = vars
        .iter()
        .filter(|(n, _)| n != "MENU_TOKEN")
        .cloned()
        .collect();
    let with_token = |token: &str| -> Vec<(String, String)> {
        let mut vars = without_token.clone();
        vars.push(("MENU_TOKEN".into(), token.into()));
        vars
    };
    let json = |output: &Output| -> serde_json::Value {
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
    };
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
    let example = |operation_id: &str| -> serde_json::Value {
        // The payload of the spec's example of the 200 answer of `operation_id` (in the proof's
        // paths).
        let paths: serde_json::Value =
            serde_yaml_ng::from_str(include_str!("proof/paths.yaml")).unwrap();
        let operation = paths
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .find(|op| op["operationId"] == operation_id)
            .unwrap();
        // The command prints the payload: the envelope's `data`.
        operation["responses"]["200"]["content"]["application/json"]["example"]["data"].clone()
    };

    // A valid call: the example's JSON on stdout, exit 0.
    let output = menu(
        binary,
        &vars,
        &[
            "update-marketing-preferences",
            DRAGOS,
            "--optin-status-email",
            "2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output), example("update_marketing_preferences"));
    // The whole body from standard input, of the wrong type: the mock's 400, exit 3.
    let output = menu(
        binary,
        &vars,
        &["update-marketing-preferences", DRAGOS, "--json-body", "-"],
        r#"{"optin_status_email": "two"}"#,
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("answered 400 Bad Request"),
        "{}",
        stderr(&output)
    );
    // A token the mock does not know: its 401, exit 3.
    let output = menu(
        binary,
        &with_token("not.a.token"),
        &[
            "update-marketing-preferences",
            DRAGOS,
            "--optin-status-email",
            "2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("answered 401 Unauthorized"),
        "{}",
        stderr(&output)
    );
    // No token at all: nothing is sent (the SDK refuses first), exit 2.
    let output = menu(
        binary,
        &without_token,
        &[
            "update-marketing-preferences",
            DRAGOS,
            "--optin-status-email",
            "2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no customer token"),
        "{}",
        stderr(&output)
    );
    // An operation that needs no token: the example, exit 0.
    let output = menu(
        binary,
        &without_token,
        &[
            "get-venue",
            "9d1c5a4e-0f6b-4c3e-9a47-3f2e8d7b6a51",
            "--page",
            "2",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output), example("get_venue"));
    // A 204: `null`, exit 0.
    let output = menu(binary, &vars, &["remove-favourite", DRAGOS, "my usual"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output), serde_json::Value::Null);
    // The spec's descriptions are the help.
    let output = menu(
        binary,
        &vars,
        &["update-marketing-preferences", "--help"],
        "",
    );
    let help = String::from_utf8_lossy(&output.stdout);
    for text in [
        "Sets the customer's e-mail marketing opt-in status",
        "--optin-status-email <INTEGER>",
        "CUSTOMER_ID",
        "--json-body",
    ] {
        assert!(help.contains(text), "{text}: {help}");
    }
}
