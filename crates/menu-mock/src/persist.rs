//! Where the mock's state survives a restart: the [`Store`] seam, shaped for a database (each step
//! hands over the [`Change`]s it made), and today's store, [`JsonFile`]: the whole state rewritten
//! as one JSON snapshot after every change (atomically: a temporary file beside it, renamed over
//! it), with the key the tokens are signed with, so that they survive too. [`load`] reads it back.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StateError;
use crate::records::{Change, Records};

#[cfg(feature = "sqlite")]
#[allow(dead_code)] // Work in progress (issue 28): wired to `MockState` next.
pub(crate) mod sqlite;

/// Makes the state's changes durable.
///
/// A store is given the changes of each step, in the order they were made, and reads the
/// records they name from `records` (the state after them); it locks `records` only to read.
pub(crate) trait Store: Send + Sync + std::fmt::Debug {
    /// Writes all of `records` (when the store is opened on a state).
    fn save_all(&self, records: &Mutex<Records>) -> Result<(), StateError>;

    /// Makes `changes`, just made to `records`, durable.
    fn apply(&self, records: &Mutex<Records>, changes: &[Change]) -> Result<(), StateError>;
}

/// The format of the snapshot, for a later change of it.
const FORMAT: u32 = 1;

/// What a state file holds.
#[derive(Deserialize)]
struct Snapshot {
    format: u32,
    application_key: String,
    /// The key the tokens are signed with (hexadecimal, a UUID's simple form).
    signing_key: String,
    domain: Records,
}

/// A [`Snapshot`] to write, borrowing the records.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    application_key: &'a str,
    signing_key: String,
    domain: &'a Records,
}

/// The state read back from a file.
pub(crate) struct Saved {
    /// The application key the state was created with.
    pub(crate) application_key: String,
    /// The key the tokens are signed with.
    pub(crate) signing_key: [u8; 16],
    /// What the API remembers.
    pub(crate) records: Records,
}

/// The state saved in `path` (see [`JsonFile`]). A file that cannot be read, or is not a state
/// file, is an error (never an empty state).
pub(crate) fn load(path: &Path) -> Result<Saved, StateError> {
    let error = |reason: String| StateError::File {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let snapshot: Snapshot = serde_json::from_slice(&text)
        .map_err(|e| error(format!("it is not a mock state file ({e})")))?;
    if snapshot.format != FORMAT {
        return Err(error(format!("unknown format {}", snapshot.format)));
    }
    let signing_key = Uuid::parse_str(&snapshot.signing_key)
        .map_err(|_| error("its signing key is not 32 hexadecimal digits".into()))?;
    Ok(Saved {
        application_key: snapshot.application_key,
        signing_key: signing_key.into_bytes(),
        records: snapshot.domain.reindexed(),
    })
}

/// The state as one JSON file, rewritten whole after each step that changed something.
pub(crate) struct JsonFile {
    path: PathBuf,
    /// Orders the writes.
    order: Mutex<()>,
    application_key: String,
    signing_key: [u8; 16],
}

impl JsonFile {
    /// The file `path`, for a state with this application key and signing key.
    pub(crate) fn new(path: PathBuf, application_key: String, signing_key: [u8; 16]) -> Self {
        Self {
            path,
            order: Mutex::new(()),
            application_key,
            signing_key,
        }
    }
}

impl std::fmt::Debug for JsonFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for JsonFile {
    fn save_all(&self, records: &Mutex<Records>) -> Result<(), StateError> {
        let _in_order = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        let error = |reason: String| StateError::File {
            path: self.path.clone(),
            reason,
        };
        let json = {
            let records = records.lock().unwrap_or_else(PoisonError::into_inner);
            serde_json::to_vec_pretty(&SnapshotRef {
                format: FORMAT,
                application_key: &self.application_key,
                signing_key: Uuid::from_bytes(self.signing_key).simple().to_string(),
                domain: &records,
            })
            .map_err(|e| error(format!("cannot encode it: {e}")))?
        };
        write_atomically(&self.path, &json).map_err(|e| error(format!("cannot write it: {e}")))
    }

    /// Whatever changed, the whole snapshot is written again.
    fn apply(&self, records: &Mutex<Records>, _changes: &[Change]) -> Result<(), StateError> {
        self.save_all(records)
    }
}

/// Writes `contents` to `path` through a temporary file beside it, renamed over it.
fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".menu-mock-state-")
        .tempfile_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_written_as_32_hexadecimal_digits_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let key = *Uuid::new_v4().as_bytes();
        let records = Mutex::new(Records::new("app", std::time::Duration::from_secs(60)));
        JsonFile::new(path.clone(), "app".into(), key)
            .save_all(&records)
            .unwrap();
        let text: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let written = text["signing_key"].as_str().unwrap();
        assert_eq!(written.len(), 32);
        assert!(written.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(load(&path).unwrap().signing_key, key);
        // A file written by hand, with a key that is not one.
        std::fs::write(
            &path,
            text.to_string()
                .replace(written, "not-a-key-not-a-key-not-a-key-xx"),
        )
        .unwrap();
        let err = load(&path).err().unwrap().to_string();
        assert!(err.contains("signing key"), "{err}");
    }
}
