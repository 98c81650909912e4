//! What is known of each operation beyond its generated method. `cargo xtask generate` writes one
//! [`Operation`] per operation of the spec into the `operations` module (the operation table);
//! `menu-sdk`'s pipeline reads it (authentication, the token an operation issues or rotates,
//! retries, errors), and so do the `menu` command line (one command per
//! operation) and the mock server (an answer for every operation).

/// How an operation authenticates the customer (from its `security` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The customer token is required (`security: [{customerToken: []}]`).
    Customer,
    /// The customer token is sent when there is one (`{}` among the `security` alternatives).
    Optional,
    /// No customer token (`security: []`): the `Application` key alone.
    None,
}

/// What an operation does to the customer token (the spec's `x-token` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEffect {
    /// Nothing.
    None,
    /// Its answer is a session (`customer_account` and `token`): the client adopts the token
    /// (`register`).
    Issues,
    /// As `Issues`, and the token it was sent with is invalidated: clients refresh an expiring
    /// token with it (`refresh`). One operation at most.
    Rotates,
    /// Its success invalidates the token it was sent with, for good: clients forget it
    /// (`delete_customer_account`).
    Revokes,
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
    /// `HEAD`, `OPTIONS`, `PUT`, `DELETE`); never for an operation that rotates or revokes the
    /// token (a second attempt would be refused, though the first one acted).
    pub idempotent: bool,
    /// The documented success status (the one whose body the generated method decodes).
    pub success_status: u16,
    /// The spec's summary.
    pub summary: &'static str,
    /// The spec's description.
    pub description: &'static str,
    /// The parameters a caller gives (not the headers every call carries): path parameters in
    /// the path's order, then the others.
    pub params: &'static [Param],
    /// The JSON request body, if the operation takes one.
    pub body: Option<Body>,
    /// The documented example of the success response, as JSON text.
    pub example: Option<&'static str>,
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
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the path.
    Path,
    /// In the query string.
    Query,
    /// As a header.
    Header,
}

/// What a value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The top-level fields of an object body (none for other shapes).
    pub fields: &'static [Field],
    /// The documented example, as JSON text.
    pub example: Option<&'static str>,
    /// Checks a body against the body's schema, by decoding it into the generated type (an
    /// object body must be an object); the error says what is wrong.
    pub check: fn(&[u8]) -> Result<(), String>,
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

impl Kind {
    /// Whether `value` (as text, from a path, a query or a header) is of this kind. A UUID must
    /// be in its canonical hyphenated form; a number finite.
    pub fn accepts(&self, value: &str) -> bool {
        match self {
            Kind::Uuid => {
                value.len() == 36
                    && value.char_indices().all(|(i, c)| {
                        if matches!(i, 8 | 13 | 18 | 23) {
                            c == '-'
                        } else {
                            c.is_ascii_hexdigit()
                        }
                    })
            }
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
            Kind::Enum(values) => format!("one of {}", values.join(", ")),
            Kind::String => "text".to_owned(),
            Kind::Json => "JSON".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
