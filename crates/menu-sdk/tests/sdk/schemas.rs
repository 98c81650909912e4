//! The JSON Schema of every public model (with the `schemars` feature).
//!
//! - **Against the spec**, for every model: its JSON Schema says what the spec says of it (title,
//!   description, JSON type, enum values, properties, which are required, their descriptions,
//!   `$ref`s, map values, a string format it keeps). A model is the spec's component schema of
//!   its name; a type that progenitor named for a schema written inline is compared with that
//!   inline schema, where a model uses it or, for one that no model uses (a query parameter's
//!   enum), with the inline schemas of the spec. The list of models is generated
//!   (`menu_client::operations::json_schemas`), so a type that a spec edit adds is checked with no
//!   line written for it.
//! - **Against its review**, for every model that has one: a committed insta snapshot
//!   (`snapshots/sdk__schemas__<Model>.snap`). A changed schema of a reviewed type fails here until
//!   the snapshot is updated (`cargo insta review`, or `INSTA_UPDATE=always`). A type without a
//!   snapshot is checked against the spec alone; `INSTA_UPDATE=always cargo test -p menu-sdk
//!   --test sdk schemas::` writes the missing ones, to review and commit.
//!
//! What the comparison leaves to Rust: whether a value may be `null` (an optional field is an
//! `Option`, which schemars writes as "or null"; whether it is required is compared), an
//! integer's width and bounds (`int32` with `minimum: 1` may be a `NonZeroU32`), the string
//! formats that have no Rust type of their own (all but [`KEPT_STRING_FORMATS`]), and the
//! constraints that no Rust type carries (`minLength`, `pattern`, `maxItems`, defaults). A named
//! string type, which keeps none of them, matches any inline string schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use menu_sdk::menu_client::operations::json_schemas;
use serde_json::{Value, json};

/// The string formats that progenitor (typify) gives a Rust type of their own: the generated
/// schema must say them as the spec does. Any other format is a plain `String`, which may leave
/// it out.
const KEPT_STRING_FORMATS: [&str; 6] = ["uuid", "date", "date-time", "ip", "ipv4", "ipv6"];

/// The spec, as JSON.
fn spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/menu-customers.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What a schema says that the generated types must keep, in one form for both sides.
#[derive(Debug, PartialEq)]
enum Shape {
    /// A reference to a named schema, by name.
    Ref(String),
    /// Any JSON value.
    Any,
    Scalar {
        kind: String,
        format: Option<String>,
        values: Option<Vec<Value>>,
    },
    Array(Box<Shape>),
    Object {
        properties: BTreeMap<String, (Shape, Option<String>)>,
        required: BTreeSet<String>,
        /// The value of a map (`additionalProperties` as a schema).
        values: Option<Box<Shape>>,
    },
    /// `oneOf`/`anyOf` of several schemas, in order.
    Union(Vec<Shape>),
    /// A schema this comparison does not read (`not`, several types, ...): never equal to
    /// anything, so a model with one needs its difference explained (or the comparison taught).
    Unsupported(String),
}

fn ref_name(schema: &Value) -> Option<String> {
    let reference = schema.get("$ref")?.as_str()?;
    Some(reference.rsplit('/').next().unwrap().to_owned())
}

fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(|d| d.trim().to_owned())
}

/// The shape of `schema`. `defs` resolves the `$ref`s of `allOf` parts, which progenitor merges
/// into one struct; any other `$ref` stays a reference. `null` is left out of types and unions.
fn shape(schema: &Value, defs: &serde_json::Map<String, Value>) -> Shape {
    if let Some(name) = ref_name(schema) {
        return Shape::Ref(name);
    }
    for keyword in ["not", "if", "patternProperties"] {
        if schema.get(keyword).is_some() {
            return Shape::Unsupported(format!("`{keyword}` in {schema}"));
        }
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
            let mut branches: Vec<Shape> = branches
                .iter()
                .filter(|s| s["type"] != "null")
                .map(|s| shape(s, defs))
                .collect();
            return match branches.len() {
                1 => branches.remove(0),
                _ => Shape::Union(branches),
            };
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // `{allOf: [$ref]}`: the OpenAPI 3.0 way of giving a reference a description.
        if let [part] = &parts[..]
            && let Some(name) = ref_name(part)
        {
            return Shape::Ref(name);
        }
        let mut merged = BTreeMap::new();
        let mut required = BTreeSet::new();
        for part in parts {
            let part = match ref_name(part) {
                Some(name) => match defs.get(&name) {
                    Some(part) => part,
                    None => return Shape::Unsupported(format!("allOf part `{name}` not found")),
                },
                None => part,
            };
            let Shape::Object {
                properties,
                required: r,
                values: None,
            } = shape(part, defs)
            else {
                return Shape::Unsupported(format!("an allOf part that is not an object: {part}"));
            };
            merged.extend(properties);
            required.extend(r);
        }
        return Shape::Object {
            properties: merged,
            required,
            values: None,
        };
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kinds: Vec<&str> = kinds.into_iter().filter(|k| *k != "null").collect();
    match kinds[..] {
        [] if schema.get("properties").is_some() => object(schema, defs),
        [] => Shape::Any,
        ["object"] => object(schema, defs),
        ["array"] => Shape::Array(Box::new(shape(&schema["items"], defs))),
        [kind] => Shape::Scalar {
            kind: kind.to_owned(),
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_owned),
            values: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter(|v| !v.is_null()).cloned().collect()),
        },
        _ => Shape::Unsupported(format!("several types: {schema}")),
    }
}

fn object(schema: &Value, defs: &serde_json::Map<String, Value>) -> Shape {
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, property)| (name.clone(), (shape(property, defs), description(property))))
        .collect();
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect();
    let values = match schema.get("additionalProperties") {
        None | Some(Value::Bool(_)) => None,
        Some(values) => Some(Box::new(shape(values, defs))),
    };
    Shape::Object {
        properties,
        required,
        values,
    }
}

/// Every difference between the generated shape and the spec's, with where it is (see the module
/// documentation for what is left to Rust).
///
/// `named` gives the shape of a type of the generated schema's `$defs`: where the spec writes a
/// schema inline, progenitor names a type for it, and that type is compared with the inline schema.
fn differences(
    at: &str,
    generated: &Shape,
    spec: &Shape,
    named: &dyn Fn(&str) -> Option<Shape>,
    out: &mut Vec<String>,
) {
    match (generated, spec) {
        (Shape::Ref(name), inline) if !matches!(inline, Shape::Ref(_)) => match named(name) {
            Some(generated) => differences(at, &generated, inline, named, out),
            None => out.push(format!("{at}: `{name}` is not in the schema's $defs")),
        },
        (
            Shape::Scalar {
                kind: gk,
                format: gf,
                values: gv,
            },
            Shape::Scalar {
                kind: sk,
                format: sf,
                values: sv,
            },
        ) => {
            if gk != sk {
                out.push(format!("{at}: type `{gk}`, the spec says `{sk}`"));
            }
            let dropped = gf.is_none()
                && sf
                    .as_deref()
                    .is_none_or(|f| !KEPT_STRING_FORMATS.contains(&f));
            if gk == "string" && gf != sf && !dropped {
                out.push(format!("{at}: format {gf:?}, the spec says {sf:?}"));
            }
            if gv != sv {
                out.push(format!("{at}: values {gv:?}, the spec says {sv:?}"));
            }
        }
        (Shape::Array(g), Shape::Array(s)) => {
            differences(&format!("{at}[]"), g, s, named, out);
        }
        (Shape::Union(g), Shape::Union(s)) if g.len() == s.len() => {
            for (i, (g, s)) in g.iter().zip(s).enumerate() {
                differences(&format!("{at}|{i}"), g, s, named, out);
            }
        }
        (
            Shape::Object {
                properties: gp,
                required: gr,
                values: gv,
            },
            Shape::Object {
                properties: sp,
                required: sr,
                values: sv,
            },
        ) => {
            let names: BTreeSet<_> = gp.keys().chain(sp.keys()).collect();
            for name in names {
                let at = format!("{at}.{name}");
                match (gp.get(name), sp.get(name)) {
                    (Some((g, gd)), Some((s, sd))) => {
                        differences(&at, g, s, named, out);
                        if gd != sd {
                            out.push(format!("{at}: description {gd:?}, the spec says {sd:?}"));
                        }
                    }
                    (Some(_), None) => out.push(format!("{at}: not in the spec")),
                    (None, Some(_)) => out.push(format!("{at}: missing")),
                    (None, None) => unreachable!(),
                }
            }
            if gr != sr {
                out.push(format!("{at}: required {gr:?}, the spec says {sr:?}"));
            }
            match (gv, sv) {
                (Some(g), Some(s)) => differences(&format!("{at}{{*}}"), g, s, named, out),
                (None, None) => {}
                _ => out.push(format!("{at}: map values {gv:?}, the spec says {sv:?}")),
            }
        }
        (g, s) if g == s => {}
        (g, s) => out.push(format!("{at}: {g:?}, the spec says {s:?}")),
    }
}

/// The spec's component schemas, and what a model is compared with.
struct Spec {
    components: serde_json::Map<String, Value>,
    /// Every schema the spec writes inline (under a `schema` key, not a `$ref`): parameters',
    /// request bodies' and responses'.
    inline: Vec<Value>,
}

impl Spec {
    fn read() -> Spec {
        let spec = spec();
        let mut inline = Vec::new();
        let mut stack = vec![&spec];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    for (key, value) in map {
                        if key == "example" || key == "examples" {
                            continue;
                        }
                        if key == "schema" {
                            subschemas(value, &mut inline);
                        }
                        stack.push(value);
                    }
                }
                Value::Array(values) => stack.extend(values),
                _ => {}
            }
        }
        Spec {
            components: spec["components"]["schemas"].as_object().unwrap().clone(),
            inline,
        }
    }
}

/// `schema` and every schema written inside it (properties, items, map values, the branches of
/// `allOf`, `oneOf` and `anyOf`), but `$ref`s: progenitor names a type for each.
fn subschemas(schema: &Value, out: &mut Vec<Value>) {
    if !schema.is_object() || schema.get("$ref").is_some() {
        return;
    }
    out.push(schema.clone());
    let nested = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .chain(
            ["items", "additionalProperties"]
                .iter()
                .filter_map(|k| schema.get(*k)),
        )
        .chain(
            ["allOf", "oneOf", "anyOf"]
                .iter()
                .filter_map(|k| schema.get(*k).and_then(Value::as_array))
                .flatten(),
        );
    for schema in nested {
        subschemas(schema, out);
    }
}

/// Every difference between the models (name, JSON Schema) and the spec.
fn check(models: &[(&str, &Value)], spec: &Spec) -> Vec<String> {
    let mut found = Vec::new();
    let no_defs = serde_json::Map::new();
    // The named types that a model uses in place of an inline schema, compared there.
    let compared = RefCell::new(BTreeSet::new());
    for (name, schema) in models {
        let Some(component) = spec.components.get(*name) else {
            continue;
        };
        if schema["title"] != json!(name) {
            found.push(format!("{name}: title {}", schema["title"]));
        }
        if description(schema) != description(component) {
            found.push(format!(
                "{name}: description {:?}, the spec says {:?}",
                description(schema),
                description(component)
            ));
        }
        let named = |def: &str| {
            compared.borrow_mut().insert(def.to_owned());
            Some(shape(schema.get("$defs")?.get(def)?, &no_defs))
        };
        differences(
            name,
            &shape(schema, &no_defs),
            &shape(component, &spec.components),
            &named,
            &mut found,
        );
    }
    // A named type that no model uses: one of the spec's inline schemas says what it says.
    for (name, schema) in models {
        if spec.components.contains_key(*name) || compared.borrow().contains(*name) {
            continue;
        }
        let generated = shape(schema, &no_defs);
        let named = |def: &str| Some(shape(schema.get("$defs")?.get(def)?, &no_defs));
        let matches = spec.inline.iter().any(|inline| {
            let mut differ = Vec::new();
            differences(
                name,
                &generated,
                &shape(inline, &spec.components),
                &named,
                &mut differ,
            );
            differ.is_empty()
        });
        if !matches {
            found.push(format!(
                "{name}: neither a component of the spec nor any of its inline schemas"
            ));
        }
    }
    found
}

fn models() -> Vec<(&'static str, Value)> {
    json_schemas()
        .into_iter()
        .map(|(name, schema)| (name, schema.as_value().clone()))
        .collect()
}

#[test]
fn every_model_says_what_the_spec_says() {
    let models = models();
    let models: Vec<(&str, &Value)> = models.iter().map(|(n, s)| (*n, s)).collect();
    let found = check(&models, &Spec::read());
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The comparison sees a change of a model's description, of a field's type, requirement,
/// description or presence, of a string format, and a named type that says something else than
/// the spec's inline schema.
#[test]
fn the_comparison_sees_a_change() {
    let spec = Spec::read();
    let models = models();
    let models: Vec<(&str, &Value)> = models.iter().map(|(n, s)| (*n, s)).collect();
    assert_eq!(check(&models, &spec), Vec::<String>::new());
    // A model whose component lists its properties itself (not through `allOf`), and a field of
    // it with a type (not a `$ref`).
    let (name, field) = models
        .iter()
        .find_map(|(name, _)| {
            let properties = spec.components.get(*name)?["properties"].as_object()?;
            let (field, _) = properties.iter().find(|(_, p)| p.get("type").is_some())?;
            Some((*name, field.clone()))
        })
        .unwrap();
    type Edit = fn(&mut Value, &str);
    let edits: [(&str, Edit); 6] = [
        ("the model's description", |c, _| {
            c["description"] = json!("Another description.");
        }),
        ("its type", |c, f| {
            let kind = match c["properties"][f]["type"].as_str() {
                Some("object") => "boolean",
                _ => "object",
            };
            c["properties"][f] = json!({"type": kind, "additionalProperties": {"type": "null"}});
        }),
        ("its requirement", |c, f| {
            let required = c
                .as_object_mut()
                .unwrap()
                .entry("required")
                .or_insert(json!([]))
                .as_array_mut()
                .unwrap();
            match required.iter().position(|r| r == f) {
                Some(i) => drop(required.remove(i)),
                None => required.push(json!(f)),
            }
        }),
        ("its description", |c, f| {
            c["properties"][f]["description"] = json!("Another description.");
        }),
        ("its format", |c, f| {
            let format = match c["properties"][f]["format"].as_str() {
                Some("uuid") => "date-time",
                _ => "uuid",
            };
            c["properties"][f] = json!({"type": "string", "format": format});
        }),
        ("its presence", |c, f| {
            c["properties"].as_object_mut().unwrap().remove(f);
        }),
    ];
    for (what, edit) in edits {
        let mut changed = Spec {
            components: spec.components.clone(),
            inline: spec.inline.clone(),
        };
        edit(changed.components.get_mut(name).unwrap(), &field);
        assert_ne!(
            changed.components[name], spec.components[name],
            "the edit of {what} changed nothing"
        );
        assert!(
            !check(&models, &changed).is_empty(),
            "a change of {what} ({name}.{field}) went unseen"
        );
    }
    // A named type that no model uses, and that no inline schema of the spec describes.
    let stray = json!({"title": "Stray", "type": "string", "enum": ["left", "right"]});
    let mut with_stray = models.clone();
    with_stray.push(("Stray", &stray));
    assert_eq!(
        check(&with_stray, &spec),
        ["Stray: neither a component of the spec nor any of its inline schemas"]
    );
}

#[test]
fn every_reviewed_model_matches_its_snapshot() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/snapshots");
    // insta names a snapshot after the module path and the name given.
    let prefix = module_path!().replace("::", "__");
    let write_new = matches!(
        std::env::var("INSTA_UPDATE").as_deref(),
        Ok("always" | "new")
    );
    let mut reviewed = 0;
    for (name, schema) in json_schemas() {
        if snapshots.join(format!("{prefix}__{name}.snap")).exists() || write_new {
            insta::assert_json_snapshot!(name, schema);
            reviewed += 1;
        }
    }
    // The committed snapshots are found (a renamed folder would skip them all).
    assert!(reviewed > 0, "no snapshot found in {}", snapshots.display());
}

#[test]
fn the_hand_written_types_have_schemas_too() {
    let token = schemars::schema_for!(menu_sdk::Token);
    assert_eq!(
        token.get("required").unwrap(),
        &serde_json::json!(["value"])
    );
    let session = schemars::schema_for!(menu_sdk::Session);
    let text = serde_json::to_string(&session).unwrap();
    assert!(
        text.contains("\"Token\"") && text.contains("\"Timestamp\""),
        "{text}"
    );
}
