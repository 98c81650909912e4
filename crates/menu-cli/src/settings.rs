//! A command's client, from its settings: flag > environment > profile > default (clap merges the
//! first two). A token from the profile makes the profile the client's token store, under the
//! inter-process lock (`profile.rs`); a token from a flag or the environment is the caller's to
//! keep. The profile's token and key go only to the host the profile is bound to (`binding.rs`).

use menu_sdk::menu_client::operation::Operation;
use menu_sdk::{Call, Client, Error};

use crate::binding;
use crate::cli::GlobalOptions;
use crate::output::Failure;
use crate::profile::{Locked, Profiles};

mod store;

use store::ProfileStore;

/// What a command may do with the profile's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileToken {
    /// Nothing: the client starts without it (the profile only keeps the tokens the server
    /// issues).
    Unused,
    /// Sent when there is one, and only to the profile's host or its local proxy: to another
    /// host the call goes without it, and the profile's token is left as it is (an operation
    /// that takes a token optionally and does not change tokens).
    WhereBound,
    /// Sent, replaced or forgotten: another host is refused (`binding::check`), as a token issued
    /// there would replace this profile's.
    Bound,
}

impl ProfileToken {
    /// What `operation` does with the profile's token, by the operation model: an operation that
    /// requires a token or changes tokens (`x-token`) is [`Self::Bound`], one that takes it when
    /// there is one [`Self::WhereBound`].
    pub fn of(operation: &Operation) -> Self {
        if operation.auth.requires_token() || operation.token.changes_tokens() {
            Self::Bound
        } else if operation.auth.takes_token() {
            Self::WhereBound
        } else {
            Self::Unused
        }
    }
}

/// A client ready for one command.
pub struct Session {
    pub client: Client,
    /// Whether the profile keeps the tokens the server issues (a token from a flag or the
    /// environment is not the profile's).
    pub profile_keeps_tokens: bool,
    /// Held until the command ends.
    _lock: Option<Locked>,
}

impl Session {
    /// The client of `global`, for a command that sends requests (`lock`: take the profile's
    /// lock first, so that no other `menu` rotates its token meanwhile; `token`: what the
    /// command does with the profile's token: when it may send it, it is loaded, and refused to
    /// another host than the profile's, as its application key always is (`binding.rs`);
    /// otherwise the client starts without it). The profile keeps the tokens the server issues,
    /// bound to the base URL that issued them (`ProfileStore`).
    pub async fn open(
        global: &GlobalOptions,
        lock: bool,
        token: ProfileToken,
    ) -> Result<Self, Failure> {
        let profiles = Profiles::new(global.profile.as_deref())?;
        let token_given = global.token.is_some();
        // Read after taking the lock: another `menu` may have just stored a new token.
        let lock = if lock && !token_given {
            Some(profiles.lock()?)
        } else {
            None
        };
        let mut profile = profiles.read()?;
        binding::bind_legacy(&profiles, &mut profile, lock.is_some())?;
        let base_url = global.base_url.as_deref().or(profile.base_url.as_deref());
        let sends_token = match token {
            ProfileToken::Unused => false,
            // Another host than the binding: the call goes without the profile's token.
            ProfileToken::WhereBound => base_url.is_none_or(|url| binding::allows(&profile, url)),
            ProfileToken::Bound => true,
        };
        binding::check(&profiles, &profile, global, sends_token)?;
        let key = global
            .application_key
            .clone()
            .or(profile.application_key.clone())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "no application key: pass --application-key, set MENU_APPLICATION_KEY, or \
                     sign up to store one in the profile `{}`",
                    profiles.name()
                ))
            })?;
        // The one form of the URL the client uses, which the profile is bound to when it keeps a
        // token the server issued.
        let base_url = menu_sdk::validate_base_url(base_url.unwrap_or(menu_sdk::DEFAULT_BASE_URL))?;
        let mut builder = Client::builder()
            .application_key(key)
            .base_url(&base_url)
            .allow_insecure_http(global.allow_insecure_http);
        if let Some(version) = &global.api_version {
            builder = builder.api_version(version);
        }
        if global.verbosity() > 1 {
            // `-vv`: each response, as the SDK hands it over, masked.
            builder = builder.inspect_responses(crate::show::response);
        }
        let profile_keeps_tokens = !token_given;
        let builder = match &global.token {
            // Not the profile's: a rotated token could be kept nowhere, so none is rotated behind
            // the caller's back (an explicit `refresh` shows or writes it).
            Some(token) => builder.token(token).auto_refresh(false),
            // The profile is the client's token store: it loads the token and keeps every one
            // the server issues.
            None => builder.token_store(ProfileStore {
                profiles,
                load: sends_token,
                base_url,
                application_key: global.application_key.clone(),
            }),
        };
        Ok(Self {
            client: builder.load().await?,
            profile_keeps_tokens,
            _lock: lock,
        })
    }

    /// After `error`: if the profile could not be written, the token the server issued exists
    /// only in this process, so it is shown on stdout (the old one may be dead), and the error
    /// says so.
    pub fn keep_unsaved(&self, error: Error) -> Failure {
        let unsaved = matches!(&error, Error::TokenStore { .. })
            || matches!(&error, Error::RefreshFailed { source, .. }
                if matches!(**source, Error::TokenStore { .. }));
        let mut failure = Failure::from(error);
        if let Some(token) = self.client.token().filter(|_| unsaved) {
            let shown = serde_json::json!({ "token": crate::output::token_json(&token, true) });
            let kept = match crate::output::say(crate::output::pretty(&shown)) {
                Ok(()) => {
                    "so it is printed on stdout: keep it (`menu login` stores it once the \
                           profile can be written)"
                }
                // Secrets never go into an error message: say plainly what was lost.
                Err(_) => {
                    "nor printed (stdout is closed), so it is lost: sign in again with \
                           `menu login` or `menu signup`"
                }
            };
            failure.message = format!(
                "{}; the new token could not be stored in the profile, {kept}",
                failure.message
            );
            failure.code = 1;
        }
        failure
    }

    /// A call with the global request id, if one was given.
    pub fn call(&self, global: &GlobalOptions) -> Call<'_> {
        match global.request_id {
            Some(id) => self.client.with_request_id(id),
            None => self.client.call(),
        }
    }
}
