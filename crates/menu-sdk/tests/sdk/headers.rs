//! Every header rule of the SDK, checked on requests received by a real loopback server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashSet;

use menu_sdk::{Client, Error};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/customers/{CUSTOMER_ID}/verify-phone-number-update"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VERIFY_BODY, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/customers/refresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(refresh_body_with(&fresh_jwt("new")), "application/json"),
        )
        .mount(&server)
        .await;
    server
}

/// Sends one call of each operation and returns the two received requests.
async fn both_operations(client: &Client, server: &MockServer) -> Vec<wiremock::Request> {
    client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    client.refresh().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    requests
}

#[tokio::test]
async fn every_request_carries_exactly_one_of_each_header() {
    let server = server().await;
    let token = fresh_jwt("customer");
    let client = client(&server, &token);
    for request in both_operations(&client, &server).await {
        let one = |name: &str| {
            let values = header_values(&request, name);
            assert_eq!(
                values.len(),
                1,
                "{} {}: {name} = {values:?}",
                request.method,
                request.url
            );
            values.into_iter().next().unwrap()
        };
        let request_id: uuid::Uuid = one("x-request-id").parse().unwrap();
        assert_eq!(request_id.get_version_num(), 4);
        assert_eq!(one("application"), APP_KEY);
        assert_eq!(one("accept"), "application/json");
        assert_eq!(one("api-version"), "5.0.0");
        assert_eq!(one("x-qb-enabled"), "true");
        assert_eq!(one("content-type"), "application/json");
        assert!(one("user-agent").starts_with("menu-sdk-rust/"));
        // The refresh is the first call: both still carry the original token.
        assert_eq!(one("authorization"), format!("Bearer {token}"));
    }
}

#[tokio::test]
async fn verify_body_is_exactly_the_confirmation_code() {
    let server = server().await;
    let client = client(&server, &fresh_jwt("customer"));
    let account = client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    assert_eq!(account.first_name, "Dragos");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.url.path(),
        format!("/api/customers/{CUSTOMER_ID}/verify-phone-number-update")
    );
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        r#"{"confirmation_code":"164138"}"#
    );
    // A code with characters that need escaping is still exactly one JSON string.
    client
        .verify_phone_number_update(customer_id(), "16\"41\\38")
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[1];
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        r#"{"confirmation_code":"16\"41\\38"}"#
    );
}

#[tokio::test]
async fn a_fresh_request_id_per_call_unless_the_caller_sets_one() {
    let server = server().await;
    let client = client(&server, &fresh_jwt("customer"));
    for _ in 0..5 {
        client
            .verify_phone_number_update(customer_id(), "1")
            .await
            .unwrap();
    }
    let chosen = uuid::Uuid::new_v4();
    client
        .with_request_id(chosen)
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    let chosen_too = uuid::Uuid::new_v4();
    client
        .call()
        .request_id(chosen_too)
        .refresh()
        .await
        .unwrap();

    let ids: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| header_values(r, "x-request-id").remove(0))
        .collect();
    assert_eq!(ids.len(), 7);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        7,
        "all distinct: {ids:?}"
    );
    assert_eq!(ids[5], chosen.to_string());
    assert_eq!(ids[6], chosen_too.to_string());
}

#[tokio::test]
async fn configured_header_values_are_sent() {
    let server = server().await;
    let client = Client::builder()
        .base_url(format!("{}/api/", server.uri()))
        .application_key("another-app-key")
        .token(fresh_jwt("customer"))
        .api_version("4.38.0")
        .query_builder(false)
        .user_agent("my-app/1.2")
        .build()
        .unwrap();
    for request in both_operations(&client, &server).await {
        assert_eq!(header_values(&request, "application"), ["another-app-key"]);
        assert_eq!(header_values(&request, "api-version"), ["4.38.0"]);
        assert_eq!(header_values(&request, "x-qb-enabled"), ["false"]);
        assert_eq!(header_values(&request, "user-agent"), ["my-app/1.2"]);
    }
}

#[tokio::test]
async fn a_caller_supplied_http_client_gets_the_sdk_user_agent_or_the_chosen_one() {
    let server = server().await;
    let builder = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
        .http_client(
            reqwest::Client::builder()
                .user_agent("theirs/1")
                .build()
                .unwrap(),
        );
    let agent =
        |requests: Vec<wiremock::Request>| header_values(requests.last().unwrap(), "user-agent");
    builder
        .clone()
        .build()
        .unwrap()
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    let sent = agent(server.received_requests().await.unwrap());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with("menu-sdk-rust/"), "{sent:?}");
    builder
        .user_agent("mine/2")
        .build()
        .unwrap()
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    assert_eq!(agent(server.received_requests().await.unwrap()), ["mine/2"]);
}

#[tokio::test]
async fn a_customer_call_without_a_token_fails_before_anything_is_sent() {
    let server = server().await;
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .build()
        .unwrap();
    let err = client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingToken {
                operation: "verify_phone_number_update"
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("set_token"), "{err}");
    assert_eq!(err.request_id(), None);
    let err = client.refresh().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingToken {
                operation: "refresh"
            }
        ),
        "{err:?}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );

    // After set_token the same client works; after clear_token it fails again.
    client.set_token(fresh_jwt("customer")).unwrap();
    client
        .verify_phone_number_update(customer_id(), "1")
        .await
        .unwrap();
    client.clear_token();
    assert!(matches!(
        client.refresh().await,
        Err(Error::MissingToken { .. })
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn set_token_rejects_a_header_injection_and_keeps_the_old_token() {
    let server = server().await;
    let token = fresh_jwt("customer");
    let client = client(&server, &token);
    let err = client.set_token("abc\r\nX-Evil: 1").unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }));
    assert!(!err.to_string().contains("X-Evil"));
    assert_eq!(client.token().unwrap().value(), token);
}

#[tokio::test]
async fn the_generated_client_is_reachable_and_shares_the_configuration() {
    let server = server().await;
    let token = fresh_jwt("customer");
    let client = client(&server, &token);
    let generated = client.generated().unwrap();
    let session = generated.refresh().await.unwrap().into_inner();
    assert_eq!(session.data.customer_account.first_name, "Ivan");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        header_values(request, "authorization"),
        [format!("Bearer {token}")]
    );
    assert_eq!(header_values(request, "content-type"), ["application/json"]);
    assert_eq!(header_values(request, "api-version"), ["5.0.0"]);
    assert_eq!(header_values(request, "application"), [APP_KEY]);
    assert_eq!(header_values(request, "x-qb-enabled"), ["true"]);
    let request_id: uuid::Uuid = header_values(request, "x-request-id")[0].parse().unwrap();
    assert_eq!(request_id.get_version_num(), 4);
}

#[test]
fn client_is_send_sync_clone_and_debug() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    assert_traits::<Client>();
    assert_traits::<menu_sdk::ClientBuilder>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
}

/// A header set with `ClientBuilder::header` reaches the wire through every door a request can
/// leave by: a typed method, a hand-written convenience, `send_json`, `prepare_json`,
/// `Client::generated`, and the rotation, explicit and automatic.
#[tokio::test]
async fn an_extra_header_goes_out_through_every_door() {
    use menu_sdk::JsonCall;
    use menu_sdk::menu_client::operations::CHECK_EMAIL;
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/customers/check-email"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(CHECK_EMAIL.example.unwrap(), "application/json"),
        )
        .mount(&server)
        .await;
    // A token inside the refresh margin: the next customer call rotates it first.
    let expiring = jwt("customer", chrono::Utc::now().timestamp() + 10);
    let client = Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(&expiring)
        .header("X-Extra", "yes")
        .build()
        .unwrap();
    let body = menu_sdk::types::EmailRequest {
        email: "dragos@example.com".into(),
    };
    let mut doors: Vec<(&str, usize)> = Vec::new();
    let mut sent = 0;
    let mut door = async |name, server: &MockServer| {
        let now = server.received_requests().await.unwrap().len();
        doors.push((name, now - sent));
        sent = now;
    };
    // The automatic rotation, then the convenience itself.
    client
        .verify_phone_number_update(customer_id(), "164138")
        .await
        .unwrap();
    door("automatic rotation and a convenience", &server).await;
    client.check_email(body.clone()).await.unwrap();
    door("a typed method", &server).await;
    let json = JsonCall {
        body: Some(serde_json::to_value(&body).unwrap()),
        ..JsonCall::default()
    };
    client.send_json("check_email", json.clone()).await.unwrap();
    door("send_json", &server).await;
    client.refresh().await.unwrap();
    door("the explicit rotation", &server).await;
    client.generated().unwrap().refresh().await.unwrap();
    door("Client::generated", &server).await;
    assert_eq!(
        doors,
        [
            ("automatic rotation and a convenience", 2),
            ("a typed method", 1),
            ("send_json", 1),
            ("the explicit rotation", 1),
            ("Client::generated", 1),
        ]
    );
    for request in server.received_requests().await.unwrap() {
        assert_eq!(
            header_values(&request, "x-extra"),
            ["yes"],
            "{} {}",
            request.method,
            request.url.path()
        );
    }
    let prepared = client
        .call()
        .prepare_json("check_email", &json)
        .await
        .unwrap();
    assert_eq!(prepared.headers()["x-extra"], "yes", "prepare_json");
}
