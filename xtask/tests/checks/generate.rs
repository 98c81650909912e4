//! `cargo xtask generate [--check]` run as a process on a temporary copy of the workspace files
//! it reads and writes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = "openapi/menu-customers.yaml";
/// The generated low-level client.
const OUTPUT: &str = "crates/menu-client/src/generated.rs";
/// Every generated file.
const OUTPUTS: [&str; 3] = [
    OUTPUT,
    "crates/menu-client/src/operations.rs",
    "crates/menu-sdk/src/generated.rs",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The SDK's sources, whose hand-written methods the generator reads.
const SDK_SOURCES: &str = "crates/menu-sdk/src";

/// The `.rs` files under `dir` (relative to the workspace root).
fn rust_files(dir: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![workspace_root().join(dir)];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(workspace_root()).unwrap();
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files
}

/// A temporary root holding copies of the committed spec, generated files and the SDK's sources.
fn temp_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [SPEC.to_owned()]
        .into_iter()
        .chain(OUTPUTS.iter().map(|file| (*file).to_owned()))
        .chain(rust_files(SDK_SOURCES));
    for file in files {
        let to = dir.path().join(&file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(workspace_root().join(&file), to).unwrap();
    }
    dir
}

/// `text` with `from` replaced by `to`, once, inside the operation `id` only: from its method's
/// line to the next line indented as little (whatever the spec's order of operations).
fn edit_operation(text: &str, id: &str, from: &str, to: &str) -> String {
    let (mut start, mut end, mut found, mut offset) = (0, text.len(), false, 0);
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent <= 4 {
            if found {
                end = offset;
                break;
            }
            start = offset;
        }
        found |= line.trim() == format!("operationId: {id}");
        offset += line.len();
    }
    assert!(found, "no operation `{id}`");
    let edited = text[start..end].replacen(from, to, 1);
    assert_ne!(edited, text[start..end], "`{from}` is not in `{id}`");
    format!("{}{edited}{}", &text[..start], &text[end..])
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
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stale: crates/menu-client/src/generated.rs")
    );
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
fn check_fails_when_a_generated_file_was_edited_by_hand() {
    for file in OUTPUTS {
        let dir = temp_copy();
        let output = dir.path().join(file);
        let mut text = std::fs::read_to_string(&output).unwrap();
        text.push_str("// a hand edit\n");
        std::fs::write(&output, text).unwrap();
        let out = xtask(dir.path(), &["--check"]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(file));
    }
}

#[test]
fn generation_is_byte_for_byte_deterministic() {
    let dir = temp_copy();
    for file in OUTPUTS {
        std::fs::remove_file(dir.path().join(file)).unwrap();
    }
    assert!(xtask(dir.path(), &[]).status.success());
    let first: Vec<_> = OUTPUTS
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    let out = xtask(dir.path(), &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    for (file, first) in OUTPUTS.iter().zip(&first) {
        assert_eq!(first, &std::fs::read(dir.path().join(file)).unwrap());
        assert_eq!(
            first,
            &std::fs::read(workspace_root().join(file)).unwrap(),
            "{file} is as committed"
        );
        assert!(
            String::from_utf8_lossy(first).starts_with("// @generated by `cargo xtask generate`"),
            "{file}"
        );
    }
}

#[test]
fn regeneration_says_what_changed_for_callers() {
    let dir = temp_copy();
    let spec = dir.path().join(SPEC);
    let text = std::fs::read_to_string(&spec).unwrap();
    // A new operation, a new required query parameter on `check_email`, and a changed field type.
    let edited = text
        .replace(
            "  /customers/refresh:\n",
            "  /customers/{customer_id}/ping:\n    get:\n      operationId: ping\n      \
             parameters:\n        - $ref: '#/components/parameters/CustomerId'\n      \
             responses:\n        '204':\n          description: Pong.\n  /customers/refresh:\n",
        )
        .replace(
            "        type_id:\n          type: integer\n",
            "        type_id:\n          type: string\n",
        );
    let edited = edit_operation(
        &edited,
        "check_email",
        "\n      parameters:\n",
        "\n      parameters:\n        - {name: device, in: query, required: true, \
         schema: {type: string}}\n",
    );
    assert_eq!(edited.matches("ping").count(), 2, "the edits apply");
    std::fs::write(&spec, edited).unwrap();
    let out = xtask(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "+ operation `ping` added",
        "~ operation `check_email`: new required parameter `device: &str`  [breaking]",
        "~ type `CustomerAccount`: field `type_id`: `i64` -> `String`  [breaking]",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(stdout.contains("3 change(s), 2 breaking"), "{stdout}");
    // Written: a second run says there is nothing new.
    let again = xtask(dir.path(), &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("API surface: no change"));
}

#[test]
fn help_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--check"));
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

#[test]
fn names_the_sdk_cannot_take_are_refused_clearly() {
    for (from, to, expected) in [
        (
            "operationId: refresh",
            "operationId: token",
            "which the SDK already has",
        ),
        // A method of the pipeline's, read from its source (no list names it).
        (
            "operationId: check_email",
            "operationId: send_once",
            "would be the method `send_once`, which the SDK already has",
        ),
        (
            "operationId: verify_phone_number_update",
            "operationId: 2fa-status",
            "gives no usable type name",
        ),
        (
            "      operationId: refresh\n",
            "      operationId: refresh_again\n",
            "has a parameter named `send`",
        ),
    ] {
        let dir = temp_copy();
        let spec = dir.path().join(SPEC);
        let text = std::fs::read_to_string(&spec).unwrap();
        assert!(text.contains(from), "{from}");
        // The last case also gives the operation (no longer the rotating one) a query parameter
        // named `send`.
        let again = to.contains("refresh_again");
        let text =
            text.replacen(from, to, 1)
                .replacen("      x-token: rotates\n", "", usize::from(again));
        let text = if again {
            edit_operation(
                &text,
                "refresh_again",
                "\n      parameters:\n",
                "\n      parameters:\n        - {name: send, in: query, schema: {type: string}}\n",
            )
        } else {
            text
        };
        std::fs::write(&spec, text).unwrap();
        let out = xtask(dir.path(), &["--check"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {stderr}");
        assert!(stderr.contains(expected), "{to}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
