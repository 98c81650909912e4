//! The fault-injection matrix: every fault of the raw TCP fault server x both operations. Each
//! case must end in a success or a typed error, never a panic, within a bounded time; the number
//! of attempts the server saw, and the request id of each attempt, are asserted.
//!
//! `cargo test -p menu-sdk --test sdk faults:: -- --nocapture` prints the matrix as a table per operation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::{Duration, Instant};

use menu_sdk::{Client, Error, RetryPolicy, TransportErrorKind};
use support::fault_server::{Fault, FaultServer};
use support::*;

/// The client of every case: short timeout, quick retries, no automatic refresh.
fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .timeout(Duration::from_millis(500))
        .auto_refresh(false)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

/// What a case must end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Success,
    Transport(Option<TransportErrorKind>),
    Api(u16),
    Decode,
    TooLarge,
}

fn outcome_of(result: &Result<(), Error>) -> Expect {
    match result {
        Ok(()) => Expect::Success,
        Err(Error::Transport { kind, .. }) => Expect::Transport(Some(*kind)),
        Err(Error::Api(api)) => Expect::Api(api.status.as_u16()),
        Err(Error::Decode { .. }) => Expect::Decode,
        Err(Error::ResponseTooLarge { .. }) => Expect::TooLarge,
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
}

fn matches(expected: Expect, actual: Expect) -> bool {
    match (expected, actual) {
        (Expect::Transport(None), Expect::Transport(_)) => true,
        _ => expected == actual,
    }
}

struct Case {
    name: &'static str,
    script: Option<Vec<Fault>>, // None: connection refused
    expect: Expect,
    attempts: usize,
}

fn cases() -> Vec<Case> {
    let stall = Duration::from_secs(3);
    let case = |name, script: Option<Vec<Fault>>, expect, attempts| Case {
        name,
        script,
        expect,
        attempts,
    };
    vec![
        case(
            "connection refused",
            None,
            Expect::Transport(Some(TransportErrorKind::Connect)),
            3,
        ),
        case(
            "reset before the response",
            Some(vec![Fault::ResetBeforeResponse]),
            Expect::Transport(None),
            1,
        ),
        case(
            "reset mid-body",
            Some(vec![Fault::ResetMidBody]),
            Expect::Transport(Some(TransportErrorKind::Body)),
            1,
        ),
        case(
            "body shorter than Content-Length",
            Some(vec![Fault::ShortBody]),
            Expect::Transport(Some(TransportErrorKind::Body)),
            1,
        ),
        case(
            "stall before headers",
            Some(vec![Fault::StallBeforeHeaders(stall)]),
            Expect::Transport(Some(TransportErrorKind::Timeout)),
            1,
        ),
        case(
            "stall mid-body",
            Some(vec![Fault::StallMidBody(stall)]),
            Expect::Transport(None),
            1,
        ),
        case(
            "invalid JSON (200)",
            Some(vec![Fault::InvalidJson]),
            Expect::Decode,
            1,
        ),
        // A gateway's 502 may come after the server acted: retried only for idempotent
        // operations, and neither of these is (verify is a POST; refresh rotates the token).
        case(
            "HTML 502 page",
            Some(vec![Fault::Html502]),
            Expect::Api(502),
            1,
        ),
        case("empty 200", Some(vec![Fault::Empty200]), Expect::Decode, 1),
        case(
            "JSON of the wrong shape (200)",
            Some(vec![Fault::WrongShape]),
            Expect::Decode,
            1,
        ),
        case(
            "10 MiB body",
            Some(vec![Fault::Huge(10 * 1024 * 1024)]),
            Expect::TooLarge,
            1,
        ),
        case(
            "429 Retry-After: 1, then 200",
            Some(vec![Fault::TooManyRequests("1".into()), Fault::Success]),
            Expect::Success,
            2,
        ),
        case(
            "429 Retry-After: <HTTP date>, then 200",
            Some(vec![Fault::TooManyRequests(String::new()), Fault::Success]),
            Expect::Success,
            2,
        ),
        case(
            "503, then 200",
            Some(vec![Fault::Unavailable, Fault::Success]),
            Expect::Success,
            2,
        ),
        case(
            "503 three times",
            Some(vec![Fault::Unavailable]),
            Expect::Api(503),
            3,
        ),
        case("500", Some(vec![Fault::ServerError]), Expect::Api(500), 1),
    ]
}

#[tokio::test]
async fn every_fault_on_verify_phone_number_update() {
    every_fault("verify_phone_number_update").await;
}

#[tokio::test]
async fn every_fault_on_refresh() {
    every_fault("refresh").await;
}

/// Every case on `operation`, one after the other (a case's timeouts are its own), printed as a
/// table. The two operations are two tests, which the test harness runs side by side.
async fn every_fault(operation: &'static str) {
    let mut rows = vec![
        "| fault | operation | outcome | attempts | request ids | time |".to_owned(),
        "| --- | --- | --- | --- | --- | --- |".to_owned(),
    ];
    for case in cases() {
        let mut script = case.script.clone();
        if let Some(faults) = script.as_mut() {
            for fault in faults.iter_mut() {
                if let Fault::TooManyRequests(value) = fault
                    && value.is_empty()
                {
                    // An HTTP date one to two seconds ahead (the format has whole seconds).
                    *value = httpdate::fmt_http_date(
                        std::time::SystemTime::now() + Duration::from_secs(2),
                    );
                }
            }
        }
        let server = match script {
            Some(script) => FaultServer::start(script).await,
            None => FaultServer::refusing(),
        };
        let client = client(&server.base_url);
        let request_id = uuid::Uuid::new_v4();
        let started = Instant::now();
        let call = async {
            match operation {
                "refresh" => client
                    .with_request_id(request_id)
                    .refresh()
                    .await
                    .map(|_| ()),
                _ => client
                    .with_request_id(request_id)
                    .verify_phone_number_update(customer_id(), "164138")
                    .await
                    .map(|_| ()),
            }
        };
        let result = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .unwrap_or_else(|_| panic!("{} x {operation}: not finished within 10 s", case.name));
        let elapsed = started.elapsed();
        let outcome = outcome_of(&result);
        assert!(
            matches(case.expect, outcome),
            "{} x {operation}: expected {:?}, got {result:?}",
            case.name,
            case.expect
        );
        if let Err(error) = &result {
            assert_eq!(
                error.request_id(),
                Some(request_id),
                "{}: the error names the call's id",
                case.name
            );
        }

        // Attempts: what the server saw (a refused connection reaches no server: the error
        // counts them), every one with the call's request id.
        let seen = server.attempts();
        let attempts = match &result {
            Err(Error::Transport {
                attempts,
                kind: TransportErrorKind::Connect,
                ..
            }) => *attempts as usize,
            _ => seen.len(),
        };
        assert_eq!(
            attempts, case.attempts,
            "{} x {operation}: attempts",
            case.name
        );
        let counted = match &result {
            Err(Error::Transport { attempts, .. }) => Some(*attempts),
            Err(Error::Api(api)) => Some(api.attempts),
            _ => None,
        };
        if let Some(counted) = counted {
            assert_eq!(
                counted as usize, case.attempts,
                "{}: the error counts the attempts",
                case.name
            );
        }
        for attempt in &seen {
            assert_eq!(
                attempt.request_id.as_deref(),
                Some(request_id.to_string().as_str()),
                "{}",
                case.name
            );
            assert!(
                attempt.path.starts_with("/api/customers/"),
                "{}",
                attempt.path
            );
        }
        if case.name.starts_with("429") {
            let wait = seen[1].at - seen[0].at;
            assert!(
                wait >= Duration::from_millis(900),
                "{}: Retry-After honoured, waited {wait:?}",
                case.name
            );
        }
        let ids = if seen.is_empty() {
            "(no server)".to_owned()
        } else {
            format!("{} x same id", seen.len())
        };
        rows.push(format!(
            "| {} | {operation} | {} | {attempts} | {ids} | {} ms |",
            case.name,
            describe(outcome),
            elapsed.as_millis()
        ));
    }
    println!("\n{}\n", rows.join("\n"));
}

fn describe(outcome: Expect) -> String {
    match outcome {
        Expect::Success => "success".into(),
        Expect::Transport(Some(kind)) => format!("Error::Transport ({kind:?})"),
        Expect::Transport(None) => "Error::Transport".into(),
        Expect::Api(status) => format!("Error::Api ({status})"),
        Expect::Decode => "Error::Decode".into(),
        Expect::TooLarge => "Error::ResponseTooLarge".into(),
    }
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = FaultServer::start(vec![Fault::Unavailable, Fault::Success]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.refresh().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.attempts().len(), 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let server =
        FaultServer::start(vec![Fault::TooManyRequests("3600".into()), Fault::Success]).await;
    let started = Instant::now();
    let err = client(&server.base_url).refresh().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(server.attempts().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_total_time_bound_stops_retries() {
    let server = FaultServer::start(vec![Fault::Unavailable]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(100)
                .initial_backoff(Duration::from_millis(100))
                .max_backoff(Duration::from_millis(100))
                .max_elapsed(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.refresh().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    let attempts = server.attempts().len();
    assert!((3..=12).contains(&attempts), "{attempts}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_discarded_oversized_retry_body_does_not_relabel_the_final_error() {
    let server = FaultServer::start(vec![
        Fault::HugeUnavailable(4 * 1024 * 1024),
        Fault::ResetBeforeResponse,
    ])
    .await;
    let err = client(&server.base_url).refresh().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 2, .. }),
        "{err:?}"
    );
}
