//! The error of the mock's library API ([`crate::MockState`]): what a test asked for that the
//! state cannot do, or a state file that cannot be read or written.

use std::path::PathBuf;

use uuid::Uuid;

/// Something the state cannot do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No customer has this id.
    #[error("no customer {0}")]
    UnknownCustomer(Uuid),
    /// The spec has no operation with this `operationId`.
    #[error("the spec has no operation `{0}`")]
    UnknownOperation(String),
    /// Not a status an answer can have (200 to 599).
    #[error("{0} is not a status an answer can have (200 to 599)")]
    InvalidStatus(u16),
    /// A change could be neither saved to the state's database nor undone: the state in memory
    /// may differ from the database, so the mock makes no change (and its server answers every
    /// request with a 500) until it restarts from the database.
    #[error("the mock's state could be neither saved nor restored ({0}): restart the mock")]
    Diverged(String),
    /// The state file cannot be read or written.
    #[error("the mock's state file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}
