//! `-vv` (`--debug`): the request's body and each response's status line, headers and body on
//! stderr, with no token, application key or one-time code anywhere.

use super::*;

/// Neither stdout nor stderr holds any of `secrets`.
fn assert_no_secret(output: &Output, secrets: &[&str]) {
    for stream in [&output.stdout, &output.stderr] {
        let shown = text(stream);
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[tokio::test]
async fn vv_on_a_refresh_shows_the_answer_without_the_token() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    let old = stored_token(config.path());
    let mut command = menu_with_config(config.path());
    command.args(["-vv", "refresh"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let new = stored_token(config.path());
    assert_ne!(old, new);
    let stderr = text(&output.stderr);
    for expected in [
        "> GET http://127.0.0.1:",
        "> authorization: Bearer <redacted>",
        "< HTTP/1.1 200 OK",
        "< content-type: application/json",
        "<     \"token\": {",
        "<       \"value\": \"<redacted>\"",
        "<       \"ttl\": 1440",
        "< refresh: answered 200 after 1 attempt",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
    assert_no_secret(&output, &[&old, &new, server.application_key()]);
    // `-v` alone shows no body.
    let mut command = menu_with_config(config.path());
    command.args(["-v", "refresh"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("< HTTP/1.1"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn debug_shows_both_bodies_of_a_verify_with_the_code_masked() {
    let server = MockServer::start().await.unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    // A wrong code first: the 400 and its body, which is what `--debug` is for.
    for (code, status) in [
        ("000000", "< HTTP/1.1 400"),
        (DRAGOS_CONFIRMATION_CODE, "< HTTP/1.1 200"),
    ] {
        let mut command = menu_for(&server);
        command.env("MENU_TOKEN", token.value()).args([
            "--debug",
            "verify-phone-number-update",
            "me",
            "--confirmation-code",
            code,
        ]);
        let output = run(command).await;
        let stderr = text(&output.stderr);
        for expected in [
            "> POST http://127.0.0.1:",
            "> application: <redacted>",
            ">   \"confirmation_code\": \"<redacted>\"",
            status,
            "<   \"code\": ",
        ] {
            assert!(stderr.contains(expected), "{expected:?} in {stderr}");
        }
        assert_no_secret(&output, &[code, token.value(), server.application_key()]);
    }
    assert_eq!(server.state().requests("verify_phone_number_update"), 2);
}
