//! What progenitor generated (the client file, read with `syn`): the methods of `Client` with
//! their arguments, response types and payloads, and the types of the `types` module. The
//! operation table (`table.rs`), the SDK's layer (`sdk.rs`) and the change report (`surface.rs`)
//! are written from it.

use proc_macro2::Span;
use quote::format_ident;
use syn::visit_mut::VisitMut;

/// The name of an operation's constant: its method's name in upper case.
pub fn constant(method: &Method) -> syn::Ident {
    format_ident!("{}", method.name.to_string().to_uppercase())
}

/// One method of the generated `menu_client::Client`.
#[derive(Clone)]
pub struct Method {
    pub name: syn::Ident,
    /// Its doc comment (progenitor's: summary, description, method and path, arguments).
    pub docs: Vec<syn::Attribute>,
    pub args: Vec<Arg>,
    /// `T` of its `ResponseValue<T>`, with paths that resolve from another crate.
    pub output: syn::Type,
    /// What the SDK's method answers: the envelope's payload, or `output` itself.
    pub payload: Payload,
}

/// What a generated SDK method answers, out of progenitor's response type.
#[derive(Clone)]
pub enum Payload {
    /// The envelope's `data`, of this type.
    Data(Box<syn::Type>),
    /// The one resource the envelope's `data` wraps (the payload rule, `payload.rs`): the field
    /// `field` of `data`, of type `ty`.
    Resource {
        field: syn::Ident,
        ty: Box<syn::Type>,
    },
    /// An envelope without `data` (`{status, code}`): `()`.
    Nothing,
    /// Not an envelope: the response type itself.
    Whole,
}

/// One argument of a generated method.
#[derive(Clone)]
pub struct Arg {
    pub name: syn::Ident,
    /// The type progenitor takes (`&'a ::uuid::Uuid`, `Option<&'a str>`, ...), paths resolved.
    pub ty: syn::Type,
}

/// The first generic argument of `ty` when its last path segment is `wrapper`.
pub fn generic_arg<'t>(ty: &'t syn::Type, wrapper: &str) -> Option<&'t syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Rewrites paths of the generated client's module (`types::X`, `crate::models::Token`,
/// `ByteStream`) into paths that resolve from `menu-sdk` (`::menu_client::...`).
pub struct FromOutside;

impl VisitMut for FromOutside {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first_mut()
        {
            let crate_root = first.ident == "crate";
            if crate_root {
                first.ident = syn::Ident::new("menu_client", Span::call_site());
            }
            if crate_root
                || ["types", "ByteStream", "ResponseValue"].contains(&&*first.ident.to_string())
            {
                if !crate_root {
                    path.segments.insert(0, syn::parse_quote!(menu_client));
                }
                path.leading_colon = Some(Default::default());
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        // Argument types are held by value; their lifetimes do not survive.
        lifetime.ident = syn::Ident::new("static", Span::call_site());
    }
}

impl Method {
    /// The payload rule's outcome for its operation (`property`: the spec's
    /// [`crate::operation::Operation::unwraps`]): the payload becomes that property of `data`, read
    /// from the generated type of `data` (a field serialized under that name).
    pub fn unwrap_payload(&mut self, file: &syn::File, property: &str) -> Result<(), String> {
        let name = &self.name;
        let Payload::Data(data) = &self.payload else {
            return Err(format!(
                "{name}: the spec's answer wraps one resource in `data`, and progenitor's has no \
                 `data`"
            ));
        };
        let syn::Type::Path(path) = &**data else {
            return Err(format!("{name}: `data` is not a generated type"));
        };
        let field = path
            .path
            .segments
            .last()
            .and_then(|last| type_fields(file, &last.ident))
            .and_then(|fields| fields.iter().find(|f| serialized_name(f) == property))
            .ok_or_else(|| {
                format!("{name}: the generated type of `data` has no field `{property}`")
            })?;
        let mut ty = field.ty.clone();
        InTypes.visit_type_mut(&mut ty);
        FromOutside.visit_type_mut(&mut ty);
        self.payload = Payload::Resource {
            field: field
                .ident
                .clone()
                .ok_or_else(|| format!("{name}: `data` is a tuple struct"))?,
            ty: Box::new(ty),
        };
        Ok(())
    }
}

/// The name a field of a generated type has in JSON: its `#[serde(rename = "...")]`, or its own.
pub fn serialized_name(field: &syn::Field) -> String {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                renamed = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Skip any other `key = value`.
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    renamed.unwrap_or_else(|| {
        field
            .ident
            .as_ref()
            .map(|i| i.to_string().trim_start_matches("r#").to_owned())
            .unwrap_or_default()
    })
}

/// The fields of the struct named `name` in the generated `types` module.
pub fn type_fields<'f>(file: &'f syn::File, name: &syn::Ident) -> Option<&'f syn::Fields> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module
            .content
            .as_ref()?
            .1
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) if &s.ident == name => Some(&s.fields),
                _ => None,
            }),
        _ => None,
    })
}

/// The payload of a generated response type: an envelope (`status` and `code`) answers its
/// `data`, or nothing.
fn payload(file: &syn::File, output: &syn::Type) -> Payload {
    let syn::Type::Path(path) = output else {
        return Payload::Whole;
    };
    let Some(fields) = path
        .path
        .segments
        .last()
        .and_then(|last| type_fields(file, &last.ident))
    else {
        return Payload::Whole;
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
    };
    if field("status").is_none() || field("code").is_none() {
        return Payload::Whole;
    }
    match field("data") {
        Some(data) => {
            let mut ty = data.ty.clone();
            InTypes.visit_type_mut(&mut ty);
            FromOutside.visit_type_mut(&mut ty);
            Payload::Data(Box::new(ty))
        }
        None => Payload::Nothing,
    }
}

/// Names a type of the generated `types` module from outside it (`Session` -> `types::Session`):
/// a field's type is written from inside the module.
struct InTypes;

impl VisitMut for InTypes {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        let primitive = ["bool", "i32", "i64", "u32", "u64", "f32", "f64", "str"];
        if path.leading_colon.is_none()
            && path.segments.len() == 1
            && !primitive.contains(&&*path.segments[0].ident.to_string())
        {
            path.segments.insert(0, syn::parse_quote!(types));
        }
    }
}

/// The operation methods of the generated client (`pub async fn` in `impl Client`).
pub fn methods(file: &syn::File) -> Result<Vec<Method>, String> {
    let mut methods = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_client = matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if !is_client || block.trait_.is_some() {
            continue;
        }
        for item in &block.items {
            let syn::ImplItem::Fn(function) = item else {
                continue;
            };
            if function.sig.asyncness.is_none()
                || !matches!(function.vis, syn::Visibility::Public(_))
            {
                continue;
            }
            methods.push(method(file, function)?);
        }
    }
    Ok(methods)
}

fn method(file: &syn::File, function: &syn::ImplItemFn) -> Result<Method, String> {
    let name = function.sig.ident.clone();
    let mut args = Vec::new();
    for input in &function.sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            continue;
        };
        let syn::Pat::Ident(ident) = &*typed.pat else {
            return Err(format!("{name}: an argument that is not a plain name"));
        };
        let mut ty = (*typed.ty).clone();
        FromOutside.visit_type_mut(&mut ty);
        args.push(Arg {
            name: ident.ident.clone(),
            ty,
        });
    }
    let syn::ReturnType::Type(_, returned) = &function.sig.output else {
        return Err(format!("{name}: returns nothing"));
    };
    let mut output = generic_arg(returned, "Result")
        .and_then(|ok| generic_arg(ok, "ResponseValue"))
        .cloned()
        .ok_or_else(|| format!("{name}: does not return Result<ResponseValue<T>, _>"))?;
    let payload = payload(file, &output);
    FromOutside.visit_type_mut(&mut output);
    let docs = function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    Ok(Method {
        name,
        docs,
        args,
        output,
        payload,
    })
}

/// The names of the types of the generated `types` module (structs and enums).
pub fn models(file: &syn::File) -> Vec<syn::Ident> {
    let mut names = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        for item in module.content.iter().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Struct(s) => names.push(s.ident.clone()),
                syn::Item::Enum(e) => names.push(e.ident.clone()),
                _ => {}
            }
        }
    }
    names.sort();
    names
}
