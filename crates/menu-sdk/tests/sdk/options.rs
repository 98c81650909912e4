//! Per-client and per-call options on the wire: extra headers (checked, never a managed header,
//! sensitive ones redacted everywhere), and a call's own timeout and retry policy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use menu_sdk::{Client, Error, RetryPolicy, TransportErrorKind};
use support::*;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const DLC_SECRET: &str = "dlc-secret-4f2a9c";

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

fn builder(server: &MockServer) -> menu_sdk::ClientBuilder {
    Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
}

async fn answer_verify(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn extra_headers_go_out_once_with_the_calls_winning() {
    let server = MockServer::start().await;
    answer_verify(&server).await;
    let client = builder(&server)
        .header("Device-UUID", "1287796")
        .header("X-Trace", "client")
        .build()
        .unwrap();
    client
        .call()
        .header("x-trace", "call")
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    let request = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(header_values(&request, "device-uuid"), ["1287796"]);
    assert_eq!(header_values(&request, "x-trace"), ["call"]);
    assert_eq!(header_values(&request, "application"), [APP_KEY]);
}

#[tokio::test]
async fn an_extra_header_cannot_be_a_managed_one_and_nothing_is_sent() {
    let server = MockServer::start().await;
    answer_verify(&server).await;
    for name in [
        "Authorization",
        "application",
        "X-Request-ID",
        "API-Version",
        "Content-Type",
        "Content-Length",
        "Host",
        "Transfer-Encoding",
    ] {
        let err = builder(&server).header(name, "x").build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { message } if message.contains("the SDK sets itself")),
            "{name}: {err}"
        );
        let client = builder(&server).build().unwrap();
        let err = client
            .call()
            .sensitive_header(name, DLC_SECRET)
            .verify_phone_number_update(customer_id(), "1")
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{name}: {err}"
        );
        assert!(!err.to_string().contains(DLC_SECRET));
    }
    for (name, value) in [("bad name", "x"), ("X-Ok", "line\r\nbreak")] {
        let client = builder(&server).build().unwrap();
        let err = client
            .call()
            .header(name, value)
            .verify_phone_number_update(customer_id(), "1")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        assert!(!err.to_string().contains("break"), "{err}");
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn an_operation_header_parameter_wins_over_an_extra_header() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    let client = builder(&server)
        .sensitive_header("DLC-Authorization", "from-the-client")
        .build()
        .unwrap();
    client
        .update_customer_account(customer_id(), Default::default())
        .dlc_authorization("from-the-call")
        .await
        .unwrap();
    client
        .update_customer_account(customer_id(), Default::default())
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        header_values(&requests[0], "dlc-authorization"),
        ["from-the-call"]
    );
    assert_eq!(
        header_values(&requests[1], "dlc-authorization"),
        ["from-the-client"]
    );
}

#[tokio::test]
async fn a_sensitive_header_never_shows_in_debug_errors_or_tracing() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    // The server echoes the header in its error.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            format!(
                r#"{{"message":"bad DLC token {DLC_SECRET}","errors":{{"dlc":["{DLC_SECRET}"]}}}}"#
            ),
            "application/json",
        ))
        .mount(&server)
        .await;
    let builder = builder(&server).sensitive_header("DLC-Authorization", DLC_SECRET);
    let shown_builder = format!("{builder:?}");
    let client = builder.build().unwrap();
    let call = client.call().sensitive_header("X-Loyalty", DLC_SECRET);
    let shown_call = format!("{call:?} {client:?}");
    let err = call
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    let request = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(
        header_values(&request, "dlc-authorization"),
        [DLC_SECRET],
        "it was sent"
    );
    let shown = format!(
        "{shown_builder} {shown_call} {err} {err:?} {}",
        String::from_utf8_lossy(&captured.0.lock().unwrap())
    );
    assert!(shown.contains("DLC-Authorization") || shown.contains("dlc-authorization"));
    assert!(!shown.contains(DLC_SECRET), "{shown}");
    assert!(err.api_error().unwrap().body_snippet.contains("<redacted>"));
}

#[tokio::test]
async fn a_call_has_its_own_timeout_and_retry_policy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(VERIFY_BODY, "application/json")
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    // The client's timeout is 30 s; this call's is 100 ms.
    let err = client
        .call()
        .timeout(Duration::from_millis(100))
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    // The client retries a 503 up to 3 attempts; this call does not retry.
    let err = client
        .call()
        .retry_policy(RetryPolicy::none())
        .refresh()
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().attempts, 1, "{err}");
    let err = client.refresh().await.unwrap_err();
    assert_eq!(err.api_error().unwrap().attempts, 3, "{err}");
}
