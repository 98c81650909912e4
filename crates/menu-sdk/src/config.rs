//! A client's validated configuration ([`Config`]), its defaults, the environment variables it can
//! be read from, and the checks of the base URL.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// The default base URL: the first server of the spec (the public demo environment).
pub const DEFAULT_BASE_URL: &str = "https://api-public-demo.menu.app/api";
/// The default `API-Version`: the version of the spec (`info.version`).
pub const DEFAULT_API_VERSION: &str = "5.0.0";
/// The default whole-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout of the HTTP client the SDK builds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default limit on a response body; a larger body is an error, not an allocation.
pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: usize = 1024 * 1024;
/// How long before its expiry a token is refreshed automatically.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("menu-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// Environment variables read by [`crate::ClientBuilder::from_env`].
pub mod env {
    /// The base URL (optional).
    pub const BASE_URL: &str = "MENU_BASE_URL";
    /// The application key (required by `build`).
    pub const APPLICATION_KEY: &str = "MENU_APPLICATION_KEY";
    /// The customer token (optional).
    pub const TOKEN: &str = "MENU_TOKEN";
    /// The API version (optional).
    pub const API_VERSION: &str = "MENU_API_VERSION";
}

/// A validated configuration.
pub(crate) struct Config {
    /// Without a trailing slash; the generated code appends `/customers/...`.
    pub(crate) base_url: String,
    /// Kept to scrub it from error messages.
    pub(crate) application_key: Secret,
    pub(crate) api_version: String,
    /// Every header that is the same on each call (see `headers.rs`).
    pub(crate) headers: Arc<HeaderMap>,
    /// The extra headers of every call (checked: none is managed; sensitive ones marked).
    pub(crate) extra_headers: Arc<HeaderMap>,
    pub(crate) timeout: Duration,
    pub(crate) max_response_body_bytes: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) auto_refresh: bool,
    pub(crate) refresh_margin: Duration,
    /// The base URL is plain `http://` to a non-loopback host and that was not allowed: calls that
    /// would send the customer token are refused before sending it.
    pub(crate) token_in_clear_text: bool,
    /// Given each response read, masked (`ClientBuilder::inspect_responses`).
    pub(crate) inspector: Option<crate::inspect::Inspector>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `headers` holds the application key: only the names are shown.
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("application_key", &self.application_key)
            .field("api_version", &self.api_version)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field(
                "extra_headers",
                &self.extra_headers.keys().collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("retry", &self.retry)
            .field("auto_refresh", &self.auto_refresh)
            .finish_non_exhaustive()
    }
}

/// Whether a base URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`), the rule by
/// which the client allows the customer token over plain `http://`
/// ([`crate::ClientBuilder::allow_insecure_http`] aside). A URL that does not parse is not
/// loopback.
///
/// ```
/// assert!(menu_sdk::is_loopback("http://127.0.0.1:8080/api"));
/// assert!(menu_sdk::is_loopback("http://[::1]/api"));
/// assert!(!menu_sdk::is_loopback("http://localhost.example.com/api"));
/// ```
pub fn is_loopback(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url.trim()) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A base URL as the client takes it ([`crate::ClientBuilder::base_url`]), checked and written
/// the one way the client uses it: an absolute `http(s)` URL with a host, and no query, fragment
/// or credentials; surrounding whitespace and trailing `/` removed, scheme and host in lower
/// case, the scheme's default port dropped. So two base URLs are the same exactly when their
/// validated forms are equal. The error ([`Error::InvalidConfig`]) says what is wrong without
/// repeating the URL's credentials, query or fragment (they may hold secrets).
///
/// ```
/// assert_eq!(
///     menu_sdk::validate_base_url(" HTTPS://API.Example.com:443/api/ ").unwrap(),
///     "https://api.example.com/api"
/// );
/// assert!(menu_sdk::validate_base_url("https://user:pw@api.example.com/api").is_err());
/// assert!(menu_sdk::validate_base_url("https://api.example.com/api?x").is_err());
/// ```
pub fn validate_base_url(raw: &str) -> Result<String, Error> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| {
        Error::config(format!(
            "the base URL is not a URL ({e}); expected something like `{DEFAULT_BASE_URL}`"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "the base URL must not contain credentials; use the application key and the token",
        ));
    }
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let bad = |why: &str| {
        Error::config(format!(
            "the base URL `{shown}` {why}; expected something like `{DEFAULT_BASE_URL}`"
        ))
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or a fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}
