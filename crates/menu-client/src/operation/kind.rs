//! What a value of a parameter, a header or a body field looks like ([`Kind`]), and the rules
//! every reader applies to one: whether a text or a JSON value is of the kind, how to say it in
//! words, how a command line names and converts it.

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
