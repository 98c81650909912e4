//! The application key and the tokens never appear in `Debug` output, error messages or tracing
//! output, whatever happens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use menu_sdk::Client;
use support::*;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Collects everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_tracing() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (old, new) = (fresh_jwt("old-secret"), fresh_jwt("new-secret"));
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Errors that echo the secrets back.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            format!(r#"{{"message":"token {new} app {APP_KEY}"}}"#),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(format!("not json {new} {APP_KEY}"), "text/plain"),
        )
        .mount(&server)
        .await;

    let builder = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(|_| {});
    let mut shown = format!("{builder:?}\n");
    let client = builder.build().unwrap();
    shown += &format!(
        "{client:?}\n{:?}\n{:#?}\n",
        client.token(),
        client.generated().unwrap()
    );

    let session = client.refresh().await.unwrap();
    shown += &format!("{session:?}\n{session:#?}\n{}\n{client:?}\n", session.token);
    let errors = vec![
        client.refresh().await.unwrap_err(),
        client
            .verify_phone_number_update(customer_id(), "1")
            .await
            .unwrap_err(),
        client.set_token(format!("{new}\r\n")).unwrap_err(),
        Client::builder()
            .application_key(format!("{APP_KEY}\n"))
            .build()
            .unwrap_err(),
    ];
    for err in &errors {
        shown += &format!("{err}\n{err:?}\n{err:#?}\n");
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            shown += &format!("{cause}\n{cause:?}\n");
            source = cause.source();
        }
    }
    // Retries of a 503 that echoes the secrets, and an automatic refresh of an expired token.
    let flaky = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_raw(format!("busy {old} {APP_KEY}"), "text/plain"),
        )
        .mount(&flaky)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
        )
        .mount(&flaky)
        .await;
    let expired = jwt("expired-secret", chrono::Utc::now().timestamp() - 60);
    let client = Client::builder()
        .base_url(format!("{}/api", flaky.uri()))
        .application_key(APP_KEY)
        .token(&expired)
        .retry_policy(
            menu_sdk::RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let err = client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().attempts, 3);
    shown += &format!("{err}\n{err:?}\n{client:?}\n");

    let traced = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traced.contains("retrying the same request"),
        "retries are traced: {traced}"
    );
    assert!(
        traced.contains("menu_sdk.call"),
        "tracing output was captured: {traced}"
    );
    assert!(traced.contains("request_id="), "{traced}");
    assert!(traced.contains("status=401"), "{traced}");
    assert!(traced.contains("duration_ms="), "{traced}");
    shown += &traced;

    for secret in [old.as_str(), new.as_str(), expired.as_str(), APP_KEY] {
        assert!(!shown.contains(secret), "a secret leaked:\n{shown}");
        // Not even the signature or payload part alone.
        for part in secret.split('.').filter(|p| p.len() > 8) {
            assert!(!shown.contains(part), "part of a secret leaked:\n{shown}");
        }
    }
}
