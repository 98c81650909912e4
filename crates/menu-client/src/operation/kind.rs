//! What a value of a parameter, a header or a body field looks like ([`Kind`]), and the rules
//! every reader applies to one: whether a text or a JSON value is of the kind (with every
//! constraint the spec states: formats, lengths, patterns, bounds, enums, the items of a list),
//! how to say it in words, how a command line names and converts it.

use super::text::Text;

/// What a value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Text, with the spec's lengths and pattern, if any.
    String(Text),
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
    /// A JSON array of simple values (text, ids, numbers, enums, ...: never objects or arrays).
    Array(List),
    /// Any other JSON (an object, an array of objects or arrays).
    Json,
}

/// What a [`Kind::Array`] holds: values of one simple kind, so many of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List {
    /// The kind of every item (never [`Kind::Array`] or [`Kind::Json`]).
    pub items: &'static Kind,
    /// The fewest items (`minItems`).
    pub min_items: u64,
    /// The most items (`maxItems`), if limited.
    pub max_items: Option<u64>,
}

impl List {
    /// Whether `items` are as many as allowed, each of the items' kind.
    pub fn accepts(&self, items: &[serde_json::Value]) -> bool {
        let count = u64::try_from(items.len()).unwrap_or(u64::MAX);
        count >= self.min_items
            && self.max_items.is_none_or(|max| count <= max)
            && items.iter().all(|item| self.items.accepts_json(item))
    }

    /// What it accepts, in words (`a list of UUIDs`... said of its items).
    pub fn describe(&self) -> String {
        let count = match (self.min_items, self.max_items) {
            (0, None) => String::new(),
            (min, None) => format!(" (at least {min})"),
            (0, Some(max)) => format!(" (at most {max})"),
            (min, Some(max)) => format!(" ({min} to {max})"),
        };
        format!("a list{count} of items each {}", self.items.describe())
    }
}

impl Kind {
    /// Whether `value` (as text, from a path, a query or a header) is of this kind. A UUID must
    /// be in its hyphenated form (36 characters); a number finite; a list a JSON array.
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
            Kind::String(text) => text.accepts(value),
            Kind::Array(_) => serde_json::from_str(value).is_ok_and(|v| self.accepts_json(&v)),
            Kind::Json => true,
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
            (Kind::Array(list), Value::Array(items)) => list.accepts(items),
            (Kind::String(_) | Kind::Uuid | Kind::Email | Kind::Enum(_), Value::String(text)) => {
                self.accepts(text)
            }
            _ => false,
        }
    }

    /// A short name of its values, for a command line's help (`UUID`, `INTEGER`, `VALUE`).
    pub fn value_name(&self) -> &'static str {
        match self {
            Kind::String(_) => "TEXT",
            Kind::Uuid => "UUID",
            Kind::Email => "EMAIL",
            Kind::Integer { .. } => "INTEGER",
            Kind::Number => "NUMBER",
            Kind::Boolean => "true|false",
            Kind::Enum(_) => "VALUE",
            Kind::Array(list) => list.items.value_name(),
            Kind::Json => "JSON",
        }
    }

    /// Whether no value of this kind contains a comma, so that a command line may split a list
    /// of them on commas: ids, numbers, booleans, enums without commas, text whose pattern keeps
    /// commas out ([`Text::excludes_commas`]). Not free text, emails, or JSON.
    pub fn excludes_commas(&self) -> bool {
        match self {
            Kind::Uuid | Kind::Integer { .. } | Kind::Number | Kind::Boolean => true,
            Kind::Enum(values) => values.iter().all(|v| !v.contains(',')),
            Kind::String(text) => text.excludes_commas(),
            Kind::Email | Kind::Array(_) | Kind::Json => false,
        }
    }

    /// Whether its values are numbers (so text such as `-1` is a value, not a flag).
    pub fn is_numeric(&self) -> bool {
        match self {
            Kind::Integer { .. } | Kind::Number => true,
            Kind::String(_)
            | Kind::Uuid
            | Kind::Email
            | Kind::Boolean
            | Kind::Enum(_)
            | Kind::Array(_)
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
            Kind::Array(_) | Kind::Json => serde_json::from_str(text).ok(),
            Kind::String(_) | Kind::Uuid | Kind::Email | Kind::Enum(_) => None,
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
            Kind::Array(list) => Value::Array(vec![list.items.placeholder()]),
            Kind::String(_) | Kind::Uuid | Kind::Email => Value::from(""),
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
            Kind::String(text) => text.describe(),
            Kind::Array(list) => list.describe(),
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

    #[test]
    fn lists_check_their_items_and_say_whether_commas_split_them() {
        use serde_json::json;
        static CODE: Kind = Kind::String(Text {
            min_length: 0,
            max_length: None,
            pattern: Some("^[A-Z]{2}$"),
        });
        let codes = Kind::Array(List {
            items: &CODE,
            min_items: 1,
            max_items: None,
        });
        assert!(codes.accepts_json(&json!(["US", "CA"])));
        assert!(!codes.accepts_json(&json!([])) && !codes.accepts_json(&json!(["usa"])));
        assert!(!codes.accepts_json(&json!("US")));
        assert!(codes.accepts(r#"["RO"]"#) && !codes.accepts("RO"));
        assert_eq!(
            codes.describe(),
            "a list (at least 1) of items each text matching `^[A-Z]{2}$`"
        );
        assert_eq!(codes.placeholder(), json!([""]));
        assert!(CODE.excludes_commas() && Kind::Uuid.excludes_commas());
        assert!(!Kind::String(Text::ANY).excludes_commas() && !Kind::Email.excludes_commas());
        assert!(!Kind::Enum(&["a,b"]).excludes_commas());
        // An empty code is not a code.
        let digits = Kind::String(Text {
            min_length: 0,
            max_length: None,
            pattern: Some("^[0-9]+$"),
        });
        assert!(!digits.accepts_json(&json!("")) && digits.accepts_json(&json!("0164")));
    }
}
