//! The one order of checks every request goes through, whatever its operation, then the
//! operation's own action (`actions.rs`: its stateful handler, or the documented example). The
//! checks are those the real API makes, read from the spec (the operation table); the first
//! problem answers (before them, a state that could be neither saved nor restored answers 500):
//! 1. the header parameters every operation of the API declares (the managed headers,
//!    `X-Request-ID`, `Application`, `API-Version`, `X-QB-Enabled`) -> 400, or 401 for an unknown
//!    application;
//! 2. the bearer token, when the operation takes one (`security`): present (if required) and
//!    shaped as a JWT, ours, not expired (the rotating operation, `x-token: rotates`, takes an
//!    expired one inside its refresh window), not invalidated, its customer still there -> 401
//!    (authentication comes before the rest, as on the real API);
//! 3. the path parameters' formats (a canonical UUID, an integer, one of an enum's values) -> 400;
//! 4. the query and header parameters: the required ones present, each of its format -> 400;
//! 5. the body: present if required, JSON, within the size limit, valid against its schema
//!    (decoded into the generated type; an object body must be an object) -> 400;
//! 6. the customer the path names (its parameter marked `x-customer`): unknown -> 404; not the
//!    token's customer -> 403;
//! 7. the operation's action.
//!
//! Each step is a stateless contract check (`contract.rs`: the shape of the request, from the
//! operation table alone) or a stateful one (`checks.rs`: what the mock knows).

use axum::extract::Request;
use axum::http::header;
use menu_client::operation::Operation;
use uuid::Uuid;

use crate::reply::Failure;
use crate::state::MockState;
use crate::tokens::TokenSubject;
use crate::{checks, contract};

/// What the checks found: the request, ready for its action.
pub(crate) struct Checked {
    /// The customer the token names (when the operation took one).
    pub(crate) subject: Option<TokenSubject>,
    /// The bearer token itself.
    pub(crate) bearer: Option<String>,
    /// The customer the path names, checked against the token.
    pub(crate) customer: Option<Uuid>,
    /// The body, as JSON (checked against its schema).
    pub(crate) body: Option<serde_json::Value>,
}

/// Checks `request` for `operation` (see the module documentation): what its action needs, or
/// the first problem.
pub(crate) async fn check(
    state: &MockState,
    operation: &'static Operation,
    request: Request,
) -> Result<Checked, Failure> {
    checks::state_usable(state)?;
    let (mut parts, body) = request.into_parts();
    let application = contract::managed_headers(&parts.headers)?;
    checks::known_application(state, application)?;
    let (subject, bearer) = if operation.auth.requires_token()
        || (operation.auth.takes_token() && parts.headers.contains_key(header::AUTHORIZATION))
    {
        let jwt = contract::bearer_token(&parts.headers)?;
        let subject = checks::authenticate(state, jwt, operation.token.refreshes())?;
        (Some(subject), Some(jwt.to_owned()))
    } else {
        (None, None)
    };
    let path = contract::parameters(operation, &mut parts).await?;
    let body = match &operation.body {
        Some(schema) => contract::body(&parts.headers, body, schema).await?,
        None => None,
    };
    let customer = operation
        .customer_param()
        .and_then(|param| path.get(param.name))
        // Its kind was checked above, with the other parameters (the spec makes it a UUID).
        .and_then(|id| id.parse().ok());
    if let (Some(subject), Some(customer)) = (&subject, customer) {
        checks::customer_matches(state, subject.customer_id, customer)?;
    }
    Ok(Checked {
        subject,
        bearer,
        customer,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use menu_client::operation::{Auth, Body, Field, Kind, Location, Param, TokenEffect};
    use serde_json::{Value, json};

    use crate::MockServer;
    use crate::state::{DRAGOS, IVAN};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Thing {
        quantity: i64,
    }

    const EXAMPLE: &str = r#"{"status":"OK","code":200,"data":{"quantity":2}}"#;

    /// Operations of the kind the spec may gain, with every kind of check.
    static OPERATIONS: &[&Operation] = &[
        &Operation {
            id: "update_thing",
            tag: None,
            method: "PUT",
            path: "/customers/{customer_id}/things/{thing_id}",
            auth: Auth::Customer,
            token: TokenEffect::None,
            idempotent: true,
            success_status: 200,
            summary: "",
            description: "",
            params: &[
                Param {
                    name: "customer_id",
                    location: Location::Path,
                    required: true,
                    kind: Kind::Uuid,
                    description: "",
                    customer: true,
                    secret: false,
                },
                Param {
                    name: "thing_id",
                    location: Location::Path,
                    required: true,
                    kind: Kind::Integer {
                        minimum: 1,
                        maximum: 2_147_483_647,
                    },
                    description: "",
                    customer: false,
                    secret: false,
                },
                Param {
                    name: "sort",
                    location: Location::Query,
                    required: true,
                    kind: Kind::Enum(&["asc", "desc"]),
                    description: "",
                    customer: false,
                    secret: false,
                },
                Param {
                    name: "page",
                    location: Location::Query,
                    required: false,
                    kind: Kind::Integer {
                        minimum: 1,
                        maximum: 2_147_483_647,
                    },
                    description: "",
                    customer: false,
                    secret: false,
                },
            ],
            body: Some(Body {
                object: true,
                required: true,
                fields: &[Field {
                    name: "quantity",
                    kind: Kind::Integer {
                        minimum: 1,
                        maximum: 2_147_483_647,
                    },
                    required: true,
                    description: "",
                    one_time_code: false,
                }],
                example: None,
                // As the generated checks do.
                check: |bytes| {
                    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
                    if !value.is_object() {
                        return Err("expected a JSON object".to_owned());
                    }
                    serde_json::from_value::<Thing>(value)
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
            }),
            example: Some(EXAMPLE),
            confirm: None,
            unwraps: None,
        },
        &Operation {
            id: "ping",
            tag: None,
            method: "DELETE",
            path: "/ping",
            auth: Auth::None,
            token: TokenEffect::None,
            idempotent: true,
            success_status: 204,
            summary: "",
            description: "",
            params: &[],
            body: None,
            example: None,
            confirm: None,
            unwraps: None,
        },
        &Operation {
            id: "undocumented",
            tag: None,
            method: "GET",
            path: "/ping",
            auth: Auth::None,
            token: TokenEffect::None,
            idempotent: true,
            success_status: 200,
            summary: "",
            description: "",
            params: &[],
            body: None,
            example: None,
            confirm: None,
            unwraps: None,
        },
    ];

    async fn server() -> MockServer {
        MockServer::bind_operations(
            "127.0.0.1:0".parse().unwrap(),
            MockState::seeded(),
            OPERATIONS,
        )
        .await
        .unwrap()
    }

    /// A request with every header parameter and the token of `customer` (if any).
    fn request(
        server: &MockServer,
        method: &str,
        path: &str,
        customer: Option<Uuid>,
    ) -> reqwest::RequestBuilder {
        let mut request = reqwest::Client::new()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", server.base_url()),
            )
            .header("X-Request-ID", Uuid::new_v4().to_string())
            .header("Application", server.application_key())
            .header("API-Version", "5.0.0")
            .header("X-QB-Enabled", "true");
        if let Some(customer) = customer {
            let token = server.state().issue_token(customer).unwrap();
            request = request.bearer_auth(token.value());
        }
        request
    }

    async fn answer(request: reqwest::RequestBuilder) -> (u16, String) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let json = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t == "application/json");
        let body = response.text().await.unwrap();
        assert!(json || body.is_empty(), "not JSON: {body}");
        (status, body)
    }

    fn message(body: &str) -> String {
        let value: Value = serde_json::from_str(body).unwrap();
        value["message"].as_str().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn a_valid_call_gets_the_documented_example() {
        let server = server().await;
        let path = format!("/customers/{DRAGOS}/things/7?sort=asc&page=2");
        let (status, body) =
            answer(request(&server, "PUT", &path, Some(DRAGOS)).json(&json!({"quantity": 2})))
                .await;
        assert_eq!((status, body.as_str()), (200, EXAMPLE));
        assert_eq!(server.state().requests("update_thing"), 1);
    }

    #[tokio::test]
    async fn every_check_answers_the_documented_error() {
        let server = server().await;
        let thing = |query: &str| format!("/customers/{DRAGOS}/things/7{query}");
        let body = json!({"quantity": 2});
        let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
            (
                reqwest::Client::new()
                    .put(format!("{}{}", server.base_url(), thing("?sort=asc")))
                    .header("X-Request-ID", Uuid::new_v4().to_string())
                    .header("Application", "unknown")
                    .header("API-Version", "5.0.0")
                    .header("X-QB-Enabled", "true")
                    .json(&body),
                401,
                "Unknown application",
            ),
            (
                // Authentication before the parameters: no token and a bad query is a 401.
                request(&server, "PUT", &thing("?sort=up"), None).json(&body),
                401,
                "Token not provided",
            ),
            (
                request(
                    &server,
                    "PUT",
                    "/customers/x/things/7?sort=asc",
                    Some(DRAGOS),
                )
                .json(&body),
                400,
                "customer_id parameter must be a UUID",
            ),
            (
                request(
                    &server,
                    "PUT",
                    &format!("/customers/{DRAGOS}/things/seven?sort=asc"),
                    Some(DRAGOS),
                )
                .json(&body),
                400,
                "thing_id parameter must be an integer",
            ),
            (
                request(&server, "PUT", &thing(""), Some(DRAGOS)).json(&body),
                400,
                "sort parameter is required",
            ),
            (
                request(&server, "PUT", &thing("?sort=up"), Some(DRAGOS)).json(&body),
                400,
                "`asc` or `desc`",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc&page=x"), Some(DRAGOS)).json(&body),
                400,
                "page parameter must be an integer from 1 to 2147483647",
            ),
            (
                request(
                    &server,
                    "PUT",
                    &thing("?sort=asc&page=2147483648"),
                    Some(DRAGOS),
                )
                .json(&body),
                400,
                "page parameter must be an integer from 1",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), None).json(&body),
                401,
                "Token not provided",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), None)
                    .bearer_auth("not.a.token")
                    .json(&body),
                401,
                "",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS))
                    .json(&json!({"quantity": "two"})),
                400,
                "The quantity field must be an integer from 1",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS)).json(&json!({})),
                400,
                "The quantity field is required",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS))
                    .header("content-type", "application/json")
                    .body("{\"quantity\":"),
                400,
                "The request body is not valid JSON",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS)).body("quantity=2"),
                400,
                "Content-Type: application/json",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS))
                    .header("content-type", "application/json")
                    .body(vec![b' '; crate::MAX_REQUEST_BODY_BYTES + 1]),
                400,
                "larger than",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS)),
                400,
                "body is required",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(DRAGOS)).json(&json!([2])),
                400,
                "expected a JSON object",
            ),
            (
                request(&server, "PUT", &thing("?sort=asc"), Some(IVAN)).json(&body),
                403,
                "does not belong",
            ),
        ];
        for (number, (request, status, expected)) in cases.into_iter().enumerate() {
            let (got, body) = answer(request).await;
            assert_eq!(got, status, "case {number}: {body}");
            assert!(message(&body).contains(expected), "case {number}: {body}");
        }
        // An unknown customer.
        let unknown = Uuid::new_v4();
        let state_token = server.state().issue_token(DRAGOS).unwrap();
        let (status, body) = answer(
            request(
                &server,
                "PUT",
                &format!("/customers/{unknown}/things/7?sort=asc"),
                None,
            )
            .bearer_auth(state_token.value())
            .json(&body),
        )
        .await;
        assert_eq!(status, 404, "{body}");
    }

    #[tokio::test]
    async fn operations_without_a_token_or_an_example() {
        let server = server().await;
        assert_eq!(
            answer(request(&server, "DELETE", "/ping", None)).await,
            (204, String::new())
        );
        let (status, body) = answer(request(&server, "GET", "/ping", None)).await;
        assert_eq!(status, 501, "{body}");
        assert!(message(&body).contains("no example"), "{body}");
        let (status, body) = answer(request(&server, "POST", "/ping", None)).await;
        assert_eq!(status, 405, "{body}");
        assert!(message(&body).contains("use DELETE, GET"), "{body}");
    }
}
