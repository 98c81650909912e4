//! The SDK's per-operation layer (`crates/menu-sdk/src/generated.rs`), generated from the spec's
//! operations and the methods progenitor generated for them:
//! - for every operation, a request type in `requests` (`requests::UpdateThing<'a>`) that holds
//!   the call's arguments, takes optional parameters and a request id through setters, and sends
//!   itself through the SDK's one pipeline (`Call::send`, or `Call::send_session` for an operation
//!   that issues a token, with the operation's entry of the operation table) when awaited; it
//!   answers the payload (the envelope's `data`, or `()` when the envelope has none);
//! - `Client::<operation>` and `Call::<operation>`, taking the required arguments, unless the
//!   SDK writes that method by hand (`conveniences.rs`, read by `hand_written.rs`): then the
//!   request type is the crate's own, for the hand-written method to send;
//! - `ROTATION`: the operation marked `x-token: rotates`, which automatic refresh sends.
//!
//! Argument and payload types are read from progenitor's own output (with `syn`), so the two
//! layers cannot disagree.

use heck::ToUpperCamelCase as _;
use proc_macro2::TokenStream;
use quote::quote;

use crate::client_file::{Arg, Method, Payload, constant, generic_arg};
use crate::hand_written::HandWritten;
use crate::spec::Op;

/// How an argument is held by a request type and handed to the generated method.
enum Shape {
    /// `&'a str` / `Option<&'a str>`: held as `String`.
    Str,
    /// `&'a T` / `Option<&'a T>`: held as `T`.
    Ref(syn::Type),
    /// `T` / `Option<T>` by value (progenitor does this for `Copy` types).
    Value(syn::Type),
}

impl Arg {
    /// The optional parameter's inner type, if it is one.
    fn optional(&self) -> Option<&syn::Type> {
        generic_arg(&self.ty, "Option")
    }

    fn shape(&self) -> Shape {
        let ty = self.optional().unwrap_or(&self.ty);
        match ty {
            syn::Type::Reference(r) if is_str(&r.elem) => Shape::Str,
            syn::Type::Reference(r) => Shape::Ref((*r.elem).clone()),
            other => Shape::Value(other.clone()),
        }
    }

    /// The type the request type holds (without the `Option` of an optional parameter).
    fn held(&self) -> TokenStream {
        match self.shape() {
            Shape::Str => quote!(::std::string::String),
            Shape::Ref(ty) | Shape::Value(ty) => quote!(#ty),
        }
    }

    /// What a caller passes for it (`impl Into<String>` for strings).
    fn accepted(&self) -> (TokenStream, TokenStream) {
        let held = self.held();
        match self.shape() {
            Shape::Str => (quote!(impl ::std::convert::Into<#held>), quote!(.into())),
            _ => (held, quote!()),
        }
    }

    /// The expression handing the held value (a `&` binding of it) to the generated method.
    fn pass(&self) -> TokenStream {
        let name = &self.name;
        match (self.shape(), self.optional().is_some()) {
            (Shape::Str, true) => quote!(#name.as_deref()),
            (Shape::Ref(_), true) => quote!(#name.as_ref()),
            (Shape::Str | Shape::Ref(_), false) => quote!(#name),
            (Shape::Value(_), _) => quote!(#name.clone()),
        }
    }
}

fn is_str(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("str"))
}

impl Method {
    /// The payload type.
    fn payload_type(&self) -> TokenStream {
        match &self.payload {
            Payload::Data(ty) | Payload::Resource { ty, .. } => quote!(#ty),
            Payload::Nothing => quote!(()),
            Payload::Whole => {
                let output = &self.output;
                quote!(#output)
            }
        }
    }

    /// `call` (a generated call's outcome) mapped to the payload.
    fn to_payload(&self, call: TokenStream) -> TokenStream {
        match &self.payload {
            Payload::Data(_) => quote!(#call.and_then(|value| value.map(|envelope| envelope.data))),
            Payload::Resource { field, .. } => {
                quote!(#call.and_then(|value| value.map(|envelope| envelope.data.#field)))
            }
            Payload::Nothing => quote!(#call.and_then(|value| value.map(drop))),
            Payload::Whole => call,
        }
    }
}

/// Names a request type uses for itself: a parameter may not take them.
const RESERVED_PARAMETERS: [&str; 4] = ["call_", "send", "request_id", "new"];

/// The operations paired with progenitor's methods: progenitor generates them in the spec's order
/// (paths, then methods within a path), which [`crate::spec::operations`] follows.
pub fn pair<'a>(ops: &'a [Op], methods: &'a [Method]) -> Result<Vec<(&'a Op, &'a Method)>, String> {
    if ops.len() != methods.len() {
        return Err(format!(
            "the spec has {} operations and progenitor generated {} methods",
            ops.len(),
            methods.len()
        ));
    }
    Ok(ops.iter().zip(methods).collect())
}

/// The request type's name: the method's name in upper camel case.
fn request_type(method: &Method) -> Result<syn::Ident, String> {
    let name = method.name.to_string().to_upper_camel_case();
    syn::parse_str::<syn::Ident>(&name).map_err(|_| {
        format!(
            "operation `{}` gives no usable type name (`{name}`)",
            method.name
        )
    })
}

/// Refuses an operation whose names the SDK already uses (the command line checks its own: its
/// test `no_operation_is_hidden_by_a_hand_written_command`).
fn check_names(op: &Op, method: &Method, taken: &[String]) -> Result<(), String> {
    let (id, fn_name) = (&op.id, &method.name);
    if taken.contains(&fn_name.to_string()) {
        return Err(format!(
            "operation `{id}` would be the method `{fn_name}`, which the SDK already has: \
             rename the operation"
        ));
    }
    if let Some(arg) = method
        .args
        .iter()
        .find(|a| RESERVED_PARAMETERS.contains(&a.name.to_string().as_str()))
    {
        return Err(format!(
            "operation `{id}` has a parameter named `{}`, which its request type uses for \
             itself: rename the parameter",
            arg.name
        ));
    }
    Ok(())
}

/// The SDK's per-operation layer for `ops`, given the generated client's `methods` and what the
/// SDK writes by hand.
pub fn render(
    ops: &[Op],
    methods: &[Method],
    hand_written: &HandWritten,
) -> Result<TokenStream, String> {
    let mut client_methods = Vec::new();
    let mut call_methods = Vec::new();
    let mut requests = Vec::new();
    let mut rotation = quote!(::std::option::Option::None);
    for (op, method) in pair(ops, methods)? {
        let by_hand = hand_written.operations.contains(&method.name.to_string());
        check_names(op, method, &hand_written.taken)?;
        let fn_name = &method.name;
        let id = &op.id;
        let constant = constant(method);
        let request = request_type(method)?;
        let (required, optional): (Vec<&Arg>, Vec<&Arg>) =
            method.args.iter().partition(|a| a.optional().is_none());
        let payload = method.payload_type();
        let req_names: Vec<_> = required.iter().map(|a| &a.name).collect();
        let req_params: Vec<_> = required
            .iter()
            .map(|a| {
                let name = &a.name;
                let (ty, _) = a.accepted();
                quote!(#name: #ty)
            })
            .collect();
        let req_inits: Vec<_> = required
            .iter()
            .map(|a| {
                let name = &a.name;
                let (_, conversion) = a.accepted();
                if conversion.is_empty() {
                    quote!(#name)
                } else {
                    quote!(#name: #name #conversion)
                }
            })
            .collect();
        let opt_names: Vec<_> = optional.iter().map(|a| &a.name).collect();
        let all_names: Vec<_> = method.args.iter().map(|a| &a.name).collect();
        let fields: Vec<_> = method
            .args
            .iter()
            .map(|a| {
                let name = &a.name;
                let held = a.held();
                if a.optional().is_some() {
                    quote!(#name: ::std::option::Option<#held>)
                } else {
                    quote!(#name: #held)
                }
            })
            .collect();
        let setters: Vec<_> = optional
            .iter()
            .map(|a| {
                let name = &a.name;
                let (ty, conversion) = a.accepted();
                let doc = format!(
                    " Sets the optional parameter `{name}` (see \
                     [`Client::{fn_name}`](crate::Client::{fn_name}))."
                );
                quote! {
                    #[doc = #doc]
                    pub fn #name(mut self, value: #ty) -> Self {
                        self.#name = ::std::option::Option::Some(value #conversion);
                        self
                    }
                }
            })
            .collect();
        let passes: Vec<_> = method.args.iter().map(Arg::pass).collect();
        let generated_call = method.to_payload(quote!(client.#fn_name(#(#passes),*).await));
        // An operation that issues a token answers a session, which the pipeline adopts.
        let pipeline = if op.token.adopts_session() {
            quote!(send_session)
        } else {
            quote!(send)
        };
        if op.token.refreshes() {
            let call = method.to_payload(quote!(client.#fn_name().await));
            rotation = quote! {
                ::std::option::Option::Some(crate::identity::Rotation {
                    operation: &::menu_client::operations::#constant,
                    send: |client| ::std::boxed::Box::pin(async move { #call }),
                })
            };
        }
        let request_doc = format!(
            " One `{id}` call, sent when awaited (or by [`{request}::send`]); built by \
             [`Client::{fn_name}`](crate::Client::{fn_name})."
        );
        // The request type of a hand-written method is the method's to build: the call it is
        // given carries the request id.
        let (visibility, request_id_setter) = if by_hand {
            (quote!(pub(crate)), quote!())
        } else {
            (
                quote!(pub),
                quote! {
                    /// Sends this call with `request_id` as its `X-Request-ID` instead of a fresh
                    /// one (every retry of the call carries it too).
                    pub fn request_id(mut self, request_id: ::uuid::Uuid) -> Self {
                        self.call_ = self.call_.request_id(request_id);
                        self
                    }
                },
            )
        };
        // The rotating operation is sent by the SDK's token module (its single flight).
        let sent = if op.token.refreshes() {
            quote!(call_.rotate().await)
        } else {
            quote! {
                call_
                    .#pipeline(&::menu_client::operations::#constant, |client| async move {
                        #generated_call
                    })
                    .await
            }
        };
        requests.push(quote! {
            #[doc = #request_doc]
            #[must_use = "a call is sent only when it is awaited"]
            #visibility struct #request<'a> {
                call_: crate::call::Call<'a>,
                #(#fields,)*
            }

            impl<'a> #request<'a> {
                pub(crate) fn new(call_: crate::call::Call<'a>, #(#req_params),*) -> Self {
                    Self {
                        call_,
                        #(#req_inits,)*
                        #(#opt_names: ::std::option::Option::None,)*
                    }
                }

                #(#setters)*

                #request_id_setter

                /// Sends the call through the SDK's pipeline: header defaults, authentication,
                /// automatic token refresh, retries, typed errors, tracing.
                pub async fn send(self) -> ::std::result::Result<#payload, crate::error::Error> {
                    let Self { call_, #(#all_names,)* } = self;
                    #(let #all_names = &#all_names;)*
                    #sent
                }
            }

            impl<'a> ::std::future::IntoFuture for #request<'a> {
                type Output = ::std::result::Result<#payload, crate::error::Error>;
                type IntoFuture = ::std::pin::Pin<
                    ::std::boxed::Box<dyn ::std::future::Future<Output = Self::Output> + Send + 'a>,
                >;

                fn into_future(self) -> Self::IntoFuture {
                    ::std::boxed::Box::pin(self.send())
                }
            }
        });
        if by_hand {
            continue;
        }

        let docs = &method.docs;
        client_methods.push(quote! {
            #(#docs)*
            pub fn #fn_name(&self, #(#req_params),*) -> requests::#request<'_> {
                self.call().#fn_name(#(#req_names),*)
            }
        });
        let call_doc = format!(" See [`Client::{fn_name}`](crate::Client::{fn_name}).");
        call_methods.push(quote! {
            #[doc = #call_doc]
            pub fn #fn_name(self, #(#req_params),*) -> requests::#request<'a> {
                requests::#request::new(self, #(#req_names),*)
            }
        });
    }

    Ok(quote! {
        impl crate::client::Client {
            #(#client_methods)*
        }

        impl<'a> crate::call::Call<'a> {
            #(#call_methods)*
        }

        /// The operation the spec marks `x-token: rotates`, which automatic token refresh sends.
        pub(crate) const ROTATION: ::std::option::Option<crate::identity::Rotation> = #rotation;

        /// One request type per operation: its required arguments, its optional parameters as
        /// setters, sent when awaited.
        pub mod requests {
            #(#requests)*
        }
    })
}
