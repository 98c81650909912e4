//! The operation model: what is known of each operation beyond its generated method, and of the
//! header parameters every operation carries. One definition, read from the spec by
//! `cargo xtask generate` (which includes this very file: it must build when menu-client's
//! generated files are stale) and written into the `operations` module (the operation table).
//! `menu-sdk`'s pipeline reads it (authentication, the token an operation issues or rotates,
//! retries, errors), and so do the `menu` command line (one command per operation) and the mock
//! server (an answer for every operation).
//!
//! **What an `x-token` mark does is said here, once**: each effect's behaviour is a method of
//! [`TokenEffect`], matched exhaustively in this file. Other code asks the method
//! ([`TokenEffect::adopts_session`], [`TokenEffect::refreshes`], ...) and never names a variant,
//! so a new kind of effect is decided here, or not at all.

/// How an operation authenticates the customer (from its `security` in the spec). Ask its
/// methods what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// The customer token is required (`security: [{customerToken: []}]`).
    Customer,
    /// The customer token is sent when there is one (`{}` among the `security` alternatives).
    Optional,
    /// No customer token (`security: []`): the `Application` key alone.
    None,
}

/// What an operation does to the customer token (the spec's `x-token` extension). Ask its
/// methods what it means; the variants are the spec's marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenEffect {
    /// Nothing (no `x-token`).
    None,
    /// `x-token: issues`: its answer is a session (`customer_account` and `token`) whose token
    /// the client adopts (`register`).
    Issues,
    /// `x-token: rotates`: as `Issues`, and the token it was sent with is invalidated: clients
    /// refresh an expiring token with it (`refresh`). One operation at most.
    Rotates,
    /// `x-token: revokes`: its success invalidates the token it was sent with, for good: clients
    /// forget it (`delete_customer_account`).
    Revokes,
}

impl Auth {
    /// A call must carry the customer token.
    pub fn requires_token(self) -> bool {
        match self {
            Self::Customer => true,
            Self::Optional | Self::None => false,
        }
    }

    /// A call carries the customer token when the client has one.
    pub fn takes_token(self) -> bool {
        match self {
            Self::Customer | Self::Optional => true,
            Self::None => false,
        }
    }
}

impl TokenEffect {
    /// The effect an `x-token` mark names (`issues`, `rotates`, `revokes`), if any.
    pub fn from_mark(mark: &str) -> Option<Self> {
        [Self::Issues, Self::Rotates, Self::Revokes]
            .into_iter()
            .find(|effect| effect.mark() == Some(mark))
    }

    /// The `x-token` mark of this effect, as the spec writes it (none for [`TokenEffect::None`]).
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Issues => Some("issues"),
            Self::Rotates => Some("rotates"),
            Self::Revokes => Some("revokes"),
        }
    }

    /// Its success answer is a session (the spec's `Session` schema as the envelope's `data`)
    /// whose token the client adopts: switches to, hands to its hook and saves in its store.
    pub fn adopts_session(self) -> bool {
        match self {
            Self::Issues | Self::Rotates => true,
            Self::None | Self::Revokes => false,
        }
    }

    /// It is the rotation: automatic refresh sends it (with no argument) when the token nears its
    /// expiry, and the server takes a token that has expired, as long as it is inside its refresh
    /// window. One operation of the spec at most.
    pub fn refreshes(self) -> bool {
        match self {
            Self::Rotates => true,
            Self::None | Self::Issues | Self::Revokes => false,
        }
    }

    /// Its success leaves the client with no token: the one it was sent with is dead for good,
    /// so the client and its store forget it.
    pub fn forgets_token(self) -> bool {
        match self {
            Self::Revokes => true,
            Self::None | Self::Issues | Self::Rotates => false,
        }
    }

    /// It invalidates the token it is sent with, so it is sent at most once: a second attempt
    /// would be refused although the first one acted. Never idempotent, whatever its method.
    pub fn invalidates_sent_token(self) -> bool {
        match self {
            Self::Rotates | Self::Revokes => true,
            Self::None | Self::Issues => false,
        }
    }

    /// It changes the customer's tokens: a `HEAD` of a `GET` with this effect must not run it
    /// (the new token would be lost with the body).
    pub fn changes_tokens(self) -> bool {
        match self {
            Self::Issues | Self::Rotates | Self::Revokes => true,
            Self::None => false,
        }
    }
}

/// One operation of the spec. Two are equal when they have the same `operationId` (the spec
/// gives each operation its own).
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// The HTTP method, in upper case.
    pub method: &'static str,
    /// The path template, for example `/customers/{customer_id}/verify-phone-number-update`.
    pub path: &'static str,
    /// How it authenticates the customer.
    pub auth: Auth,
    /// What it does to the customer token.
    pub token: TokenEffect,
    /// Whether sending it twice has the effect of sending it once, by its method (`GET`,
    /// `HEAD`, `OPTIONS`, `PUT`, `DELETE`); never for an operation that invalidates the token it
    /// is sent with ([`TokenEffect::invalidates_sent_token`]).
    pub idempotent: bool,
    /// The documented success status (the one whose body the generated method decodes).
    pub success_status: u16,
    /// The spec's summary.
    pub summary: &'static str,
    /// The spec's description.
    pub description: &'static str,
    /// The parameters a caller gives (not the [`ManagedHeader`]s every call carries): path
    /// parameters in the path's order, then the others.
    pub params: &'static [Param],
    /// The JSON request body, if the operation takes one.
    pub body: Option<Body>,
    /// The documented example of the success response, as JSON text.
    pub example: Option<&'static str>,
}

impl Operation {
    /// Whether it is idempotent by its method and token effect (the rule [`Operation::idempotent`]
    /// holds for the operations of the table).
    pub fn is_idempotent(method: &str, token: TokenEffect) -> bool {
        !token.invalidates_sent_token()
            && ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
    }

    /// The path parameter that names the customer the operation acts on (`x-customer: true` in
    /// the spec), if any.
    pub fn customer_param(&self) -> Option<&'static Param> {
        self.params
            .iter()
            .find(|p| p.customer && p.location == Location::Path)
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Operation {}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name, as sent.
    pub name: &'static str,
    /// Where it is sent.
    pub location: Location,
    /// Whether a call must give it (path parameters always).
    pub required: bool,
    /// What its value looks like.
    pub kind: Kind,
    /// The spec's description.
    pub description: &'static str,
    /// Whether it names the customer the operation acts on (`x-customer: true`): the server
    /// answers 404 for an unknown customer and 403 for another customer than the token's.
    pub customer: bool,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// In the path.
    Path,
    /// In the query string.
    Query,
    /// As a header.
    Header,
}

impl Location {
    /// Its name in the spec's `in` (`path`, `query`, `header`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
        }
    }
}

/// What a value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Text.
    String,
    /// A UUID (`format: uuid`).
    Uuid,
    /// An email address (`format: email`).
    Email,
    /// An integer within these bounds (its format's, narrowed by the schema's `minimum` and
    /// `maximum`).
    Integer {
        /// The smallest value.
        minimum: i64,
        /// The largest value.
        maximum: i64,
    },
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// Any other JSON (an object, an array).
    Json,
}

/// An operation's JSON request body.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// Whether a call must send one.
    pub required: bool,
    /// Whether it is a JSON object (its schema an object, or `allOf` parts that all are).
    pub object: bool,
    /// The top-level fields of an object body (none for other shapes).
    pub fields: &'static [Field],
    /// The documented example, as JSON text.
    pub example: Option<&'static str>,
    /// Checks a body against the body's schema, by decoding it into the generated type (an
    /// object body must be an object); the error says what is wrong. The spec alone cannot
    /// decode: `cargo xtask generate` reads the spec with [`Body::UNCHECKED`] here and writes the
    /// generated type's check into the table.
    pub check: fn(&[u8]) -> Result<(), String>,
}

impl Body {
    /// The check of a body read from the spec alone, before there is a generated type to decode
    /// it into: it refuses every body, saying so.
    pub const UNCHECKED: fn(&[u8]) -> Result<(), String> =
        |_| Err("no generated type to check this body against".to_owned());
}

/// One top-level field of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in the JSON object.
    pub name: &'static str,
    /// What its value looks like.
    pub kind: Kind,
    /// Whether the body must have it.
    pub required: bool,
    /// The spec's description.
    pub description: &'static str,
}

/// A header every operation carries, which clients fill in from their configuration (a
/// component parameter marked `x-managed` in the spec): not a parameter of any call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedHeader {
    /// Its name, as the spec writes it.
    pub name: &'static str,
    /// How a client chooses its value.
    pub value: Managed,
    /// What its value looks like.
    pub kind: Kind,
    /// The spec's description.
    pub description: &'static str,
}

/// How a client chooses the value of a [`ManagedHeader`] (the spec's `x-managed` mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Managed {
    /// `x-managed: request-id`: a UUID per call, the same for its retries.
    RequestId,
    /// `x-managed: application`: the application key (a secret).
    Application,
    /// `x-managed: api-version`: the API version the client speaks (the spec's `info.version`
    /// unless configured).
    ApiVersion,
    /// `x-managed: query-builder`: `true` or `false`, as configured.
    QueryBuilder,
}

impl Managed {
    /// The kind an `x-managed` mark names, if any.
    pub fn from_mark(mark: &str) -> Option<Self> {
        [
            Self::RequestId,
            Self::Application,
            Self::ApiVersion,
            Self::QueryBuilder,
        ]
        .into_iter()
        .find(|managed| managed.mark() == mark)
    }

    /// The `x-managed` mark, as the spec writes it.
    pub fn mark(self) -> &'static str {
        match self {
            Self::RequestId => "request-id",
            Self::Application => "application",
            Self::ApiVersion => "api-version",
            Self::QueryBuilder => "query-builder",
        }
    }
}

impl Kind {
    /// Whether `value` (as text, from a path, a query or a header) is of this kind. A UUID must
    /// be in its hyphenated form (36 characters); a number finite.
    pub fn accepts(&self, value: &str) -> bool {
        match self {
            Kind::Uuid => value.len() == 36 && uuid::Uuid::try_parse(value).is_ok(),
            Kind::Email => value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !value.chars().any(char::is_whitespace)
            }),
            Kind::Integer { minimum, maximum } => value
                .parse::<i64>()
                .is_ok_and(|n| (*minimum..=*maximum).contains(&n)),
            Kind::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
            Kind::Boolean => matches!(value, "true" | "false"),
            Kind::Enum(values) => values.contains(&value),
            Kind::String | Kind::Json => true,
        }
    }

    /// Whether the JSON `value` of a body field is of this kind (`null` is not: the spec marks
    /// nothing `nullable`).
    pub fn accepts_json(&self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (self, value) {
            (Kind::Json, _) => true,
            (Kind::Integer { minimum, maximum }, Value::Number(n)) => n
                .as_i64()
                .is_some_and(|n| (*minimum..=*maximum).contains(&n)),
            (Kind::Number, Value::Number(_)) | (Kind::Boolean, Value::Bool(_)) => true,
            (Kind::String, Value::String(_)) => true,
            (Kind::Uuid | Kind::Email | Kind::Enum(_), Value::String(text)) => self.accepts(text),
            _ => false,
        }
    }

    /// A short name of its values, for a command line's help (`UUID`, `INTEGER`, `VALUE`).
    pub fn value_name(&self) -> &'static str {
        match self {
            Kind::String => "TEXT",
            Kind::Uuid => "UUID",
            Kind::Email => "EMAIL",
            Kind::Integer { .. } => "INTEGER",
            Kind::Number => "NUMBER",
            Kind::Boolean => "true|false",
            Kind::Enum(_) => "VALUE",
            Kind::Json => "JSON",
        }
    }

    /// Whether its values are numbers (so text such as `-1` is a value, not a flag).
    pub fn is_numeric(&self) -> bool {
        match self {
            Kind::Integer { .. } | Kind::Number => true,
            Kind::String
            | Kind::Uuid
            | Kind::Email
            | Kind::Boolean
            | Kind::Enum(_)
            | Kind::Json => false,
        }
    }

    /// `text` (checked with [`Kind::accepts`] already) as the JSON value of this kind: a number,
    /// a boolean, parsed JSON, or the text itself (also when it cannot be read as the kind).
    pub fn json_value(&self, text: &str) -> serde_json::Value {
        use serde_json::Value;
        let parsed = match self {
            Kind::Integer { .. } => text.parse::<i64>().ok().map(Value::from),
            Kind::Number => text.parse::<f64>().ok().map(Value::from),
            Kind::Boolean => text.parse::<bool>().ok().map(Value::from),
            Kind::Json => serde_json::from_str(text).ok(),
            Kind::String | Kind::Uuid | Kind::Email | Kind::Enum(_) => None,
        };
        parsed.unwrap_or_else(|| Value::String(text.to_owned()))
    }

    /// A value of this kind to show in a body template (`0`, `false`, `""`, the first of an
    /// enum's values, `null` for other JSON).
    pub fn placeholder(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Kind::Integer { minimum, .. } => Value::from((*minimum).max(0)),
            Kind::Number => Value::from(0.0),
            Kind::Boolean => Value::from(false),
            Kind::Json => Value::Null,
            Kind::Enum(values) => Value::from(values.first().copied().unwrap_or_default()),
            Kind::String | Kind::Uuid | Kind::Email => Value::from(""),
        }
    }

    /// What this kind accepts, in words (`an integer from 1 to 100`).
    pub fn describe(&self) -> String {
        match self {
            Kind::Uuid => "a UUID".to_owned(),
            Kind::Email => "an email address".to_owned(),
            Kind::Integer { minimum, maximum } => match (*minimum, *maximum) {
                (i64::MIN, i64::MAX) => "an integer".to_owned(),
                (low, high) => format!("an integer from {low} to {high}"),
            },
            Kind::Number => "a finite number".to_owned(),
            Kind::Boolean => "`true` or `false`".to_owned(),
            Kind::Enum(values) => {
                let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                match quoted.as_slice() {
                    [one] => one.clone(),
                    [first, second] => format!("{first} or {second}"),
                    _ => format!("one of {}", quoted.join(", ")),
                }
            }
            Kind::String => "text".to_owned(),
            Kind::Json => "JSON".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_name_one_effect_each() {
        let effects = [
            TokenEffect::None,
            TokenEffect::Issues,
            TokenEffect::Rotates,
            TokenEffect::Revokes,
        ];
        for effect in effects {
            match effect.mark() {
                Some(mark) => assert_eq!(TokenEffect::from_mark(mark), Some(effect)),
                None => assert_eq!(effect, TokenEffect::None),
            }
        }
        assert_eq!(TokenEffect::from_mark("none"), None);
        // The rotation adopts what it gets, and is never repeated.
        let rotates = TokenEffect::Rotates;
        assert!(rotates.adopts_session() && rotates.invalidates_sent_token());
        assert!(!TokenEffect::Revokes.adopts_session() && TokenEffect::Revokes.forgets_token());
        assert!(!Operation::is_idempotent("GET", rotates));
        assert!(Operation::is_idempotent("put", TokenEffect::None));
        for managed in [
            Managed::RequestId,
            Managed::Application,
            Managed::ApiVersion,
            Managed::QueryBuilder,
        ] {
            assert_eq!(Managed::from_mark(managed.mark()), Some(managed));
        }
    }

    #[test]
    fn kinds_accept_what_they_describe() {
        let small = Kind::Integer {
            minimum: 1,
            maximum: 100,
        };
        assert!(small.accepts("1") && small.accepts("100"));
        assert!(!small.accepts("0") && !small.accepts("101") && !small.accepts("x"));
        assert_eq!(small.describe(), "an integer from 1 to 100");
        let uuid = Kind::Uuid;
        assert!(uuid.accepts("6735e303-50a1-4887-9b11-915a6919cc66"));
        for not in [
            "6735e30350a148879b11915a6919cc66",
            "{6735e303-50a1-4887-9b11-915a6919cc66}",
            "6735e303-50a1-4887-9b11-915a6919cc6g",
        ] {
            assert!(!uuid.accepts(not), "{not}");
        }
        assert!(!Kind::Number.accepts("NaN") && !Kind::Number.accepts("inf"));
        assert!(Kind::Enum(&["a", "b"]).accepts("b") && !Kind::Enum(&["a"]).accepts("c"));
        assert_eq!(
            Kind::Enum(&["true", "false"]).describe(),
            "`true` or `false`"
        );
        assert_eq!(
            Kind::Enum(&["a", "b", "c"]).describe(),
            "one of `a`, `b`, `c`"
        );
    }
}
