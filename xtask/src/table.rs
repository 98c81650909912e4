//! The operation table (`crates/menu-client/src/operations.rs`): one `Operation` constant per
//! operation of the spec, with what the generated methods do not carry: how it authenticates,
//! what it does to the customer token (`x-token`), whether it is idempotent, its success status,
//! its parameters and body as a command line or a mock needs them (with a check of a body against
//! its generated type), its documented example, its group (its first tag); `ALL`, `TAGS` (the
//! groups' order), and `find` by `operationId`. The hooks, the SDK, the `menu` command line and
//! the mock read it.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;

use crate::client_file::{Method, constant};
use crate::operation::{Body, Kind, ManagedHeader, Text};
use crate::spec::Op;

/// A value of one of the model's enums without data, written as `Enum::Variant` from its `Debug`
/// name (the model is the one list of variants).
fn variant(enum_name: &str, value: &impl std::fmt::Debug) -> Result<TokenStream, String> {
    format!("{enum_name}::{value:?}")
        .parse()
        .map_err(|e| format!("cannot write `{enum_name}::{value:?}`: {e}"))
}

fn kind(kind: &Kind) -> Result<TokenStream, String> {
    Ok(match kind {
        Kind::Integer { minimum, maximum } => {
            quote!(Kind::Integer { minimum: #minimum, maximum: #maximum })
        }
        Kind::Enum(values) => quote!(Kind::Enum(&[#(#values),*])),
        Kind::String(text) if *text == Text::ANY => quote!(Kind::String(Text::ANY)),
        Kind::String(text) => {
            let Text {
                min_length,
                max_length,
                pattern,
            } = text;
            let (max_length, pattern) = (optional_count(*max_length), optional(*pattern));
            quote!(Kind::String(Text { min_length: #min_length, max_length: #max_length, pattern: #pattern }))
        }
        Kind::Array(list) => {
            let items = self::kind(list.items)?;
            let (min_items, max_items) = (list.min_items, optional_count(list.max_items));
            quote!(Kind::Array(List { items: &#items, min_items: #min_items, max_items: #max_items }))
        }
        other => variant("Kind", other)?,
    })
}

fn optional_count(count: Option<u64>) -> TokenStream {
    match count {
        Some(count) => quote!(::std::option::Option::Some(#count)),
        None => quote!(::std::option::Option::None),
    }
}

fn optional(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(::std::option::Option::Some(#text)),
        None => quote!(::std::option::Option::None),
    }
}

/// Paths that resolve from another crate (`::menu_client::types::X`) made to resolve from
/// `menu-client` itself (`crate::types::X`).
struct FromInside;

impl VisitMut for FromInside {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_some()
            && path
                .segments
                .first()
                .is_some_and(|s| s.ident == "menu_client")
        {
            path.leading_colon = None;
            if let Some(first) = path.segments.first_mut() {
                first.ident = syn::Ident::new("crate", Span::call_site());
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// The body's entry: its fields, example, and a check against the generated type of the
/// method's `body` argument.
fn body(body: &Body, method: &Method) -> Result<TokenStream, String> {
    let argument = method
        .args
        .iter()
        .find(|a| a.name == "body")
        .ok_or_else(|| format!("`{}` takes no `body` argument", method.name))?;
    let syn::Type::Reference(reference) = &argument.ty else {
        return Err(format!("`{}` takes its body by value", method.name));
    };
    let mut ty = (*reference.elem).clone();
    FromInside.visit_type_mut(&mut ty);
    let (required, object) = (body.required, body.object);
    let example = optional(body.example);
    // serde's derived decoding takes an array for a struct: an object body must be an object.
    let shape = if body.object {
        quote! {
            if !value.is_object() {
                return ::std::result::Result::Err("expected a JSON object".to_owned());
            }
        }
    } else {
        quote!()
    };
    let fields = body
        .fields
        .iter()
        .map(|field| {
            let (name, required, description) = (field.name, field.required, field.description);
            let one_time_code = field.one_time_code;
            let kind = kind(&field.kind)?;
            Ok(quote!(Field { name: #name, kind: #kind, required: #required, description: #description, one_time_code: #one_time_code }))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(quote! {
        ::std::option::Option::Some(Body {
            required: #required,
            object: #object,
            fields: &[#(#fields),*],
            example: #example,
            check: |bytes| {
                let value: ::serde_json::Value =
                    ::serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
                #shape
                ::serde_json::from_value::<#ty>(value)
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        })
    })
}

/// The table for `ops`, paired with progenitor's methods for their names and body types, and the
/// JSON Schema of each of the generated `models`.
pub fn render(
    ops: &[Op],
    tags: &[&str],
    managed: &[ManagedHeader],
    methods: &[Method],
    models: &[syn::Ident],
) -> Result<TokenStream, String> {
    let model_names: Vec<String> = models.iter().map(ToString::to_string).collect();
    let managed = managed
        .iter()
        .map(|header| {
            let (name, description) = (header.name, header.description);
            let value = variant("Managed", &header.value)?;
            let kind = kind(&header.kind)?;
            Ok(quote! {
                ManagedHeader { name: #name, value: #value, kind: #kind, description: #description }
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut constants = Vec::new();
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for (op, method) in ops.iter().zip(methods) {
        let constant = constant(method);
        let Op {
            id,
            method: verb,
            path,
            idempotent,
            success_status,
            summary,
            description,
            ..
        } = op;
        let auth = variant("Auth", &op.auth)?;
        let token = variant("TokenEffect", &op.token)?;
        let params = op
            .params
            .iter()
            .map(|param| {
                let (name, required, description) = (param.name, param.required, param.description);
                let (customer, secret) = (param.customer, param.secret);
                let location = variant("Location", &param.location)?;
                let kind = kind(&param.kind)?;
                Ok(quote! {
                    Param {
                        name: #name,
                        location: #location,
                        required: #required,
                        kind: #kind,
                        description: #description,
                        customer: #customer,
                        secret: #secret,
                    }
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let body = match &op.body {
            Some(body) => self::body(body, method)?,
            None => quote!(::std::option::Option::None),
        };
        let example = optional(op.example);
        let tag = optional(op.tag);
        let confirm = optional(op.confirm);
        let unwraps = optional(op.unwraps);
        let doc = format!(" `{id}`: `{verb} {path}`.");
        constants.push(quote! {
            #[doc = #doc]
            pub const #constant: Operation = Operation {
                id: #id,
                tag: #tag,
                method: #verb,
                path: #path,
                auth: #auth,
                token: #token,
                idempotent: #idempotent,
                success_status: #success_status,
                summary: #summary,
                description: #description,
                params: &[#(#params),*],
                body: #body,
                example: #example,
                confirm: #confirm,
                unwraps: #unwraps,
            };
        });
        names.push(constant);
        ids.push(id);
    }
    Ok(quote! {
        #[allow(unused_imports)]
        use crate::operation::{
            Auth, Body, Field, Kind, List, Location, Managed, ManagedHeader, Operation, Param, Text,
            TokenEffect,
        };

        #(#constants)*

        /// The spec's tags, each the group of the operations whose first tag it is, in the order of
        /// the groups: the spec's top-level `tags` list, then any tag that only operations name,
        /// in the order of the operations.
        pub const TAGS: &[&str] = &[#(#tags),*];

        /// The headers every operation carries, which clients fill in (`x-managed` in the spec),
        /// in the spec's order.
        pub const MANAGED_HEADERS: &[ManagedHeader] = &[#(#managed),*];

        /// The managed header whose value is chosen as `value` says, if the spec has one.
        pub fn managed(value: Managed) -> ::std::option::Option<&'static ManagedHeader> {
            MANAGED_HEADERS.iter().find(|header| header.value == value)
        }

        /// Every operation of the spec, in its order.
        pub const ALL: &[&Operation] = &[#(&#names),*];

        /// The JSON Schema of every type of the spec (the `types` module), by name, in name order
        /// (with the `schemars` feature).
        #[cfg(feature = "schemars")]
        pub fn json_schemas() -> ::std::vec::Vec<(&'static str, ::schemars::Schema)> {
            let names = [#(#model_names),*];
            let schemas = [#(
                ::schemars::SchemaGenerator::default()
                    .into_root_schema_for::<crate::types::#models>()
            ),*];
            names.into_iter().zip(schemas).collect()
        }

        /// The operation with this `operationId`.
        pub fn find(id: &str) -> ::std::option::Option<&'static Operation> {
            match id {
                #(#ids => ::std::option::Option::Some(&#names),)*
                _ => ::std::option::Option::None,
            }
        }
    })
}
