//! API errors, undecodable responses and transport failures, against real loopback servers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use menu_sdk::{Client, Error, StatusCode, TransportErrorKind};
use support::*;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server that answers every request with `template`.
async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// Both operations against `server`, each returning its error.
async fn both_errors(server: &MockServer) -> Vec<(uuid::Uuid, Error)> {
    let client = client(server, &fresh_jwt("customer"));
    let (id1, id2) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let verify = client
        .with_request_id(id1)
        .verify_phone_number_update(customer_id(), "000000")
        .await;
    let refresh = client.with_request_id(id2).refresh().await;
    vec![(id1, verify.unwrap_err()), (id2, refresh.unwrap_err())]
}

#[tokio::test]
async fn documented_error_statuses_with_a_json_envelope() {
    for status in [400u16, 401, 403, 404] {
        let body = format!(
            r#"{{"status":"ERROR","code":{status},"message":"nope {status}","errors":{{"confirmation_code":["invalid"]}}}}"#
        );
        let server =
            answering(ResponseTemplate::new(status).set_body_raw(body.clone(), "application/json"))
                .await;
        for (request_id, err) in both_errors(&server).await {
            let api = err
                .api_error()
                .unwrap_or_else(|| panic!("{status}: {err:?}"));
            assert_eq!(api.status.as_u16(), status);
            assert_eq!(err.status(), Some(StatusCode::from_u16(status).unwrap()));
            assert_eq!(err.request_id(), Some(request_id));
            assert_eq!(api.message(), Some(format!("nope {status}").as_str()));
            let envelope = api.envelope.as_ref().unwrap();
            assert_eq!(envelope.code, Some(status as i64));
            assert_eq!(
                envelope.errors.as_ref().unwrap()["confirmation_code"][0],
                "invalid"
            );
            assert_eq!(api.body_snippet, body);
            let message = err.to_string();
            assert!(message.contains(&status.to_string()), "{message}");
            assert!(message.contains(&format!("nope {status}")), "{message}");
            assert!(message.contains(&request_id.to_string()), "{message}");
        }
    }
}

#[tokio::test]
async fn documented_error_statuses_without_a_body() {
    for status in [400u16, 401, 403, 404] {
        let server = answering(ResponseTemplate::new(status)).await;
        for (request_id, err) in both_errors(&server).await {
            let api = err
                .api_error()
                .unwrap_or_else(|| panic!("{status}: {err:?}"));
            assert_eq!(api.status.as_u16(), status);
            assert_eq!(api.envelope, None);
            assert_eq!(api.body_snippet, "");
            assert_eq!(err.request_id(), Some(request_id));
        }
    }
}

#[tokio::test]
async fn non_json_error_bodies_keep_their_status_and_text() {
    let cases = [
        (
            401,
            "<html><body>401 Unauthorized</body></html>",
            "text/html",
        ),
        (404, "Not Found", "text/plain"),
        (400, "{\"message\": truncated", "application/json"),
        (403, "[\"an\", \"array\"]", "application/json"),
        (502, "<html>Bad Gateway</html>", "text/html"),
        (500, "", "text/plain"),
        (429, "slow down", "text/plain"),
    ];
    for (status, body, content_type) in cases {
        let server =
            answering(ResponseTemplate::new(status).set_body_raw(body, content_type)).await;
        for (request_id, err) in both_errors(&server).await {
            let api = err
                .api_error()
                .unwrap_or_else(|| panic!("{status} {body}: {err:?}"));
            assert_eq!(api.status.as_u16(), status);
            assert_eq!(api.envelope, None, "{body}");
            assert_eq!(api.body_snippet, body);
            assert_eq!(api.request_id, request_id);
            if !body.is_empty() {
                assert!(err.to_string().contains(body), "{err}");
            }
        }
    }
}

#[tokio::test]
async fn a_success_status_with_the_wrong_body_is_a_decode_error() {
    for body in [
        "",
        "not json",
        "{}",
        r#"{"status":"OK","code":200,"data":{"customer_account":42}}"#,
        "[]",
    ] {
        let server =
            answering(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        for (request_id, err) in both_errors(&server).await {
            match &err {
                Error::Decode {
                    status,
                    request_id: id,
                    body_snippet,
                    ..
                } => {
                    assert_eq!(*status, StatusCode::OK);
                    assert_eq!(*id, request_id);
                    assert_eq!(body_snippet, body);
                }
                other => panic!("{body}: expected Decode, got {other:?}"),
            }
            assert!(err.to_string().contains("cannot be decoded"), "{err}");
        }
    }
}

#[tokio::test]
async fn an_undocumented_success_status_is_a_decode_error() {
    let server =
        answering(ResponseTemplate::new(201).set_body_raw(VERIFY_BODY, "application/json")).await;
    for (_, err) in both_errors(&server).await {
        assert!(
            matches!(err, Error::Decode { status, .. } if status == StatusCode::CREATED),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_server_that_echoes_secrets_does_not_leak_them_into_errors() {
    let token = fresh_jwt("customer");
    let body = format!(r#"{{"message":"bad token {token} for app {APP_KEY}"}}"#);
    let server = answering(ResponseTemplate::new(401).set_body_raw(body, "application/json")).await;
    let client = client(&server, &token);
    let err = client.refresh().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&token), "{shown}");
    assert!(!shown.contains(APP_KEY), "{shown}");
    assert!(
        shown.contains("bad token <redacted> for app <redacted>"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_long_error_body_is_cut_in_the_error() {
    let body = "x".repeat(100_000);
    let server = answering(ResponseTemplate::new(500).set_body_raw(body, "text/plain")).await;
    for (_, err) in both_errors(&server).await {
        let snippet = &err.api_error().unwrap().body_snippet;
        assert!(snippet.len() <= 1024 + 3, "{}", snippet.len());
        assert!(err.to_string().len() < 2048);
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_an_error_not_an_allocation() {
    let server = answering(
        ResponseTemplate::new(200).set_body_raw("y".repeat(64 * 1024), "application/json"),
    )
    .await;
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .max_response_body_bytes(16 * 1024)
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 16384, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(StatusCode::OK));
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_with_the_request_id() {
    // A port kept bound without listening: every connection is refused, and no other process
    // can take the port meanwhile.
    let refusing = support::fault_server::FaultServer::refusing();
    let client = Client::builder()
        .base_url(refusing.base_url.clone())
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .build()
        .unwrap();
    let id = uuid::Uuid::new_v4();
    let err = client.with_request_id(id).refresh().await.unwrap_err();
    match &err {
        Error::Transport {
            kind, request_id, ..
        } => {
            assert_eq!(*kind, TransportErrorKind::Connect);
            assert_eq!(*request_id, id);
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(err.status(), None);
    let message = err.to_string();
    assert!(
        message.contains("cannot connect") && message.contains(&id.to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn a_slow_server_is_a_timeout() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_raw(VERIFY_BODY, "application/json")
            .set_delay(std::time::Duration::from_secs(5)),
    )
    .await;
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
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
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_application_key_stays_home() {
    let elsewhere =
        answering(ResponseTemplate::new(200).set_body_raw(REFRESH_BODY, "application/json")).await;
    let server = answering(ResponseTemplate::new(307).insert_header(
        "Location",
        format!("{}/api/customers/refresh", elsewhere.uri()),
    ))
    .await;
    let err = client(&server, &fresh_jwt("customer"))
        .refresh()
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(StatusCode::TEMPORARY_REDIRECT),
        "{err:?}"
    );
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing reached the other host"
    );
}

/// A raw server that streams `total` bytes of a 200 body in chunks, without `Content-Length`.
async fn chunked_server(total: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'z'; 4096];
                let mut sent = 0;
                while sent < total {
                    let frame = [
                        format!("{:x}\r\n", chunk.len()).into_bytes(),
                        chunk.clone(),
                        b"\r\n".to_vec(),
                    ]
                    .concat();
                    if socket.write_all(&frame).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}/api")
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_cut_off() {
    let base_url = chunked_server(10 * 1024 * 1024).await;
    let client = Client::builder()
        .base_url(base_url)
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
    // Under the limit, a chunked body is read whole (and here is not JSON).
    let client = Client::builder()
        .base_url(chunked_server(8192).await)
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn the_timeout_applies_to_a_caller_supplied_http_client() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_raw(VERIFY_BODY, "application/json")
            .set_delay(std::time::Duration::from_secs(5)),
    )
    .await;
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .http_client(reqwest::Client::new())
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
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
}

#[tokio::test]
async fn an_error_envelope_with_an_odd_field_keeps_its_message() {
    let body = r#"{"status":"ERROR","code":"400","message":"kept","errors":null}"#;
    let server = answering(ResponseTemplate::new(400).set_body_raw(body, "application/json")).await;
    for (_, err) in both_errors(&server).await {
        let api = err.api_error().unwrap();
        assert_eq!(api.message(), Some("kept"));
        assert_eq!(api.envelope.as_ref().unwrap().code, Some(400));
    }
}

/// A 404 says where to look: the ids of a path that has some, the base URL for one without (a
/// wrong base URL is the usual cause).
#[tokio::test]
async fn a_404_hint_fits_the_path() {
    let server = answering(ResponseTemplate::new(404)).await;
    let errors = both_errors(&server).await;
    let (verify, refresh) = (errors[0].1.to_string(), errors[1].1.to_string());
    assert!(verify.contains("check the ids in the path"), "{verify}");
    assert!(refresh.contains("check the base URL"), "{refresh}");
    assert!(!refresh.contains("ids in the path"), "{refresh}");
}
