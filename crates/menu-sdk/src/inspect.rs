//! Seeing what goes over the wire, secrets masked: the one home of what is secret in a request or
//! a response, for debugging tools (the `menu` command line's `-vv`).
//!
//! Masked: the values of the `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`
//! headers, of the application key's header (the managed header `x-managed: application-key` of
//! the operation table), of the header parameters the operation table marks secret (the spec's
//! `x-secret: true`) and of any header marked sensitive; in a request body, the fields the
//! operation table marks as one-time codes (the spec's `x-one-time-code: true`); in a response
//! body, the token of a session an operation issues (`x-token`: string or object form); and
//! anywhere, the client's application key and token, and any JWT.
//!
//! The SDK itself logs none of this: [`crate::ClientBuilder::inspect_responses`] is opt-in, and
//! hands the masked [`SeenResponse`] to the caller's function.

use menu_client::observe::Observed;
use menu_client::operation::{Location, Managed, Operation};
use menu_client::operations;
use reqwest::header::HeaderValue;
use serde_json::Value;

use crate::secret::{scrub, scrub_json};

/// What replaces a secret.
const MASK: &str = "<redacted>";

/// How much of a response body is kept for inspection (a longer body is masked as text: its
/// JSON cannot be read whole).
pub(crate) const KEPT_BODY_BYTES: usize = 64 * 1024;

/// Called with each response a client reads (see [`crate::ClientBuilder::inspect_responses`]).
pub(crate) type Inspector = std::sync::Arc<dyn Fn(&SeenResponse) + Send + Sync>;

impl crate::ClientBuilder {
    /// Called with each response the client reads (every attempt, automatic refreshes
    /// included), once its body is read: the status line, the headers and the body's first
    /// 64 KiB, **with the secrets masked** as [`crate::inspect`] says (the application key,
    /// tokens, a session's token, any JWT). For debugging tools (`menu -vv`); off by default,
    /// and the SDK never logs what it hands over. Keep it quick: it runs while the call reads
    /// the body. A panic in it is caught (the panic hook still runs) and changes nothing of the
    /// call: a token the server issued or rotated meanwhile is kept.
    pub fn inspect_responses(
        mut self,
        inspector: impl Fn(&SeenResponse) + Send + Sync + 'static,
    ) -> Self {
        self.inspector = Some(std::sync::Arc::new(inspector));
        self
    }
}

/// A response as the client read it, its secrets masked (see the module documentation).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SeenResponse {
    /// The operation that was sent (its `operationId`).
    pub operation: &'static str,
    /// The HTTP version, as it is written in a status line (`HTTP/1.1`).
    pub version: String,
    /// The status.
    pub status: reqwest::StatusCode,
    /// The headers, in order, values masked.
    pub headers: Vec<(String, String)>,
    /// The body (its first 64 KiB), as text, masked; JSON is shown indented.
    pub body: String,
    /// How many bytes of the body were past the part kept.
    pub more_bytes: u64,
}

/// Whether a header of this name holds a secret.
fn secret_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|secret| name.eq_ignore_ascii_case(secret))
        || operations::managed(Managed::Application)
            .is_some_and(|header| name.eq_ignore_ascii_case(header.name))
        || operations::ALL
            .iter()
            .flat_map(|operation| operation.params)
            .any(|param| {
                param.secret
                    && param.location == Location::Header
                    && name.eq_ignore_ascii_case(param.name)
            })
}

/// A header's value as shown: a secret masked (a bearer token keeps its scheme), any JWT in
/// another value masked.
pub fn header_value(name: &str, value: &HeaderValue) -> String {
    let text = value.to_str().unwrap_or("<binary>");
    if value.is_sensitive() || secret_header(name) {
        let bearer = text.len() >= 7 && text[..7].eq_ignore_ascii_case("bearer ");
        return if bearer {
            format!("Bearer {MASK}")
        } else {
            MASK.to_owned()
        };
    }
    scrub(text, &[])
}

/// A request body of `operation` as shown: its one-time codes and any JWT masked; JSON indented.
pub fn request_body(operation: &Operation, body: &[u8]) -> String {
    masked_request_body(operation, body, serde_json::to_string_pretty)
}

/// [`request_body`] as a command line shows a request to send again (`menu --dry-run`'s curl):
/// masked alike, its JSON on one line.
pub fn request_body_compact(operation: &Operation, body: &[u8]) -> String {
    masked_request_body(operation, body, serde_json::to_string)
}

/// A request body of `operation`, its one-time codes and any JWT masked, JSON written by `write`.
fn masked_request_body(
    operation: &Operation,
    body: &[u8],
    write: fn(&Value) -> serde_json::Result<String>,
) -> String {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return scrub(&String::from_utf8_lossy(body), &[]);
    };
    let codes = operation.body.iter().flat_map(|body| body.fields);
    if let Value::Object(object) = &mut value {
        for field in codes.filter(|field| field.one_time_code) {
            if let Some(code) = object.get_mut(field.name) {
                *code = Value::String(MASK.to_owned());
            }
        }
    }
    scrub_json(&mut value, &[]);
    write(&value).unwrap_or_default()
}

/// A response body of `operation` as shown: the session's token (an operation that issues one),
/// `secrets` and any JWT masked; JSON indented.
fn response_body(operation: Option<&Operation>, body: &[u8], secrets: &[&str]) -> String {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return scrub(&String::from_utf8_lossy(body), secrets);
    };
    let issues = operation.is_some_and(|operation| operation.token.adopts_session());
    if let Some(token) = value
        .get_mut("data")
        .and_then(|data| data.get_mut("token"))
        .filter(|_| issues)
    {
        match token {
            Value::Object(object) => {
                if let Some(jwt) = object.get_mut("value") {
                    *jwt = Value::String(MASK.to_owned());
                }
            }
            other => *other = Value::String(MASK.to_owned()),
        }
    }
    scrub_json(&mut value, secrets);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// `observed` masked, `secrets` (the client's application key and token) included.
pub(crate) fn response(observed: &Observed, secrets: &[&str]) -> SeenResponse {
    SeenResponse {
        operation: observed.operation_id,
        version: format!("{:?}", observed.version),
        status: observed.status,
        headers: observed
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = scrub(&header_value(name.as_str(), value), secrets);
                (name.as_str().to_owned(), shown)
            })
            .collect(),
        body: response_body(
            operations::find(observed.operation_id),
            &observed.body,
            secrets,
        ),
        more_bytes: observed.more_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

    fn operation(pick: impl Fn(&Operation) -> bool) -> &'static Operation {
        operations::ALL
            .iter()
            .copied()
            .find(|operation| pick(operation))
            .unwrap()
    }

    #[test]
    fn secret_headers_are_masked() {
        let key = operations::managed(Managed::Application).unwrap().name;
        let value = HeaderValue::from_static("f3a90488c7dd4b6e");
        assert_eq!(header_value(key, &value), MASK);
        assert_eq!(
            header_value("Authorization", &HeaderValue::from_static("Bearer abc")),
            "Bearer <redacted>"
        );
        assert_eq!(header_value("set-cookie", &value), MASK);
        let mut sensitive = HeaderValue::from_static("x");
        sensitive.set_sensitive(true);
        assert_eq!(header_value("x-other", &sensitive), MASK);
        let echoed = HeaderValue::from_str(&format!("token={JWT}")).unwrap();
        assert_eq!(header_value("x-echo", &echoed), "token=<redacted>");
        assert_eq!(header_value("content-type", &value), "f3a90488c7dd4b6e");
        let marked = operations::ALL
            .iter()
            .flat_map(|operation| operation.params)
            .filter(|param| param.location == Location::Header);
        let mut seen = 0;
        for param in marked.filter(|param| param.secret) {
            assert_eq!(header_value(param.name, &value), MASK, "{}", param.name);
            let upper = param.name.to_ascii_uppercase();
            assert_eq!(header_value(&upper, &value), MASK, "{upper}");
            seen += 1;
        }
        assert!(seen > 0, "the spec marks a secret header parameter");
    }

    #[test]
    fn one_time_codes_are_masked_in_request_bodies() {
        let taking = operation(|op| {
            op.body
                .is_some_and(|body| body.fields.iter().any(|field| field.one_time_code))
        });
        let body = taking.body.unwrap();
        let mut sent = serde_json::Map::new();
        for field in body.fields {
            sent.insert(field.name.to_owned(), Value::from("164138"));
        }
        let shown = request_body(taking, &serde_json::to_vec(&sent).unwrap());
        let shown: Value = serde_json::from_str(&shown).unwrap();
        for field in body.fields {
            let expected = if field.one_time_code { MASK } else { "164138" };
            assert_eq!(shown[field.name], expected, "{}", field.name);
        }
        assert_eq!(request_body(taking, b"not json 164138"), "not json 164138");
        let compact = request_body_compact(taking, &serde_json::to_vec(&sent).unwrap());
        assert!(!compact.contains('\n'), "{compact}");
        assert_eq!(
            serde_json::from_str::<Value>(&compact).unwrap(),
            serde_json::from_str::<Value>(&request_body(
                taking,
                &serde_json::to_vec(&sent).unwrap()
            ))
            .unwrap()
        );
    }

    #[test]
    fn session_tokens_and_known_secrets_are_masked_in_responses() {
        let issuing = operation(|op| op.token.adopts_session());
        let plain = operation(|op| !op.token.adopts_session());
        // Object form, string form, and a token that is not a JWT.
        for (token, kept) in [
            (serde_json::json!({"value": JWT, "ttl": 1440}), Some(1440)),
            (Value::from(JWT), None),
            (serde_json::json!({"value": "opaque-token"}), None),
        ] {
            let body = serde_json::json!({"data": {"token": token, "customer_account": {"id": 7}}});
            let shown = response_body(Some(issuing), &serde_json::to_vec(&body).unwrap(), &[]);
            assert!(
                !shown.contains(JWT) && !shown.contains("opaque-token"),
                "{shown}"
            );
            let shown: Value = serde_json::from_str(&shown).unwrap();
            assert_eq!(shown["data"]["customer_account"]["id"], 7);
            if let Some(ttl) = kept {
                assert_eq!(shown["data"]["token"]["ttl"], ttl);
            }
        }
        let echoed = br#"{"message":"bad key f3a90488c7dd4b6e"}"#;
        let shown = response_body(Some(plain), echoed, &["f3a90488c7dd4b6e"]);
        assert!(shown.contains("bad key <redacted>"), "{shown}");
        assert_eq!(
            response_body(None, format!("cut {JWT}").as_bytes(), &[]),
            "cut <redacted>"
        );
    }
}
