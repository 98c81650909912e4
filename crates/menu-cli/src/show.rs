//! Showing a request before it is sent: as a curl command (`--dry-run`) or as lines of `-v`, with
//! the secrets masked (the values the SDK marks sensitive: the application key, the token,
//! sensitive extra headers).

use reqwest::header::HeaderValue;

use menu_sdk::reqwest;

/// A header's value as shown: a secret masked (a bearer token keeps its scheme).
fn shown(name: &str, value: &HeaderValue) -> String {
    if value.is_sensitive() {
        let bearer = value
            .to_str()
            .ok()
            .filter(|v| v.len() >= 7 && v[..7].eq_ignore_ascii_case("bearer "));
        return match (name, bearer) {
            ("authorization", Some(_)) => "Bearer <redacted>".to_owned(),
            _ => "<redacted>".to_owned(),
        };
    }
    value
        .to_str()
        .map(str::to_owned)
        .unwrap_or_else(|_| "<binary>".to_owned())
}

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

/// The request as a curl command.
pub fn curl(request: &reqwest::Request) -> String {
    let mut parts = vec![format!(
        "curl --request {} {}",
        request.method(),
        quote(request.url().as_str())
    )];
    for (name, value) in request.headers() {
        parts.push(format!(
            "--header {}",
            quote(&format!("{name}: {}", shown(name.as_str(), value)))
        ));
    }
    if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
        parts.push(format!("--data {}", quote(&String::from_utf8_lossy(body))));
    }
    parts.join(" \\\n  ")
}

/// The request as the lines of `-v`: the method and URL, then each header.
pub fn lines(request: &reqwest::Request) -> Vec<String> {
    let mut lines = vec![format!("> {} {}", request.method(), request.url())];
    for (name, value) in request.headers() {
        lines.push(format!("> {name}: {}", shown(name.as_str(), value)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let curl = curl(&request);
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
}
