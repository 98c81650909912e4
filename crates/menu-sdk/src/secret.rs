//! Keeping secrets (the application key, customer tokens) out of `Debug`, `Display`, logs and
//! error messages.

use std::fmt;

/// A string that is never shown: `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The longest part of a response body that an error keeps.
pub(crate) const SNIPPET_LIMIT: usize = 1024;

/// `text` with every occurrence of `secrets` and every JWT-shaped run (`eyJ...` with two dots:
/// a token, whether ours or one the server just issued) replaced by `<redacted>`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        let run = rest[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .map_or(rest.len(), |end| start + end);
        out.push_str(&rest[..start]);
        let candidate = &rest[start..run];
        if candidate.matches('.').count() >= 2 {
            out.push_str("<redacted>");
        } else {
            out.push_str(candidate);
        }
        rest = &rest[run..];
    }
    out.push_str(rest);
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "<redacted>");
        }
    }
    out
}

/// Scrubs (see [`scrub`]) every string in a JSON value, after JSON unescaping.
pub(crate) fn scrub_json(value: &mut serde_json::Value, secrets: &[&str]) {
    match value {
        serde_json::Value::String(text) => *text = scrub(text, secrets),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, secrets)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| scrub_json(v, secrets)),
        _ => {}
    }
}

/// A bounded, printable snippet of a response body, scrubbed (see [`scrub`]) before it is cut so
/// that no part of a secret survives the cut.
pub(crate) fn body_snippet(body: &[u8], secrets: &[&str]) -> String {
    let text = scrub(&String::from_utf8_lossy(body), secrets);
    if text.len() <= SNIPPET_LIMIT {
        return text;
    }
    let mut end = SNIPPET_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_scrubbed_after_unescaping() {
        let mut value: serde_json::Value =
            serde_json::from_str(r#"{"message":"key a\/b\u0063d","errors":{"x":["a/bcd"]}}"#)
                .unwrap();
        scrub_json(&mut value, &["a/bcd"]);
        assert_eq!(value["message"], "key <redacted>");
        assert_eq!(value["errors"]["x"][0], "<redacted>");
    }

    #[test]
    fn secret_is_redacted() {
        let secret = Secret::new("f3a90488");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(secret.expose(), "f3a90488");
    }

    #[test]
    fn snippet_is_bounded_and_scrubbed() {
        let body = format!("{{\"echo\":\"tok-123\"}}{}", "x".repeat(5000));
        let snippet = body_snippet(body.as_bytes(), &["tok-123"]);
        assert!(snippet.starts_with("{\"echo\":\"<redacted>\"}"));
        assert!(snippet.len() <= SNIPPET_LIMIT + 16);
        assert!(snippet.ends_with("..."));
        // A JWT is redacted even when nobody told us about it, also across the cut.
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{}", "s".repeat(2000));
        let snippet = body_snippet(format!("{{\"value\":\"{jwt}\"}}").as_bytes(), &[]);
        assert_eq!(snippet, "{\"value\":\"<redacted>\"}");
        assert_eq!(
            scrub("eyJ alone and a.b.c and eyJa.b", &[]),
            "eyJ alone and a.b.c and eyJa.b"
        );
        // Invalid UTF-8 and a multi-byte character cut at the limit do not panic.
        let mut bytes = vec![b'a'; SNIPPET_LIMIT - 1];
        bytes.extend_from_slice("é".as_bytes());
        bytes.push(0xff);
        let _ = body_snippet(&bytes, &[]);
    }
}
