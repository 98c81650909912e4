//! Showing a request before it is sent: as a curl command (`--dry-run`) or as lines of `-v`; and
//! with `-vv`, its body and each response (status line, headers, body), bounded. The secrets are
//! masked by `menu_sdk::inspect`, their one home (the application key, the token, sensitive
//! extra headers, one-time codes, a session's token).

use menu_sdk::inspect::{self, SeenResponse};
use menu_sdk::menu_client::operation::Operation;
use menu_sdk::reqwest;

/// How much of a body `-vv` shows.
const BODY_LIMIT: usize = 4 * 1024;

/// `text` quoted for a POSIX shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `text` as one word of a POSIX shell: as it is when none of its characters is special to the
/// shell, [`quote`]d otherwise.
pub fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+,=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        quote(text)
    }
}

/// The request of the operation `operation_id` as a curl command, its secrets masked.
pub fn curl(operation_id: &str, request: &reqwest::Request) -> String {
    let mut parts = vec![format!(
        "curl --request {} {}",
        request.method(),
        quote(request.url().as_str())
    )];
    for (name, value) in request.headers() {
        parts.push(format!(
            "--header {}",
            quote(&format!(
                "{name}: {}",
                inspect::header_value(name.as_str(), value)
            ))
        ));
    }
    if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
        let shown = match menu_sdk::menu_client::operations::find(operation_id) {
            Some(operation) => inspect::request_body_compact(operation, body),
            None => String::from_utf8_lossy(body).into_owned(),
        };
        parts.push(format!("--data {}", quote(&shown)));
    }
    parts.join(" \\\n  ")
}

/// The request as the lines of `-v`: the method and URL, then each header.
pub fn lines(request: &reqwest::Request) -> Vec<String> {
    let mut lines = vec![format!("> {} {}", request.method(), request.url())];
    for (name, value) in request.headers() {
        lines.push(format!(
            "> {name}: {}",
            inspect::header_value(name.as_str(), value)
        ));
    }
    lines
}

/// `text`, prefixed line by line with `prefix`, cut after [`BODY_LIMIT`] bytes with what was
/// left out counted (`more`: bytes already left out before `text`).
fn bounded(prefix: &str, text: &str, more: u64) -> Vec<String> {
    let mut end = text.len().min(BODY_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut lines: Vec<String> = text[..end]
        .lines()
        .map(|line| format!("{prefix}{line}"))
        .collect();
    let left = (text.len() - end) as u64 + more;
    if left > 0 {
        lines.push(format!("{prefix}... {left} more bytes"));
    }
    lines
}

/// `-vv`: the request's body (none: no line), masked, bounded.
pub fn body_lines(operation: &Operation, request: &reqwest::Request) -> Vec<String> {
    match request.body().and_then(|b| b.as_bytes()) {
        Some(body) if !body.is_empty() => {
            let mut lines = vec![">".to_owned()];
            lines.extend(bounded("> ", &inspect::request_body(operation, body), 0));
            lines
        }
        _ => Vec::new(),
    }
}

/// `-vv`: a response, as the SDK hands it over (masked), on stderr: its status line, headers and
/// body, bounded.
pub fn response(seen: &SeenResponse) {
    let mut lines = vec![format!("< {} {}", seen.version, seen.status)];
    for (name, value) in &seen.headers {
        lines.push(format!("< {name}: {value}"));
    }
    if !seen.body.is_empty() || seen.more_bytes > 0 {
        lines.push("<".to_owned());
        lines.extend(bounded("< ", &seen.body, seen.more_bytes));
    }
    crate::output::tell!("{}", lines.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn a_shell_word_is_quoted_only_when_it_must_be() {
        assert_eq!(
            shell_word("http://127.0.0.1:8080/api"),
            "http://127.0.0.1:8080/api"
        );
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("O'Hara$x"), r"'O'\''Hara$x'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn secrets_are_masked_and_quotes_escaped() {
        let mut request = reqwest::Request::new(
            reqwest::Method::POST,
            "http://127.0.0.1/api/x".parse().unwrap(),
        );
        let mut secret = HeaderValue::from_static("Bearer eyJ.secret.token");
        secret.set_sensitive(true);
        request.headers_mut().insert("authorization", secret);
        let mut key = HeaderValue::from_static("0123456789abcdef");
        key.set_sensitive(true);
        request.headers_mut().insert("application", key);
        request
            .headers_mut()
            .insert("x-qb-enabled", HeaderValue::from_static("true"));
        *request.body_mut() = Some(reqwest::Body::from("{\"name\":\"O'Hara\"}"));
        let curl = curl("no_such_operation", &request);
        assert!(
            !curl.contains("secret") && !curl.contains("0123456789"),
            "{curl}"
        );
        assert!(
            curl.contains("'authorization: Bearer <redacted>'"),
            "{curl}"
        );
        assert!(curl.contains("'application: <redacted>'"), "{curl}");
        assert!(curl.contains(r#"--data '{"name":"O'\''Hara"}'"#), "{curl}");
        assert_eq!(lines(&request)[0], "> POST http://127.0.0.1/api/x");
    }

    #[test]
    fn bodies_are_bounded_with_what_is_left_counted() {
        assert_eq!(
            bounded("< ", "{\n  \"a\": 1\n}", 0),
            ["< {", "<   \"a\": 1", "< }"]
        );
        let long = "é".repeat(BODY_LIMIT);
        let lines = bounded("< ", &long, 10);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].len() <= BODY_LIMIT + 2);
        let shown = lines[0].len() - 2;
        assert_eq!(
            lines[1],
            format!("< ... {} more bytes", long.len() - shown + 10)
        );
        assert_eq!(bounded("< ", "", 5), ["< ... 5 more bytes"]);
    }
}
