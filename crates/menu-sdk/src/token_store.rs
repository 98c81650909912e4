//! The customer token a client holds: read as one immutable snapshot per call, replaced atomically,
//! and handed to the application (`on_token_refresh`) whenever the server issues a new one.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use crate::Token;
use crate::config::header_value;
use crate::error::Error;

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
        header_value("the customer token", token.value())?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(token));
        Ok(())
    }

    /// Forgets the token.
    pub(crate) fn clear(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Switches to a token the server issued, then hands it to the application's hook.
    pub(crate) fn replace_from_server(&self, token: Token) -> Result<Arc<Token>, Error> {
        header_value("the token issued by the server", token.value())?;
        let token = Arc::new(token);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        if let Some(hook) = &self.on_refresh {
            hook(&token);
        }
        Ok(token)
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
