//! The customer token a client holds: read as one immutable snapshot per call, replaced atomically,
//! and handed to the application (`on_token_refresh`) whenever the server issues a new one.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use crate::Token;
use crate::error::Error;
use crate::headers;

/// The application's hook for new tokens.
pub(crate) type OnTokenRefresh = Arc<dyn Fn(&Token) + Send + Sync>;

/// Holds the current token. A call takes an `Arc` snapshot ([`TokenStore::current`]) and uses it
/// for its whole life: concurrent calls see the old token or the new one, never a mix.
pub(crate) struct TokenStore {
    current: RwLock<Option<Arc<Token>>>,
    on_refresh: Option<OnTokenRefresh>,
}

impl TokenStore {
    pub(crate) fn new(on_refresh: Option<OnTokenRefresh>) -> Self {
        Self {
            current: RwLock::new(None),
            on_refresh,
        }
    }

    /// The token for one call.
    pub(crate) fn current(&self) -> Option<Arc<Token>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the token (after checking it can be sent as a header). Does not call the hook:
    /// the application set this token itself.
    pub(crate) fn set(&self, token: Token) -> Result<(), Error> {
        if token.value().trim().is_empty() {
            return Err(Error::config(
                "the customer token is empty: pass the customer's JWT, or use `clear_token`",
            ));
        }
        headers::value("the customer token", token.value())?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(token));
        Ok(())
    }

    /// Forgets the token.
    pub(crate) fn clear(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Switches to a token the server issued in exchange for `previous`, then hands it to the
    /// application's hook (always: the server has invalidated `previous`).
    ///
    /// The switch only happens if the client still holds `previous`: a `set_token` or
    /// `clear_token` made while the refresh was in flight wins over it (a logout stays a logout).
    pub(crate) fn replace_from_server(
        &self,
        previous: &Arc<Token>,
        token: &Token,
    ) -> Result<(), Error> {
        if token.value().trim().is_empty() {
            return Err(Error::config("the token issued by the server is empty"));
        }
        // The check builds the header the next calls send, once (clones keep it).
        if token.bearer_header().is_none() {
            return Err(Error::config(
                "the token issued by the server contains characters that are not allowed in an \
                 HTTP header",
            ));
        }
        {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, previous)) {
                *current = Some(Arc::new(token.clone()));
            }
        }
        if let Some(hook) = &self.on_refresh {
            // A panicking hook must not take the refresh down with it: the new token is kept
            // (the client switched to it above) and the calls waiting for it go on.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(token)));
            if called.is_err() {
                tracing::error!(
                    "the on_token_refresh hook panicked; the client keeps the new token, but the \
                     application may not have saved it"
                );
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Token`'s own Debug redacts the value.
        f.debug_struct("TokenStore")
            .field("current", &self.current())
            .field("on_refresh", &self.on_refresh.is_some())
            .finish()
    }
}
