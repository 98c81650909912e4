//! `menu mock serve --state FILE`: the state in an SQLite database that survives SIGKILL, held by
//! one process, private, refused when newer, and migrated from a 0.3 JSON state file.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use menu_sdk::types::{CustomerAccountUpdate, EmailRequest, RegisterRequest};

use super::*;

/// An SDK client of the announced mock, with `token` if given.
fn client(announced: &Announced, token: Option<&str>) -> menu_sdk::Client {
    let mut builder = menu_sdk::Client::builder()
        .base_url(announced.base_url())
        .application_key(announced.application_key());
    if let Some(token) = token {
        builder = builder.token(token);
    }
    builder.build().unwrap()
}

/// Signs `email` up through the announced mock: its session's token.
async fn sign_up(announced: &Announced, email: &str) -> Result<String, String> {
    let anonymous = client(announced, None);
    anonymous
        .passwordless_request(EmailRequest {
            email: email.into(),
        })
        .await
        .map_err(|e| e.to_string())?;
    let outbox = format!("{}?to={email}", announced.text("/outbox_url"));
    let messages: serde_json::Value = menu_sdk::reqwest::get(outbox)
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    // The last code sent, as the outbox gives it: a string, for an integer field.
    let code = messages
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["code"].as_str())
        .ok_or("no code")?;
    let session = anonymous
        .register(RegisterRequest {
            passwordless_email: email.into(),
            passwordless_code: code.into(),
            first_name: Some("Kept".into()),
            last_name: None,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(session.token.value().to_owned())
}

/// The account `token` names, as the mock answers it.
async fn account_of(announced: &Announced, token: &str) -> menu_sdk::types::CustomerAccount {
    let session = client(announced, Some(token));
    session
        .update_customer_account(customer_of(token), CustomerAccountUpdate::default())
        .await
        .unwrap_or_else(|e| panic!("the account of a kept token answers: {e}"))
}

/// The customer a token names (its `sub`).
fn customer_of(token: &str) -> uuid::Uuid {
    let claims = menu_sdk::Token::new(token).claims().unwrap();
    claims.subject.unwrap().parse().unwrap()
}

fn state_args(file: &Path) -> [&OsStr; 2] {
    [OsStr::new("--state"), file.as_os_str()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answered_sign_up_is_lost_to_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    let (server, announced) = serve_with(&state_args(&file)).await;
    let announced = Arc::new(announced);
    // Every sign-up whose registration was answered, with its token.
    let answered = Arc::new(Mutex::new(Vec::new()));
    let signing_up: Vec<_> = (0..8)
        .map(|worker| {
            let announced = announced.clone();
            let answered = answered.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let email = format!("kept-{worker}-{n}@example.com");
                    match sign_up(&announced, &email).await {
                        Ok(token) => answered.lock().unwrap().push((email, token)),
                        Err(_) => return, // the mock is gone
                    }
                }
            })
        })
        .collect();
    while answered.lock().unwrap().len() < 40 {
        assert!(
            !signing_up.iter().all(tokio::task::JoinHandle::is_finished),
            "the sign-ups stopped before the kill"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // SIGKILL in the middle of the sign-ups: no shutdown, no last save.
    drop(server);
    for worker in signing_up {
        worker.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let (_server, announced) = serve_with(&state_args(&file)).await;
    for (email, token) in &answered {
        assert_eq!(&account_of(&announced, token).await.email, email);
    }
}

#[tokio::test]
async fn a_second_mock_on_the_same_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    let (_server, _) = serve_with(&state_args(&file)).await;
    let mut command = menu();
    command
        .args(["mock", "serve", "--port", "0"])
        .args(state_args(&file));
    let output = run(command).await;
    assert_clean_failure(&output, 1, &["another process uses it"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["state.db", "state.db-wal"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
}

#[tokio::test]
async fn a_database_of_a_newer_mock_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.db");
    drop(serve_with(&state_args(&file)).await);
    // What a later mock would leave: a higher schema version.
    let database = rusqlite::Connection::open(&file).unwrap();
    database.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(database);
    let mut command = menu();
    command
        .args(["mock", "serve", "--port", "0"])
        .args(state_args(&file));
    let output = run(command).await;
    assert_clean_failure(&output, 1, &["schema version 99 is newer"]);
}

#[tokio::test]
async fn a_0_3_state_file_is_migrated_into_a_new_database_and_left_as_it_was() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("state.json");
    std::fs::copy(fixtures.join("state-0.3.json"), &json).unwrap();
    let original = std::fs::read(&json).unwrap();
    // Written by 0.3's `menu mock serve --state state-0.3.json`: Ann signed up, then refreshed.
    let tokens: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("state-0.3.tokens.json")).unwrap())
            .unwrap();
    let (server, announced) = serve_with(&state_args(&json)).await;
    assert_eq!(std::fs::read(&json).unwrap(), original, "left as it was");
    assert!(dir.path().join("state.db").exists());
    // Her token, signed with the migrated key, and its revoked predecessor, still refused.
    let token = tokens["token"].as_str().unwrap();
    assert_eq!(
        account_of(&announced, token).await.email,
        tokens["email"].as_str().unwrap()
    );
    let revoked_token = tokens["revoked_token"].as_str().unwrap();
    let revoked = client(&announced, Some(revoked_token));
    let refused = revoked
        .update_customer_account(customer_of(revoked_token), CustomerAccountUpdate::default())
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401), "{refused}");
    // What changes from now on is kept in the database.
    let bob = sign_up(&announced, "bob@example.com").await.unwrap();
    drop(server);
    assert_eq!(std::fs::read(&json).unwrap(), original, "still as it was");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("state.db"))
        .collect();
    assert_eq!(leftovers, ["state.json"], "no other file");
    // Given the JSON file again, the mock goes on with the database it was migrated into.
    let (server, announced) = serve_with(&state_args(&json)).await;
    assert_eq!(account_of(&announced, &bob).await.email, "bob@example.com");
    drop(server);
    // A database of that name that was not migrated from it is not taken for it.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(&json, other.join("state.json")).unwrap();
    drop(serve_with(&state_args(&other.join("state.db"))).await);
    let mut command = menu();
    command
        .args(["mock", "serve", "--port", "0"])
        .args(state_args(&other.join("state.json")));
    let output = run(command).await;
    assert_clean_failure(&output, 1, &["0.3 JSON state file", "not migrated from it"]);
}

#[tokio::test]
async fn a_corrupt_state_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, "{\"format\": 1, \"domain\": [").unwrap();
    let mut command = menu();
    command
        .args(["mock", "serve", "--port", "0"])
        .args(state_args(&file));
    let output = run(command).await;
    assert_clean_failure(&output, 1, &["state file", "not a mock state file"]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"format\": 1, \"domain\": [",
        "left as it was"
    );
    assert!(!dir.path().join("state.db").exists(), "nothing migrated");
}
