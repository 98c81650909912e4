//! Two surfaces compared: each change for callers, the breaking ones marked (see the parent
//! module's documentation for what breaks).

use std::fmt;

use super::{Param, Shape, Surface};

/// One change, and whether it breaks callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub text: String,
    pub breaking: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if self.breaking {
            f.write_str("  [breaking]")?;
        }
        Ok(())
    }
}

impl Surface {
    /// What changed from `self` (the committed surface) to `new`.
    pub fn changes(&self, new: &Surface) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut push = |text: String, breaking: bool| changes.push(Change { text, breaking });
        for (name, old) in &self.operations {
            let Some(new_op) = new.operations.get(name) else {
                push(format!("- operation `{name}` removed"), true);
                continue;
            };
            for param in &old.params {
                let arg = &param.name;
                match new_op.params.iter().find(|p| p.name == param.name) {
                    None => push(
                        format!("~ operation `{name}`: parameter `{arg}` removed"),
                        true,
                    ),
                    Some(now) => {
                        if now.ty != param.ty {
                            let (ty, new_ty) = (&param.ty, &now.ty);
                            push(
                                format!(
                                    "~ operation `{name}`: parameter `{arg}`: `{ty}` -> `{new_ty}`"
                                ),
                                true,
                            );
                        }
                        if now.optional != param.optional {
                            let kind = if now.optional { "optional" } else { "required" };
                            push(
                                format!("~ operation `{name}`: parameter `{arg}` is now {kind}"),
                                true,
                            );
                        }
                    }
                }
            }
            for param in &new_op.params {
                if !old.params.iter().any(|p| p.name == param.name) {
                    let (arg, ty) = (&param.name, &param.ty);
                    if param.optional {
                        push(
                            format!(
                                "~ operation `{name}`: new optional parameter `{arg}: {ty}` (a \
                                 setter; a new argument of `menu_client::Client::{name}`)"
                            ),
                            false,
                        );
                    } else {
                        push(
                            format!("~ operation `{name}`: new required parameter `{arg}: {ty}`"),
                            true,
                        );
                    }
                }
            }
            let required = |params: &[Param], other: &[Param]| -> Vec<String> {
                params
                    .iter()
                    .filter(|p| {
                        !p.optional && other.iter().any(|o| o.name == p.name && !o.optional)
                    })
                    .map(|p| p.name.clone())
                    .collect()
            };
            if required(&old.params, &new_op.params) != required(&new_op.params, &old.params) {
                push(
                    format!("~ operation `{name}`: required parameters reordered"),
                    true,
                );
            }
            if new_op.output != old.output {
                let (output, new_output) = (&old.output, &new_op.output);
                push(
                    format!("~ operation `{name}`: returns `{output}` -> `{new_output}`"),
                    true,
                );
            }
            if let (Some(before), Some(after)) = (self.auth.get(name), new.auth.get(name))
                && before != after
            {
                let needs = |auth: &str| auth == "Customer";
                push(
                    format!("~ operation `{name}`: authentication `{before}` -> `{after}`"),
                    needs(after) && !needs(before),
                );
            }
            if let (Some(before), Some(after)) = (self.payload.get(name), new.payload.get(name))
                && before != after
            {
                push(
                    format!(
                        "~ operation `{name}`: the SDK answers `{before}` -> `{after}` (the \
                         payload rule)"
                    ),
                    true,
                );
            }
        }
        for name in new
            .operations
            .keys()
            .filter(|n| !self.operations.contains_key(*n))
        {
            push(format!("+ operation `{name}` added"), false);
        }
        let (built, read) = (new.reachable(true), new.reachable(false));
        for (name, shape) in &self.types {
            let Some(new_shape) = new.types.get(name) else {
                push(format!("- type `{name}` removed"), true);
                continue;
            };
            match (shape, new_shape) {
                (Shape::Struct(fields), Shape::Struct(new_fields)) => {
                    for (field, (ty, optional)) in fields {
                        match new_fields.get(field) {
                            None => push(format!("~ type `{name}`: field `{field}` removed"), true),
                            Some((new_ty, new_optional))
                                if new_ty != ty || new_optional != optional =>
                            {
                                let show = |t: &str, o: bool| {
                                    if o {
                                        format!("Option<{t}>")
                                    } else {
                                        t.to_owned()
                                    }
                                };
                                push(
                                    format!(
                                        "~ type `{name}`: field `{field}`: `{}` -> `{}`",
                                        show(ty, *optional),
                                        show(new_ty, *new_optional)
                                    ),
                                    true,
                                );
                            }
                            Some(_) => {}
                        }
                    }
                    for (field, (ty, optional)) in new_fields {
                        if !fields.contains_key(field) {
                            let kind = if *optional { "optional" } else { "required" };
                            let breaking = !optional || built.contains(name);
                            push(
                                format!("~ type `{name}`: new {kind} field `{field}: {ty}`"),
                                breaking,
                            );
                        }
                    }
                }
                (Shape::Enum(variants), Shape::Enum(new_variants)) => {
                    for variant in variants.iter().filter(|v| !new_variants.contains(v)) {
                        push(
                            format!("~ type `{name}`: variant `{variant}` removed or renamed"),
                            true,
                        );
                    }
                    for variant in new_variants.iter().filter(|v| !variants.contains(v)) {
                        let renamed = variants.iter().any(|v| same_variant(v, variant));
                        if !renamed {
                            push(
                                format!("~ type `{name}`: new variant `{variant}`"),
                                read.contains(name),
                            );
                        }
                    }
                }
                (old, new) if old != new => push(format!("~ type `{name}` changed shape"), true),
                _ => {}
            }
        }
        for name in new.types.keys().filter(|n| !self.types.contains_key(*n)) {
            push(format!("+ type `{name}` added"), false);
        }
        changes
    }
}

/// Whether two variant descriptions name the same variant (with different wire values).
fn same_variant(a: &str, b: &str) -> bool {
    let name = |v: &str| v.split(" = ").next().unwrap_or(v).to_owned();
    name(a) == name(b)
}

/// The summary printed after a generation.
pub fn report(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "API surface: no change\n".to_owned();
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let mut out = format!(
        "API surface: {} change(s), {breaking} breaking caller code:\n",
        changes.len()
    );
    for change in changes {
        out.push_str(&format!("  {change}\n"));
    }
    out
}
