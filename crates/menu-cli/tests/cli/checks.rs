//! Every constraint the spec states is checked before sending (an empty code among them), and
//! an operation marked `x-confirm` asks first: `--yes` at no terminal, or a `y` typed at one.

use super::*;

/// An empty or non-numeric code, by flag or in --json-body: exit 2, one line, nothing sent.
#[tokio::test]
async fn an_empty_code_is_refused_before_sending() {
    let server = MockServer::start().await.unwrap();
    let dragos = DRAGOS.to_string();
    for code in ["", "12a4"] {
        let mut command = menu_for(&server);
        command.args([
            "verify-phone-number-update",
            &dragos,
            "--confirmation-code",
            code,
        ]);
        let output = run(command).await;
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains("text matching `^[0-9]+$`"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    for body in [r#"{"confirmation_code": ""}"#, "{}"] {
        let mut command = menu_for(&server);
        command
            .args(["verify-phone-number-update", &dragos, "--json-body", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_clean_failure(&output, 2, &["confirmation_code field", "nothing was sent"]);
    }
    assert_eq!(server.state().requests("verify_phone_number_update"), 0);
    // The mock runs the same check on what it receives: its 400 for the same empty code.
    let mut command = menu_for(&server);
    command.args([
        "verify-phone-number-update",
        &dragos,
        "--confirmation-code",
        DRAGOS_CONFIRMATION_CODE,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(server.state().requests("verify_phone_number_update"), 1);
}

/// Off a terminal, the deletion is refused without --yes, naming it, and nothing is sent; with
/// --yes it is sent. A dry run needs no confirmation.
#[tokio::test]
async fn deleting_the_account_needs_yes_off_a_terminal() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command.args(["delete-customer-account"]);
    assert_clean_failure(&run(command).await, 2, &["--yes", "nothing was sent"]);
    assert_eq!(server.state().requests("delete_customer_account"), 0);
    let mut command = menu_for(&server);
    command.args(["--dry-run", "delete-customer-account"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("curl"));
    assert_eq!(server.state().requests("delete_customer_account"), 0);
    let mut command = menu_for(&server);
    command.args(["delete-customer-account", "--yes"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(server.state().requests("delete_customer_account"), 1);
}

/// `menu args...` under a pseudo-terminal (util-linux `script`), `typed` on its input; `None`
/// where `script` is missing.
fn at_a_terminal(server: &MockServer, args: &str, typed: &str) -> Option<(bool, String)> {
    let token = server.state().issue_token(DRAGOS).unwrap();
    let shell = format!(
        "MENU_BASE_URL='{}' MENU_APPLICATION_KEY='{}' MENU_TOKEN='{}' '{}' {args}",
        server.base_url(),
        server.application_key(),
        token.value(),
        env!("CARGO_BIN_EXE_menu"),
    );
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &shell, "/dev/null"])
        .env_remove("MENU_PROFILE")
        .env(
            "XDG_CONFIG_HOME",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pty-config"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write as _;
    let mut stdin = child.stdin.take().unwrap();
    // Typed ahead: the terminal keeps it until `menu` reads its answer.
    stdin.write_all(typed.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    Some((output.status.success(), text(&output.stdout)))
}

/// At a terminal, the deletion asks on the terminal: `n` (or nothing) sends nothing, `y` sends it.
#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_the_deletion_asks_first() {
    let server = MockServer::start().await.unwrap();
    let Some((confirmed, screen)) =
        tokio::task::block_in_place(|| at_a_terminal(&server, "delete-customer-account", "n\n"))
    else {
        eprintln!("no `script` utility: the pseudo-terminal test is skipped");
        return;
    };
    assert!(!confirmed, "{screen}");
    assert!(
        screen.contains(&format!(
            "delete-customer-account (customer_account_id {DRAGOS}): Deletes the customer's account"
        )) && screen.contains("Continue? [y/N]"),
        "{screen}"
    );
    assert!(
        screen.contains("not confirmed, nothing was sent"),
        "{screen}"
    );
    assert_eq!(server.state().requests("delete_customer_account"), 0);
    let (confirmed, screen) =
        tokio::task::block_in_place(|| at_a_terminal(&server, "delete-customer-account", "y\n"))
            .unwrap();
    assert!(confirmed, "{screen}");
    assert!(screen.contains("done (no content)"), "{screen}");
    assert_eq!(server.state().requests("delete_customer_account"), 1);
}
