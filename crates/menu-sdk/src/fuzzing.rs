//! Entry points for the fuzz targets (`crates/menu-sdk/fuzz`, built with `--cfg fuzzing`) and the
//! property tests (`properties.rs`). Not part of the API: compiled only for them.

/// Runs a response body through everything the SDK does with one (typed decoding, the refresh
/// salvage, the error a caller would see), with `secrets` as the call's secrets; returns that
/// error's `Display` and `Debug` text.
pub fn response(status: u16, body: &[u8], secrets: [&str; 2]) -> Option<String> {
    if let Some(token) = crate::identity::token_in(body) {
        let _ = (token.expires_at(), format!("{token:?} {token}"));
    }
    examine(status, body, secrets)
}

/// Reads a token's claims and expiry, and formats it, as the SDK does.
pub fn token(value: &str, ttl: Option<i64>) -> String {
    let token = crate::Token::new(value).with_ttl(ttl, ttl);
    let _ = (
        token.claims(),
        token.expires_at(),
        token.refresh_expires_at(),
    );
    let _ = token.expires_within(chrono::Utc::now(), std::time::Duration::from_secs(60));
    format!("{token:?} {token}")
}

/// The scrubbing applied to every body snippet.
pub fn snippet(body: &[u8], secrets: &[&str]) -> String {
    crate::secret::body_snippet(body, secrets)
}

/// What the SDK makes of a response body, for the fuzz targets and property tests: the typed
/// decodings, and the error a caller would see (its `Display` and `Debug`).
fn examine(status: u16, body: &[u8], secrets: [&str; 2]) -> Option<String> {
    use crate::response::{CallInfo, api_error, decode_error};
    use menu_client::operation::{Auth, Operation, TokenEffect};
    use reqwest::StatusCode;
    use uuid::Uuid;
    static EXAMINED: Operation = Operation {
        id: "examine",
        tag: None,
        method: "GET",
        path: "/examine",
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
    };
    let status = StatusCode::from_u16(status).ok()?;
    let _ = serde_json::from_slice::<menu_client::types::SessionResponse>(body);
    let _ = serde_json::from_slice::<menu_client::types::CustomerAccountResponse>(body);
    let info = CallInfo {
        operation: &EXAMINED,
        request_id: Uuid::nil(),
        secrets: secrets.to_vec(),
        body_limit: usize::MAX,
        attempts: 1,
    };
    let error = if status.is_success() {
        decode_error(status, "examined".into(), body, &info)
    } else {
        api_error(status, body, &info)
    };
    Some(format!("{error} {error:?}"))
}

#[cfg(test)]
mod properties;
