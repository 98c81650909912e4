//! What makes an operation special is said once, in the spec (`x-token`): outside the generated
//! files, the tests and the hand-written conveniences (the SDK's two, the command line's sign-in
//! commands), no code of menu-sdk, menu-client or menu-cli names an operation (its
//! `operationId`, its command name, or its constant in the operation table), in code or in a
//! macro's arguments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use syn::visit::Visit;

const CRATES: [&str; 3] = [
    "crates/menu-sdk/src",
    "crates/menu-client/src",
    "crates/menu-cli/src",
];
/// Generated, or hand-written conveniences by design: the SDK's (`conveniences.rs`) and the
/// command line's sign-in commands (`account.rs`: `menu signup` drives the sign-up operations).
const EXEMPT: [&str; 5] = [
    "crates/menu-sdk/src/generated.rs",
    "crates/menu-client/src/generated.rs",
    "crates/menu-client/src/operations.rs",
    "crates/menu-sdk/src/conveniences.rs",
    "crates/menu-cli/src/account.rs",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every operation's names: its id, its command, its table constant.
fn names() -> Vec<String> {
    let spec: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("openapi/menu-customers.yaml")).unwrap(),
    )
    .unwrap();
    let mut names = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                names.push(id.to_owned());
                names.push(id.replace('_', "-"));
                names.push(id.to_uppercase());
            }
        }
    }
    assert!(names.len() >= 24, "{names:?}");
    names
}

struct Finder<'a> {
    names: &'a [String],
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        // Unit tests are tests.
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        let is_test = attrs.iter().any(|a| {
            a.path().is_ident("cfg")
                && a.meta
                    .require_list()
                    .is_ok_and(|l| l.tokens.to_string() == "test")
        });
        if !is_test {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        let value = lit.value();
        if self.names.contains(&value) {
            self.found.push(format!("\"{value}\""));
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A macro's arguments (`matches!(op.id, "refresh")`, `format!(..)`) are tokens, not
        // syntax: look at their literals and identifiers.
        fn walk(finder: &mut Finder<'_>, tokens: proc_macro2::TokenStream) {
            for token in tokens {
                match token {
                    proc_macro2::TokenTree::Group(group) => walk(finder, group.stream()),
                    proc_macro2::TokenTree::Literal(literal) => {
                        if let Ok(lit) = syn::parse_str::<syn::LitStr>(&literal.to_string()) {
                            finder.visit_lit_str(&lit);
                        }
                    }
                    proc_macro2::TokenTree::Ident(ident) => finder.visit_ident(&ident),
                    proc_macro2::TokenTree::Punct(_) => {}
                }
            }
        }
        walk(self, mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        let ident = ident.to_string();
        if self.names.contains(&ident) && ident.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            self.found.push(ident);
        }
    }
}

#[test]
fn no_hand_written_code_names_an_operation() {
    let names = names();
    let mut offenders = Vec::new();
    for dir in CRATES {
        let mut dirs = vec![root().join(dir)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let relative = path
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if path.extension().is_none_or(|e| e != "rs") || EXEMPT.contains(&relative.as_str())
                {
                    continue;
                }
                let file = syn::parse_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let mut finder = Finder {
                    names: &names,
                    found: Vec::new(),
                };
                finder.visit_file(&file);
                if !finder.found.is_empty() {
                    offenders.push(format!("{}: {:?}", path.display(), finder.found));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "operations named outside the spec:\n{}",
        offenders.join("\n")
    );
}
