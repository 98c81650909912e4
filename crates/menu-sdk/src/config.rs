//! Client configuration: the by-value [`ClientBuilder`], its defaults, environment variables, and
//! the validation that turns it into a [`Config`] (invalid input is an error, never a panic).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::client::Client;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::token_store::{OnTokenRefresh, TokenStore};
use crate::{Token, menu_client};

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

/// Environment variables read by [`ClientBuilder::from_env`].
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

/// Builds a [`Client`]. Every setter takes and returns `self`, so calls chain and the builder can be
/// passed around; nothing is checked until [`ClientBuilder::build`], which reports the first
/// problem as [`Error::InvalidConfig`].
#[must_use]
#[derive(Clone, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    application_key: Option<Secret>,
    token: Option<Secret>,
    api_version: Option<String>,
    query_builder: Option<bool>,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    max_response_body_bytes: Option<usize>,
    http_client: Option<reqwest::Client>,
    on_token_refresh: Option<OnTokenRefresh>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    auto_refresh: Option<bool>,
    refresh_margin: Option<Duration>,
    allow_insecure_http: bool,
}

impl ClientBuilder {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder pre-filled from `MENU_BASE_URL`, `MENU_APPLICATION_KEY`, `MENU_TOKEN` and
    /// `MENU_API_VERSION` (unset or empty variables are skipped); later setters override them.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut builder = Self::new();
        if let Some(url) = get(env::BASE_URL) {
            builder = builder.base_url(url);
        }
        if let Some(key) = get(env::APPLICATION_KEY) {
            builder = builder.application_key(key);
        }
        if let Some(token) = get(env::TOKEN) {
            builder = builder.token(token);
        }
        if let Some(version) = get(env::API_VERSION) {
            builder = builder.api_version(version);
        }
        builder
    }

    /// The API's base URL, including its path stem (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The application key sent as `Application` on every call. Required.
    pub fn application_key(mut self, key: impl Into<String>) -> Self {
        self.application_key = Some(Secret::new(key));
        self
    }

    /// The customer's JWT, sent as `Authorization: Bearer ...` on customer calls. Optional at build
    /// time: set it later with [`Client::set_token`].
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// The `API-Version` header (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Whether to send `X-QB-Enabled: true` (default) or `false`.
    pub fn query_builder(mut self, enabled: bool) -> Self {
        self.query_builder = Some(enabled);
        self
    }

    /// The whole-request timeout, applied to every request (default [`DEFAULT_TIMEOUT`]), also
    /// when the HTTP client is supplied with [`ClientBuilder::http_client`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The connect timeout of the HTTP client the SDK builds (default [`DEFAULT_CONNECT_TIMEOUT`];
    /// ignored with [`ClientBuilder::http_client`], whose own settings apply).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How failed attempts are retried (default [`RetryPolicy::default`]; [`RetryPolicy::none`]
    /// switches retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Whether to refresh the customer token automatically (default `true`): before a call when
    /// the token expires within [`ClientBuilder::refresh_margin`], and once, then retrying the call
    /// once, when a call is refused with 401 for an expired token. Concurrent calls share a single
    /// refresh.
    pub fn auto_refresh(mut self, enabled: bool) -> Self {
        self.auto_refresh = Some(enabled);
        self
    }

    /// How long before its expiry a token counts as expired (default [`DEFAULT_REFRESH_MARGIN`]).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// Allows sending the customer token over plain `http://` to a host that is not loopback.
    /// Off by default: a token sent in clear text can be stolen on the way.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The largest response body accepted, in bytes (default [`DEFAULT_MAX_RESPONSE_BODY_BYTES`]).
    pub fn max_response_body_bytes(mut self, limit: usize) -> Self {
        self.max_response_body_bytes = Some(limit);
        self
    }

    /// Use this HTTP client (its pool, proxy and TLS settings) instead of the SDK's own. The SDK's
    /// own client follows no redirects; if yours does, know that reqwest strips `Authorization`
    /// on a cross-host redirect but forwards the `Application` key. A `User-Agent` set on your
    /// client is kept unless [`ClientBuilder::user_agent`] is also set.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Called with every new token the server issues (from [`Client::refresh`] or an automatic
    /// refresh), once per refresh, after the client has switched to it (unless a `set_token` or
    /// `clear_token` made during the refresh stands). **Persist it**: the server invalidates the
    /// old token, so losing the new one logs the customer out. Keep the callback quick and do not
    /// make client calls from it: it runs on the refresh's task.
    pub fn on_token_refresh(mut self, callback: impl Fn(&Token) + Send + Sync + 'static) -> Self {
        self.on_token_refresh = Some(Arc::new(callback));
        self
    }

    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = validate_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let application_key = self.application_key.ok_or_else(|| {
            Error::config(format!(
                "the application key is missing: set it with `ClientBuilder::application_key` or \
                 the {} environment variable",
                env::APPLICATION_KEY
            ))
        })?;
        if application_key.expose().trim().is_empty() {
            return Err(Error::config("the application key is empty"));
        }
        header_value("the application key", application_key.expose())?;
        let api_version = self
            .api_version
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        if api_version.trim().is_empty() {
            return Err(Error::config("the API version is empty"));
        }
        header_value("the API version", &api_version)?;
        let api_version = menu_client::types::ApiVersion::try_from(api_version)
            .map_err(|e| Error::config(format!("the API version is not valid: {e}")))?;
        // The spec's only rule for the key is a minimum length, checked above; the error does
        // not quote the key.
        let application_parameter =
            menu_client::types::ApplicationKey::try_from(application_key.expose())
                .map_err(|_| Error::config("the application key is not valid"))?;
        let user_agent = UserAgent {
            value: header_value(
                "the user agent",
                self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT),
            )?,
            explicit: self.user_agent.is_some(),
        };
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::config("the timeout must be longer than zero"));
        }
        let max_response_body_bytes = self
            .max_response_body_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BODY_BYTES);
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        if connect_timeout.is_zero() {
            return Err(Error::config(
                "the connect timeout must be longer than zero",
            ));
        }
        let http = match self.http_client {
            Some(client) => client,
            // No redirects: reqwest would forward the `Application` key to another host.
            None => reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?,
        };
        let tokens = TokenStore::new(self.on_token_refresh);
        if let Some(token) = self.token {
            tokens.set(Token::new(token.expose()))?;
        }
        let token_in_clear_text = base_url.starts_with("http://") && !is_loopback(&base_url);
        let config = Config {
            token_in_clear_text: token_in_clear_text && !self.allow_insecure_http,
            retry: self.retry.unwrap_or_default(),
            auto_refresh: self.auto_refresh.unwrap_or(true),
            refresh_margin: self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
            base_url,
            application_key,
            application_parameter,
            api_version,
            query_builder: self.query_builder.unwrap_or(true),
            timeout,
            user_agent,
            max_response_body_bytes,
        };
        Ok(Client::from_parts(config, http, tokens))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("application_key", &self.application_key)
            .field("token", &self.token)
            .field("api_version", &self.api_version)
            .field("query_builder", &self.query_builder)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("http_client", &self.http_client.is_some())
            .field("on_token_refresh", &self.on_token_refresh.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("auto_refresh", &self.auto_refresh)
            .field("refresh_margin", &self.refresh_margin)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// A validated configuration.
#[derive(Clone)]
pub(crate) struct Config {
    /// Without a trailing slash; the generated code appends `/customers/...`.
    pub(crate) base_url: String,
    pub(crate) application_key: Secret,
    /// The application key as the generated operations take it (never printed: `Config`'s
    /// `Debug` leaves it out).
    pub(crate) application_parameter: menu_client::types::ApplicationKey,
    pub(crate) api_version: menu_client::types::ApiVersion,
    pub(crate) query_builder: bool,
    pub(crate) timeout: Duration,
    pub(crate) user_agent: UserAgent,
    pub(crate) max_response_body_bytes: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) auto_refresh: bool,
    pub(crate) refresh_margin: Duration,
    /// The base URL is plain `http://` to a non-loopback host and that was not allowed: customer
    /// calls are refused before sending the token.
    pub(crate) token_in_clear_text: bool,
}

/// The `User-Agent` to send, and whether the caller chose it (it then replaces one set on a
/// caller-supplied HTTP client; the default does not).
#[derive(Debug, Clone)]
pub(crate) struct UserAgent {
    pub(crate) value: HeaderValue,
    pub(crate) explicit: bool,
}

impl Config {
    pub(crate) fn query_builder_header(&self) -> menu_client::types::QueryBuilderEnabled {
        if self.query_builder {
            menu_client::types::QueryBuilderEnabled::True
        } else {
            menu_client::types::QueryBuilderEnabled::False
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("application_key", &self.application_key)
            .field("api_version", &self.api_version)
            .field("query_builder", &self.query_builder)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("retry", &self.retry)
            .field("auto_refresh", &self.auto_refresh)
            .finish()
    }
}

/// Whether a validated base URL's host is loopback (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An absolute `http(s)` URL with a host, no query, fragment or credentials; trailing `/` removed.
/// Error messages never repeat the URL's credentials, query or fragment (they may hold secrets).
fn validate_base_url(raw: &str) -> Result<String, Error> {
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

/// A header value, or an error naming `what` (never echoing the value, which may be secret).
pub(crate) fn header_value(what: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "{what} contains characters that are not allowed in an HTTP header (control \
             characters such as CR or LF, or non-visible bytes)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ClientBuilder {
        ClientBuilder::new().application_key("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
    }

    fn config_error(builder: ClientBuilder) -> String {
        match builder.build() {
            Err(Error::InvalidConfig { message }) => message,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let client = builder().build().unwrap();
        let config = client.config();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.api_version.as_str(), "5.0.0");
        assert!(config.query_builder);
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(config.max_response_body_bytes, 1024 * 1024);
        assert!(client.token().is_none());
        assert_eq!(
            DEFAULT_API_VERSION,
            <menu_client::Client as menu_client::ClientInfo<_>>::api_version(),
            "the default API version is the spec's"
        );
    }

    #[test]
    fn base_url_is_normalised_and_validated() {
        let ok = |url: &str| {
            builder()
                .base_url(url)
                .build()
                .unwrap()
                .config()
                .base_url
                .clone()
        };
        assert_eq!(
            ok("http://127.0.0.1:8080/api/"),
            "http://127.0.0.1:8080/api"
        );
        assert_eq!(ok(" https://example.test "), "https://example.test");
        for (url, why) in [
            ("", "is not a URL"),
            ("not a url", "is not a URL"),
            ("ftp://example.test", "http:// or https://"),
            ("http://example.test/api?x=1", "query"),
            ("http://example.test/#f", "fragment"),
            ("http://u:p@example.test", "credentials"),
            ("http://exa mple.test", "is not a URL"),
        ] {
            let message = config_error(builder().base_url(url));
            assert!(message.contains(why), "{url}: {message}");
        }
        // Credentials and queries are never repeated in the message.
        for url in [
            "http://user:hunter2@host/api?x=1",
            "ftp://user:hunter2@host",
            "http://user:hunter2@exa mple",
            "http://host/api?key=hunter2",
        ] {
            let message = config_error(builder().base_url(url));
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn header_values_with_newlines_are_rejected_without_echoing_them() {
        let message = config_error(ClientBuilder::new().application_key("key\r\nX-Evil: 1"));
        assert!(message.contains("application key"), "{message}");
        assert!(!message.contains("X-Evil"), "{message}");
        let message = config_error(builder().token("tok\nX-Evil: 1"));
        assert!(
            message.contains("token") && !message.contains("X-Evil"),
            "{message}"
        );
        assert!(config_error(builder().api_version("5\r\n")).contains("API version"));
        assert!(config_error(builder().user_agent("ua\u{7f}")).contains("user agent"));
        assert!(config_error(builder().api_version(" ")).contains("empty"));
        assert!(config_error(ClientBuilder::new().application_key("")).contains("empty"));
        assert!(config_error(builder().token("")).contains("empty"));
        assert!(config_error(builder().token("  ")).contains("empty"));
        assert!(config_error(builder().timeout(Duration::ZERO)).contains("timeout"));
    }

    #[test]
    fn plain_http_is_only_for_loopback_unless_allowed() {
        let clear = |url: &str, allow: bool| {
            builder()
                .base_url(url)
                .allow_insecure_http(allow)
                .build()
                .unwrap()
                .config()
                .token_in_clear_text
        };
        assert!(clear("http://api.example.test/api", false));
        assert!(clear("http://10.0.0.1/api", false));
        assert!(!clear("http://api.example.test/api", true));
        assert!(!clear("https://api.example.test/api", false));
        for loopback in [
            "http://127.0.0.1:1/api",
            "http://127.9.9.9/",
            "http://[::1]:80",
            "http://LOCALHOST:8080",
        ] {
            assert!(!clear(loopback, false), "{loopback}");
        }
    }

    #[test]
    fn application_key_is_required() {
        let message = config_error(ClientBuilder::new());
        assert!(message.contains("MENU_APPLICATION_KEY"), "{message}");
    }

    #[test]
    fn from_env_reads_the_four_variables_and_skips_empty_ones() {
        let vars = [
            ("MENU_BASE_URL", "http://127.0.0.1:9/api"),
            ("MENU_APPLICATION_KEY", "app-key-1234"),
            ("MENU_TOKEN", "a.b.c"),
            ("MENU_API_VERSION", ""),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let client = ClientBuilder::from_lookup(lookup).build().unwrap();
        assert_eq!(client.config().base_url, "http://127.0.0.1:9/api");
        assert_eq!(client.config().application_key.expose(), "app-key-1234");
        assert_eq!(client.config().api_version.as_str(), "5.0.0");
        assert_eq!(client.token().unwrap().value(), "a.b.c");
        // Later setters override the environment.
        let client = ClientBuilder::from_lookup(lookup)
            .api_version("4.38.0")
            .build()
            .unwrap();
        assert_eq!(client.config().api_version.as_str(), "4.38.0");
    }

    #[test]
    fn debug_shows_no_secret() {
        let builder = builder().token("secret-token-value");
        let text = format!("{builder:?} {:?}", builder.clone().build().unwrap());
        assert!(!text.contains("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d"), "{text}");
        assert!(!text.contains("secret-token-value"), "{text}");
    }
}
