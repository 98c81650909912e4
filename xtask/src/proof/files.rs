//! The files of a workspace, as the proof copies and compares them: what git lists, what a
//! directory holds, and their contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's own files: those git tracks, and the new ones it does not ignore (a fuzzing
/// corpus or a stray `.snap.new` is not part of the workspace). A file deleted from the work tree
/// is left out.
pub fn git_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .map_err(|e| format!("cannot run git ls-files (the proof copies what git lists): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git ls-files failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut names = Vec::new();
    for name in out
        .stdout
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
    {
        let name = String::from_utf8(name.to_vec()).map_err(|e| {
            format!(
                "a file name that is not UTF-8 in the workspace: {:?}",
                String::from_utf8_lossy(e.as_bytes())
            )
        })?;
        if root.join(&name).is_file() {
            names.push(PathBuf::from(name));
        }
    }
    Ok(names)
}

/// Every file under `dir`, relative to it.
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let io = |path: &Path, e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut names = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(current) = dirs.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| io(&current, e))? {
            let path = entry.map_err(|e| io(&current, e))?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                names.push(relative.to_path_buf());
            }
        }
    }
    Ok(names)
}

/// The contents of `names` under `root` (a missing one is left out: it was deleted).
pub fn files(root: &Path, names: &[PathBuf]) -> Result<BTreeMap<PathBuf, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    for name in names {
        let path = root.join(name);
        match std::fs::read(&path) {
            Ok(contents) => {
                files.insert(name.clone(), contents);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
    }
    Ok(files)
}
