//! Where the mock's state survives a restart: the [`Store`] seam, shaped for a database (each step
//! hands over the [`Change`]s it made, made durable all at once or not at all). Its one store is
//! the SQLite database of `persist/sqlite.rs` (cargo feature `sqlite`), which also migrates the
//! JSON state files of 0.3 (`persist/json03.rs`). Without the feature the state lives in memory
//! only.

use std::path::Path;
use std::sync::Mutex;

#[cfg(feature = "sqlite")]
use crate::error::StateError;
use crate::records::{Change, Records};

#[cfg(feature = "sqlite")]
mod json03;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

/// Makes the state's changes durable.
pub(crate) trait Store: Send + Sync + std::fmt::Debug {
    /// Replaces whatever the store holds with `records`, created with these keys.
    #[cfg(feature = "sqlite")]
    fn save_all(
        &self,
        records: &Records,
        application_key: &str,
        signing_key: [u8; 16],
    ) -> Result<(), crate::StateError>;

    /// Makes `changes`, just made to `records` (the state after them), durable: all of them, or,
    /// on an error, none. It locks `records` only to read what the changes name, not while the
    /// database writes: the caller keeps other changes out until it returns.
    fn apply(&self, records: &Mutex<Records>, changes: &[Change]) -> Result<(), crate::StateError>;

    /// The records as last made durable: what undoes a step whose changes could not be.
    fn reload(&self) -> Result<Records, crate::StateError>;

    /// Where the state is kept.
    fn path(&self) -> &Path;
}

/// A state read back from where it was kept.
#[cfg(feature = "sqlite")]
pub(crate) struct Saved {
    /// The application key the state was created with.
    pub(crate) application_key: String,
    /// The key the tokens are signed with.
    pub(crate) signing_key: [u8; 16],
    /// What the API remembers.
    pub(crate) records: Records,
}

/// The error about the state kept in `path`.
#[cfg(feature = "sqlite")]
fn error(path: &Path, reason: impl std::fmt::Display) -> StateError {
    StateError::File {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}
