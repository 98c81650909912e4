//! Credentials tied to their host, as gh and the AWS CLI tie them: a profile's token and
//! application key are sent only to the base URL the profile is bound to (`menu login` and
//! `menu signup` bind it to the URL they used, the default host when none was given), or to the
//! one local proxy the profile names (`menu login --proxy-url`). Another base URL with the
//! profile's secrets is refused before anything is sent. A token or key given by flag or
//! environment is the user's, and goes wherever the user says.
//!
//! URLs are compared by [`normalised`]: scheme and host case, the default port and trailing
//! slashes do not count; `localhost`, `127.0.0.1` and `[::1]` are different hosts; the path is
//! compared as given.

use url::Url;

use crate::cli::GlobalOptions;
use crate::output::Failure;
use crate::profile::{Profile, Profiles};

/// `url` as URLs are compared: scheme and host in lower case, without the scheme's default port
/// (http 80, https 443) nor trailing slashes; the path (and a query) as given. An error says why
/// `url` is not an `http(s)` URL with a host.
pub fn normalised(url: &str) -> Result<String, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("`{url}` is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{url}` does not start with http:// or https://"));
    }
    // The `url` crate lower-cases the scheme and the host of http(s) URLs, and drops their
    // default port.
    let host = parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| format!("`{url}` has no host"))?;
    let mut out = format!("{}://{host}", parsed.scheme());
    if let Some(port) = parsed.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(parsed.path().trim_end_matches('/'));
    if let Some(query) = parsed.query() {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// Whether `a` and `b` are one base URL ([`normalised`]); a URL that does not parse is no other.
pub fn same(a: &str, b: &str) -> bool {
    matches!((normalised(a), normalised(b)), (Ok(a), Ok(b)) if a == b)
}

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `[::1]`).
pub fn is_loopback(url: &str) -> bool {
    match Url::parse(url.trim()).ok().as_ref().and_then(Url::host) {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A local proxy URL as `menu login --proxy-url` takes it: an `http(s)` URL on this machine.
pub fn checked_proxy_url(url: &str) -> Result<String, Failure> {
    normalised(url).map_err(|e| Failure::usage(format!("--proxy-url: {e}")))?;
    if !is_loopback(url) {
        return Err(Failure::usage(format!(
            "--proxy-url {url}: a proxy that may receive the profile's token must run on this \
             machine (localhost, 127.0.0.1 or [::1]); nothing was stored"
        )));
    }
    Ok(url.trim().trim_end_matches('/').to_owned())
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

/// Refuses, before anything is sent, a base URL given by flag or environment that is neither the
/// profile's binding nor its local proxy, when the profile's own token (`sends_token`: the
/// command sends one) or application key would go there.
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
    let bound = bound_to(profile);
    let allowed = same(url, bound) || profile.proxy_url.as_deref().is_some_and(|p| same(url, p));
    // A URL that does not parse is the SDK's to refuse, saying why.
    if allowed || !(token || key) || normalised(url).is_err() {
        return Ok(());
    }
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
        ] {
            let failure = checked_proxy_url(url).unwrap_err();
            assert_eq!(failure.code, 2, "{url}");
        }
    }
}
