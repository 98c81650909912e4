//! Written into the copy of the workspace by `cargo xtask proof` (`xtask/src/proof.rs`), after
//! the operations of `xtask/tests/proof/*.yaml` were added to the spec and `cargo xtask generate`
//! ran, with no other edit: the caller's code, calling them through `menu_sdk::Client` against a
//! loopback server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The shared pieces of menu-sdk's own integration tests.
#[path = "sdk/support/mod.rs"]
mod support;

use menu_sdk::menu_client::types::{GetVenueSort, MarketingPreferences, VenueSearch};
use menu_sdk::{Client, Error};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const VENUE_ID: &str = "9d1c5a4e-0f6b-4c3e-9a47-3f2e8d7b6a51";
const VENUE_BODY: &str = r#"{"status":"OK","code":200,"data":{"venue":{"id":"9d1c5a4e-0f6b-4c3e-9a47-3f2e8d7b6a51","name":"Menu Bistro"}}}"#;

/// `route` answers `status` once, then `ok`.
async fn flaky(server: &MockServer, verb: &str, route: &str, status: u16, ok: &str) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(ResponseTemplate::new(status).set_body_raw("busy", "text/plain"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ok.to_owned(), "application/json"))
        .with_priority(2)
        .mount(server)
        .await;
}

/// Every header exactly once, with the client's values.
fn assert_headers(request: &wiremock::Request, authorization: Option<&str>) {
    for (name, expected) in [
        ("application", Some(APP_KEY)),
        ("api-version", Some("5.0.0")),
        ("x-qb-enabled", Some("true")),
        ("accept", Some("application/json")),
        ("content-type", Some("application/json")),
        ("user-agent", None),
        ("x-request-id", None),
    ] {
        let values = header_values(request, name);
        assert_eq!(
            values.len(),
            1,
            "{} {}: {name} = {values:?}",
            request.method,
            request.url
        );
        if let Some(expected) = expected {
            assert_eq!(values[0], expected, "{name}");
        }
    }
    let sent: Vec<String> = header_values(request, "authorization");
    assert_eq!(
        sent,
        authorization
            .map(|a| vec![a.to_owned()])
            .unwrap_or_default()
    );
}

#[tokio::test]
async fn a_new_customer_operation_gets_the_whole_sdk() {
    let server = MockServer::start().await;
    let route = format!("/api/customers/{CUSTOMER_ID}/marketing-preferences");
    let updated = VERIFY_BODY.replace("\"optin_status_email\": 3", "\"optin_status_email\": 2");
    assert_ne!(updated, VERIFY_BODY);
    flaky(&server, "PUT", &route, 503, &updated).await;
    let new = fresh_jwt("new");
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(refresh_body_with(&new), "application/json"),
        )
        .mount(&server)
        .await;
    // The token expired ten seconds ago: it is refreshed before it is used.
    let old = jwt("old", chrono::Utc::now().timestamp() - 10);
    let client = client(&server, &old);
    let request_id = uuid::Uuid::new_v4();
    let response = client
        .update_marketing_preferences(
            customer_id(),
            MarketingPreferences {
                optin_status_email: 2,
            },
        )
        .request_id(request_id)
        .await
        .unwrap();
    // The payload rule holds for a grown operation: the account itself.
    assert_eq!(response.optin_status_email, 2);

    let requests = server.received_requests().await.unwrap();
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_owned()))
        .collect();
    assert_eq!(
        summary,
        [
            ("GET".to_owned(), "/api/customers/refresh".to_owned()),
            ("PUT".to_owned(), route.clone()),
            ("PUT".to_owned(), route.clone()),
        ],
        "a refresh first, then the call, retried once after the 503"
    );
    assert_headers(&requests[0], Some(&format!("Bearer {old}")));
    for put in &requests[1..] {
        assert_headers(put, Some(&format!("Bearer {new}")));
        assert_eq!(header_values(put, "x-request-id"), [request_id.to_string()]);
        assert_eq!(
            std::str::from_utf8(&put.body).unwrap(),
            r#"{"optin_status_email":2}"#
        );
    }

    // A typed error that carries the call's request id.
    let missing = uuid::Uuid::new_v4();
    Mock::given(method("PUT"))
        .and(path(format!(
            "/api/customers/{missing}/marketing-preferences"
        )))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"{"status":"ERROR","code":404,"message":"Customer not found."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let request_id = uuid::Uuid::new_v4();
    let err = client
        .with_request_id(request_id)
        .update_marketing_preferences(
            missing,
            MarketingPreferences {
                optin_status_email: 1,
            },
        )
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (
            api.operation,
            api.status.as_u16(),
            api.request_id,
            api.message()
        ),
        (
            "update_marketing_preferences",
            404,
            request_id,
            Some("Customer not found.")
        )
    );
    assert!(err.to_string().contains(&request_id.to_string()), "{err}");

    // Without a token, nothing is sent.
    client.clear_token();
    let before = server.received_requests().await.unwrap().len();
    let err = client
        .update_marketing_preferences(
            customer_id(),
            MarketingPreferences {
                optin_status_email: 1,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingToken {
                operation: "update_marketing_preferences"
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn a_new_operation_without_a_token_gets_the_whole_sdk() {
    let server = MockServer::start().await;
    let route = format!("/api/venues/{VENUE_ID}");
    flaky(&server, "GET", &route, 503, VENUE_BODY).await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    // An expired customer token is neither sent nor refreshed for this operation.
    let client = client(&server, &jwt("old", chrono::Utc::now().timestamp() - 10));
    let request_id = uuid::Uuid::new_v4();
    let response = client
        .with_request_id(request_id)
        .get_venue(VENUE_ID.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.name, "Menu Bistro", "the venue itself");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "no refresh; the 503 retried once");
    for request in &requests {
        assert_eq!(request.url.path(), route);
        assert_headers(request, None);
        assert_eq!(
            header_values(request, "x-request-id"),
            [request_id.to_string()]
        );
    }

    // Optional parameters are setters; they go out as the query.
    client
        .get_venue(VENUE_ID.parse().unwrap())
        .include("menu")
        .page(2)
        .sort(GetVenueSort::Desc)
        .await
        .unwrap();
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(last.url.query(), Some("include=menu&page=2&sort=desc"));
    assert_headers(&last, None);

    // The generated low-level client sends no token to it either.
    let generated = client.generated().unwrap();
    generated
        .get_venue(&VENUE_ID.parse().unwrap(), None, None, None)
        .await
        .unwrap();
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert!(header_values(&last, "authorization").is_empty());

    // A client with no token at all calls it too; a typed error carries the request id.
    let anonymous = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .build()
        .unwrap();
    let unknown = uuid::Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("/api/venues/{unknown}")))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"{"status":"ERROR","code":404,"message":"Venue not found."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let request_id = uuid::Uuid::new_v4();
    let err = anonymous
        .get_venue(unknown)
        .request_id(request_id)
        .await
        .unwrap_err();
    assert_eq!(err.request_id(), Some(request_id));
    let api = err.api_error().unwrap();
    assert_eq!((api.operation, api.status.as_u16()), ("get_venue", 404));
    assert_eq!(api.message(), Some("Venue not found."));
}

#[tokio::test]
async fn a_new_operation_with_an_array_body_field_and_no_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/venues/search"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"OK","code":200,"data":{"venues":[{"id":"9d1c5a4e-0f6b-4c3e-9a47-3f2e8d7b6a51","name":"Menu Bistro"}]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client(&server, &fresh_jwt("customer"));
    let found = client
        .search_venues(VenueSearch {
            country_codes: vec!["RO".into(), "RS".into()],
            name: None,
        })
        .await
        .unwrap();
    assert_eq!(found.venues[0].name, "Menu Bistro");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_headers(&requests[0], None);
    assert_eq!(
        std::str::from_utf8(&requests[0].body).unwrap(),
        r#"{"country_codes":["RO","RS"]}"#
    );
}

#[tokio::test]
async fn a_new_operation_with_a_text_path_parameter_and_no_content() {
    let server = MockServer::start().await;
    // A gateway's 502 first: retried, because a DELETE is idempotent.
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client(&server, &fresh_jwt("customer"));
    let () = client
        .remove_favourite(customer_id(), "café key/1")
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "the 502 retried once");
    for request in &requests {
        assert_eq!(
            request.url.path(),
            format!("/api/customers/{CUSTOMER_ID}/favourites/caf%C3%A9%20key%2F1")
        );
        assert_headers(
            request,
            Some(&format!("Bearer {}", client.token().unwrap().value())),
        );
    }
    assert_eq!(
        header_values(&requests[0], "x-request-id"),
        header_values(&requests[1], "x-request-id")
    );
}

const SIGN_IN_TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9vZiJ9.c2lnbmF0dXJl";

#[tokio::test]
async fn an_unmarked_operation_that_answers_a_session_leaves_the_token_alone() {
    let server = MockServer::start().await;
    let body = REFRESH_BODY.replace(REFERENCE_JWT, SIGN_IN_TOKEN);
    Mock::given(method("POST"))
        .and(path("/api/customers/sign-in"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let old = fresh_jwt("old");
    let hooked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hooked.clone();
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&old)
        .on_token_refresh(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let session = client
        .sign_in(menu_sdk::types::SignInRequest {
            email: "ivan.djordjevic@partech.com".into(),
            // A grown one-time code field (`x-one-time-code`): a `Code`, from a string.
            code: "307242".into(),
        })
        .await
        .unwrap();
    assert_eq!(session.token.value(), SIGN_IN_TOKEN);
    // Sent as its schema says: an integer.
    let sent = server.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(
        std::str::from_utf8(&sent.body).unwrap(),
        r#"{"code":307242,"email":"ivan.djordjevic@partech.com"}"#
    );
    assert_eq!(
        client.token().unwrap().value(),
        old,
        "no `x-token` mark: not adopted"
    );
    assert_eq!(hooked.load(std::sync::atomic::Ordering::SeqCst), 0);
}
