//! Hand-written types that the generated code uses in place of two spec schemas
//! (`cargo xtask generate` maps them with progenitor's `with_replacement`):
//!
//! - [`Timestamp`] for `#/components/schemas/Timestamp`: the API's `"2023-08-02 10:09:12"` strings,
//!   kept verbatim and readable as typed date-times.
//! - [`Token`] for `#/components/schemas/Token`: the customer JWT, never shown by `Debug` or
//!   `Display`, with its expiry read from the JWT's `exp` claim.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date and time as the API sends it: `YYYY-MM-DD HH:MM:SS`, with no zone.
///
/// The raw string is kept exactly as received ([`Timestamp::as_str`]) and is what serialization
/// writes back. [`Timestamp::naive`] parses it. **Zone:** the API does not say which zone its
/// timestamps are in. The Menu backend is a Laravel application, whose default zone is UTC, so
/// [`Timestamp::assume_utc`] reads them as UTC; use [`Timestamp::naive`] with your own zone if you
/// know better.
///
/// Decoding never fails on an unexpected shape: a string that is not a date-time stays available
/// raw, and `naive()` returns `None`. Equality compares the raw strings.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    raw: String,
}

impl Timestamp {
    /// Wraps a raw timestamp string. It is parsed when read (decoding stays as cheap as for a
    /// plain string): `2023-08-02 10:09:12`, with an optional fraction, a `T` separator, or an
    /// RFC 3339 zone.
    pub fn new(raw: impl Into<String>) -> Self {
        Self { raw: raw.into() }
    }

    /// The string exactly as the API sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The wall-clock date and time, zone unspecified; `None` if the string has another shape.
    pub fn naive(&self) -> Option<NaiveDateTime> {
        parse_timestamp(&self.raw)
    }

    /// The date and time read as UTC (see the type's documentation); `None` if unparseable.
    pub fn assume_utc(&self) -> Option<DateTime<Utc>> {
        self.naive().map(|naive| naive.and_utc())
    }
}

fn parse_timestamp(raw: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .or_else(|| {
            DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|dt| dt.naive_utc())
        })
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl From<&str> for Timestamp {
    fn from(raw: &str) -> Self {
        Self::new(raw)
    }
}

impl From<String> for Timestamp {
    fn from(raw: String) -> Self {
        Self::new(raw)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(raw))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// A customer token: `{"value": "<JWT>", "ttl": 1440, "refresh_ttl": 2628000}`.
///
/// **Secret.** `Debug` and `Display` never show the value; [`Token::value`] does, and
/// serialization writes it (so that an application can persist the token it was handed).
///
/// **Expiry.** [`Token::expires_at`] reads the JWT's `exp` claim (decoded, *not* verified: only
/// the server can verify it). The docs disagree on the unit of `ttl` and `refresh_ttl`; the JWT
/// claims of the documented example fit minutes, so they are read as minutes.
///
/// Equality compares the value and the lifetimes.
#[derive(Clone, Serialize, Deserialize)]
pub struct Token {
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_ttl: Option<i64>,
    /// When this process created or decoded the token: the base of the last `ttl` fallback.
    #[serde(skip, default = "Utc::now")]
    received_at: DateTime<Utc>,
    /// [`Token::expires_at`], computed once (the SDK checks it before every call).
    #[serde(skip)]
    expiry: std::sync::OnceLock<Option<DateTime<Utc>>>,
    /// `Bearer <value>` as a sensitive header value, built once (`None`: not a valid header
    /// value). Sent with every call, so not rebuilt for each.
    #[serde(skip)]
    bearer: std::sync::OnceLock<Option<reqwest::header::HeaderValue>>,
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.ttl == other.ttl && self.refresh_ttl == other.refresh_ttl
    }
}

impl Eq for Token {}

impl Token {
    /// A token from its JWT value alone (as an application stores it).
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            ttl: None,
            refresh_ttl: None,
            received_at: Utc::now(),
            expiry: std::sync::OnceLock::new(),
            bearer: std::sync::OnceLock::new(),
        }
    }

    /// Sets the lifetimes, in minutes, as the API reports them.
    pub fn with_ttl(mut self, ttl: Option<i64>, refresh_ttl: Option<i64>) -> Self {
        self.ttl = ttl;
        self.refresh_ttl = refresh_ttl;
        self.expiry = std::sync::OnceLock::new();
        self
    }

    /// The JWT. This is the secret: keep it out of logs.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The token's lifetime in minutes, if the API sent it.
    pub fn ttl(&self) -> Option<i64> {
        self.ttl
    }

    /// The refresh window in minutes (how long an expired token can still be refreshed).
    pub fn refresh_ttl(&self) -> Option<i64> {
        self.refresh_ttl
    }

    /// `Authorization: Bearer <value>` as a header value marked sensitive (it is a secret), built
    /// on first use and kept by clones; `None` when the value cannot be sent in a header (a
    /// control character, say: see [`Token::is_sendable`]).
    pub fn bearer_header(&self) -> Option<&reqwest::header::HeaderValue> {
        self.bearer
            .get_or_init(|| {
                const SCHEME: &str = "Bearer ";
                let mut value = String::with_capacity(SCHEME.len() + self.value.len());
                value.push_str(SCHEME);
                value.push_str(&self.value);
                let mut header = reqwest::header::HeaderValue::try_from(value).ok()?;
                header.set_sensitive(true);
                Some(header)
            })
            .as_ref()
    }

    /// Whether the value can be sent in a header ([`Token::bearer_header`] is `Some`), checked
    /// without building the header: no control character (but tab), nor DEL.
    pub fn is_sendable(&self) -> bool {
        // The rule of `http`'s `HeaderValue`, with no early return so that it vectorizes.
        let mut bad = false;
        for &b in self.value.as_bytes() {
            bad |= (b < 32 && b != b'\t') | (b == 127);
        }
        !bad
    }

    /// The JWT's claims, decoded without verifying the signature.
    pub fn claims(&self) -> Result<TokenClaims, TokenError> {
        TokenClaims::decode(&self.value)
    }

    /// When the token expires: the JWT's `exp` claim; failing that, `ttl` minutes after the
    /// `iat` claim, or after this process received the token (an opaque token, or one without
    /// claims); `None` when neither `exp` nor `ttl` is known.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        *self.expiry.get_or_init(|| self.compute_expiry())
    }

    fn compute_expiry(&self) -> Option<DateTime<Utc>> {
        let claims = self.claims().ok();
        if let Some(exp) = claims.as_ref().and_then(|c| c.expires_at) {
            return Some(exp);
        }
        let ttl = TimeDelta::try_minutes(self.ttl?)?;
        claims
            .and_then(|c| c.issued_at)
            .unwrap_or(self.received_at)
            .checked_add_signed(ttl)
    }

    /// The end of the refresh window: `iat` (or `exp` - `ttl`) + `refresh_ttl` minutes.
    pub fn refresh_expires_at(&self) -> Option<DateTime<Utc>> {
        let claims = self.claims().ok()?;
        let window = TimeDelta::try_minutes(self.refresh_ttl?)?;
        let issued = claims.issued_at.or_else(|| {
            let ttl = TimeDelta::try_minutes(self.ttl?)?;
            claims.expires_at?.checked_sub_signed(ttl)
        })?;
        issued.checked_add_signed(window)
    }

    /// Whether the token expires within `margin` of `now` (false when the expiry is unknown).
    pub fn expires_within(&self, now: DateTime<Utc>, margin: std::time::Duration) -> bool {
        let Some(expires_at) = self.expires_at() else {
            return false;
        };
        let margin = TimeDelta::from_std(margin).unwrap_or(TimeDelta::MAX);
        match now.checked_add_signed(margin) {
            Some(deadline) => expires_at <= deadline,
            None => true,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("ttl", &self.ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expires_at() {
            Some(at) => write!(f, "<redacted token, expires {at}>"),
            None => f.write_str("<redacted token>"),
        }
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A date and time as `YYYY-MM-DD HH:MM:SS`, with no zone (not RFC 3339).",
            "examples": ["2023-08-02 10:09:12"],
        })
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Token {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Token".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "A customer token: `value` is a JWT (its `exp` claim is the expiry); \
                            `ttl` and `refresh_ttl` are minutes.",
            "required": ["value"],
            "properties": {
                "value": {"type": "string"},
                "ttl": {"type": "integer", "format": "int64"},
                "refresh_ttl": {"type": "integer", "format": "int64"},
            },
        })
    }
}

/// The claims of a customer JWT that matter to a client. Other claims are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenClaims {
    /// `sub`: the subject (the customer), as a string.
    pub subject: Option<String>,
    /// `iat`: when the token was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// `exp`: when the token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// `nbf`: the token is not valid before this instant.
    pub not_before: Option<DateTime<Utc>>,
    /// `jti`: the token's unique id.
    pub id: Option<String>,
}

impl TokenClaims {
    /// Decodes the payload of a compact JWT (`header.payload.signature`) without verifying it.
    pub fn decode(jwt: &str) -> Result<Self, TokenError> {
        let mut parts = jwt.split('.');
        let (Some(_header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::NotAJwt);
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| TokenError::BadEncoding)?;
        let claims: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| TokenError::BadClaims)?;
        let instant = |name: &str| claims.get(name).and_then(unix_seconds);
        let text = |name: &str| {
            claims.get(name).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        Ok(Self {
            subject: text("sub"),
            issued_at: instant("iat"),
            expires_at: instant("exp"),
            not_before: instant("nbf"),
            id: text("jti"),
        })
    }
}

/// A JWT `NumericDate` (seconds since the epoch, possibly fractional, possibly a numeric string).
fn unix_seconds(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let seconds = match value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0)
}

/// Why a token's claims could not be read. Never contains any part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The value is not three dot-separated parts.
    NotAJwt,
    /// The payload is not base64url.
    BadEncoding,
    /// The payload is not a JSON object.
    BadClaims,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::NotAJwt => "the token is not a JWT (header.payload.signature)",
            TokenError::BadEncoding => "the token's payload is not base64url",
            TokenError::BadClaims => "the token's payload is not a JSON object",
        })
    }
}

impl std::error::Error for TokenError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token of the refresh reference page.
    const REFERENCE_JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vbWVudS1jb3JlLm1lbnU6ODA4NC9hcGkvY3VzdG9tZXJzL3NvY2lhbC1zaWduLXVwIiwiaWF0IjoxNjgxMzA0Nzc0LCJleHAiOjE2ODEzOTExNzQsIm5iZiI6MTY4MTMwNDc3NCwianRpIjoiUDJtVm91em94ZzZiQVpFbSIsInN1YiI6IjUwODc3MTciLCJwcnYiOiJjYzMyOTIxYTE1NDgwYTExN2Q5YmJjNzJjMGUxMjU2YTY4NTI0NThiIiwiYXBwbGljYXRpb25faWQiOjE1LCJzZXNzaW9uX2lkIjoxNTcyNn0.rw0sB__aXxGO29HQnY_hxUVppzkLtm5R_FcfciQct58";

    fn jwt(payload: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            b64.encode(r#"{"alg":"HS256"}"#),
            b64.encode(payload)
        )
    }

    /// `is_sendable` says, byte for byte, what building the header finds.
    #[test]
    fn a_token_is_sendable_exactly_when_its_header_can_be_built() {
        for byte in 0..=255u8 {
            let value = String::from_utf8_lossy(&[b'a', byte, b'z']).into_owned();
            let token = Token::new(value);
            assert_eq!(
                token.is_sendable(),
                token.bearer_header().is_some(),
                "byte {byte:#04x}"
            );
        }
        assert!(Token::new(REFERENCE_JWT).is_sendable());
    }

    #[test]
    fn reference_token_claims() {
        let token = Token::new(REFERENCE_JWT).with_ttl(Some(1440), Some(2628000));
        let claims = token.claims().unwrap();
        assert_eq!(claims.subject.as_deref(), Some("5087717"));
        assert_eq!(claims.id.as_deref(), Some("P2mVouzoxg6bAZEm"));
        assert_eq!(claims.issued_at.unwrap().timestamp(), 1681304774);
        // exp - iat = 86400 s = 1440 minutes: the ttl is in minutes.
        assert_eq!(token.expires_at().unwrap().timestamp(), 1681391174);
        assert_eq!(
            token.refresh_expires_at().unwrap().timestamp(),
            1681304774 + 2628000 * 60
        );
    }

    #[test]
    fn expiry_falls_back_to_iat_plus_ttl_then_receipt_plus_ttl() {
        let token = Token::new(jwt(r#"{"iat":1000}"#)).with_ttl(Some(2), None);
        assert_eq!(token.expires_at().unwrap().timestamp(), 1120);
        assert_eq!(Token::new(jwt(r#"{"iat":1000}"#)).expires_at(), None);
        let before = Utc::now();
        let opaque: Token = serde_json::from_str(r#"{"value":"opaque","ttl":60}"#).unwrap();
        let expires = opaque.expires_at().unwrap();
        assert!(expires >= before + TimeDelta::minutes(60));
        assert!(expires <= Utc::now() + TimeDelta::minutes(60));
    }

    #[test]
    fn malformed_tokens_have_no_expiry_and_no_panic() {
        for value in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            "a.bm90IGpzb24.c",
            "a.WzFd.c",
        ] {
            let token = Token::new(value);
            assert_eq!(token.expires_at(), None, "{value}");
            assert!(token.claims().is_err(), "{value}");
            assert!(!token.expires_within(Utc::now(), std::time::Duration::from_secs(60)));
        }
        // Odd claim types are ignored, not fatal.
        let token = Token::new(jwt(
            r#"{"exp":"1700000000","iat":1.5e9,"sub":42,"nbf":[1]}"#,
        ));
        let claims = token.claims().unwrap();
        assert_eq!(claims.expires_at.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(claims.issued_at.unwrap().timestamp(), 1_500_000_000);
        assert_eq!(claims.subject.as_deref(), Some("42"));
        assert_eq!(claims.not_before, None);
        // Out-of-range instants do not overflow.
        assert!(
            Token::new(jwt(r#"{"exp":9223372036854775807}"#))
                .expires_at()
                .is_none()
        );
    }

    #[test]
    fn expires_within_margin() {
        let token = Token::new(jwt(r#"{"exp":1000}"#));
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        let minute = std::time::Duration::from_secs(60);
        assert!(!token.expires_within(at(900), minute));
        assert!(token.expires_within(at(950), minute));
        assert!(token.expires_within(at(2000), minute));
    }

    #[test]
    fn token_is_redacted_but_serializes_its_value() {
        let token = Token::new(REFERENCE_JWT).with_ttl(Some(1440), None);
        assert!(!format!("{token:?}").contains("eyJ"));
        assert!(!format!("{token}").contains("eyJ"));
        assert!(format!("{token}").contains("2023-04-13"));
        let json = serde_json::to_string(&token).unwrap();
        assert!(json.contains(REFERENCE_JWT));
        assert_eq!(serde_json::from_str::<Token>(&json).unwrap(), token);
    }

    #[test]
    fn timestamps_keep_the_raw_string() {
        let ts = Timestamp::new("2023-08-02 10:09:12");
        assert_eq!(ts.as_str(), "2023-08-02 10:09:12");
        assert_eq!(
            ts.assume_utc().unwrap().to_rfc3339(),
            "2023-08-02T10:09:12+00:00"
        );
        assert_eq!(
            serde_json::to_string(&ts).unwrap(),
            r#""2023-08-02 10:09:12""#
        );
        assert_eq!(
            Timestamp::new("2023-08-02T10:09:12.5Z")
                .naive()
                .unwrap()
                .to_string(),
            "2023-08-02 10:09:12.500"
        );
        let odd = Timestamp::new("yesterday");
        assert_eq!(odd.naive(), None);
        assert_eq!(odd.as_str(), "yesterday");
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
