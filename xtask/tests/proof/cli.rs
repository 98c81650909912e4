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

/// Starts `menu mock serve --json` and returns it with the variables that point `menu` at it:
/// its base URL, application key, and its first test customer's token.
fn serve(menu: &Path) -> (Mock, Vec<(String, String)>) {
    let mut child = Command::new(menu)
        .args(["mock", "serve", "--port", "0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mock = Mock(child);
    let (line, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut first);
        let _ = line.send(first);
    });
    let line = received
        .recv_timeout(Duration::from_secs(30))
        .expect("the mock prints its JSON line");
    let json: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let text = |pointer: &str| {
        json.pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap()
            .to_owned()
    };
    let vars = vec![
        (menu_sdk::env::BASE_URL.to_owned(), text("/base_url")),
        (
            menu_sdk::env::APPLICATION_KEY.to_owned(),
            text("/application_key"),
        ),
        (
            menu_sdk::env::TOKEN.to_owned(),
            text("/test_customers/0/token"),
        ),
    ];
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
        .filter(|(n, _)| n != menu_sdk::env::TOKEN)
        .cloned()
        .collect();
    let with_token = |token: &str| -> Vec<(String, String)> {
        let mut vars = without_token.clone();
        vars.push((menu_sdk::env::TOKEN.into(), token.into()));
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
    // The whole body from standard input, of the wrong type: refused before sending, exit 2.
    let output = menu(
        binary,
        &vars,
        &["update-marketing-preferences", DRAGOS, "--json-body", "-"],
        r#"{"optin_status_email": "two"}"#,
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("optin_status_email field must be an integer")
            && stderr(&output).contains("nothing was sent"),
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
    // The array field as a repeatable flag and as a comma list (its items, `^[A-Z]{2}$`, hold
    // no comma): both send `["US","CA"]` (the dry run's curl shows the body); the mock answers.
    for args in [
        &["--country-codes", "US", "--country-codes", "CA"][..],
        &["--country-codes", "US,CA"][..],
    ] {
        let mut dry_run = vec!["--dry-run", "search-venues"];
        dry_run.extend_from_slice(args);
        let output = menu(binary, &without_token, &dry_run, "");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let curl = String::from_utf8_lossy(&output.stdout);
        assert!(
            curl.contains(r#"{"country_codes":["US","CA"]}"#),
            "{args:?}: {curl}"
        );
        let mut sent = vec!["search-venues"];
        sent.extend_from_slice(args);
        let output = menu(binary, &without_token, &sent, "");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(json(&output), example("search_venues"));
    }
    // An item of another shape: refused before sending, exit 2.
    let output = menu(
        binary,
        &without_token,
        &["search-venues", "--country-codes", "US,usa"],
        "",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
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
