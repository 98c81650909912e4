//! Project automation for the Menu SDK workspace.
//!
//! ```text
//! cargo xtask generate             # regenerate every generated file from the spec
//! cargo xtask generate --check     # fail with a unified diff if a committed file is stale
//! cargo xtask generate --root DIR  # operate on another checkout (used by the xtask's own tests)
//! cargo xtask proof                # a grown spec on a copy: regenerated, the copy's tests pass
//! cargo xtask bench [--smoke]      # build release binaries and print every figure but section 8
//! cargo xtask bench mock [--smoke] # only the mock's lifecycle (section 8; not in the full run)
//! ```

mod bench;
mod client_file;
mod client_view;
mod codes;
mod generate;
mod hand_written;
mod kinds;
// The operation model, one definition for menu-client and xtask: xtask includes the file instead
// of depending on menu-client, whose generated files it rewrites and which may be stale.
#[allow(
    dead_code,
    unused_imports,
    reason = "xtask reads the spec into the model; the table's readers use the rest"
)]
#[path = "../../crates/menu-client/src/operation/mod.rs"]
mod operation;
mod panics;
mod payload;
mod proof;
mod refs;
mod sdk;
mod spec;
mod surface;
mod table;
mod values;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project automation for the Menu SDK workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate every generated file from openapi/menu-customers.yaml, and print what changed
    /// for callers (operations and types added, removed or changed; breaking changes marked).
    Generate {
        /// Do not write: exit 1 with a unified diff if a committed file is stale.
        #[arg(long)]
        check: bool,
        /// The workspace root to operate on [default: this workspace].
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Prove on a copy of the workspace (in `target/proof`) that a grown spec needs nothing but
    /// `cargo xtask generate`: the operations of `xtask/tests/proof/` added, regenerated, and the
    /// copy's whole test suite passes.
    Proof,
    /// Build release binaries and print every benchmark figure (see BENCHMARKS.md); `mock`: only
    /// section 8, the mock's lifecycle, which the full run leaves out.
    Bench {
        /// Only this benchmark [default: every section but the mock's lifecycle].
        #[arg(value_enum)]
        section: Option<bench::Section>,
        /// Tiny budgets: proves each benchmark runs.
        #[arg(long)]
        smoke: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { check, root } => {
            generate::run(&root.unwrap_or_else(default_root), check)
        }
        Command::Proof => proof::run(&default_root()),
        Command::Bench { section, smoke } => bench::run(&default_root(), section, smoke),
    };
    result.unwrap_or_else(|message| {
        eprintln!("xtask: {message}");
        ExitCode::from(2)
    })
}

/// The workspace root: the parent of this crate's directory.
fn default_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
