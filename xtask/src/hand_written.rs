//! What `menu-sdk` writes by hand, read from its source files with `syn` (never a list kept in
//! xtask): the operations it gives a hand-written method (`conveniences.rs`), and the names of
//! every other method of `Client` and `Call`, which no operation may take.

/// What `menu-sdk` writes by hand, read from its source files (never a list kept here).
#[derive(Debug, Default)]
pub struct HandWritten {
    /// The methods of `impl Client` blocks in `conveniences.rs`: an operation with such a method
    /// gets no generated `Client`/`Call` method.
    pub operations: Vec<String>,
    /// The methods of every other `impl Client` and `impl Call` block of the SDK's hand-written
    /// files: an operation may not be named like one of them.
    pub taken: Vec<String>,
}

/// Reads the SDK's hand-written `sources` (each file's path under `src/`, and its text;
/// `generated.rs` is not one of them).
pub fn hand_written(sources: &[(String, String)]) -> Result<HandWritten, String> {
    let mut found = HandWritten::default();
    for (path, text) in sources {
        let file = syn::parse_file(text).map_err(|e| format!("{path}: {e}"))?;
        let conveniences = path == "conveniences.rs";
        for item in &file.items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let syn::Type::Path(self_ty) = &*block.self_ty else {
                continue;
            };
            let Some(ty) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
                continue;
            };
            let names = match (ty.as_str(), conveniences) {
                ("Client", true) => &mut found.operations,
                // A convenience's `Call` method is the operation's own name.
                ("Call", true) => continue,
                ("Client" | "Call", false) => &mut found.taken,
                _ => continue,
            };
            if block.trait_.is_some() {
                continue;
            }
            for item in &block.items {
                if let syn::ImplItem::Fn(function) = item {
                    names.push(function.sig.ident.to_string());
                }
            }
        }
    }
    found.operations.sort();
    found.taken.sort();
    found.taken.dedup();
    Ok(found)
}
