//! The state all clones of a [`crate::Client`] share: configuration, HTTP client (its connection
//! pool), the customer token, and the refresh gate.

use std::fmt;

use crate::config::Config;
use crate::single_flight::RefreshGate;
use crate::token_store::TokenStore;

/// What every clone of a client and every call of it reads.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: TokenStore,
    pub(crate) refresh_gate: RefreshGate,
}

impl Shared {
    pub(crate) fn new(config: Config, http: reqwest::Client, tokens: TokenStore) -> Self {
        Self {
            config,
            http,
            tokens,
            refresh_gate: RefreshGate::default(),
        }
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}
