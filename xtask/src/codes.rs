//! The one-time codes of the generated body types: every top-level body field the spec marks
//! `x-one-time-code: true` (the model's `Field::one_time_code`, never a field's name) is typed
//! `crate::code::Code` in progenitor's output, so that every code-taking call accepts the code as
//! the customer received it. On the wire it keeps the schema's representation: a string field is
//! `Code`'s own serialization (a string); an integer field gets
//! `#[serde(with = "crate::code::int32")]` (32-bit integers: a larger code is refused before
//! sending) or `crate::code::integer`. Its JSON Schema stays the one progenitor generated
//! (`schemars(with = <its type>)`). A code of any other kind is refused, by name.

use quote::ToTokens as _;

use crate::client_file::{Method, generic_arg, serialized_name};
use crate::operation::{Field, Kind};
use crate::spec::Op;

/// How a code field is sent.
#[derive(Clone, Copy, PartialEq)]
enum Representation {
    Text,
    /// An integer; `int32`: no larger than `i32::MAX`.
    Integer {
        int32: bool,
    },
}

/// Types the one-time code fields of `ops`' bodies as `Code` in the generated `client` (`methods`:
/// progenitor's, for the body types).
pub fn one_time_codes(
    client: &mut syn::File,
    ops: &[Op],
    methods: &[Method],
) -> Result<(), String> {
    for (op, method) in ops.iter().zip(methods) {
        let Some(body) = &op.body else {
            continue;
        };
        let codes: Vec<&Field> = body.fields.iter().filter(|f| f.one_time_code).collect();
        if codes.is_empty() {
            continue;
        }
        let at = |what: String| format!("{}: {what}", op.id);
        let ty = body_type(method).ok_or_else(|| {
            at("its body has a field marked `x-one-time-code`, and is not a generated type".into())
        })?;
        let fields = struct_fields(client, &ty)
            .ok_or_else(|| at(format!("no generated struct `{ty}` for its body")))?;
        for code in codes {
            let representation = match code.kind {
                Kind::String(_) => Representation::Text,
                Kind::Integer { maximum, .. } => Representation::Integer {
                    int32: maximum <= i64::from(i32::MAX),
                },
                _ => {
                    return Err(at(format!(
                        "`{}` is marked `x-one-time-code`: a one-time code is a string or an \
                         integer (without a format)",
                        code.name
                    )));
                }
            };
            let field = fields
                .iter_mut()
                .find(|f| serialized_name(f) == code.name)
                .ok_or_else(|| at(format!("`{ty}` has no field `{}`", code.name)))?;
            retype(field, representation);
        }
    }
    Ok(())
}

/// The name of the generated type of the method's `body` argument (`&types::X`).
fn body_type(method: &Method) -> Option<syn::Ident> {
    let argument = method.args.iter().find(|a| a.name == "body")?;
    let syn::Type::Reference(reference) = &argument.ty else {
        return None;
    };
    let syn::Type::Path(path) = &*reference.elem else {
        return None;
    };
    path.path.segments.last().map(|s| s.ident.clone())
}

/// The named fields of the struct `name` of the generated `types` module.
fn struct_fields<'f>(
    client: &'f mut syn::File,
    name: &syn::Ident,
) -> Option<&'f mut syn::punctuated::Punctuated<syn::Field, syn::Token![,]>> {
    client.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module
            .content
            .as_mut()?
            .1
            .iter_mut()
            .find_map(|item| match item {
                syn::Item::Struct(s) if &s.ident == name => match &mut s.fields {
                    syn::Fields::Named(named) => Some(&mut named.named),
                    _ => None,
                },
                _ => None,
            }),
        _ => None,
    })
}

/// The field typed `Code` (or `Option<Code>`), with its serialization and JSON Schema; a field
/// already retyped (a body type that two operations share) stays as it is.
fn retype(field: &mut syn::Field, representation: Representation) {
    let optional = generic_arg(&field.ty, "Option").cloned();
    let inner = optional.as_ref().unwrap_or(&field.ty);
    let code: syn::Type = syn::parse_quote!(crate::code::Code);
    if inner.to_token_stream().to_string() == code.to_token_stream().to_string() {
        return;
    }
    let schema = field.ty.to_token_stream().to_string().replace(' ', "");
    field.ty = match optional {
        Some(_) => syn::parse_quote!(::std::option::Option<crate::code::Code>),
        None => syn::parse_quote!(crate::code::Code),
    };
    field.attrs.push(syn::parse_quote!(
        #[cfg_attr(feature = "schemars", schemars(with = #schema))]
    ));
    if let Representation::Integer { int32 } = representation {
        let with = if int32 {
            "crate::code::int32"
        } else {
            "crate::code::integer"
        };
        // An optional field read with a function of its own needs `default` to be absent.
        field.attrs.push(if field_is_optional(&field.ty) {
            syn::parse_quote!(#[serde(default, with = #with)])
        } else {
            syn::parse_quote!(#[serde(with = #with)])
        });
    }
}

fn field_is_optional(ty: &syn::Type) -> bool {
    generic_arg(ty, "Option").is_some()
}
