//! The [`Client`]: cheap to clone, `Send + Sync`, one call per method.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

use crate::call::{Call, Shared};
use crate::config::{ClientBuilder, Config};
use crate::error::Error;
use crate::token_store::TokenStore;
use crate::transport::SdkTransport;
use crate::{CustomerAccount, Session, Token};

/// A client of the Menu customer API.
///
/// Every call carries exactly one of each header the API requires: a fresh `X-Request-ID` (UUID
/// v4, or the one given with [`Client::with_request_id`]), `Application`, `Accept` and
/// `Content-Type: application/json`, `API-Version`, `X-QB-Enabled` and, on customer calls,
/// `Authorization: Bearer <token>`.
///
/// Clones share the same configuration, connection pool and token: a refresh through one clone is
/// seen by all of them.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

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

    pub(crate) fn from_parts(config: Config, http: reqwest::Client, tokens: TokenStore) -> Self {
        Self {
            shared: Arc::new(Shared {
                config: Arc::new(config),
                http,
                tokens,
                refresh_gate: Default::default(),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn shared_arc(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    #[cfg(test)]
    pub(crate) fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Confirms the customer's pending phone number change with the code sent to the new number,
    /// and returns the updated account.
    ///
    /// `POST /customers/{customer_id}/verify-phone-number-update`. Needs a customer token.
    pub async fn verify_phone_number_update(
        &self,
        customer_id: Uuid,
        confirmation_code: impl Into<String>,
    ) -> Result<CustomerAccount, Error> {
        self.call()
            .verify_phone_number_update(customer_id, confirmation_code)
            .await
    }

    /// Exchanges the customer token for a new one and returns it with the customer's account.
    ///
    /// `GET /customers/refresh`. The current token may have expired, as long as it is inside its
    /// refresh window. On success the client switches to the new token atomically (concurrent
    /// calls use the old one or the new one, never a mix), then calls the
    /// [`ClientBuilder::on_token_refresh`] hook: the server has invalidated the old token, so
    /// the application must keep the new one. If [`Client::set_token`] or
    /// [`Client::clear_token`] was called while the refresh was in flight, that choice stands:
    /// the client does not switch, but the hook and the returned session still get the new token.
    pub async fn refresh(&self) -> Result<Session, Error> {
        self.call().refresh().await
    }

    /// Options for one call, with a fresh request id.
    pub fn call(&self) -> Call<'_> {
        Call::new(self)
    }

    /// One call sent with `request_id` as its `X-Request-ID`:
    /// `client.with_request_id(id).refresh().await`.
    pub fn with_request_id(&self, request_id: Uuid) -> Call<'_> {
        self.call().request_id(request_id)
    }

    /// The customer token the client currently holds.
    pub fn token(&self) -> Option<Token> {
        self.shared
            .tokens
            .current()
            .map(|token| Token::clone(&token))
    }

    /// Replaces the customer token (for example after the customer signed in). Fails, keeping the
    /// old token, if it cannot be sent as a header value.
    pub fn set_token(&self, token: impl Into<String>) -> Result<(), Error> {
        self.shared.tokens.set(Token::new(token))
    }

    /// Forgets the customer token; customer calls then fail with [`Error::MissingToken`].
    pub fn clear_token(&self) {
        self.shared.tokens.clear();
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.shared.config.base_url
    }

    /// The `API-Version` the client sends.
    pub fn api_version(&self) -> &str {
        &self.shared.config.api_version
    }

    /// The generated low-level client, for anything this crate does not cover. It shares this
    /// client's base URL, connection pool, current token, `User-Agent`, timeout and body limit;
    /// its operations take every header parameter explicitly. It does not retry and does not
    /// refresh the token: those belong to this crate's calls. The generated
    /// `types::ApplicationKey` derives `Debug` and would show the key: do not log it.
    pub fn generated(&self) -> Result<menu_client::Client, Error> {
        let mut context = match self.shared.tokens.current() {
            Some(_) if self.shared.config.token_in_clear_text => {
                return Err(Error::config(
                    "refusing to hand out a client that sends the customer token over plain \
                     http:// to a non-loopback host: use https://, or \
                     `ClientBuilder::allow_insecure_http(true)` if you must",
                ));
            }
            Some(token) => menu_client::RequestContext::with_token(&token)
                .map_err(|e| Error::config(e.to_string()))?,
            None => menu_client::RequestContext::new(),
        };
        context =
            context.with_transport(Arc::new(SdkTransport::shared(self.shared.config.clone())));
        Ok(menu_client::Client::new_with_client(
            &self.shared.config.base_url,
            self.shared.http.clone(),
            context,
        ))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.shared.config;
        f.debug_struct("Client")
            .field("base_url", &config.base_url)
            .field("application_key", &config.application_key)
            .field("api_version", &config.api_version)
            .field("query_builder", &config.query_builder)
            .field("timeout", &config.timeout)
            .field("token", &self.shared.tokens.current())
            .finish_non_exhaustive()
    }
}
