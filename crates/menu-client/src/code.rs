//! [`Code`]: a one-time code sent to the customer (a body field the spec marks
//! `x-one-time-code: true`), one type whatever the field's representation on the wire.
//!
//! `cargo xtask generate` types every such field of the generated body types as [`Code`]; a field
//! whose schema is an integer gets `#[serde(with = "crate::code::integer")]` (this module's
//! [`integer`]), a string field [`Code`]'s own serialization (a string). So the caller passes the
//! code as it was received (the outbox's string, or a number) and never parses it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A one-time code sent to the customer, as it was received: `"164138"`, or a number.
///
/// Made from a string (`From<&str>`, `From<String>`, `From<&String>`, `FromStr`: the code as the
/// email or text message gives it) or a number (`From<u32>`). It is sent as the operation's schema says:
/// a string as given; an integer parsed from the digits, at send time: **an integer code loses a
/// leading zero** (`"012345"` is sent as `12345`), and a code that is not digits cannot be sent as
/// an integer (the SDK refuses it with `Error::InvalidArgument`, nothing sent).
///
/// **Secret** while it is valid: `Debug` never shows it, and there is no `Display`;
/// [`Code::as_str`] does. Equality compares the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Code(String);

impl Code {
    /// The code as given (an integer's decimal digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as an integer: its decimal digits (no sign, space or other character; a leading
    /// zero is dropped). `None` when it is not one, or does not fit an `i64`.
    pub fn as_integer(&self) -> Option<i64> {
        if self.0.is_empty() || !self.0.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.0.parse().ok()
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

impl From<&str> for Code {
    fn from(code: &str) -> Self {
        Self(code.to_owned())
    }
}

impl From<String> for Code {
    fn from(code: String) -> Self {
        Self(code)
    }
}

impl From<&String> for Code {
    fn from(code: &String) -> Self {
        Self(code.clone())
    }
}

impl From<u32> for Code {
    fn from(code: u32) -> Self {
        Self(code.to_string())
    }
}

impl std::str::FromStr for Code {
    type Err = std::convert::Infallible;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(code))
    }
}

/// As a string (the representation of a field whose schema is a string).
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// From a string.
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // A generated field of this type has its own schema (the spec's, string or integer).
        schemars::json_schema!({
            "type": "string",
            "description": "A one-time code sent to the customer.",
        })
    }
}

/// The message of a code that cannot be sent as an integer (it never quotes the code).
pub const NOT_AN_INTEGER: &str = "the one-time code is sent as an integer here, and the code given \
                                  is not one (digits only; a leading zero is dropped)";

/// The message of a code too large for its field (it never quotes the code).
pub const TOO_LARGE: &str = "the one-time code is sent as an integer here, and the code given is \
                             larger than the field takes";

/// What a field whose schema is an integer holds: a [`Code`], or an optional one.
pub trait IntegerField: Sized {
    /// The value as the integer sent (`Ok(None)` for an absent optional code).
    fn integer(&self) -> Result<Option<i64>, &'static str>;
    /// The value from the integer received (`None`: a JSON `null`).
    fn from_integer(value: Option<i64>) -> Result<Self, &'static str>;
}

impl IntegerField for Code {
    fn integer(&self) -> Result<Option<i64>, &'static str> {
        self.as_integer().map(Some).ok_or(NOT_AN_INTEGER)
    }

    fn from_integer(value: Option<i64>) -> Result<Self, &'static str> {
        value
            .map(|n| Self(n.to_string()))
            .ok_or("expected an integer one-time code, not null")
    }
}

impl IntegerField for Option<Code> {
    fn integer(&self) -> Result<Option<i64>, &'static str> {
        self.as_ref().map_or(Ok(None), IntegerField::integer)
    }

    fn from_integer(value: Option<i64>) -> Result<Self, &'static str> {
        Ok(value.map(|n| Code(n.to_string())))
    }
}

/// Serializes `value` as an integer no larger than `maximum`: [`integer`] and [`int32`].
fn serialize_within<T: IntegerField, S: Serializer>(
    value: &T,
    maximum: i64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    match value.integer().map_err(S::Error::custom)? {
        Some(n) if n > maximum => Err(S::Error::custom(TOO_LARGE)),
        Some(n) => serializer.serialize_i64(n),
        None => serializer.serialize_none(),
    }
}

/// `#[serde(with = "crate::code::int32")]`: as [`integer`], for a field whose schema's integers
/// are 32-bit (`format: int32`): a larger code fails with [`TOO_LARGE`], nothing sent.
pub mod int32 {
    use serde::Serializer;

    use super::IntegerField;
    pub use super::integer::deserialize;

    /// Serializes the code as an integer of 32 bits.
    pub fn serialize<T: IntegerField, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_within(value, i64::from(i32::MAX), serializer)
    }
}

/// `#[serde(with = "crate::code::integer")]`: a [`Code`] (or an optional one) as the JSON integer
/// a field's schema asks for. Serializing a code that is not an integer fails with
/// [`NOT_AN_INTEGER`]; decoding takes an integer only (not a string), as the schema says.
pub mod integer {
    use serde::de::Error as _;
    use serde::{Deserialize as _, Deserializer, Serializer};

    use super::IntegerField;

    /// Serializes the code as an integer.
    pub fn serialize<T: IntegerField, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_within(value, i64::MAX, serializer)
    }

    /// Decodes an integer into the code.
    pub fn deserialize<'de, T: IntegerField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        let value = Option::<i64>::deserialize(deserializer)?;
        T::from_integer(value).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        #[serde(with = "integer")]
        number: Code,
        text: Code,
        #[serde(default, with = "integer", skip_serializing_if = "Option::is_none")]
        optional: Option<Code>,
    }

    fn body(number: impl Into<Code>) -> Body {
        Body {
            number: number.into(),
            text: "012345".into(),
            optional: None,
        }
    }

    #[test]
    fn a_code_is_sent_as_its_field_says() {
        let sent = serde_json::to_string(&body("164138")).unwrap();
        assert_eq!(sent, r#"{"number":164138,"text":"012345"}"#);
        assert_eq!(serde_json::to_string(&body(164_138)).unwrap(), sent);
        let back: Body = serde_json::from_str(&sent).unwrap();
        assert_eq!(back, body(164_138));
        let with_optional = Body {
            optional: Some("7".into()),
            ..body("1")
        };
        let sent = serde_json::to_string(&with_optional).unwrap();
        assert_eq!(sent, r#"{"number":1,"text":"012345","optional":7}"#);
        assert_eq!(serde_json::from_str::<Body>(&sent).unwrap(), with_optional);
    }

    #[test]
    fn an_integer_code_loses_a_leading_zero() {
        let sent = serde_json::to_value(body("012345")).unwrap();
        assert_eq!(sent["number"], 12345);
        assert_eq!(sent["text"], "012345", "a string keeps it");
    }

    #[test]
    fn a_code_that_is_not_an_integer_is_an_error_not_a_panic() {
        for code in [
            "",
            "12a",
            " 1",
            "+1",
            "1.5",
            "-",
            "-1",
            "99999999999999999999999999999999999999999",
        ] {
            let error = serde_json::to_value(body(code)).unwrap_err().to_string();
            assert_eq!(error, NOT_AN_INTEGER, "{code:?}");
        }
        // Decoding follows the schema: a string is not an integer.
        assert!(serde_json::from_str::<Body>(r#"{"number":"1","text":"1"}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"number":1,"text":1}"#).is_err());
    }

    #[test]
    fn a_32_bit_field_takes_no_larger_code() {
        #[derive(Serialize)]
        struct Narrow {
            #[serde(with = "int32")]
            code: Code,
        }
        let sent = |code: Code| serde_json::to_string(&Narrow { code });
        assert_eq!(sent("2147483647".into()).unwrap(), r#"{"code":2147483647}"#);
        for code in [Code::from("2147483648"), Code::from(u32::MAX)] {
            assert_eq!(sent(code).unwrap_err().to_string(), TOO_LARGE);
        }
        assert_eq!(
            sent("-1".into()).unwrap_err().to_string(),
            NOT_AN_INTEGER,
            "no sign"
        );
    }

    #[test]
    fn a_code_is_secret() {
        let code = Code::from("164138");
        assert!(!format!("{code:?}").contains("164138"));
        assert_eq!(code.as_str(), "164138");
        assert_eq!(Code::from(7).as_integer(), Some(7));
    }
}
