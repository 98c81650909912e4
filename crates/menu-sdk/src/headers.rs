//! The headers the SDK sends on every call, whatever the operation: built once per client from
//! its configuration and applied to each request by the generated client's hooks
//! (`menu_client::hooks`), which also set the call's `X-Request-ID` and `Authorization`; and the
//! extra headers a client or a call adds (checked here: never one of the managed headers).

use menu_client::operation::Managed;
use menu_client::operations::MANAGED_HEADERS;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::error::Error;

/// The header values of one client.
pub(crate) struct Defaults<'a> {
    pub(crate) application_key: &'a str,
    pub(crate) api_version: &'a str,
    pub(crate) query_builder: bool,
    pub(crate) user_agent: &'a str,
}

/// The managed headers every call carries (the spec's `x-managed` parameters, from the operation
/// table; the request id is the call's, set by the hooks): the application key (marked
/// sensitive: it is a secret), the API version, the query builder flag; then `Accept` and
/// `Content-Type: application/json` (the API's curl examples send it on every call, the body-less
/// `GET` included), and `User-Agent`.
pub(crate) fn common(defaults: &Defaults<'_>) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::with_capacity(MANAGED_HEADERS.len() + 3);
    for managed in MANAGED_HEADERS {
        let value = match managed.value {
            // Per call: the hooks set it.
            Managed::RequestId => continue,
            Managed::Application => {
                let mut key = value("the application key", defaults.application_key)?;
                key.set_sensitive(true);
                key
            }
            Managed::ApiVersion => value("the API version", defaults.api_version)?,
            Managed::QueryBuilder => HeaderValue::from_static(if defaults.query_builder {
                "true"
            } else {
                "false"
            }),
            other => {
                return Err(Error::config(format!(
                    "the spec's managed header `{}` is filled as {other:?}, which this version of \
                     the SDK cannot do",
                    managed.name
                )));
            }
        };
        let name = HeaderName::from_bytes(managed.name.as_bytes()).map_err(|_| {
            Error::config(format!(
                "`{}` is not a valid HTTP header name",
                managed.name
            ))
        })?;
        headers.insert(name, value);
    }
    let json = HeaderValue::from_static("application/json");
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

/// The headers HTTP itself (reqwest and hyper) or the SDK sets besides the managed ones: an
/// extra header may not be one of them, nor a managed header.
const SET_BY_HTTP: [&str; 13] = [
    "accept",
    "content-type",
    "user-agent",
    "authorization",
    // The framing and routing of the request.
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

/// Whether the SDK or HTTP sets the header `name` (lower case) itself.
fn is_managed(name: &str) -> bool {
    SET_BY_HTTP.contains(&name)
        || MANAGED_HEADERS
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
}

/// An extra header (a client's or a call's), checked.
#[derive(Clone)]
pub(crate) struct Extra {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

/// Checks an extra header: a valid name that is not one the SDK or HTTP sets, a valid value
/// (never echoed: it may be secret); `sensitive` marks the value so that it is never shown.
pub(crate) fn extra(name: &str, value: &str, sensitive: bool) -> Result<Extra, Error> {
    let parsed = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Error::config(format!("`{name}` is not a valid HTTP header name")))?;
    if is_managed(parsed.as_str()) {
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
