//! Shared pieces of the menu-sdk integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod fault_server;

use base64::Engine as _;
use menu_sdk::Client;
use wiremock::MockServer;

/// The reference pages' response bodies, verbatim (kept once, as the mock's seed data).
pub const VERIFY_BODY: &str =
    include_str!("../../../../menu-mock/seed/verify-phone-number-update.json");
pub const REFRESH_BODY: &str = include_str!("../../../../menu-mock/seed/refresh.json");
/// The JWT of the refresh reference page.
pub const REFERENCE_JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vbWVudS1jb3JlLm1lbnU6ODA4NC9hcGkvY3VzdG9tZXJzL3NvY2lhbC1zaWduLXVwIiwiaWF0IjoxNjgxMzA0Nzc0LCJleHAiOjE2ODEzOTExNzQsIm5iZiI6MTY4MTMwNDc3NCwianRpIjoiUDJtVm91em94ZzZiQVpFbSIsInN1YiI6IjUwODc3MTciLCJwcnYiOiJjYzMyOTIxYTE1NDgwYTExN2Q5YmJjNzJjMGUxMjU2YTY4NTI0NThiIiwiYXBwbGljYXRpb25faWQiOjE1LCJzZXNzaW9uX2lkIjoxNTcyNn0.rw0sB__aXxGO29HQnY_hxUVppzkLtm5R_FcfciQct58";

pub const APP_KEY: &str = "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d";
pub const CUSTOMER_ID: &str = "47bf8888-3f23-11ed-936c-1a67b454859d";

/// A JWT with the given subject and `exp` (unsigned: only the server verifies).
pub fn jwt(subject: &str, exp: i64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = format!(
        r#"{{"sub":"{subject}","iat":{},"exp":{exp},"jti":"{subject}-jti"}}"#,
        exp - 86_400
    );
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64.encode(r#"{"typ":"JWT","alg":"HS256"}"#),
        b64.encode(payload)
    )
}

/// A token that expires in a day.
pub fn fresh_jwt(subject: &str) -> String {
    jwt(subject, chrono::Utc::now().timestamp() + 86_400)
}

/// The refresh reference body with its token replaced by `new_token`.
pub fn refresh_body_with(new_token: &str) -> String {
    REFRESH_BODY.replace(REFERENCE_JWT, new_token)
}

pub fn customer_id() -> uuid::Uuid {
    CUSTOMER_ID.parse().unwrap()
}

/// A client of `server` with the application key and `token`.
pub fn client(server: &MockServer, token: &str) -> Client {
    Client::builder()
        .base_url(format!("{}/api", server.uri()))
        .application_key(APP_KEY)
        .token(token)
        .build()
        .unwrap()
}

/// All values of a header in a received request.
pub fn header_values(request: &wiremock::Request, name: &str) -> Vec<String> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A stable rendering of a received request for snapshots: method, path, headers sorted by name
/// (every value, duplicates kept), with `x-request-id`, `host` and `authorization` redacted, then
/// the body.
pub fn render(request: &wiremock::Request) -> String {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let value = match name.as_str() {
                "x-request-id" | "host" => "[redacted]".to_owned(),
                "authorization" => "Bearer [redacted]".to_owned(),
                "user-agent" => {
                    value
                        .to_str()
                        .unwrap()
                        .split('/')
                        .next()
                        .unwrap()
                        .to_owned()
                        + "/[version]"
                }
                _ => value.to_str().unwrap().to_owned(),
            };
            (name, value)
        })
        .collect();
    headers.sort();
    let mut out = format!("{} {}\n", request.method, request.url.path());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&request.body));
    out
}
