//! Project automation for the Menu SDK workspace.
//!
//! ```text
//! cargo xtask generate            # regenerate crates/menu-client/src/generated.rs from the spec
//! cargo xtask generate --check    # fail with a unified diff if the committed file is stale
//! cargo xtask generate --root DIR # operate on another checkout (used by the xtask's own tests)
//! ```

mod bench;
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--check] [--root DIR]
      Regenerate crates/menu-client/src/generated.rs from openapi/menu-customers.yaml.
      --check   do not write; exit 1 with a unified diff if the committed file is stale
      --root    the workspace root to operate on (default: this workspace)
  bench [--smoke]
      Build release binaries and print every benchmark figure (see BENCHMARKS.md).
      --smoke   tiny budgets: proves each benchmark runs
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "generate" => {
            let mut check = false;
            let mut root = default_root();
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--check" => check = true,
                    "--root" => {
                        let dir = rest.next().ok_or("--root needs a directory")?;
                        root = PathBuf::from(dir);
                    }
                    other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
                }
            }
            generate::run(&root, check)
        }
        "bench" => {
            let smoke = match rest {
                [] => false,
                [flag] if flag == "--smoke" => true,
                _ => return Err(format!("usage: cargo xtask bench [--smoke]\n\n{USAGE}")),
            };
            bench::run(&default_root(), smoke)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// The workspace root: the parent of this crate's directory.
fn default_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
