//! [`ClientBuilder`]: the by-value builder of a [`Client`], and the validation that turns it into
//! a [`Config`] (invalid input is an error, never a panic).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Token;
use crate::client::Client;
use crate::config::{
    Config, DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_REFRESH_MARGIN, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
    env, is_loopback, validate_base_url,
};
use crate::error::Error;
use crate::exchange::Endpoint;
use crate::headers;
use crate::identity::{Identity, OnTokenRefresh, Tokens};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::shared::Shared;
use crate::token_store::TokenStore;

impl Client {
    /// A builder: `Client::builder().application_key("...").build()?`.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `MENU_BASE_URL`, `MENU_APPLICATION_KEY` (required), `MENU_TOKEN`
    /// and `MENU_API_VERSION`. See [`ClientBuilder::from_env`] to adjust it further.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }
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
    tls_root_certificates: Vec<reqwest::Certificate>,
    on_token_refresh: Option<OnTokenRefresh>,
    token_store: Option<Arc<dyn TokenStore>>,
    /// Extra headers: name, value, sensitive (checked by `build`).
    extra_headers: Vec<(String, Secret, bool)>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    auto_refresh: Option<bool>,
    refresh_margin: Option<Duration>,
    allow_insecure_http: bool,
    /// Set by `inspect_responses` (`inspect.rs`).
    pub(crate) inspector: Option<crate::inspect::Inspector>,
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

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]), sent on every call, also with a
    /// client supplied by [`ClientBuilder::http_client`].
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
    /// on a cross-host redirect but forwards the `Application` key. The SDK's `User-Agent`
    /// replaces one set on your client: set yours with [`ClientBuilder::user_agent`]. To trust a private
    /// certificate authority, add it to your client (`reqwest::ClientBuilder::tls_certs_merge`).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Trust this certificate authority too (a company's private CA, a test server's), besides
    /// the system's roots. It applies to the SDK's own HTTP client: with
    /// [`ClientBuilder::http_client`], add it to your client instead ([`ClientBuilder::build`]
    /// refuses the two together).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = std::fs::read("company-ca.pem")?;
    /// let client = menu_sdk::Client::builder()
    ///     .base_url("https://menu.internal.example/api")
    ///     .application_key("f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
    ///     .tls_root_certificate(reqwest::Certificate::from_pem(&pem)?)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn tls_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.tls_root_certificates.push(certificate);
        self
    }

    /// Called with every new token the server issues (`register`, [`Client::refresh`] or an
    /// automatic refresh), once per token, after the client has switched to it (unless a `set_token` or
    /// `clear_token` made during the refresh stands). **Persist it**: the server invalidates the
    /// old token, so losing the new one logs the customer out. Keep the callback quick and do not
    /// make client calls from it: it runs inside the refresh, which other calls may be waiting for.
    pub fn on_token_refresh(mut self, callback: impl Fn(&Token) + Send + Sync + 'static) -> Self {
        self.on_token_refresh = Some(Arc::new(callback));
        self
    }

    /// Sends an extra header on every call (the API has optional ones, such as `Device-UUID`).
    /// It may not be one of the headers the SDK manages (`X-Request-ID`, `Application`,
    /// `API-Version`, `X-QB-Enabled`, `Accept`, `Content-Type`, `User-Agent`, `Authorization`):
    /// [`ClientBuilder::build`] refuses it. A later header of the same name replaces it; a call's
    /// own ([`crate::Call::header`]) and an operation's header parameter win over it.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers
            .push((name.into(), Secret::new(value), false));
        self
    }

    /// Like [`ClientBuilder::header`], for a secret value (`DLC-Authorization`, say): it is marked
    /// sensitive and never appears in `Debug` output, errors or tracing.
    pub fn sensitive_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers
            .push((name.into(), Secret::new(value), true));
        self
    }

    /// Keep the customer token in `store` between runs (for example a [`crate::FileTokenStore`]):
    /// [`ClientBuilder::load`] builds the client with the token the store holds, and every token
    /// the server issues is saved there (a failed save is the error of the call that brought the
    /// token: [`Error::TokenStore`]). A token given with [`ClientBuilder::token`] wins over the
    /// stored one.
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.token_store = Some(Arc::new(store));
        self
    }

    /// Builds the client, with the token its [`ClientBuilder::token_store`] holds (unless one was
    /// given with [`ClientBuilder::token`]). Without a store, it is [`ClientBuilder::build`].
    pub async fn load(self) -> Result<Client, Error> {
        let store = self.token_store.clone();
        let explicit = self.token.is_some();
        let client = self.build_with(true)?;
        if let Some(store) = store.filter(|_| !explicit) {
            let token = store.load().await.map_err(|e| {
                Error::config(format!(
                    "cannot load the customer token from the token store: {e}"
                ))
            })?;
            if let Some(token) = token {
                client.set_stored_token(token)?;
            }
        }
        Ok(client)
    }

    /// Validates the configuration and builds the client. With a
    /// [`ClientBuilder::token_store`], use [`ClientBuilder::load`], which reads the stored token.
    pub fn build(self) -> Result<Client, Error> {
        self.build_with(false)
    }

    fn build_with(self, loading: bool) -> Result<Client, Error> {
        if self.token_store.is_some() && !loading {
            return Err(Error::config(
                "a client with a token store is built with `ClientBuilder::load().await`, which \
                 reads the stored token",
            ));
        }
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
        let api_version = self
            .api_version
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        if api_version.trim().is_empty() {
            return Err(Error::config("the API version is empty"));
        }
        let headers = headers::common(&headers::Defaults {
            application_key: application_key.expose(),
            api_version: &api_version,
            query_builder: self.query_builder.unwrap_or(true),
            user_agent: self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT),
        })?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::config("the timeout must be longer than zero"));
        }
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        if connect_timeout.is_zero() {
            return Err(Error::config(
                "the connect timeout must be longer than zero",
            ));
        }
        let http = match self.http_client {
            Some(_) if !self.tls_root_certificates.is_empty() => {
                return Err(Error::config(
                    "`tls_root_certificate` applies to the SDK's own HTTP client: add the \
                     certificate to the client given to `http_client` instead",
                ));
            }
            Some(client) => client,
            // No redirects: reqwest would forward the `Application` key to another host.
            None => reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_merge(self.tls_root_certificates)
                .build()
                .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?,
        };
        let mut extra_headers = reqwest::header::HeaderMap::new();
        for (name, value, sensitive) in &self.extra_headers {
            let extra = headers::extra(name, value.expose(), *sensitive)?;
            extra_headers.insert(extra.name, extra.value);
        }
        let tokens = Tokens::new(self.on_token_refresh, self.token_store);
        if let Some(token) = self.token {
            tokens.set(Token::new(token.expose()))?;
        }
        let token_in_clear_text = base_url.starts_with("http://") && !is_loopback(&base_url);
        let config = Config {
            token_in_clear_text: token_in_clear_text && !self.allow_insecure_http,
            inspector: self.inspector,
            retry: self.retry.unwrap_or_default(),
            auto_refresh: self.auto_refresh.unwrap_or(true),
            refresh_margin: self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
            base_url,
            application_key,
            api_version,
            headers: Arc::new(headers),
            extra_headers: Arc::new(extra_headers),
            timeout,
            max_response_body_bytes: self
                .max_response_body_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BODY_BYTES),
        };
        let endpoint = Arc::new(Endpoint { config, http });
        let identity = Identity::new(endpoint.clone(), tokens, crate::generated::ROTATION);
        Ok(Client::new(Shared {
            endpoint,
            identity: Arc::new(identity),
        }))
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
            .field("tls_root_certificates", &self.tls_root_certificates.len())
            .field("on_token_refresh", &self.on_token_refresh.is_some())
            .field("token_store", &self.token_store.is_some())
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(name, _, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("auto_refresh", &self.auto_refresh)
            .field("refresh_margin", &self.refresh_margin)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("inspect_responses", &self.inspector.is_some())
            .finish()
    }
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
        assert_eq!(config.headers["x-qb-enabled"], "true");
        assert_eq!(config.headers["user-agent"], DEFAULT_USER_AGENT);
        assert!(config.headers["application"].is_sensitive());
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
