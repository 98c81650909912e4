//! The `$ref` resolution every reader of the spec uses, and the leaking of what it reads into
//! the model's `&'static` fields.

use openapiv3::{OpenAPI, ReferenceOr, Schema};

/// `text`, for the model's `&'static` fields: xtask reads one spec and exits, so what it reads
/// lives as long as the process.
pub fn leak(text: impl Into<String>) -> &'static str {
    Box::leak(text.into().into_boxed_str())
}

pub fn leak_all<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// `value` itself, or the component its `$ref` names (`#/components/<kind>/<name>`).
pub fn item<'s, T>(
    spec: &'s OpenAPI,
    value: &'s ReferenceOr<T>,
    kind: &str,
    of: impl Fn(&'s openapiv3::Components) -> &'s indexmap::IndexMap<String, ReferenceOr<T>>,
) -> Option<&'s T> {
    match value {
        ReferenceOr::Item(value) => Some(value),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix(&format!("#/components/{kind}/"))?;
            of(spec.components.as_ref()?).get(name)?.as_item()
        }
    }
}

pub fn resolve<'s>(spec: &'s OpenAPI, schema: &'s ReferenceOr<Schema>) -> Option<&'s Schema> {
    item(spec, schema, "schemas", |c| &c.schemas)
}

/// A property's schema (properties are boxed).
pub fn property<'s>(
    spec: &'s OpenAPI,
    property: &'s ReferenceOr<Box<Schema>>,
) -> Option<&'s Schema> {
    match property {
        ReferenceOr::Item(boxed) => Some(boxed),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}
