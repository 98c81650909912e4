//! No import cycle between the modules of any crate of the workspace: for each crate, the graph of
//! its `src/` modules (an edge where one module's code names another through `crate::`, tests
//! left out) has no cycle. A cycle is reported with its path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `crate::X` modules a file's code names (not its unit tests).
struct Uses<'a> {
    modules: &'a BTreeSet<String>,
    found: BTreeSet<String>,
}

impl Uses<'_> {
    fn note(&mut self, first: &str, second: Option<String>) {
        if first == "crate"
            && let Some(second) = second.filter(|s| self.modules.contains(s))
        {
            self.found.insert(second);
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string() == "test")
    })
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        if let Some(first) = segments.next() {
            self.note(&first, segments.next());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if let syn::UseTree::Path(path) = &item.tree
            && path.ident == "crate"
        {
            let mut seconds = Vec::new();
            match &*path.tree {
                syn::UseTree::Path(next) => seconds.push(next.ident.to_string()),
                syn::UseTree::Name(name) => seconds.push(name.ident.to_string()),
                syn::UseTree::Rename(rename) => seconds.push(rename.ident.to_string()),
                syn::UseTree::Group(group) => {
                    for tree in &group.items {
                        match tree {
                            syn::UseTree::Path(next) => seconds.push(next.ident.to_string()),
                            syn::UseTree::Name(name) => seconds.push(name.ident.to_string()),
                            syn::UseTree::Rename(rename) => seconds.push(rename.ident.to_string()),
                            _ => {}
                        }
                    }
                }
                syn::UseTree::Glob(_) => {}
            }
            for second in seconds {
                self.note("crate", Some(second));
            }
        }
    }
}

/// Module -> the modules it uses, for the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = file.file_stem().unwrap().to_string_lossy().into_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let syntax = syn::parse_file(&std::fs::read_to_string(file).unwrap()).unwrap();
        let mut uses = Uses {
            modules: &modules,
            found: BTreeSet::new(),
        };
        uses.visit_file(&syntax);
        uses.found.remove(&module);
        graph.insert(module, uses.found);
    }
    graph
}

/// A cycle of `graph`, as the path that closes it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.push(root().join("xtask/src"));
    assert!(sources.len() >= 6, "{sources:?}");
    let mut cycles = Vec::new();
    for src in sources {
        if let Some(cycle) = cycle(&graph(&src)) {
            cycles.push(format!("{}: {}", src.display(), cycle.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}
