//! Section 7 of `cargo xtask bench`: a downstream crate's clean debug build with each side of
//! section 1 (the SDK, the peer, raw reqwest), timed here.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::median_ms;

/// The three downstream crates of section 7: side, dependencies, `main.rs`. Each refreshes a
/// token once, so each compiles a real call of its side.
const DOWNSTREAM: [(&str, &str, &str); 3] = [
    (
        "menu-sdk",
        "menu-sdk = { path = \"{root}/crates/menu-sdk\" }",
        include_str!("../fixtures/downstream/sdk.rs"),
    ),
    (
        "peer",
        "menu-peer = { path = \"{root}/target/bench-peer/menu-peer\" }\n\
         uuid = { version = \"1\", features = [\"v4\"] }",
        include_str!("../fixtures/downstream/peer.rs"),
    ),
    (
        "raw reqwest",
        "reqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"rustls\"] }\n\
         serde = { version = \"1\", features = [\"derive\"] }\n\
         uuid = { version = \"1\", features = [\"v4\", \"serde\"] }",
        include_str!("../fixtures/downstream/raw.rs"),
    ),
];

/// Section 7: a clean debug build of a small crate that uses each side, `runs` times in
/// rotation (dependencies fetched beforehand, versions from the workspace's `Cargo.lock`).
pub fn build_times(root: &Path, cargo: &str, runs: usize) -> Result<(), String> {
    println!("\n## 7. A downstream crate's clean debug build\n");
    println!(
        "`cargo build` of a binary that refreshes a token once with each side, from an empty target directory, {runs} run(s) in rotation; the median.\n"
    );
    let mut dirs = Vec::new();
    for (index, (side, dependencies, main)) in DOWNSTREAM.iter().enumerate() {
        let dir = root.join(format!("target/bench-downstream/{index}"));
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        let manifest = format!(
            "[package]\nname = \"downstream-{index}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\n[workspace]\n",
            dependencies.replace("{root}", &root.to_string_lossy())
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/main.rs"), main).map_err(|e| e.to_string())?;
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .map_err(|e| e.to_string())?;
        let status = Command::new(cargo)
            .current_dir(&dir)
            .args(["fetch", "--quiet"])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!(
                "cargo fetch failed for the {side} downstream crate"
            ));
        }
        dirs.push((*side, dir, Vec::new()));
    }
    for _ in 0..runs {
        for (side, dir, samples) in &mut dirs {
            let target = dir.join("target");
            let _ = std::fs::remove_dir_all(&target);
            eprintln!("building the {side} downstream crate from clean...");
            let started = Instant::now();
            let status = Command::new(cargo)
                .current_dir(&*dir)
                .env("CARGO_TARGET_DIR", &target)
                .args(["build", "--quiet", "--offline"])
                .status()
                .map_err(|e| e.to_string())?;
            samples.push(started.elapsed());
            if !status.success() {
                return Err(format!("the {side} downstream crate did not build"));
            }
        }
    }
    let peer = median_ms(&mut dirs[1].2) / 1000.0;
    println!("| side | clean build | vs peer |\n| --- | --- | --- |");
    for (side, _, samples) in &mut dirs {
        let seconds = median_ms(samples) / 1000.0;
        println!("| {side} | {seconds:.1} s | {:.2}x |", seconds / peer);
    }
    Ok(())
}
