//! What a customer does to the mock, as raw requests: a sign-up (check the email, request a
//! one-time code, read it from the mock's outbox, register with it: four requests) and a rotation
//! of the token (`GET /customers/refresh`, which answers with the successor and invalidates the
//! token sent). Every API request carries the headers every operation of the spec declares
//! (`X-Request-ID`, `Application`, `API-Version`, `X-QB-Enabled`), as `menu` sends them; any
//! answer but a 200 is an error that names the request and quotes the answer.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::wire::Connection;

/// The `API-Version` sent (the spec's `info.version`).
const API_VERSION: &str = "5.0.0";

/// Where the mock is, and the application key it accepts.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    addr: SocketAddr,
    /// The `Host` header.
    host: String,
    /// The base URL's path: `/api`.
    api: String,
    key: String,
}

impl Endpoint {
    /// The mock at `base_url` (`http://HOST:PORT/PATH`, as it announces it), which accepts `key`.
    pub(crate) fn new(base_url: &str, key: &str) -> Result<Self, String> {
        let bad = || format!("not an http:// base URL: {base_url:?}");
        let rest = base_url.strip_prefix("http://").ok_or_else(bad)?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("{}: {e}", bad()))?
            .next()
            .ok_or_else(bad)?;
        Ok(Self {
            addr,
            host: host.to_owned(),
            api: path.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }
}

/// A customer's client: one connection to the mock.
pub(crate) struct Client {
    endpoint: Arc<Endpoint>,
    connection: Connection,
}

/// `data.token.value` of a session answer (`register`, `refresh`).
#[derive(Deserialize)]
struct SessionAnswer {
    data: SessionData,
}

#[derive(Deserialize)]
struct SessionData {
    token: TokenValue,
}

#[derive(Deserialize)]
struct TokenValue {
    value: String,
}

/// `data.exists` of `check_email`'s answer.
#[derive(Deserialize)]
struct CheckAnswer {
    data: EmailCheck,
}

#[derive(Deserialize)]
struct EmailCheck {
    exists: bool,
}

/// A message of the outbox.
#[derive(Deserialize)]
struct Message {
    kind: String,
    code: String,
}

impl Client {
    /// A client with a connection of its own to `endpoint`.
    pub(crate) async fn connect(endpoint: Arc<Endpoint>) -> Result<Self, String> {
        let connection = Connection::open(endpoint.addr).await?;
        Ok(Self {
            endpoint,
            connection,
        })
    }

    /// Signs up a new customer (a fresh email): their token.
    pub(crate) async fn sign_up(&mut self) -> Result<String, String> {
        let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
        let address = json!({ "email": email });
        let check: CheckAnswer = self
            .call(Method::POST, "/customers/check-email", None, Some(&address))
            .await?;
        if check.data.exists {
            return Err(format!(
                "check-email: the new email {email} is said to exist"
            ));
        }
        let (status, body) = self
            .send(
                Method::POST,
                &self.api("/customers/passwordless-request"),
                None,
                Some(&address),
            )
            .await?;
        expect_ok("passwordless-request", status, &body)?;
        let outbox = format!("/_mock/outbox?to={}", email.replace('@', "%40"));
        let (status, body) = self.send(Method::GET, &outbox, None, None).await?;
        expect_ok("the outbox", status, &body)?;
        let messages: Vec<Message> = decode("the outbox", &body)?;
        let code = messages
            .iter()
            .rev()
            .find(|m| m.kind == "sign_up_code")
            .ok_or_else(|| format!("the outbox has no sign-up code for {email}"))?;
        let code: u64 = code
            .code
            .parse()
            .map_err(|_| format!("the outbox's code for {email} is not a number"))?;
        let register = json!({
            "passwordless_email": email,
            "passwordless_code": code,
            "first_name": "Bench",
            "last_name": "Mark",
        });
        let session: SessionAnswer = self
            .call(Method::POST, "/customers/register", None, Some(&register))
            .await?;
        Ok(session.data.token.value)
    }

    /// Rotates `token`: its successor (`token` is invalid from then on).
    pub(crate) async fn rotate(&mut self, token: &str) -> Result<String, String> {
        let session: SessionAnswer = self
            .call(Method::GET, "/customers/refresh", Some(token), None)
            .await?;
        Ok(session.data.token.value)
    }

    /// The path of an operation under the API's base path.
    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint.api)
    }

    /// Calls the API operation at `path`, which must answer 200 with `T`.
    async fn call<T: for<'de> Deserialize<'de>>(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<T, String> {
        let (status, answer) = self.send(method, &self.api(path), token, body).await?;
        expect_ok(path, status, &answer)?;
        decode(path, &answer)
    }

    /// Sends a request with the managed headers (and the bearer token, and a JSON body).
    async fn send(
        &mut self,
        method: Method,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, Bytes), String> {
        let endpoint = &self.endpoint;
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(HOST, &endpoint.host)
            .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
            .header("Application", &endpoint.key)
            .header("API-Version", API_VERSION)
            .header("X-QB-Enabled", "true")
            .header(ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body.to_string()))),
            None => request.body(Full::new(Bytes::new())),
        }
        .map_err(|e| format!("cannot build the request {path_and_query}: {e}"))?;
        self.connection.send(request).await
    }
}

/// A 200, or an error that quotes the answer.
fn expect_ok(what: &str, status: StatusCode, body: &[u8]) -> Result<(), String> {
    if status == StatusCode::OK {
        return Ok(());
    }
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(400).collect();
    Err(format!("{what} answered {status}: {text}"))
}

/// The answer of `what`, decoded.
fn decode<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("{what} answered an unexpected body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_read_from_the_base_url() {
        let endpoint = Endpoint::new("http://127.0.0.1:40123/api", "key").unwrap();
        assert_eq!(endpoint.addr, "127.0.0.1:40123".parse().unwrap());
        assert_eq!(endpoint.host, "127.0.0.1:40123");
        assert_eq!(endpoint.api, "/api");
        let root = Endpoint::new("http://127.0.0.1:40123/", "key").unwrap();
        assert_eq!(root.api, "");
        assert!(Endpoint::new("https://127.0.0.1:40123/api", "key").is_err());
        assert!(Endpoint::new("http://no-port/api", "key").is_err());
    }
}
