//! The token store, with the SDK's file store: a client built on a store file picks up its token,
//! a refresh writes the new token (mode 0600), and a store that cannot write makes the call report
//! it while the client still holds the new token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use menu_sdk::{Client, Error, FileTokenStore, Token, TokenStore};
use support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn rotating_server(old: &str, new: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .and(header("authorization", format!("Bearer {old}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(new), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    server
}

fn builder(server: &MockServer) -> menu_sdk::ClientBuilder {
    Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
}

#[tokio::test]
async fn a_client_built_on_a_store_file_picks_up_its_token_and_writes_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let (old, new) = (fresh_jwt("stored"), fresh_jwt("rotated"));
    FileTokenStore::new(&file)
        .save(&Token::new(&old))
        .await
        .unwrap();
    let server = rotating_server(&old, &new).await;

    // `build` refuses a store (its token is read asynchronously); `load` reads it.
    let err = builder(&server)
        .token_store(FileTokenStore::new(&file))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("ClientBuilder::load"), "{err}");
    let client = builder(&server)
        .token_store(FileTokenStore::new(&file))
        .load()
        .await
        .unwrap();
    assert_eq!(client.token().unwrap().value(), old);

    client.refresh().await.unwrap();
    let stored = FileTokenStore::new(&file).load().await.unwrap().unwrap();
    assert_eq!(stored.value(), new);
    assert_eq!(stored.ttl(), Some(1440));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // A token given to the builder wins over the stored one.
    let given = fresh_jwt("given");
    let client = builder(&server)
        .token(&given)
        .token_store(FileTokenStore::new(&file))
        .load()
        .await
        .unwrap();
    assert_eq!(client.token().unwrap().value(), given);
}

#[tokio::test]
async fn an_automatic_refresh_is_saved_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let old = jwt("expired", chrono::Utc::now().timestamp() - 10);
    let new = fresh_jwt("rotated");
    FileTokenStore::new(&file)
        .save(&Token::new(&old))
        .await
        .unwrap();
    let server = rotating_server(&old, &new).await;
    let client = builder(&server)
        .token_store(FileTokenStore::new(&file))
        .load()
        .await
        .unwrap();
    client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    let stored = FileTokenStore::new(&file).load().await.unwrap().unwrap();
    assert_eq!(stored.value(), new);
}

#[tokio::test]
async fn a_store_that_cannot_write_is_reported_and_the_new_token_is_held() {
    let dir = tempfile::tempdir().unwrap();
    // Its directory does not exist: every save fails.
    let store = FileTokenStore::new(dir.path().join("missing/token.json"));
    let old = jwt("expired", chrono::Utc::now().timestamp() - 10);
    let new = fresh_jwt("rotated");
    let server = rotating_server(&old, &new).await;
    let client = builder(&server)
        .token(&old)
        .token_store(store)
        .load()
        .await
        .unwrap();
    // An automatic refresh before the call: the call reports the failed save, sends nothing more.
    let err = client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap_err();
    let Error::RefreshFailed { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(**source, Error::TokenStore { .. }), "{source:?}");
    assert!(err.to_string().contains("the token store failed"), "{err}");
    assert!(!err.to_string().contains(&new), "{err}");
    assert_eq!(
        client.token().unwrap().value(),
        new,
        "the client holds the new token"
    );
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(sent, ["GET"], "the call itself was not sent");
    // The next call goes on with the new token.
    tokio::time::timeout(
        Duration::from_secs(5),
        client.verify_phone_number_update(customer_id(), "164138"),
    )
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test]
async fn an_explicit_refresh_reports_a_failed_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("missing/token.json"));
    let (old, new) = (fresh_jwt("old"), fresh_jwt("new"));
    let server = rotating_server(&old, &new).await;
    let client = builder(&server)
        .token(&old)
        .token_store(store)
        .load()
        .await
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(client.token().unwrap().value(), new);
}

#[tokio::test]
async fn a_revoking_operation_and_a_logout_clear_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"status":"OK","code":200}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let token = fresh_jwt("doomed");
    FileTokenStore::new(&file)
        .save(&Token::new(&token))
        .await
        .unwrap();
    let client = builder(&server)
        .token_store(FileTokenStore::new(&file))
        .load()
        .await
        .unwrap();
    // `delete_customer_account` is marked `x-token: revokes`.
    client.delete_customer_account(customer_id()).await.unwrap();
    assert!(client.token().is_none());
    assert!(!file.exists(), "the store forgot it too");
    // A logout clears the store as well (`clear_token` alone does not).
    FileTokenStore::new(&file)
        .save(&Token::new(&token))
        .await
        .unwrap();
    let client = builder(&server)
        .token_store(FileTokenStore::new(&file))
        .load()
        .await
        .unwrap();
    client.clear_token();
    assert!(file.exists());
    client.logout().await.unwrap();
    assert!(client.token().is_none() && !file.exists());
}
