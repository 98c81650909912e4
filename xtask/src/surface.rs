//! What a regeneration changes for callers: the operations and types of the generated client
//! before and after, compared, with the changes that break callers marked.
//!
//! The surface is read (with `syn`) from the generated client file: the committed one and the new
//! one. The SDK's methods take an operation's required arguments in progenitor's order and its
//! optional ones through setters, so:
//! - breaking: a removed operation or type, a new required parameter, a removed parameter, a
//!   changed type (of a parameter, a response, a field), reordered required parameters, a removed
//!   field or enum variant, a new required field;
//! - compatible: a new operation or type, a new optional parameter, a new optional field, a new
//!   enum variant (a `match` without a wildcard arm must handle it).

use std::collections::BTreeMap;
use std::fmt;

use crate::sdk;

/// The callers' view of one generated client.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Surface {
    /// Operation -> its arguments and its response type.
    operations: BTreeMap<String, Signature>,
    /// Type -> its shape.
    types: BTreeMap<String, Shape>,
}

/// An operation's arguments and response type, as callers read them.
#[derive(Debug, Clone, PartialEq)]
struct Signature {
    params: Vec<Param>,
    output: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Param {
    name: String,
    ty: String,
    optional: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// Field -> (type, optional).
    Struct(BTreeMap<String, (String, bool)>),
    Enum(Vec<String>),
    /// A newtype or an alias, with its inner type.
    Other(String),
}

/// One change, and whether it breaks callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub text: String,
    pub breaking: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if self.breaking {
            f.write_str("  [breaking]")?;
        }
        Ok(())
    }
}

/// A type as callers read it: `::std::string::String` -> `String`.
fn short(ty: &impl quote::ToTokens) -> String {
    let tokens = ty.to_token_stream().to_string();
    let tokens = tokens.replace("'static ", "").replace("'a ", "");
    let mut text: String = tokens.chars().filter(|c| !c.is_whitespace()).collect();
    for prefix in [
        "::std::string::",
        "::std::option::",
        "::std::vec::",
        "::std::collections::",
        "::menu_client::types::",
        "::menu_client::models::",
        "::menu_client::",
        "::uuid::",
        "::serde_json::",
        "::chrono::",
        "crate::models::",
        "types::",
    ] {
        text = text.replace(prefix, "");
    }
    text
}

impl Surface {
    /// The surface of a generated client file.
    pub fn of(file: &syn::File) -> Result<Self, String> {
        let mut surface = Surface::default();
        for method in sdk::methods(file)? {
            let params = method
                .args
                .iter()
                .map(|a| {
                    let optional = generic_option(&a.ty);
                    Param {
                        name: a.name.to_string(),
                        ty: short(optional.unwrap_or(&a.ty)),
                        optional: optional.is_some(),
                    }
                })
                .collect();
            let signature = Signature {
                params,
                output: short(&method.output),
            };
            surface
                .operations
                .insert(method.name.to_string(), signature);
        }
        let types = file.items.iter().find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => module.content.as_ref(),
            _ => None,
        });
        for item in types.map(|(_, items)| items.as_slice()).unwrap_or_default() {
            match item {
                syn::Item::Struct(s) => {
                    let shape = match &s.fields {
                        syn::Fields::Named(named) => Shape::Struct(
                            named
                                .named
                                .iter()
                                .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
                                .filter_map(|f| {
                                    let optional = generic_option(&f.ty);
                                    Some((
                                        f.ident.as_ref()?.to_string(),
                                        (short(optional.unwrap_or(&f.ty)), optional.is_some()),
                                    ))
                                })
                                .collect(),
                        ),
                        other => Shape::Other(short(other)),
                    };
                    surface.types.insert(s.ident.to_string(), shape);
                }
                syn::Item::Enum(e) => {
                    let variants = e.variants.iter().map(|v| v.ident.to_string()).collect();
                    surface
                        .types
                        .insert(e.ident.to_string(), Shape::Enum(variants));
                }
                syn::Item::Type(t) => {
                    surface
                        .types
                        .insert(t.ident.to_string(), Shape::Other(short(&t.ty)));
                }
                _ => {}
            }
        }
        Ok(surface)
    }

    /// What changed from `self` (the committed surface) to `new`.
    pub fn changes(&self, new: &Surface) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut push = |text: String, breaking: bool| changes.push(Change { text, breaking });
        for (name, old) in &self.operations {
            let Some(new_op) = new.operations.get(name) else {
                push(format!("- operation `{name}` removed"), true);
                continue;
            };
            for param in &old.params {
                let arg = &param.name;
                match new_op.params.iter().find(|p| p.name == param.name) {
                    None => push(
                        format!("~ operation `{name}`: parameter `{arg}` removed"),
                        true,
                    ),
                    Some(now) => {
                        if now.ty != param.ty {
                            let (ty, new_ty) = (&param.ty, &now.ty);
                            push(
                                format!(
                                    "~ operation `{name}`: parameter `{arg}`: `{ty}` -> `{new_ty}`"
                                ),
                                true,
                            );
                        }
                        if now.optional != param.optional {
                            let kind = if now.optional { "optional" } else { "required" };
                            push(
                                format!("~ operation `{name}`: parameter `{arg}` is now {kind}"),
                                true,
                            );
                        }
                    }
                }
            }
            for param in &new_op.params {
                if !old.params.iter().any(|p| p.name == param.name) {
                    let kind = if param.optional {
                        "optional"
                    } else {
                        "required"
                    };
                    let (arg, ty) = (&param.name, &param.ty);
                    push(
                        format!("~ operation `{name}`: new {kind} parameter `{arg}: {ty}`"),
                        !param.optional,
                    );
                }
            }
            let required = |params: &[Param], other: &[Param]| -> Vec<String> {
                params
                    .iter()
                    .filter(|p| {
                        !p.optional && other.iter().any(|o| o.name == p.name && !o.optional)
                    })
                    .map(|p| p.name.clone())
                    .collect()
            };
            if required(&old.params, &new_op.params) != required(&new_op.params, &old.params) {
                push(
                    format!("~ operation `{name}`: required parameters reordered"),
                    true,
                );
            }
            if new_op.output != old.output {
                let (output, new_output) = (&old.output, &new_op.output);
                push(
                    format!("~ operation `{name}`: returns `{output}` -> `{new_output}`"),
                    true,
                );
            }
        }
        for name in new
            .operations
            .keys()
            .filter(|n| !self.operations.contains_key(*n))
        {
            push(format!("+ operation `{name}` added"), false);
        }
        for (name, shape) in &self.types {
            let Some(new_shape) = new.types.get(name) else {
                push(format!("- type `{name}` removed"), true);
                continue;
            };
            match (shape, new_shape) {
                (Shape::Struct(fields), Shape::Struct(new_fields)) => {
                    for (field, (ty, optional)) in fields {
                        match new_fields.get(field) {
                            None => push(format!("~ type `{name}`: field `{field}` removed"), true),
                            Some((new_ty, new_optional))
                                if new_ty != ty || new_optional != optional =>
                            {
                                let show = |t: &str, o: bool| {
                                    if o {
                                        format!("Option<{t}>")
                                    } else {
                                        t.to_owned()
                                    }
                                };
                                push(
                                    format!(
                                        "~ type `{name}`: field `{field}`: `{}` -> `{}`",
                                        show(ty, *optional),
                                        show(new_ty, *new_optional)
                                    ),
                                    true,
                                );
                            }
                            Some(_) => {}
                        }
                    }
                    for (field, (ty, optional)) in new_fields {
                        if !fields.contains_key(field) {
                            let kind = if *optional { "optional" } else { "required" };
                            push(
                                format!("~ type `{name}`: new {kind} field `{field}: {ty}`"),
                                !optional,
                            );
                        }
                    }
                }
                (Shape::Enum(variants), Shape::Enum(new_variants)) => {
                    for variant in variants.iter().filter(|v| !new_variants.contains(v)) {
                        push(
                            format!("~ type `{name}`: variant `{variant}` removed"),
                            true,
                        );
                    }
                    for variant in new_variants.iter().filter(|v| !variants.contains(v)) {
                        push(format!("~ type `{name}`: new variant `{variant}`"), false);
                    }
                }
                (old, new) if old != new => push(format!("~ type `{name}` changed shape"), true),
                _ => {}
            }
        }
        for name in new.types.keys().filter(|n| !self.types.contains_key(*n)) {
            push(format!("+ type `{name}` added"), false);
        }
        changes
    }
}

fn generic_option(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The summary printed after a generation.
pub fn report(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "API surface: no change\n".to_owned();
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let mut out = format!(
        "API surface: {} change(s), {breaking} breaking caller code:\n",
        changes.len()
    );
    for change in changes {
        out.push_str(&format!("  {change}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(code: &str) -> Surface {
        Surface::of(&syn::parse_file(code).unwrap()).unwrap()
    }

    const BEFORE: &str = r#"
        pub mod types {
            pub struct Thing { pub id: ::uuid::Uuid, pub name: Option<String> }
            pub enum Colour { Red, Blue }
        }
        impl Client {
            pub async fn get_thing<'a>(&'a self, thing_id: &'a ::uuid::Uuid, page: Option<i64>)
                -> Result<ResponseValue<types::Thing>, Error<()>> { todo!() }
            pub async fn gone<'a>(&'a self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
        }
    "#;

    #[test]
    fn no_change_is_no_change() {
        assert_eq!(surface(BEFORE).changes(&surface(BEFORE)), []);
    }

    #[test]
    fn every_kind_of_change_is_reported_and_classified() {
        let after = r#"
            pub mod types {
                pub struct Thing { pub id: String, pub extra: Option<i64>, pub must: i64 }
                pub enum Colour { Red, Green }
                pub struct NewType { pub a: i64 }
            }
            impl Client {
                pub async fn get_thing<'a>(&'a self, thing_id: &'a ::uuid::Uuid, limit: i64,
                    page: Option<i64>, sort: Option<&'a str>)
                    -> Result<ResponseValue<types::Thing>, Error<()>> { todo!() }
                pub async fn added<'a>(&'a self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
            }
        "#;
        let changes = surface(BEFORE).changes(&surface(after));
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "~ operation `get_thing`: new required parameter `limit: i64`  [breaking]",
                "~ operation `get_thing`: new optional parameter `sort: &str`",
                "- operation `gone` removed  [breaking]",
                "+ operation `added` added",
                "~ type `Colour`: variant `Blue` removed  [breaking]",
                "~ type `Colour`: new variant `Green`",
                "~ type `Thing`: field `id`: `Uuid` -> `String`  [breaking]",
                "~ type `Thing`: field `name` removed  [breaking]",
                "~ type `Thing`: new optional field `extra: i64`",
                "~ type `Thing`: new required field `must: i64`  [breaking]",
                "+ type `NewType` added",
            ]
        );
        assert!(report(&changes).starts_with("API surface: 11 change(s), 6 breaking"));
    }
}
