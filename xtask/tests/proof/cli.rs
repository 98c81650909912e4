//! Written into the copy of the workspace by `cargo xtask proof` (`xtask/src/proof.rs`), after
//! the operations of `xtask/tests/proof/*.yaml` were added to the spec and `cargo xtask generate`
//! ran, with no other edit: the copy's `menu` command calls them against the copy's mock server
//! (`menu mock serve`), which answers them from the spec.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

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

#[test]
fn the_new_operations_are_commands_that_the_mock_answers() {
    const DRAGOS: &str = "6735e303-50a1-4887-9b11-915a6919cc66";
    let binary = Path::new(env!("CARGO_BIN_EXE_menu"));
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
        // The command prints the payload: the envelope's `data` of the spec's example, unwrapped
        // by the payload rule (the one resource it wraps) as the SDK's typed method answers it.
        let operation = menu_sdk::menu_client::operations::find(operation_id).unwrap();
        let example: serde_json::Value = serde_json::from_str(operation.example.unwrap()).unwrap();
        operation.payload(example["data"].clone())
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
    assert_eq!(json(&output)["optin_status_email"], 2, "the account itself");
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
    assert_eq!(json(&output)["name"], "Menu Bistro", "the venue itself");
    // A body with an array field, on standard input, without a token: the example, exit 0.
    let output = menu(
        binary,
        &without_token,
        &["search-venues", "--json-body", "-"],
        r#"{"country_codes": ["RO", "RS"]}"#,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output), example("search_venues"));
    assert!(json(&output)["venues"].is_array(), "a list stays wrapped");
    // A 204: nothing on stdout, what happened on stderr, exit 0.
    let output = menu(binary, &vars, &["remove-favourite", DRAGOS, "my usual"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr(&output).contains("remove-favourite: done (no content)"),
        "{}",
        stderr(&output)
    );
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
