//! The headers the SDK sends on every call, whatever the operation: built once per client from
//! its configuration and applied to each request by the generated client's hooks
//! (`menu_client::hooks`), which also set the call's `X-Request-ID` and `Authorization`; and the
//! extra headers a client or a call adds (checked here: never one of the managed headers).

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::error::Error;

/// The header values of one client.
pub(crate) struct Defaults<'a> {
    pub(crate) application_key: &'a str,
    pub(crate) api_version: &'a str,
    pub(crate) query_builder: bool,
    pub(crate) user_agent: &'a str,
}

/// `Application` (marked sensitive: it is a secret), `API-Version`, `X-QB-Enabled`, `Accept` and
/// `Content-Type: application/json` (the API's curl examples send it on every call, the body-less
/// `GET` included), and `User-Agent`.
pub(crate) fn common(defaults: &Defaults<'_>) -> Result<HeaderMap, Error> {
    let mut application = value("the application key", defaults.application_key)?;
    application.set_sensitive(true);
    let json = HeaderValue::from_static("application/json");
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(HeaderName::from_static("application"), application);
    headers.insert(
        HeaderName::from_static("api-version"),
        value("the API version", defaults.api_version)?,
    );
    headers.insert(
        HeaderName::from_static("x-qb-enabled"),
        HeaderValue::from_static(if defaults.query_builder {
            "true"
        } else {
            "false"
        }),
    );
    headers.insert(ACCEPT, json.clone());
    headers.insert(CONTENT_TYPE, json);
    headers.insert(USER_AGENT, value("the user agent", defaults.user_agent)?);
    Ok(headers)
}

/// A header value, or an error naming `what` (never echoing the value, which may be secret).
pub(crate) fn value(what: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "{what} contains characters that are not allowed in an HTTP header (control \
             characters such as CR or LF, or non-visible bytes)"
        ))
    })
}

/// The headers the SDK (or HTTP itself) sets: an extra header may not be one of them.
pub(crate) const MANAGED: [&str; 17] = [
    "x-request-id",
    "application",
    "api-version",
    "x-qb-enabled",
    "accept",
    "content-type",
    "user-agent",
    "authorization",
    // The framing and routing of the request: reqwest and hyper set them.
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "trailer",
    "upgrade",
    "keep-alive",
    "proxy-connection",
];

/// An extra header (a client's or a call's), checked.
#[derive(Clone)]
pub(crate) struct Extra {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

/// Checks an extra header: a valid name that is not one of the [`MANAGED`] headers, a valid value
/// (never echoed: it may be secret); `sensitive` marks the value so that it is never shown.
pub(crate) fn extra(name: &str, value: &str, sensitive: bool) -> Result<Extra, Error> {
    let parsed = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Error::config(format!("`{name}` is not a valid HTTP header name")))?;
    if MANAGED.contains(&parsed.as_str()) {
        return Err(Error::config(format!(
            "`{name}` is a header the SDK sets itself on every call: it cannot be an extra header \
             (set it through the client's configuration instead)"
        )));
    }
    let mut value = self::value(&format!("the header `{parsed}`"), value)?;
    value.set_sensitive(sensitive);
    Ok(Extra {
        name: parsed,
        value,
    })
}
