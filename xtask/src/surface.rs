//! What a regeneration changes for callers: the operations, types and authentication of the
//! generated client before and after, compared, with the changes that break callers marked.
//!
//! The surface is read (with `syn`) from the generated files: the committed ones and the new
//! ones. The SDK's methods take an operation's required arguments in progenitor's order and its
//! optional ones through setters; the generated types have public fields and exhaustive enums.
//! So:
//! - breaking: a removed operation or type, a new required parameter, a removed parameter, a
//!   changed type (of a parameter, a response, a field), reordered required parameters, a removed
//!   field, a new required field, any new field of a type callers build (a request body: struct
//!   literals no longer compile), a removed or renamed enum variant (its wire value too), a new
//!   variant of a type callers read (a `match` without a wildcard arm no longer compiles), an
//!   operation that now needs the customer token;
//! - compatible: a new operation or type, a new optional parameter (a setter; a new positional
//!   argument of `menu_client::Client`'s method, though), a new optional field of a type callers
//!   only read, a new variant of a type callers only build, an operation that no longer needs the
//!   customer token.

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens as _;

use crate::client_file;

mod changes;

pub use changes::report;

/// The callers' view of the generated files.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Surface {
    /// Operation (its method's name) -> its arguments and its response type.
    operations: BTreeMap<String, Signature>,
    /// Type -> its shape.
    types: BTreeMap<String, Shape>,
    /// Operation (its method's name) -> its authentication, from the operation table.
    auth: BTreeMap<String, String>,
    /// Operation (its method's name) -> what the SDK answers of the envelope (`data`, or
    /// `data.<property>` when the payload rule unwraps it), from the operation table.
    payload: BTreeMap<String, String>,
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
    /// Each variant as `Name` or `Name = "wire value"`.
    Enum(Vec<String>),
    /// A newtype or an alias, with its inner type.
    Other(String),
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
    /// The surface of a generated client file and, when given, of its operation table.
    pub fn of(file: &syn::File, table: Option<&syn::File>) -> Result<Self, String> {
        let mut surface = Surface::default();
        for method in client_file::methods(file)? {
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
                    let variants = e.variants.iter().map(variant).collect();
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
        for item in table.map(|t| t.items.as_slice()).unwrap_or_default() {
            let syn::Item::Const(constant) = item else {
                continue;
            };
            let syn::Expr::Struct(value) = &*constant.expr else {
                continue;
            };
            let auth = value.fields.iter().find_map(|field| match &field.member {
                syn::Member::Named(name) if name == "auth" => Some(short(&field.expr)),
                _ => None,
            });
            let name = constant.ident.to_string().to_lowercase();
            if let Some(auth) = auth {
                surface
                    .auth
                    .insert(name.clone(), auth.replace("Auth::", ""));
            }
            let unwraps = value.fields.iter().find_map(|field| match &field.member {
                syn::Member::Named(member) if member == "unwraps" => Some(&field.expr),
                _ => None,
            });
            if let Some(unwraps) = unwraps {
                let property = match unwraps {
                    syn::Expr::Call(call) => call.args.first().and_then(|arg| match arg {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(text),
                            ..
                        }) => Some(text.value()),
                        _ => None,
                    }),
                    _ => None,
                };
                let payload = property.map_or_else(|| "data".to_owned(), |p| format!("data.{p}"));
                surface.payload.insert(name, payload);
            }
        }
        Ok(surface)
    }

    /// The types reachable from the operations' parameters (`inputs`) or responses.
    fn reachable(&self, inputs: bool) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: Vec<String> = self
            .operations
            .values()
            .flat_map(|op| {
                if inputs {
                    op.params.iter().map(|p| p.ty.clone()).collect::<Vec<_>>()
                } else {
                    vec![op.output.clone()]
                }
            })
            .collect();
        while let Some(ty) = queue.pop() {
            for name in ty.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if let Some(shape) = self.types.get(name)
                    && seen.insert(name.to_owned())
                {
                    match shape {
                        Shape::Struct(fields) => {
                            queue.extend(fields.values().map(|(t, _)| t.clone()))
                        }
                        Shape::Other(inner) => queue.push(inner.clone()),
                        Shape::Enum(_) => {}
                    }
                }
            }
        }
        seen
    }
}

/// A variant as `Name`, or `Name = "wire"` when serde renames it.
fn variant(variant: &syn::Variant) -> String {
    let rename = variant.attrs.iter().find_map(|attr| {
        let text = attr.to_token_stream().to_string();
        let start = text.find("rename = \"")? + "rename = \"".len();
        let end = start + text[start..].find('"')?;
        Some(text[start..end].to_owned())
    });
    match rename {
        Some(wire) => format!("{} = \"{wire}\"", variant.ident),
        None => variant.ident.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(code: &str, table: &str) -> Surface {
        let table = syn::parse_file(table).unwrap();
        Surface::of(&syn::parse_file(code).unwrap(), Some(&table)).unwrap()
    }

    const BEFORE: &str = r#"
        pub mod types {
            pub struct Thing { pub id: ::uuid::Uuid, pub name: Option<String>, pub colour: Colour }
            pub enum Colour { Red, #[serde(rename = "blue")] Blue }
            pub struct Filter { pub limit: i64 }
            pub enum Sort { Asc }
        }
        impl Client {
            pub async fn get_thing<'a>(&'a self, thing_id: &'a ::uuid::Uuid, page: Option<i64>,
                body: &'a types::Filter, sort: Option<types::Sort>)
                -> Result<ResponseValue<types::Thing>, Error<()>> { todo!() }
            pub async fn gone<'a>(&'a self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
        }
    "#;
    const TABLE: &str = r#"
        pub const GET_THING: Operation = Operation { id: "get_thing", auth: Auth::None };
        pub const GONE: Operation = Operation { id: "gone", auth: Auth::Customer };
    "#;

    #[test]
    fn no_change_is_no_change() {
        assert_eq!(surface(BEFORE, TABLE).changes(&surface(BEFORE, TABLE)), []);
    }

    #[test]
    fn every_kind_of_change_is_reported_and_classified() {
        let after = r#"
            pub mod types {
                pub struct Thing { pub id: String, pub extra: Option<i64>, pub must: i64,
                    pub colour: Colour }
                pub enum Colour { Red, #[serde(rename = "BLUE")] Blue, Green }
                pub struct Filter { pub limit: i64, pub offset: Option<i64> }
                pub enum Sort { Asc, Desc }
                pub struct NewType { pub a: i64 }
            }
            impl Client {
                pub async fn get_thing<'a>(&'a self, thing_id: &'a ::uuid::Uuid, limit: i64,
                    page: Option<i64>, sort_by: Option<&'a str>, body: &'a types::Filter,
                    sort: Option<types::Sort>)
                    -> Result<ResponseValue<types::Thing>, Error<()>> { todo!() }
                pub async fn added<'a>(&'a self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
            }
        "#;
        let table = r#"
            pub const GET_THING: Operation = Operation { id: "get_thing", auth: Auth::Customer };
            pub const ADDED: Operation = Operation { id: "added", auth: Auth::None };
        "#;
        let changes = surface(BEFORE, TABLE).changes(&surface(after, table));
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "~ operation `get_thing`: new required parameter `limit: i64`  [breaking]",
                "~ operation `get_thing`: new optional parameter `sort_by: &str` (a setter; a new \
                 argument of `menu_client::Client::get_thing`)",
                "~ operation `get_thing`: authentication `None` -> `Customer`  [breaking]",
                "- operation `gone` removed  [breaking]",
                "+ operation `added` added",
                "~ type `Colour`: variant `Blue = \"blue\"` removed or renamed  [breaking]",
                "~ type `Colour`: new variant `Green`  [breaking]",
                "~ type `Filter`: new optional field `offset: i64`  [breaking]",
                "~ type `Sort`: new variant `Desc`",
                "~ type `Thing`: field `id`: `Uuid` -> `String`  [breaking]",
                "~ type `Thing`: field `name` removed  [breaking]",
                "~ type `Thing`: new optional field `extra: i64`",
                "~ type `Thing`: new required field `must: i64`  [breaking]",
                "+ type `NewType` added",
            ]
        );
        assert!(report(&changes).starts_with("API surface: 14 change(s), 9 breaking"));
    }

    #[test]
    fn a_payload_the_rule_unwraps_otherwise_is_breaking() {
        let table = |unwraps: &str| {
            format!(
                r#"pub const GET_THING: Operation = Operation {{ id: "get_thing", auth: Auth::None, unwraps: {unwraps} }};"#
            )
        };
        let before = surface(BEFORE, &table("::std::option::Option::None"));
        let after = surface(BEFORE, &table(r#"::std::option::Option::Some("thing")"#));
        let shown: Vec<String> = before
            .changes(&after)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "~ operation `get_thing`: the SDK answers `data` -> `data.thing` (the payload rule)  [breaking]"
            ]
        );
        assert_eq!(after.changes(&after), []);
    }
}
