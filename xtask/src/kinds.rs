//! What a schema's values look like ([`Kind`]), with every constraint the spec states on them:
//! formats, lengths and patterns (the standard keywords or their `x-` forms, which only the
//! command line and the mock read), bounds, enums, a list's items. A constraint the operation
//! model cannot carry is refused by name: the command line and the mock check every one. This holds
//! for parameters and a body's top-level fields; what is nested inside a field (an object's
//! properties, a list of objects) is checked by decoding into the generated types only.

use openapiv3::{OpenAPI, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty};

use crate::operation::{Kind, List, Text};
use crate::refs::{leak, leak_all, property, resolve};

/// What a schema's values look like, with every constraint the spec states on them (formats,
/// lengths, patterns, bounds, enums, the items of a list): each is checked by the command line
/// and the mock, so one they could not check is refused here, by name.
pub fn kind(spec: &OpenAPI, schema: Option<&Schema>) -> Result<Kind, String> {
    let Some(schema) = schema else {
        return Ok(Kind::Json);
    };
    let marks = &schema.schema_data.extensions;
    let text_marks = ["x-min-length", "x-max-length", "x-pattern"];
    let is_text = |kind: &Kind| matches!(kind, Kind::String(_));
    let kind = match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
            let format = |name: &str| matches!(&string.format, VariantOrUnknownOrEmpty::Unknown(f) if f == name);
            let kind = if !values.is_empty() {
                Kind::Enum(leak_all(values.into_iter().map(leak).collect()))
            } else if format("uuid") {
                Kind::Uuid
            } else if format("email") {
                Kind::Email
            } else if matches!(
                string.format,
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
            ) {
                Kind::Json
            } else {
                Kind::String(text(string, marks)?)
            };
            let constrained = string.min_length.is_some()
                || string.max_length.is_some()
                || string.pattern.is_some();
            if constrained && !is_text(&kind) {
                return Err(
                    "lengths and patterns are checked on plain text only, not beside an enum or a \
                     format"
                        .into(),
                );
            }
            kind
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            if integer.multiple_of.is_some() || !integer.enumeration.is_empty() {
                return Err("`multipleOf` and `enum` on an integer are not checked: \
                            the operation model has no place for them"
                    .into());
            }
            let (low, high) = match integer.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                }
                _ => (i64::MIN, i64::MAX),
            };
            let step = |exclusive: bool| i64::from(exclusive);
            Kind::Integer {
                minimum: integer.minimum.map_or(low, |m| {
                    m.saturating_add(step(integer.exclusive_minimum)).max(low)
                }),
                maximum: integer.maximum.map_or(high, |m| {
                    m.saturating_sub(step(integer.exclusive_maximum)).min(high)
                }),
            }
        }
        SchemaKind::Type(Type::Number(number)) => {
            if number.minimum.is_some()
                || number.maximum.is_some()
                || number.multiple_of.is_some()
                || !number.enumeration.is_empty()
            {
                return Err(
                    "bounds, `multipleOf` and `enum` on a number are not checked: \
                            the operation model has no place for them"
                        .into(),
                );
            }
            Kind::Number
        }
        SchemaKind::Type(Type::Boolean(_)) => Kind::Boolean,
        SchemaKind::Type(Type::Array(array)) => {
            let items = array.items.as_ref().and_then(|items| property(spec, items));
            match kind(spec, items).map_err(|e| format!("its items: {e}"))? {
                Kind::Json | Kind::Array(_) => Kind::Json,
                items => {
                    if array.unique_items {
                        return Err("`uniqueItems` is not checked: the operation model has no \
                                    place for it"
                            .into());
                    }
                    let (min_items, max_items) = (array.min_items, array.max_items);
                    if max_items.is_some_and(|max| max < min_items.unwrap_or(0)) {
                        return Err("`maxItems` is below `minItems`".into());
                    }
                    Kind::Array(List {
                        items: Box::leak(Box::new(items)),
                        min_items: min_items.map_or(0, to_u64),
                        max_items: max_items.map(to_u64),
                    })
                }
            }
        }
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
            return kind(spec, resolve(spec, &all_of[0]));
        }
        _ => Kind::Json,
    };
    if !is_text(&kind)
        && let Some(mark) = text_marks.iter().find(|mark| marks.contains_key(**mark))
    {
        return Err(format!(
            "`{mark}` is for plain text (a string without enum or format)"
        ));
    }
    Ok(kind)
}

fn to_u64(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}

/// A string's lengths and pattern: the schema's (`minLength`, `maxLength`, `pattern`, which
/// typify turns into a validating newtype) or their `x-` forms (`x-min-length`, `x-max-length`,
/// `x-pattern`, which only the command line and the mock read), one of the two for each.
fn text(
    string: &openapiv3::StringType,
    marks: &indexmap::IndexMap<String, serde_json::Value>,
) -> Result<Text, String> {
    let both = |mark: &str, keyword: &str, given: bool| {
        if given && marks.contains_key(mark) {
            Err(format!(
                "`{keyword}` and `{mark}` both: give one of the two"
            ))
        } else {
            Ok(())
        }
    };
    both("x-min-length", "minLength", string.min_length.is_some())?;
    both("x-max-length", "maxLength", string.max_length.is_some())?;
    both("x-pattern", "pattern", string.pattern.is_some())?;
    let count = |mark: &str| -> Result<Option<u64>, String> {
        marks
            .get(mark)
            .map(|value| {
                value
                    .as_u64()
                    .ok_or_else(|| format!("`{mark}: {value}` is not a count"))
            })
            .transpose()
    };
    let min_length = match string.min_length {
        Some(min) => to_u64(min),
        None => count("x-min-length")?.unwrap_or(0),
    };
    let max_length = match string.max_length {
        Some(max) => Some(to_u64(max)),
        None => count("x-max-length")?,
    };
    let pattern = match (&string.pattern, marks.get("x-pattern")) {
        (Some(pattern), _) => Some(leak(pattern.as_str())),
        (None, Some(mark)) => {
            Some(leak(mark.as_str().ok_or_else(|| {
                format!("`x-pattern: {mark}` is not a string")
            })?))
        }
        (None, None) => None,
    };
    Text::new(min_length, max_length, pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(yaml: &str) -> Result<Kind, String> {
        let spec: OpenAPI =
            serde_yaml_ng::from_str("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
                .unwrap();
        let schema: Schema = serde_yaml_ng::from_str(yaml).unwrap();
        kind(&spec, Some(&schema))
    }

    #[test]
    fn constraints_are_read_or_refused_by_name() {
        let digits = Text::new(0, None, Some("^[0-9]+$")).unwrap();
        assert_eq!(
            kind_of("{type: string, x-pattern: '^[0-9]+$'}"),
            Ok(Kind::String(digits))
        );
        assert_eq!(
            kind_of("{type: string, minLength: 1, x-max-length: 8}"),
            Ok(Kind::String(Text::new(1, Some(8), None).unwrap()))
        );
        let Ok(Kind::Array(list)) =
            kind_of("{type: array, minItems: 1, items: {type: string, format: uuid}}")
        else {
            panic!("a list of UUIDs");
        };
        assert_eq!(
            (list.items, list.min_items, list.max_items),
            (&Kind::Uuid, 1, None)
        );
        assert_eq!(
            kind_of("{type: array, items: {type: object}}"),
            Ok(Kind::Json)
        );
        for (yaml, refusal) in [
            (
                "{type: string, pattern: a, x-pattern: b}",
                "give one of the two",
            ),
            ("{type: string, x-pattern: '('}", "the pattern `(`"),
            (
                "{type: string, format: uuid, maxLength: 3}",
                "plain text only",
            ),
            (
                "{type: integer, x-pattern: '^1$'}",
                "`x-pattern` is for plain text",
            ),
            ("{type: integer, multipleOf: 2}", "`multipleOf`"),
            ("{type: number, maximum: 2}", "on a number"),
            (
                "{type: array, uniqueItems: true, items: {type: string}}",
                "`uniqueItems`",
            ),
            ("{type: string, x-min-length: -1}", "not a count"),
        ] {
            let error = kind_of(yaml).unwrap_err();
            assert!(error.contains(refusal), "{yaml}: {error}");
        }
    }
}
