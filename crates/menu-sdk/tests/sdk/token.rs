//! The customer token: refresh swaps it atomically and hands it to the application.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use menu_sdk::{Client, Error, Token};
use support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn recorder() -> (
    Arc<Mutex<Vec<Token>>>,
    impl Fn(&Token) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |token: &Token| {
        sink.lock().unwrap().push(token.clone())
    })
}

async fn mount_verify(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn refresh_swaps_the_token_and_hands_it_to_the_application() {
    let server = MockServer::start().await;
    let (old, new) = (fresh_jwt("old"), fresh_jwt("new"));
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .and(header("authorization", format!("Bearer {old}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_verify(&server).await;
    let (seen, on_refresh) = recorder();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(on_refresh)
        .build()
        .unwrap();
    let clone = client.clone();

    let session = client.refresh().await.unwrap();
    assert_eq!(session.token.value(), new);
    assert_eq!(session.token.ttl(), Some(1440));
    assert_eq!(session.customer_account.first_name, "Ivan");
    assert_eq!(client.token().unwrap().value(), new);
    assert_eq!(
        clone.token().unwrap().value(),
        new,
        "clones share the token"
    );
    let seen_tokens: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.value().to_owned())
        .collect();
    assert_eq!(seen_tokens.len(), 1, "the hook was called once");
    assert_eq!(seen_tokens[0], new, "with the new token");

    clone
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(
        header_values(&last, "authorization"),
        [format!("Bearer {new}")]
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_token_and_does_not_call_the_hook() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Token has expired"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let (seen, on_refresh) = recorder();
    let old = fresh_jwt("old");
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(on_refresh)
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert_eq!(
        err.api_error().unwrap().message(),
        Some("Token has expired")
    );
    assert_eq!(client.token().unwrap().value(), old);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_calls_see_the_old_or_the_new_token_never_a_mix() {
    let server = MockServer::start().await;
    let (old, new) = (fresh_jwt("old"), fresh_jwt("new"));
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&new), "application/json")
                .set_delay(Duration::from_millis(50)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(VERIFY_BODY, "application/json")
                .set_delay(Duration::from_millis(5)),
        )
        .mount(&server)
        .await;
    let client = client(&server, &old);

    let mut tasks = Vec::new();
    for i in 0..60 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i * 2)).await;
            client
                .verify_phone_number_update(customer_id(), "1")
                .await
                .unwrap();
        }));
    }
    let refresher = client.clone();
    let refresh = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        refresher.refresh().await.unwrap()
    });
    for task in tasks {
        task.await.unwrap();
    }
    refresh.await.unwrap();
    // Calls after the refresh use the new token.
    client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();

    let (old_header, new_header) = (format!("Bearer {old}"), format!("Bearer {new}"));
    let mut counts = (0, 0);
    for request in server.received_requests().await.unwrap() {
        if request.method.as_str() != "POST" {
            continue;
        }
        let values = header_values(&request, "authorization");
        assert_eq!(values.len(), 1);
        if values[0] == old_header {
            counts.0 += 1;
        } else if values[0] == new_header {
            counts.1 += 1;
        } else {
            panic!(
                "a token that is neither the old nor the new one: {}",
                values[0].len()
            );
        }
    }
    assert_eq!(counts.0 + counts.1, 61);
    assert!(
        counts.0 > 0 && counts.1 > 0,
        "the swap happened mid-flight: {counts:?}"
    );
}

#[tokio::test]
async fn a_refresh_body_that_does_not_fully_decode_still_keeps_the_new_token() {
    let server = MockServer::start().await;
    let new = fresh_jwt("new");
    // The account has an unexpected shape, but the token is intact.
    let body = format!(
        r#"{{"status":"OK","code":200,"data":{{"customer_account":{{"id":"x"}},"token":{{"value":"{new}","ttl":1440}}}}}}"#
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let (seen, on_refresh) = recorder();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("old"))
        .on_token_refresh(on_refresh)
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("the new token it carried was kept"),
        "{err}"
    );
    assert!(
        !err.to_string().contains(&new),
        "the message does not show the token"
    );
    assert_eq!(client.token().unwrap().value(), new);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_reference_token_exposes_its_expiry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(REFRESH_BODY, "application/json"))
        .mount(&server)
        .await;
    let session = client(&server, &fresh_jwt("old")).refresh().await.unwrap();
    assert_eq!(
        session.token.expires_at().unwrap().to_rfc3339(),
        "2023-04-13T13:06:14+00:00"
    );
    assert_eq!(
        session.token.claims().unwrap().subject.as_deref(),
        Some("5087717")
    );
}

#[tokio::test]
async fn a_logout_during_a_refresh_stays_a_logout() {
    let server = MockServer::start().await;
    let new = fresh_jwt("new");
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&new), "application/json")
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let (seen, on_refresh) = recorder();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("old"))
        .on_token_refresh(on_refresh)
        .build()
        .unwrap();
    let refreshing = tokio::spawn({
        let client = client.clone();
        async move { client.refresh().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.clear_token();
    let session = refreshing.await.unwrap().unwrap();
    assert_eq!(
        session.token.value(),
        new,
        "the caller still gets the new token"
    );
    assert!(client.token().is_none(), "the logout was not undone");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "the application is still told about the new token"
    );

    // Likewise a token set meanwhile is not overwritten.
    let chosen = fresh_jwt("chosen");
    client.set_token(fresh_jwt("old")).unwrap();
    let refreshing = tokio::spawn({
        let client = client.clone();
        async move { client.refresh().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.set_token(&chosen).unwrap();
    refreshing.await.unwrap().unwrap();
    assert_eq!(client.token().unwrap().value(), chosen);
}

#[tokio::test]
async fn a_refresh_body_with_the_token_as_a_bare_string_keeps_it_without_leaking_it() {
    let server = MockServer::start().await;
    let new = fresh_jwt("new");
    let body = format!(
        r#"{{"status":"OK","code":200,"data":{{"customer_account":{{}},"token":"{new}"}}}}"#
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let client = client(&server, &fresh_jwt("old"));
    let err = client.refresh().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    for part in new.split('.') {
        assert!(!shown.contains(part), "{shown}");
    }
    assert!(shown.contains("was kept"), "{shown}");
    assert_eq!(client.token().unwrap().value(), new);
}

#[tokio::test]
async fn a_panicking_hook_loses_neither_the_token_nor_the_waiting_calls() {
    let server = MockServer::start().await;
    let (old, new) = (
        jwt("old", chrono::Utc::now().timestamp() - 10),
        fresh_jwt("new"),
    );
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&new), "application/json")
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_verify(&server).await;
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(|_| panic!("the application's hook failed"))
        .build()
        .unwrap();
    // Ten calls find the expired token at once: one refresh, whose hook panics.
    let mut calls = Vec::new();
    for _ in 0..10 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            client.verify_phone_number_update(customer_id(), "1").await
        }));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        client.token().unwrap().value(),
        new,
        "the new token was kept"
    );
    let requests = server.received_requests().await.unwrap();
    let refreshes = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(refreshes, 1, "no second refresh of the invalidated token");
}

#[tokio::test]
async fn concurrent_explicit_refreshes_share_one_request_and_name_their_own_ids() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Token expired"}"#, "application/json")
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let client = client(&server, &fresh_jwt("old"));
    let (first, second) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let (a, b) = tokio::join!(client.with_request_id(first).refresh(), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        client.with_request_id(second).refresh().await
    });
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "one request"
    );
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert!(
        matches!(&a, Error::Api(api) if api.request_id == first),
        "{a:?}"
    );
    // The second caller's error carries its own id, and the shared failure as its source.
    let Error::RefreshFailed {
        request_id, source, ..
    } = &b
    else {
        panic!("{b:?}")
    };
    assert_eq!(*request_id, second);
    assert_eq!(source.request_id(), Some(first));
    assert_eq!(b.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn a_token_the_server_issues_that_cannot_be_sent_is_refused_and_the_old_one_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with("bad\\u0001issued"), "application/json"),
        )
        .mount(&server)
        .await;
    let old = fresh_jwt("customer");
    let client = client(&server, &old);
    let err = client.refresh().await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidIssuedToken {
                operation: "refresh",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not allowed in an HTTP header"),
        "{err}"
    );
    assert!(!err.to_string().contains("issued\u{1}"), "{err}");
    assert_eq!(client.token().unwrap().value(), old);
}
