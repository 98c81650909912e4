//! Seeing the wire (`ClientBuilder::inspect_responses`, `menu_sdk::inspect`), against the mock
//! server: a panicking inspector changes nothing of a call (a rotated token is kept, on an
//! explicit and on an automatic refresh), and a header parameter the spec marks `x-secret` is
//! sensitive and masked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use menu_mock::state::DRAGOS;
use menu_mock::{MockServer, TokenSpec};
use menu_sdk::menu_client::operation::Location;
use menu_sdk::menu_client::operations;
use menu_sdk::{Client, JsonCall, Token};

/// A client of `server` holding `token`, whose inspector panics on every response (counted).
fn panicking_client(server: &MockServer, token: &str) -> (Client, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(token)
        .inspect_responses(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            panic!("the debugging tool failed");
        })
        .build()
        .unwrap();
    (client, seen)
}

/// The token `client` holds, which the mock must accept.
fn held_and_accepted(server: &MockServer, client: &Client, old: &str) -> Token {
    let token = client.token().expect("the client holds a token");
    assert_ne!(token.value(), old, "the token was rotated");
    assert!(
        server.state().accepts_token(token.value(), false),
        "the rotated token is the one the server issued"
    );
    assert!(
        !server.state().accepts_token(old, true),
        "the old one is dead"
    );
    token
}

#[tokio::test]
async fn a_panicking_inspector_loses_no_rotated_token_on_an_explicit_refresh() {
    let server = MockServer::start().await.unwrap();
    let old = server.state().issue_token(DRAGOS).unwrap();
    let (client, seen) = panicking_client(&server, old.value());

    let session = client.refresh().await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the inspector ran");
    let held = held_and_accepted(&server, &client, old.value());
    assert_eq!(session.token.value(), held.value());
    // And the next refresh works with it.
    client.refresh().await.unwrap();
    held_and_accepted(&server, &client, held.value());
    assert_eq!(server.state().requests("refresh"), 2);
}

#[tokio::test]
async fn a_panicking_inspector_loses_no_rotated_token_on_an_automatic_refresh() {
    let server = MockServer::start().await.unwrap();
    let expired = TokenSpec {
        issued_at: Utc::now() - TimeDelta::hours(2),
        lifetime: Duration::from_secs(3600),
        refresh_window: Duration::from_secs(24 * 3600),
    };
    let old = server.state().issue_token_with(DRAGOS, expired).unwrap();
    let (client, seen) = panicking_client(&server, old.value());

    // A wrong code: the call gets past authentication with the rotated token, and its answer is
    // read whole although the inspector panics on it too.
    let err = client
        .verify_phone_number_update(DRAGOS, "000000")
        .await
        .unwrap_err();
    let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status.as_u16(), 400, "{err:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 2, "the refresh and the call");
    held_and_accepted(&server, &client, old.value());
}

#[tokio::test]
async fn a_secret_header_parameter_is_sensitive_and_masked() {
    let server = MockServer::start().await.unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .application_key(server.application_key())
        .token(token.value())
        .build()
        .unwrap();
    let mut checked = 0;
    for operation in operations::ALL {
        let secret: Vec<_> = operation
            .params
            .iter()
            .filter(|param| param.secret && param.location == Location::Header)
            .collect();
        if secret.is_empty() {
            continue;
        }
        let mut call = JsonCall::default();
        for param in operation.params {
            let value = match param.location {
                Location::Path => DRAGOS.to_string(),
                _ => "loyalty-secret-value".to_owned(),
            };
            call.push(param.location, param.name.to_owned(), value);
        }
        call.body = operation.body.map(|_| serde_json::json!({}));
        let request = client
            .call()
            .prepare_json(operation.id, &call)
            .await
            .unwrap();
        for param in secret {
            let value = &request.headers()[param.name];
            assert!(value.is_sensitive(), "{}", param.name);
            let shown = menu_sdk::inspect::header_value(param.name, value);
            assert!(!shown.contains("loyalty-secret-value"), "{shown}");
            checked += 1;
        }
    }
    assert!(checked > 0, "the spec marks a secret header parameter");
}
