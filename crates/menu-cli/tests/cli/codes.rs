//! One-time codes and the payload rule at the command line: `signup --code` with a code that the
//! sign-up's integer field cannot take is refused before anything is sent; an account command
//! prints the account itself, as the SDK's method answers it.

use super::*;

#[tokio::test]
async fn signup_refuses_a_code_its_integer_field_cannot_take_and_sends_nothing() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        server.base_url(),
        "--application-key",
        server.application_key(),
        "signup",
        "--email",
        "ana@example.com",
        "--code",
        "12ab34",
    ]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    // After the progress line, the one-line error.
    let error = stderr.trim_end().lines().last().unwrap();
    assert!(error.starts_with("error: register: "), "{stderr}");
    for part in ["integer", "nothing was sent"] {
        assert!(error.contains(part), "{part:?} in {stderr}");
    }
    assert!(
        !stderr.contains("12ab34"),
        "the code is not quoted: {stderr}"
    );
    assert!(output.stdout.is_empty());
    assert_eq!(server.state().requests("passwordless_request"), 0);
    assert_eq!(server.state().requests("register"), 0);
}

#[tokio::test]
async fn an_account_command_prints_the_account_itself() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command.args([
        "update-customer-account",
        &DRAGOS.to_string(),
        "--first-name",
        "Dragos",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let account: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(account["id"], DRAGOS.to_string(), "{account}");
    assert!(account.get("customer_account").is_none(), "{account}");
}
