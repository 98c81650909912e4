//! The JSON Schema of every public model (with the `schemars` feature).
//!
//! - **Against the spec**, for every model: its JSON Schema says what the spec's component schema
//!   of the same name says (title, description, JSON type, enum values, properties, which are
//!   required, `$ref`s, a string format it keeps). The list of models is generated
//!   (`menu_client::operations::json_schemas`), so a type that a spec edit adds is checked with no
//!   line written for it.
//! - **Against its review**, for every model that has one: a committed insta snapshot
//!   (`snapshots/sdk__schemas__<Model>.snap`). A changed schema of a reviewed type fails here until
//!   the snapshot is updated (`cargo insta review`, or `INSTA_UPDATE=always`). A type without a
//!   snapshot is checked against the spec alone; `INSTA_UPDATE=always cargo test -p menu-sdk
//!   --test sdk schemas::` writes the missing ones, to review and commit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use menu_sdk::menu_client::operations::json_schemas;
use serde_json::{Value, json};

/// The spec's component schemas, by name.
fn spec_schemas() -> serde_json::Map<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/menu-customers.yaml");
    let spec: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["components"]["schemas"].as_object().unwrap().clone()
}

/// What a schema says that the generated types must keep, in one form for both sides.
///
/// `defs` resolves `$ref`s to merge `allOf` parts (progenitor flattens them into one struct); a
/// property's `$ref` stays a reference, by name. `null` in a type is left out: an optional field
/// is an `Option` in Rust, which schemars writes as "or null", and whether it is required is
/// compared on its own.
#[derive(Debug, PartialEq)]
enum Shape {
    Ref(String),
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
    },
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

/// The shape of `schema`; `defs` holds the schemas its `allOf` parts may name.
fn shape(schema: &Value, defs: &serde_json::Map<String, Value>) -> Shape {
    if let Some(name) = ref_name(schema) {
        return Shape::Ref(name);
    }
    // schemars: `anyOf: [X, {type: null}]` for an optional X.
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let not_null: Vec<_> = any_of.iter().filter(|s| s["type"] != "null").collect();
        if let [one] = not_null[..] {
            return shape(one, defs);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = BTreeMap::new();
        let mut required = BTreeSet::new();
        for part in parts {
            let part = match ref_name(part) {
                Some(name) => &defs[&name],
                None => part,
            };
            let Shape::Object {
                properties,
                required: r,
            } = shape(part, defs)
            else {
                panic!("an allOf part that is not an object: {part}");
            };
            merged.extend(properties);
            required.extend(r);
        }
        return Shape::Object {
            properties: merged,
            required,
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
        _ => panic!("a schema of several types: {schema}"),
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
        .map(|name| name.as_str().unwrap().to_owned())
        .collect();
    Shape::Object {
        properties,
        required,
    }
}

/// Every difference between the generated shape and the spec's, with where it is. A format the
/// generated schema leaves out (`email`, `int32` on an `i64`, ...) is no difference: the Rust
/// type is then the plain one. A format it states must be the spec's (`uuid`), except integers',
/// whose width is Rust's choice within the spec's bounds.
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
            if gk == "string" && gf.is_some() && gf != sf {
                out.push(format!("{at}: format {gf:?}, the spec says {sf:?}"));
            }
            if gv != sv {
                out.push(format!("{at}: values {gv:?}, the spec says {sv:?}"));
            }
        }
        (Shape::Array(g), Shape::Array(s)) => differences(&format!("{at}[]"), g, s, named, out),
        (
            Shape::Object {
                properties: gp,
                required: gr,
            },
            Shape::Object {
                properties: sp,
                required: sr,
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
        }
        (g, s) if g == s => {}
        (g, s) => out.push(format!("{at}: {g:?}, the spec says {s:?}")),
    }
}

/// Every difference between the model `name` (its JSON Schema) and the spec's component of that
/// name. A type with no component is one that progenitor named for an inline schema: it is
/// compared where a model uses it.
fn check(name: &str, schema: &Value, spec: &serde_json::Map<String, Value>) -> Vec<String> {
    let Some(component) = spec.get(name) else {
        return vec![];
    };
    let mut found = Vec::new();
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
    let no_defs = serde_json::Map::new();
    let named = |def: &str| Some(shape(schema.get("$defs")?.get(def)?, &no_defs));
    differences(
        name,
        &shape(schema, &no_defs),
        &shape(component, spec),
        &named,
        &mut found,
    );
    found
}

#[test]
fn every_model_says_what_the_spec_says() {
    let spec = spec_schemas();
    let models = json_schemas();
    // Most models are components of the spec (the check is not vacuous).
    let components = models.iter().filter(|(name, _)| spec.contains_key(*name));
    assert!(components.count() * 2 > models.len());
    let found: Vec<String> = models
        .iter()
        .flat_map(|(name, schema)| check(name, schema.as_value(), &spec))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The comparison sees a change of a model's description, or of a field's type, requirement,
/// description or presence.
#[test]
fn the_comparison_sees_a_change() {
    let spec = spec_schemas();
    let models = json_schemas();
    // A model whose component lists its properties itself (not through `allOf`).
    let (name, schema, field) = models
        .iter()
        .find_map(|(name, schema)| {
            let field = spec[*name]["properties"].as_object()?.keys().next()?;
            Some((*name, schema.as_value(), field.clone()))
        })
        .unwrap();
    assert_eq!(check(name, schema, &spec), Vec::<String>::new());
    type Edit = fn(&mut Value, &str);
    let edits: [(&str, Edit); 5] = [
        ("the model's description", |c, _| {
            c["description"] = json!("Another description.");
        }),
        ("its type", |c, f| {
            c["properties"][f]["type"] = json!("array");
            c["properties"][f]["items"] = json!({});
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
        ("its presence", |c, f| {
            c["properties"].as_object_mut().unwrap().remove(f);
        }),
    ];
    for (what, edit) in edits {
        let mut changed = spec.clone();
        edit(changed.get_mut(name).unwrap(), &field);
        assert!(
            !check(name, schema, &changed).is_empty(),
            "a change of {what} ({name}.{field}) went unseen"
        );
    }
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
