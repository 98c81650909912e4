//! Signing in and out of a profile: `signup` (the passwordless sign-up, its token stored),
//! `login` (a token given), `logout`, `whoami`.

use std::io::{BufRead as _, IsTerminal as _};

use menu_sdk::menu_client::operation::Kind;
use menu_sdk::types::{EmailRequest, RegisterRequest};
use menu_sdk::{Code, Token, TokenClaims};

use crate::binding;
use crate::cli::GlobalOptions;
use crate::output::{Failure, say};
use crate::profile::Profiles;
use crate::settings::{ProfileToken, Session};

/// Tells the person at the terminal what is happening (stderr: stdout stays for results).
fn step(text: &str) {
    crate::output::tell!("{text}");
}

/// `menu signup`: request a code and ask for it (unless `--code` gives one already sent),
/// register, keep the token (and the settings that made the call) in the profile.
pub async fn signup(
    global: &GlobalOptions,
    email: &str,
    code: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), Failure> {
    // Everything that can be checked is checked before anything is sent.
    if !Kind::Email.accepts(email) {
        return Err(Failure::usage(format!(
            "`{email}` is not an email address (nothing was sent)"
        )));
    }
    let given = code.map(|code| checked_code(&code)).transpose()?;
    if let Some(url) = &global.base_url {
        binding::checked_base_url(url)?;
    }
    if global.token.is_some() {
        return Err(Failure::usage(
            "signup stores the new customer's token in the profile: do not pass --token or \
             MENU_TOKEN (nothing was sent)",
        ));
    }
    // No lock while the person types the code: other `menu` commands go on meanwhile. The
    // profile's token (perhaps another customer's, bound to another host) is not sent.
    let session = Session::open(global, false, ProfileToken::Unused).await?;
    let request = EmailRequest {
        email: email.to_owned(),
    };
    if global.dry_run {
        let prepared = session
            .call(global)
            .prepare_json("passwordless_request", &json_call(&request))
            .await?;
        return crate::output::say_quietly(crate::show::curl("passwordless_request", &prepared));
    }
    let code = match given {
        // A code the customer already has (from an earlier request): nothing more to request.
        Some(code) => code,
        None => {
            step(&format!("Requesting a one-time code for {email}..."));
            session.call(global).passwordless_request(request).await?;
            crate::output::prompt!("Enter the code sent to {email}: ");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::other(format!("cannot read the code: {e}")))?;
            checked_code(line.trim())?
        }
    };
    step("Registering...");
    // The profile's lock from here on: the token register issues is stored in it, bound to the
    // URL the client sent it to (`ProfileStore`).
    let session = Session::open(global, true, ProfileToken::Unused).await?;
    let registered = session
        .call(global)
        .register(RegisterRequest {
            passwordless_email: email.to_owned(),
            passwordless_code: code,
            first_name,
            last_name,
        })
        .await;
    let account = registered
        .map_err(|error| session.keep_unsaved(error))?
        .customer_account;
    let profiles = Profiles::new(global.profile.as_deref())?;
    // The token is in the profile already (it is the client's store), and its binding: the URL
    // the sign-up used (a proxy in front of another host dropped). A key given is kept too.
    if let Some(key) = &global.application_key {
        profiles.update(|profile| profile.application_key = Some(key.clone()))?;
    }
    let profile = profiles.read()?;
    let proxy = profile
        .proxy_url
        .as_deref()
        .map(|proxy| format!(" and its local proxy {proxy}"))
        .unwrap_or_default();
    step(&format!(
        "Signed up as customer {}; the token is stored in the profile `{}` ({}), bound to {}{proxy}.",
        account.id,
        profiles.name(),
        profiles.path().display(),
        binding::bound_to(&profile),
    ));
    say(crate::output::pretty(&account))
}

/// A one-time code, as typed: not empty. It is sent as the spec says (the SDK refuses, before
/// sending, a code that an integer field cannot take).
fn checked_code(code: &str) -> Result<Code, Failure> {
    let code = code.trim();
    if code.is_empty() {
        return Err(Failure::usage("the code is empty (nothing more was sent)"));
    }
    Ok(code.into())
}

/// The JSON arguments of a body-only call.
fn json_call(body: &impl serde::Serialize) -> menu_sdk::JsonCall {
    menu_sdk::JsonCall {
        body: serde_json::to_value(body).ok(),
        ..menu_sdk::JsonCall::default()
    }
}

/// `menu login`: keep a token (from `--token`/`MENU_TOKEN`, or one line of standard input; none
/// there keeps the profile's) in the profile, once it is checked to be a JWT, bound to the base
/// URL given (otherwise: a new token to the default host, the profile's token kept where it is
/// bound) and to `proxy_url` (a local proxy; none clears it).
pub fn login(global: &GlobalOptions, proxy_url: Option<String>) -> Result<(), Failure> {
    let url = global
        .base_url
        .as_deref()
        .map(binding::checked_base_url)
        .transpose()?;
    let proxy_url = proxy_url
        .map(|proxy| binding::checked_proxy_url(&proxy))
        .transpose()?;
    let given = match &global.token {
        Some(token) => token.trim().to_owned(),
        None => {
            if std::io::stdin().is_terminal() {
                crate::output::prompt!("Paste the customer token (empty: keep the profile's): ");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::other(format!("cannot read the token: {e}")))?;
            line.trim().to_owned()
        }
    };
    let profiles = Profiles::new(global.profile.as_deref())?;
    let _lock = profiles.lock()?;
    // None given: the profile's token is kept, and so is its binding unless a base URL is given.
    let (token, url) = if given.is_empty() {
        let profile = profiles.read()?;
        let url = url.unwrap_or_else(|| binding::bound_to(&profile).to_owned());
        let token = profile.token.ok_or_else(|| {
            Failure::usage("no token: pass --token, or give it on standard input")
        })?;
        (token, url)
    } else {
        let url = url.unwrap_or_else(|| menu_sdk::DEFAULT_BASE_URL.to_owned());
        (given, url)
    };
    let claims = TokenClaims::decode(&token)
        .map_err(|e| Failure::usage(format!("not a customer token: {e}")))?;
    profiles.update(|profile| {
        profile.token = Some(token.clone());
        profile.base_url = Some(url.clone());
        profile.proxy_url = proxy_url.clone();
        if let Some(key) = &global.application_key {
            profile.application_key = Some(key.clone());
        }
    })?;
    let proxy = proxy_url
        .map(|proxy| format!(" and its local proxy {proxy}"))
        .unwrap_or_default();
    step(&format!(
        "The token{} is stored in the profile `{}`, bound to {url}{proxy}.",
        expiry(&claims),
        profiles.name()
    ));
    Ok(())
}

/// `menu logout`: forget the profile's token.
pub fn logout(global: &GlobalOptions) -> Result<(), Failure> {
    let profiles = Profiles::new(global.profile.as_deref())?;
    let _lock = profiles.lock()?;
    let had = profiles.read()?.token.is_some();
    if had {
        profiles.update(|profile| profile.token = None)?;
    }
    step(&if had {
        format!(
            "Logged out: the profile `{}` has no token now.",
            profiles.name()
        )
    } else {
        format!("The profile `{}` had no token.", profiles.name())
    });
    Ok(())
}

/// ` (customer 42, expires ...)` for a token's claims.
fn expiry(claims: &TokenClaims) -> String {
    let mut parts = Vec::new();
    if let Some(subject) = &claims.subject {
        parts.push(format!("customer {subject}"));
    }
    if let Some(at) = claims.expires_at {
        let state = if at <= menu_sdk::chrono::Utc::now() {
            "expired"
        } else {
            "expires"
        };
        parts.push(format!("{state} {}", at.to_rfc3339()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// `menu whoami`: the profile, secrets masked, the host its credentials are bound to, and the
/// token's customer and expiry.
pub fn whoami(global: &GlobalOptions) -> Result<(), Failure> {
    let profiles = Profiles::new(global.profile.as_deref())?;
    let mut profile = profiles.read()?;
    binding::bind_legacy(&profiles, &mut profile, false)?;
    let source = |flag: bool, stored: bool| match (flag, stored) {
        (true, _) => "from the command line or the environment",
        (false, true) => "from the profile",
        (false, false) => "not set",
    };
    let base_url = global
        .base_url
        .clone()
        .or(profile.base_url.clone())
        .unwrap_or_else(|| format!("{} (the default)", menu_sdk::DEFAULT_BASE_URL));
    let mut bound = format!(
        "{} (the profile's token and application key are sent only there",
        binding::bound_to(&profile)
    );
    if let Some(proxy) = &profile.proxy_url {
        bound.push_str(&format!(", and to the local proxy {proxy}"));
    }
    bound.push(')');
    let token = global.token.clone().or(profile.token.clone());
    let token_line = match &token {
        Some(value) => match Token::new(value).claims() {
            Ok(claims) => format!("<redacted>{}", expiry(&claims)),
            Err(e) => format!("<redacted> ({e})"),
        },
        None => "none: `menu signup` or `menu login`".to_owned(),
    };
    let key_set = global.application_key.is_some() || profile.application_key.is_some();
    say(format!(
        "profile: {} ({})\nbound to: {bound}\nbase URL: {base_url}\napplication key: {} ({})\ntoken: {token_line} ({})",
        profiles.name(),
        profiles.path().display(),
        if key_set { "<redacted>" } else { "none" },
        source(
            global.application_key.is_some(),
            profile.application_key.is_some()
        ),
        source(global.token.is_some(), profile.token.is_some()),
    ))
}
