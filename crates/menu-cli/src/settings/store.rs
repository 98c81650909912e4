//! A profile as the client's token store ([`ProfileStore`], the SDK's [`TokenStore`]): it loads
//! the profile's token, and writes every token the server issues back to the profile with its
//! binding to the base URL that issued it, in one update (`binding::bind_issued`), off the async
//! runtime's workers.

use menu_sdk::{StoreFuture, Token, TokenStore};

use crate::profile::{Profile, Profiles};

/// A profile as the client's token store: every token the server issues is written to it, with
/// its binding to the base URL that issued it, in one update (`binding::bind_issued`).
pub struct ProfileStore {
    pub profiles: Profiles,
    /// Whether the client starts with the profile's token (otherwise it starts without one, and
    /// only keeps what the server issues).
    pub load: bool,
    /// The base URL the client sends to, validated (`menu_sdk::validate_base_url`).
    pub base_url: String,
    /// The application key the client was given by flag or environment, if any (stored with a
    /// token issued by another host than the profile's).
    pub application_key: Option<String>,
}

impl ProfileStore {
    /// Changes the profile off the async runtime's workers (the file is re-read, checked and
    /// replaced).
    fn update(&self, change: impl FnOnce(&mut Profile) + Send + 'static) -> StoreFuture<'_, ()> {
        let profiles = self.profiles.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || profiles.update(change))
                .await
                .map_err(|e| format!("the profile update stopped: {e}"))?
                .map_err(|f| f.message.into())
        })
    }
}

impl TokenStore for ProfileStore {
    fn load(&self) -> StoreFuture<'_, Option<Token>> {
        Box::pin(async move {
            if !self.load {
                return Ok(None);
            }
            let profile = self.profiles.read().map_err(|f| f.message)?;
            Ok(profile.token.map(Token::new))
        })
    }

    fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()> {
        let token = token.value().to_owned();
        let url = self.base_url.clone();
        let key = self.application_key.clone();
        self.update(move |profile| {
            crate::binding::bind_issued(profile, &url, key.as_deref());
            profile.token = Some(token);
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        self.update(|profile| profile.token = None)
    }
}
