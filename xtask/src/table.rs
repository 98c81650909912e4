//! The operation table (`crates/menu-client/src/operations.rs`): one `Operation` constant per
//! operation of the spec, with what the generated methods do not carry (how it authenticates,
//! whether it is idempotent, its success status), `ALL`, and `find` by `operationId`. The hooks,
//! the SDK's pipeline and its per-operation layer read it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::sdk::Method;
use crate::spec::{Auth, Op};

/// The name of an operation's constant: its method's name in upper case.
pub fn constant(method: &Method) -> syn::Ident {
    format_ident!("{}", method.name.to_string().to_uppercase())
}

/// The table for `ops`, paired with progenitor's methods for their names.
pub fn render(ops: &[Op], methods: &[Method]) -> TokenStream {
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
            ..
        } = op;
        let auth = match op.auth {
            Auth::Customer => quote!(Auth::Customer),
            Auth::Optional => quote!(Auth::Optional),
            Auth::None => quote!(Auth::None),
        };
        let doc = format!(" `{id}`: `{verb} {path}`.");
        constants.push(quote! {
            #[doc = #doc]
            pub const #constant: Operation = Operation {
                id: #id,
                method: #verb,
                path: #path,
                auth: #auth,
                idempotent: #idempotent,
                success_status: #success_status,
            };
        });
        names.push(constant);
        ids.push(id);
    }
    quote! {
        use crate::operation::{Auth, Operation};

        #(#constants)*

        /// Every operation of the spec, in its order.
        pub const ALL: &[&Operation] = &[#(&#names),*];

        /// The operation with this `operationId`.
        pub fn find(id: &str) -> ::std::option::Option<&'static Operation> {
            match id {
                #(#ids => ::std::option::Option::Some(&#names),)*
                _ => ::std::option::Option::None,
            }
        }
    }
}
