//! Faults any client can ask for, on any operation, with the mock-only request header
//! `Prefer` (Prism's convention, `Prefer: code=503`, extended):
//!
//! | preference | effect |
//! | --- | --- |
//! | `code=NNN` | answer status NNN (400 to 599) with a JSON error envelope, instead of the operation |
//! | `delay=MS` | wait MS milliseconds (at most 60000) before answering |
//! | `body=malformed` | answer the operation's success status with a body that is not JSON |
//! | `connection=drop` | close the connection without an answer |
//! | `attempts=N` | apply the above only to the first N requests with this `X-Request-ID` |
//!
//! Preferences combine (`Prefer: code=503, attempts=1`); a request without `Prefer` is not
//! touched. The checks of the operation still run first only when no fault applies: a fault
//! stands in for the whole answer, as a failing gateway or server would.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::reply::Failure;

/// The header a client asks for a fault with.
pub const FAULT_HEADER: &str = "prefer";
/// The longest `delay` honoured.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// A response marked this way is not sent: the server closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// What a request asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fault {
    code: Option<StatusCode>,
    delay: Option<Duration>,
    malformed: bool,
    drop: bool,
    /// Only the first N attempts of the request id (all when `None`).
    attempts: Option<u32>,
}

impl Fault {
    /// The fault the request's `Prefer` header asks for (`None`: none); a malformed preference is
    /// a 400 that says what is wrong.
    pub(crate) fn of(headers: &HeaderMap) -> Result<Option<Self>, Failure> {
        let mut fault = Fault::default();
        let mut any = false;
        for value in headers.get_all(FAULT_HEADER) {
            let text = value
                .to_str()
                .map_err(|_| bad("the Prefer header must be ASCII text"))?;
            for preference in text
                .split([',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                let (key, value) = preference
                    .split_once('=')
                    .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
                    .unwrap_or((preference, ""));
                any |= fault.set(key, value)?;
            }
        }
        Ok(any.then_some(fault))
    }

    /// Applies one preference; `false` for one the mock does not know (ignored, as RFC 7240 asks).
    fn set(&mut self, key: &str, value: &str) -> Result<bool, Failure> {
        match key.to_ascii_lowercase().as_str() {
            "code" => {
                let code = value
                    .parse::<u16>()
                    .ok()
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .filter(|c| (400..600).contains(&c.as_u16()))
                    .ok_or_else(|| bad("Prefer: code= takes a status from 400 to 599"))?;
                self.code = Some(code);
            }
            "delay" => {
                let ms = value
                    .parse::<u64>()
                    .map_err(|_| bad("Prefer: delay= takes milliseconds"))?;
                self.delay = Some(Duration::from_millis(ms).min(MAX_DELAY));
            }
            "body" if value == "malformed" => self.malformed = true,
            "body" => return Err(bad("Prefer: body= takes `malformed`")),
            "connection" if value == "drop" => self.drop = true,
            "connection" => return Err(bad("Prefer: connection= takes `drop`")),
            "attempts" => {
                self.attempts = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| bad("Prefer: attempts= takes a number of attempts"))?,
                );
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether it applies to the request's `attempt` (1 for the first with its request id).
    pub(crate) fn applies_to(&self, attempt: u32) -> bool {
        self.attempts.is_none_or(|first| attempt <= first)
    }

    /// Waits for the delay, if any.
    pub(crate) async fn wait(&self) {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
    }

    /// The answer standing in for the operation's, if the fault replaces it (a delay alone
    /// does not).
    pub(crate) fn answer(&self, success_status: u16) -> Option<Response> {
        if self.drop {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            return Some(response);
        }
        if let Some(code) = self.code {
            return Some(
                Failure::new(
                    code,
                    format!("A fault asked for with Prefer: code={}.", code.as_u16()),
                )
                .into_response(),
            );
        }
        if self.malformed {
            let status = StatusCode::from_u16(success_status).unwrap_or(StatusCode::OK);
            let mut response =
                (status, Body::from(r#"{"status":"OK","code":200,"data":{"#)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            return Some(response);
        }
        None
    }
}

fn bad(message: &str) -> Failure {
    Failure::invalid_field("Prefer", format!("{message}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Option<Fault>, Failure> {
        let mut headers = HeaderMap::new();
        headers.insert(FAULT_HEADER, value.parse().unwrap());
        Fault::of(&headers)
    }

    #[test]
    fn preferences_are_read_and_checked() {
        let fault = parse("code=503, attempts=1").unwrap().unwrap();
        assert_eq!(fault.code, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert!(fault.applies_to(1) && !fault.applies_to(2));
        let fault = parse("delay=20; body=malformed").unwrap().unwrap();
        assert_eq!(fault.delay, Some(Duration::from_millis(20)));
        assert!(fault.malformed && fault.answer(200).is_some());
        assert_eq!(parse("respond-async").unwrap(), None, "unknown: ignored");
        assert!(parse("delay=99999999").unwrap().unwrap().delay == Some(MAX_DELAY));
        for bad in [
            "code=200",
            "code=abc",
            "delay=-1",
            "body=json",
            "connection=keep",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("delay=5").unwrap().unwrap().answer(200).is_none());
    }
}
