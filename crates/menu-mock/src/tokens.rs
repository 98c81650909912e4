//! Customer tokens the mock issues itself: HS256 JWTs with the claims of the real API (Laravel
//! jwt-auth: `iss`, `iat`, `exp`, `nbf`, `jti`, `sub`, `prv`), checked on every call.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use menu_client::Token;

/// The default lifetime of an issued token (the API's `ttl`: 1440 minutes).
pub const DEFAULT_TTL: Duration = Duration::from_secs(1440 * 60);
/// The default refresh window (the API's `refresh_ttl`: 2628000 minutes, about five years).
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(2_628_000 * 60);

/// How to issue a token: when, for how long, and how long it can be refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSpec {
    /// `iat` and `nbf`.
    pub issued_at: DateTime<Utc>,
    /// `exp` - `iat`.
    pub lifetime: Duration,
    /// How long after `iat` the token can still be refreshed.
    pub refresh_window: Duration,
}

impl TokenSpec {
    /// A token issued now with the default lifetimes.
    pub fn now() -> Self {
        Self {
            issued_at: Utc::now(),
            lifetime: DEFAULT_TTL,
            refresh_window: DEFAULT_REFRESH_TTL,
        }
    }

    /// A token issued now that expires after `lifetime`.
    pub fn expiring_in(lifetime: Duration) -> Self {
        Self {
            lifetime,
            ..Self::now()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    iss: String,
    iat: i64,
    exp: i64,
    nbf: i64,
    jti: String,
    sub: String,
    prv: String,
    /// Not a jwt-auth claim: the refresh window's end, so the mock needs no per-token state.
    rex: i64,
}

/// Why a token is refused (each maps to a 401 with this message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// No `Authorization: Bearer` header.
    #[error("Token not provided")]
    Missing,
    /// Not a JWT, bad signature, or not one of ours.
    #[error("Token is invalid")]
    Invalid,
    /// Past `exp` (for calls other than refresh).
    #[error("Token has expired")]
    Expired,
    /// Past the refresh window.
    #[error("Token has expired and can no longer be refreshed")]
    RefreshExpired,
    /// Before `nbf`.
    #[error("Token is not valid yet")]
    NotYetValid,
    /// Invalidated by a refresh.
    #[error("The token has been blacklisted")]
    Blacklisted,
}

/// The customer a valid token names, the token's id, and the lifetimes it was issued with (a
/// refresh issues the new token with the same ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenSubject {
    pub(crate) customer_id: Uuid,
    pub(crate) jti: String,
    pub(crate) lifetime: Duration,
    pub(crate) refresh_window: Duration,
    /// When the token can neither be used nor refreshed any more: the later of its expiry and
    /// its refresh deadline (a revocation matters until then).
    pub(crate) usable_until: DateTime<Utc>,
}

/// Signs and checks tokens. Immutable, so checks need no lock; which tokens a refresh has
/// invalidated is part of the locked state (`state.rs`).
pub(crate) struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    /// The claims of the tokens this issuer signed, by token: a token found here is byte for
    /// byte one the issuer signed, so its signature needs no new HMAC and its claims no new
    /// decoding (the time checks still run on every request). Anything else, a tampered token
    /// included, goes through the full check.
    /// Keyed by the signature segment (a MAC: unique per token, and short to hash).
    issued: Mutex<HashMap<String, (String, Claims)>>,
}

/// At most this many tokens are remembered ([`TokenIssuer::issued`]); when full, the memory is
/// emptied (the full check still accepts every valid token).
const REMEMBERED_TOKENS: usize = 16 * 1024;

impl TokenIssuer {
    pub(crate) fn new(secret: &[u8], issuer: String) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry and `nbf` are checked here, against the refresh window too.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims = HashSet::new();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer,
            issued: Mutex::new(HashMap::new()),
        }
    }

    fn issued(&self) -> MutexGuard<'_, HashMap<String, (String, Claims)>> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets a token that can no longer be used (a refresh invalidated it).
    pub(crate) fn forget(&self, jwt: &str) {
        let mut issued = self.issued();
        if issued
            .get(signature(jwt))
            .is_some_and(|(remembered, _)| remembered == jwt)
        {
            issued.remove(signature(jwt));
        }
    }

    /// Issues a token for `customer_id`.
    pub(crate) fn issue(&self, customer_id: Uuid, spec: TokenSpec) -> Token {
        let iat = spec.issued_at.timestamp();
        let seconds = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4);
        let claims = Claims {
            iss: self.issuer.clone(),
            iat,
            exp: iat.saturating_add(seconds(spec.lifetime)),
            nbf: iat,
            jti: Uuid::new_v4().simple().to_string(),
            sub: customer_id.to_string(),
            prv: "menu-mock".to_owned(),
            rex: iat.saturating_add(seconds(spec.refresh_window)),
        };
        let minutes = |d: Duration| seconds(d).saturating_add(59) / 60;
        // HS256 over a serializable struct cannot fail.
        let value = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default();
        if !value.is_empty() {
            let mut issued = self.issued();
            if issued.len() >= REMEMBERED_TOKENS {
                issued.clear();
            }
            issued.insert(signature(&value).to_owned(), (value.clone(), claims));
        }
        Token::new(value).with_ttl(
            Some(minutes(spec.lifetime)),
            Some(minutes(spec.refresh_window)),
        )
    }

    /// Checks a bearer token's signature and times (not whether a refresh has invalidated it).
    /// `for_refresh` accepts an expired token inside its refresh window.
    pub(crate) fn check(
        &self,
        jwt: &str,
        for_refresh: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenSubject, TokenRejection> {
        let remembered = self
            .issued()
            .get(signature(jwt))
            .filter(|(remembered, _)| remembered == jwt)
            .map(|(_, claims)| claims.clone());
        let claims = match remembered {
            Some(claims) => claims,
            None => {
                jsonwebtoken::decode::<Claims>(jwt, &self.decoding, &self.validation)
                    .map_err(|_| TokenRejection::Invalid)?
                    .claims
            }
        };
        let customer_id = claims
            .sub
            .parse::<Uuid>()
            .map_err(|_| TokenRejection::Invalid)?;
        let now = now.timestamp();
        if now < claims.nbf {
            return Err(TokenRejection::NotYetValid);
        }
        if now >= claims.exp {
            if !for_refresh {
                return Err(TokenRejection::Expired);
            }
            if now >= claims.rex {
                return Err(TokenRejection::RefreshExpired);
            }
        }
        let span = |end: i64| Duration::from_secs(u64::try_from(end - claims.iat).unwrap_or(0));
        Ok(TokenSubject {
            customer_id,
            jti: claims.jti,
            lifetime: span(claims.exp),
            refresh_window: span(claims.rex),
            usable_until: DateTime::from_timestamp(claims.exp.max(claims.rex), 0)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
    }
}

/// A JWT's signature segment (the whole text when it has no `.`).
fn signature(jwt: &str) -> &str {
    jwt.rsplit('.').next().unwrap_or(jwt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(b"test-secret", "http://menu-mock.local/api".into())
    }

    #[test]
    fn issued_tokens_check_and_carry_the_api_claims() {
        let issuer = issuer();
        let customer = Uuid::new_v4();
        let token = issuer.issue(customer, TokenSpec::now());
        assert_eq!(token.ttl(), Some(1440));
        assert_eq!(token.refresh_ttl(), Some(2_628_000));
        let claims = token.claims().unwrap();
        assert_eq!(claims.subject, Some(customer.to_string()));
        assert_eq!(
            (claims.expires_at.unwrap() - claims.issued_at.unwrap()).num_minutes(),
            1440
        );
        let subject = issuer.check(token.value(), false, Utc::now()).unwrap();
        assert_eq!(subject.customer_id, customer);
    }

    #[test]
    fn expiry_and_refresh_window() {
        let issuer = issuer();
        let customer = Uuid::new_v4();
        let spec = TokenSpec {
            issued_at: Utc::now() - chrono::TimeDelta::hours(2),
            lifetime: Duration::from_secs(3600),
            refresh_window: Duration::from_secs(3 * 3600),
        };
        let token = issuer.issue(customer, spec);
        let now = Utc::now();
        assert_eq!(
            issuer.check(token.value(), false, now),
            Err(TokenRejection::Expired)
        );
        assert!(issuer.check(token.value(), true, now).is_ok());
        let later = now + chrono::TimeDelta::hours(2);
        assert_eq!(
            issuer.check(token.value(), true, later),
            Err(TokenRejection::RefreshExpired)
        );
        let earlier = now - chrono::TimeDelta::hours(3);
        assert_eq!(
            issuer.check(token.value(), true, earlier),
            Err(TokenRejection::NotYetValid)
        );
    }

    #[test]
    fn foreign_and_malformed_tokens_are_invalid() {
        let issuer = issuer();
        let other = TokenIssuer::new(b"another-secret", "x".into());
        let foreign = other.issue(Uuid::new_v4(), TokenSpec::now());
        for jwt in [
            foreign.value(),
            "",
            "a.b.c",
            "not a jwt",
            "eyJhbGciOiJub25lIn0.e30.",
        ] {
            assert_eq!(
                issuer.check(jwt, true, Utc::now()),
                Err(TokenRejection::Invalid),
                "{jwt}"
            );
        }
    }

    #[test]
    fn the_memory_of_issued_tokens_changes_no_verdict() {
        let issuer = issuer();
        let customer = Uuid::new_v4();
        let token = issuer.issue(customer, TokenSpec::now());
        let jwt = token.value();
        // A token one byte away from a remembered one goes through the full check and fails.
        let mut tampered = jwt.to_owned();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            issuer.check(&tampered, false, Utc::now()),
            Err(TokenRejection::Invalid)
        );
        // So does one with a changed payload and the remembered signature.
        let (payload_start, _) = jwt.split_once('.').unwrap();
        let mut payload_changed = jwt.to_owned();
        let at = payload_start.len() + 3;
        let changed = if &jwt[at..=at] == "A" { "B" } else { "A" };
        payload_changed.replace_range(at..=at, changed);
        assert_eq!(
            issuer.check(&payload_changed, false, Utc::now()),
            Err(TokenRejection::Invalid)
        );
        // Remembered or not, a valid token gets the same subject.
        let remembered = issuer.check(jwt, false, Utc::now()).unwrap();
        issuer.forget(jwt);
        assert_eq!(issuer.check(jwt, false, Utc::now()), Ok(remembered));
        // A full memory is emptied, and what it forgot still checks.
        let first = issuer.issue(customer, TokenSpec::now());
        for _ in 0..REMEMBERED_TOKENS {
            issuer.issue(customer, TokenSpec::now());
        }
        assert!(issuer.issued().len() <= REMEMBERED_TOKENS);
        assert!(issuer.check(first.value(), false, Utc::now()).is_ok());
    }
}
