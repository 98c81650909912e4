//! Credentials tied to their host, as gh and the AWS CLI tie them: a profile's token and
//! application key are sent only to the base URL the profile is bound to, or to the one local
//! proxy the profile names (`menu login --proxy-url`). `menu login` and `menu signup` bind it to
//! the URL they used, and every token the server issues into the profile is written with its
//! binding to the URL that issued it ([`bind_issued`]). Another base URL with the profile's
//! secrets is refused before anything is sent; an operation that takes a token only when there
//! is one goes there without it (`settings.rs`). A token or key given by flag or environment is
//! the user's, and goes wherever the user says.
//!
//! URLs are compared by [`normalised`], the SDK's one form of a base URL: scheme and host case,
//! the default port and trailing slashes do not count; `localhost`, `127.0.0.1` and `[::1]` are
//! different hosts; the path is compared as given.

use crate::cli::GlobalOptions;
use crate::output::Failure;
use crate::profile::{Profile, Profiles};

/// `url` as the client uses it and as URLs are compared: the SDK's one rule
/// ([`menu_sdk::validate_base_url`]: scheme and host in lower case, without the scheme's default
/// port nor trailing slashes, the path as given). An error says why `url` is no base URL (not
/// `http(s)`, no host, a query, a fragment or credentials), without repeating its secrets.
pub fn normalised(url: &str) -> Result<String, String> {
    menu_sdk::validate_base_url(url).map_err(|error| match error {
        menu_sdk::Error::InvalidConfig { message } => message,
        other => other.to_string(),
    })
}

/// Whether `a` and `b` are one base URL ([`normalised`]); a URL that does not parse is no other.
pub fn same(a: &str, b: &str) -> bool {
    matches!((normalised(a), normalised(b)), (Ok(a), Ok(b)) if a == b)
}

/// A base URL as `menu login` and `menu signup` take it (`--base-url` or `MENU_BASE_URL`), in
/// the form it is stored and compared in ([`normalised`]).
pub fn checked_base_url(url: &str) -> Result<String, Failure> {
    normalised(url).map_err(|e| Failure::usage(format!("--base-url (or MENU_BASE_URL): {e}")))
}

/// A local proxy URL as `menu login --proxy-url` takes it: a base URL ([`normalised`]) on this
/// machine ([`menu_sdk::is_loopback`]).
pub fn checked_proxy_url(url: &str) -> Result<String, Failure> {
    let normalised = normalised(url).map_err(|e| Failure::usage(format!("--proxy-url: {e}")))?;
    if !menu_sdk::is_loopback(&normalised) {
        return Err(Failure::usage(format!(
            "--proxy-url {url}: a proxy that may receive the profile's token must run on this \
             machine (localhost, 127.0.0.1 or [::1]); nothing was stored"
        )));
    }
    Ok(normalised)
}

/// The base URL a profile is bound to: its own, or the default host (where a profile without
/// one has always sent its token).
pub fn bound_to(profile: &Profile) -> &str {
    profile
        .base_url
        .as_deref()
        .unwrap_or(menu_sdk::DEFAULT_BASE_URL)
}

/// A profile written by `menu` 0.3 (a token or a key, no base URL) is bound to the default host,
/// where 0.3 sent them; the binding is written to the profile, so the user is told once.
/// `locked`: the caller holds the profile's lock already.
pub fn bind_legacy(
    profiles: &Profiles,
    profile: &mut Profile,
    locked: bool,
) -> Result<(), Failure> {
    if profile.base_url.is_some() || (profile.token.is_none() && profile.application_key.is_none())
    {
        return Ok(());
    }
    let _lock = if locked { None } else { Some(profiles.lock()?) };
    let default = menu_sdk::DEFAULT_BASE_URL;
    profiles.update(|stored| {
        stored.base_url.get_or_insert_with(|| default.to_owned());
    })?;
    profile.base_url = Some(default.to_owned());
    crate::output::tell!(
        "note: the profile `{}` had no base URL: its credentials are now bound to {default} (the \
         default host, where they were sent so far); rebind with `menu login --base-url URL`",
        profiles.name()
    );
    Ok(())
}

/// Whether the profile's token and key may go to `url`: its binding or its local proxy.
pub fn allows(profile: &Profile, url: &str) -> bool {
    same(url, bound_to(profile)) || profile.proxy_url.as_deref().is_some_and(|p| same(url, p))
}

/// Binds `profile` to `url`, the base URL a client was just issued a token by, which is stored in
/// the same update: a token and its binding are written together. Where the profile's
/// credentials may go already (its binding, its local proxy), the binding stays (written if it
/// was only the default). Another host: the profile is bound to it, its local proxy (in front of
/// the old host) is dropped, and its application key becomes `key`, the one the client was given
/// by flag or environment (none: no key), as the profile's own is bound to the old host.
pub fn bind_issued(profile: &mut Profile, url: &str, key: Option<&str>) {
    if allows(profile, url) {
        let bound = bound_to(profile).to_owned();
        profile.base_url.get_or_insert(bound);
        return;
    }
    profile.base_url = Some(url.to_owned());
    profile.proxy_url = None;
    profile.application_key = key.map(str::to_owned);
}

/// Refuses, before anything is sent, a base URL given by flag or environment that the profile
/// does not [`allows`], when the profile's own token (`sends_token`: the command sends it, or
/// may replace or forget it) or application key would go there.
pub fn check(
    profiles: &Profiles,
    profile: &Profile,
    global: &GlobalOptions,
    sends_token: bool,
) -> Result<(), Failure> {
    let Some(url) = global.base_url.as_deref() else {
        return Ok(());
    };
    let token = sends_token && global.token.is_none() && profile.token.is_some();
    let key = global.application_key.is_none() && profile.application_key.is_some();
    // A URL that does not parse is the SDK's to refuse, saying why.
    if allows(profile, url) || !(token || key) || normalised(url).is_err() {
        return Ok(());
    }
    let bound = bound_to(profile);
    let (what, flags) = match (token, key) {
        (true, true) => (
            "token and application key are",
            "pass --token (and --application-key)",
        ),
        (true, false) => ("token is", "pass --token"),
        _ => ("application key is", "pass --application-key"),
    };
    Err(Failure::usage(format!(
        "the profile `{}`'s {what} bound to {bound}, not to {url} (--base-url or MENU_BASE_URL); \
         nothing was sent: use another profile (--profile NAME), {flags}, or rebind this profile \
         on purpose with `menu login --base-url {url}`",
        profiles.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_compared_normalised() {
        for (a, b, equal) in [
            (
                "https://api.example.com/api",
                "https://api.example.com/api",
                true,
            ),
            (
                "HTTPS://API.Example.COM/api",
                "https://api.example.com/api",
                true,
            ),
            (
                "https://api.example.com/api/",
                "https://api.example.com/api",
                true,
            ),
            (
                "https://api.example.com:443/api",
                "https://api.example.com/api",
                true,
            ),
            ("http://127.0.0.1:80/api", "http://127.0.0.1/api", true),
            ("https://api.example.com", "https://api.example.com/", true),
            (
                " https://api.example.com/api ",
                "https://api.example.com/api",
                true,
            ),
            (
                "http://localhost:8080/api",
                "http://127.0.0.1:8080/api",
                false,
            ),
            ("http://[::1]:8080/api", "http://127.0.0.1:8080/api", false),
            ("http://[::1]:8080/api", "http://localhost:8080/api", false),
            (
                "https://api.example.com/api",
                "https://api.example.com/API",
                false,
            ),
            (
                "https://api.example.com/api",
                "http://api.example.com/api",
                false,
            ),
            (
                "https://api.example.com:80/api",
                "https://api.example.com/api",
                false,
            ),
            (
                "http://api.example.com:443/api",
                "http://api.example.com/api",
                false,
            ),
            (
                "https://api.example.com:8443/api",
                "https://api.example.com/api",
                false,
            ),
            (
                "https://api.example.com/api",
                "https://api.example.com/api/v2",
                false,
            ),
            (
                "https://api.example.com/api",
                "https://staging.example.com/api",
                false,
            ),
            ("not a url", "not a url", false),
            (
                "https://api.example.com/api?x",
                "https://api.example.com/api?x",
                false,
            ),
            (
                "https://u:p@api.example.com/api",
                "https://u:p@api.example.com/api",
                false,
            ),
            (
                "ftp://api.example.com/api",
                "ftp://api.example.com/api",
                false,
            ),
        ] {
            assert_eq!(same(a, b), equal, "{a} vs {b}");
            assert_eq!(same(b, a), equal, "{b} vs {a}");
        }
        assert_eq!(
            normalised("HTTP://LocalHost:80/Api/").unwrap(),
            "http://localhost/Api"
        );
    }

    #[test]
    fn a_proxy_must_be_on_this_machine() {
        for url in [
            "http://127.0.0.1:8081/api",
            "http://localhost:8081/api/",
            "http://[::1]:8081/api",
            "http://127.1.2.3/api",
        ] {
            assert!(checked_proxy_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://192.0.2.10/api",
            "https://proxy.example.com/api",
            "http://localhost.example.com/api",
            "127.0.0.1:8081",
            "",
            "http://127.0.0.1:8081/api?x",
            "http://u:p@127.0.0.1:8081/api",
        ] {
            let failure = checked_proxy_url(url).unwrap_err();
            assert_eq!(failure.code, 2, "{url}");
        }
        assert_eq!(
            checked_proxy_url(" HTTP://LocalHost:8081/api/ ").unwrap(),
            "http://localhost:8081/api"
        );
    }

    #[test]
    fn an_issued_token_binds_the_profile_to_the_url_that_issued_it() {
        let a = "https://a.example/api";
        let b = "https://b.example/api";
        let proxy = "http://127.0.0.1:8081/api";
        let mut bound = Profile::default();
        bound.base_url = Some(a.to_owned());
        bound.proxy_url = Some(proxy.to_owned());
        bound.application_key = Some("ka".to_owned());
        // Its binding or its proxy: nothing changes.
        for url in [a, "HTTPS://A.example:443/api/", proxy] {
            let mut profile = bound.clone();
            bind_issued(&mut profile, url, Some("kb"));
            assert_eq!(profile, bound, "{url}");
        }
        // Another host: bound there, the proxy dropped, the key the one given (or none).
        let mut profile = bound.clone();
        bind_issued(&mut profile, b, Some("kb"));
        assert_eq!(profile.base_url.as_deref(), Some(b));
        assert_eq!(profile.proxy_url, None);
        assert_eq!(profile.application_key.as_deref(), Some("kb"));
        let mut profile = bound.clone();
        bind_issued(&mut profile, b, None);
        assert_eq!(profile.application_key, None);
        // A profile bound to nothing yet: to the default host, written; to another, that one.
        let mut profile = Profile::default();
        bind_issued(&mut profile, menu_sdk::DEFAULT_BASE_URL, None);
        assert_eq!(
            profile.base_url.as_deref(),
            Some(menu_sdk::DEFAULT_BASE_URL)
        );
        let mut profile = Profile::default();
        bind_issued(&mut profile, b, Some("kb"));
        assert_eq!(profile.base_url.as_deref(), Some(b));
    }
}
