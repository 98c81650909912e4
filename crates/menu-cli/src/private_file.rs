//! Files only their owner may read (the credentials, a `--token-out` file), replaced atomically
//! through tempfile, as `menu-sdk`'s file token store does: written to a temporary file beside
//! the target (mode 0600 from its creation), synced, renamed over it, then the directory synced.

use std::io::Write as _;
use std::path::Path;

/// Replaces `path` with `contents` (see the module documentation).
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
