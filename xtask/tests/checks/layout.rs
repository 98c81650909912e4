//! Rules of the workspace's layout, so that later work keeps them. In hand-written, non-test
//! code (generated files, unit tests and test-only modules left out):
//! - the managed header names (the spec's `x-managed` parameters) are string literals in one file
//!   at most; the raw comparators (`menu-bench`, `xtask/src/fixtures/`), which speak HTTP without
//!   the SDK on purpose, are exempt by name;
//! - no token-effect variant (`TokenEffect::Issues`, ...) is named outside the operation model
//!   (`crates/menu-client/src/operation/`) and xtask, which reads the spec into it: everything
//!   else asks the model's methods;
//! - no hand-written `fs::rename`: files are replaced atomically through tempfile;
//! - no `eprintln!`, `eprint!`, `println!` or `print!` in the `menu` command line (they panic on
//!   a closed pipe, and a panic during a refresh loses the rotated token): its output goes
//!   through `output.rs`, which never panics;
//! - every module is at most 400 lines of non-test code (lines before its first top-level
//!   `#[cfg(test)]`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The largest module, in lines of non-test code.
const MAX_LINES: usize = 400;

/// Generated: never edited by hand.
const GENERATED: [&str; 3] = [
    "crates/menu-sdk/src/generated.rs",
    "crates/menu-client/src/generated.rs",
    "crates/menu-client/src/operations.rs",
];

/// The raw comparators: HTTP clients and servers written without the SDK on purpose.
const RAW_COMPARATORS: [&str; 2] = ["crates/menu-bench/", "xtask/src/fixtures/"];

/// The `menu` command line, whose output never panics.
const CLI: &str = "crates/menu-cli/src/";

/// The standard printing macros, which panic when they cannot write.
const PRINT_MACROS: [&str; 4] = ["eprintln", "eprint", "println", "print"];

/// Where token-effect variants may be named: the model, and xtask, which reads the spec into it.
const TOKEN_EFFECT_OWNERS: [&str; 2] = ["crates/menu-client/src/operation/", "xtask/src/"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Whether the attributes make an item test code: `#[test]`, or a `cfg` that names `test` and no
/// `not` (`cfg(test)`, `cfg(any(fuzzing, test))`; not `cfg(not(test))`).
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.meta.require_list().is_ok_and(|l| {
                    let text = l.tokens.to_string();
                    let words: Vec<&str> = text
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .collect();
                    words.contains(&"test") && !words.contains(&"not")
                }))
    })
}

/// Every string literal in `tokens`, nested groups included (a macro's arguments).
fn literals_in(tokens: proc_macro2::TokenStream, into: &mut Vec<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Group(group) => literals_in(group.stream(), into),
            proc_macro2::TokenTree::Literal(literal) => {
                let token = proc_macro2::TokenTree::Literal(literal);
                if let Ok(lit) = syn::parse2::<syn::LitStr>(token.into()) {
                    into.push(lit.value());
                }
            }
            _ => {}
        }
    }
}

/// Every hand-written source file (relative to the root, with `/`), with its parsed syntax and
/// text, test-only module files left out.
fn sources() -> Vec<(String, syn::File, String)> {
    let root = root();
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = ["crates", "xtask/src"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if path.is_dir() {
                // Integration tests, the fuzz crate, the peer client and build output are not
                // the crates' sources.
                let skip = ["tests", "fuzz", "peer", "target"]
                    .iter()
                    .any(|d| name.ends_with(&format!("/{d}")));
                if !skip {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") && !GENERATED.contains(&name.as_str()) {
                let text = std::fs::read_to_string(&path).unwrap();
                let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                files.push((name, file, text));
            }
        }
    }
    // A module declared `#[cfg(test)] mod x;` is a test module, and so is everything under it.
    let mut tests = BTreeSet::new();
    for (name, file, _) in &files {
        let dir = match name.rsplit_once('/') {
            Some((dir, file_name)) if ["mod.rs", "lib.rs", "main.rs"].contains(&file_name) => {
                dir.to_owned()
            }
            _ => name.trim_end_matches(".rs").to_owned(),
        };
        for item in &file.items {
            if let syn::Item::Mod(module) = item
                && module.content.is_none()
                && is_test(&module.attrs)
            {
                tests.insert(format!("{dir}/{}", module.ident));
            }
        }
    }
    files.retain(|(name, _, _)| {
        !tests
            .iter()
            .any(|test| name == &format!("{test}.rs") || name.starts_with(&format!("{test}/")))
    });
    assert!(files.len() > 40, "{} files", files.len());
    files
}

/// What one file's non-test code holds.
#[derive(Default)]
struct Found {
    literals: Vec<String>,
    token_effect_variants: Vec<String>,
    renames: usize,
    /// The standard printing macros called ([`PRINT_MACROS`]).
    prints: Vec<String>,
}

impl<'ast> Visit<'ast> for Found {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        self.literals.push(lit.value());
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        for pair in segments.windows(2) {
            if pair[0] == "TokenEffect" && pair[1].starts_with(char::is_uppercase) {
                self.token_effect_variants.push(pair.join("::"));
            }
            if pair == ["fs", "rename"] {
                self.renames += 1;
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_use_path(&mut self, path: &'ast syn::UsePath) {
        let next = match &*path.tree {
            syn::UseTree::Name(name) => Some(name.ident.to_string()),
            syn::UseTree::Rename(rename) => Some(rename.ident.to_string()),
            syn::UseTree::Glob(_) | syn::UseTree::Group(_) => Some("*".to_owned()),
            syn::UseTree::Path(_) => None,
        };
        if let Some(next) = next {
            if path.ident == "TokenEffect" {
                self.token_effect_variants
                    .push(format!("use TokenEffect::{next}"));
            }
            if path.ident == "fs" && (next == "rename" || next == "*") {
                self.renames += 1;
            }
        }
        syn::visit::visit_use_path(self, path);
    }

    // Macros' arguments are tokens: a string literal in `format!` or `json!({..})` is still a
    // literal.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        literals_in(mac.tokens.clone(), &mut self.literals);
        if let Some(last) = mac.path.segments.last()
            && PRINT_MACROS.iter().any(|name| last.ident == name)
        {
            self.prints.push(format!("{}!", last.ident));
        }
        syn::visit::visit_macro(self, mac);
    }
}

fn found(file: &syn::File) -> Found {
    let mut found = Found::default();
    found.visit_file(file);
    found
}

/// The managed headers' names, read from the spec's text.
fn managed_header_names() -> Vec<String> {
    let spec: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("openapi/menu-customers.yaml")).unwrap(),
    )
    .unwrap();
    let names: Vec<String> = spec["components"]["parameters"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p.get("x-managed").is_some())
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    names
}

#[test]
fn managed_header_names_are_written_in_one_file_at_most() {
    let names = managed_header_names();
    let files: Vec<(String, Vec<String>)> = sources()
        .iter()
        .filter(|(name, _, _)| !RAW_COMPARATORS.iter().any(|raw| name.starts_with(raw)))
        .map(|(name, file, _)| {
            let mut named: Vec<String> = found(file)
                .literals
                .into_iter()
                .filter(|lit| names.iter().any(|n| n.eq_ignore_ascii_case(lit)))
                .collect();
            named.dedup();
            (name.clone(), named)
        })
        .filter(|(_, named)| !named.is_empty())
        .collect();
    assert!(
        files.len() <= 1,
        "managed header names written in several files: {files:?}"
    );
}

#[test]
fn no_token_effect_variant_is_named_outside_the_model() {
    let named: Vec<(String, Vec<String>)> = sources()
        .iter()
        .filter(|(name, _, _)| !TOKEN_EFFECT_OWNERS.iter().any(|o| name.starts_with(o)))
        .map(|(name, file, _)| (name.clone(), found(file).token_effect_variants))
        .filter(|(_, variants)| !variants.is_empty())
        .collect();
    assert!(
        named.is_empty(),
        "ask the model's methods instead: {named:?}"
    );
}

#[test]
fn no_hand_written_rename() {
    let renaming: Vec<String> = sources()
        .iter()
        .filter(|(_, file, _)| found(file).renames > 0)
        .map(|(name, _, _)| name.clone())
        .collect();
    assert!(
        renaming.is_empty(),
        "replace files through tempfile (`NamedTempFile::persist`), not fs::rename: {renaming:?}"
    );
}

#[test]
fn the_command_line_prints_only_through_its_output_module() {
    let printing: Vec<(String, Vec<String>)> = sources()
        .iter()
        .filter(|(name, _, _)| name.starts_with(CLI))
        .map(|(name, file, _)| (name.clone(), found(file).prints))
        .filter(|(_, prints)| !prints.is_empty())
        .collect();
    assert!(
        printing.is_empty(),
        "these panic on a closed pipe: write through output.rs (`say`, `tell!`, `prompt!`): \
         {printing:?}"
    );
}

#[test]
fn every_module_is_at_most_400_lines_of_non_test_code() {
    let long: Vec<(String, usize)> = sources()
        .iter()
        .map(|(name, _, text)| {
            let code = text
                .lines()
                .take_while(|line| !line.starts_with("#[cfg(test)]"))
                .count();
            (name.clone(), code)
        })
        .filter(|(_, code)| *code > MAX_LINES)
        .collect();
    assert!(
        long.is_empty(),
        "modules over {MAX_LINES} lines of non-test code: {long:?}"
    );
}

/// The rules see what they look for: each finder, on a sample.
#[test]
fn the_rules_see_what_they_look_for() {
    let sample: syn::File = syn::parse_quote! {
        use std::fs::rename;
        use menu_client::operation::TokenEffect::Issues;
        #[cfg(not(test))]
        fn h() -> Vec<(&'static str, u8)> { vec![("API-Version", 1)] }
        fn f(op: &Operation) -> bool {
            let _ = format!("{}", "X-Request-ID");
            std::fs::rename("a", "b").ok();
            eprintln!("{}", 1);
            std::eprint!("x");
            output::tell!("fine");
            op.token == TokenEffect::Rotates
        }
        #[cfg(test)]
        mod tests {
            const NAME: &str = "Application";
            fn g() -> bool { println!("in a test"); matches!(x, TokenEffect::Revokes) }
        }
    };
    let found = found(&sample);
    assert!(found.literals.contains(&"X-Request-ID".to_owned()));
    assert!(
        found.literals.contains(&"API-Version".to_owned()),
        "cfg(not(test)), a nested group"
    );
    assert!(
        !found.literals.contains(&"Application".to_owned()),
        "tests are left out"
    );
    assert_eq!(
        found.token_effect_variants,
        ["use TokenEffect::Issues", "TokenEffect::Rotates"]
    );
    assert_eq!(found.renames, 2);
    assert_eq!(found.prints, ["eprintln!", "eprint!"], "tests are left out");
}
