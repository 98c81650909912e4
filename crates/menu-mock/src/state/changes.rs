//! How the state changes: one step of the domain at a time under the records' lock, pruned, and
//! committed to the store before the step ends (undone if it cannot be); and the state opened
//! from its database.

use std::path::Path;

#[cfg(feature = "sqlite")]
use super::{DEFAULT_APPLICATION_KEY, new_signing_key};
use super::{MockState, Notice, StateError};
use crate::domain::Step;
use crate::persist::Store;
use crate::records::Change;

impl MockState {
    /// The state kept in the SQLite database `path`, which every change is saved to from then on,
    /// before the call or the request that made it returns (cargo feature `sqlite`). A new
    /// database is created (mode 0600) with the state of [`MockState::seeded`]. A 0.3 JSON state
    /// file is migrated into a new database beside it (`state.json` -> `state.db`), and left as
    /// it was; [`MockState::state_file`] tells which database is used.
    ///
    /// The database is held until the state is dropped: another process that opens it is
    /// refused. A file that is neither a database nor a state file, or a database written by a
    /// newer mock, is an error (never an empty state).
    #[cfg(feature = "sqlite")]
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let (store, saved) = crate::persist::sqlite::open(path.as_ref())?;
        Self::kept_in(Box::new(store), saved)
    }

    /// The state `store` holds (`saved`), or a new seeded state saved to it, kept there from now
    /// on.
    #[cfg(feature = "sqlite")]
    pub(crate) fn kept_in(
        store: Box<dyn Store>,
        saved: Option<crate::persist::Saved>,
    ) -> Result<Self, StateError> {
        let mut state = match saved {
            Some(saved) => Self::with(saved.signing_key, saved.application_key, saved.records),
            None => {
                let signing_key = new_signing_key();
                let key = DEFAULT_APPLICATION_KEY;
                let state = Self::with(signing_key, key.to_owned(), Self::records(key)).seed();
                store.save_all(&state.lock(), key, signing_key)?;
                state
            }
        };
        state.store = Some(store);
        Ok(state)
    }

    /// The database the state is kept in (`MockState::open`, cargo feature `sqlite`), if any.
    pub fn state_file(&self) -> Option<&Path> {
        self.store.as_deref().map(Store::path)
    }

    /// Runs `f` with exclusive access to the records (one consistent step of a request), prunes
    /// what the retention no longer keeps if it changed anything, and makes its changes durable
    /// before releasing the records. If they cannot be, the records are read back from the store
    /// (the step is undone) and the error returned. The messages it sent are then noticed.
    ///
    /// With a store, this blocks on the database: the server calls it off its async workers.
    pub(crate) fn step<R>(&self, f: impl FnOnce(&mut Step<'_>) -> R) -> Result<R, StateError> {
        let mut records = self.lock();
        if let Some(reason) = self.diverged.get() {
            return Err(self.diverged_error(reason));
        }
        let mut step = Step::new(&mut records);
        let result = f(&mut step);
        let changes = step.into_changes(&self.retention);
        if changes.is_empty() {
            return Ok(result);
        }
        if let Some(store) = &self.store
            && let Err(error) = store.apply(&records, &changes)
        {
            match store.reload() {
                Ok(saved) => *records = saved,
                Err(reload) => {
                    let reason = format!("{error}; and then {reload}");
                    let _ = self.diverged.set(reason.clone());
                    return Err(self.diverged_error(&reason));
                }
            }
            return Err(error);
        }
        drop(records);
        for change in changes {
            if let Change::MessageSent(message) = change {
                self.notify(&Notice::Sent(message));
            }
        }
        Ok(result)
    }

    /// The error of every step once the records may differ from the store.
    fn diverged_error(&self, reason: &str) -> StateError {
        StateError::File {
            path: self.state_file().map(Path::to_owned).unwrap_or_default(),
            reason: format!(
                "a change could be neither saved nor undone ({reason}): no change is made until \
                 the mock restarts"
            ),
        }
    }

    /// A [`MockState::step`] the library asked for with no result to carry an error: a change
    /// that cannot be saved is a [`Notice::NotSaved`] (and undone).
    pub(super) fn change(&self, f: impl FnOnce(&mut Step<'_>)) {
        if let Err(error) = self.step(f) {
            self.notify(&Notice::NotSaved(error.to_string()));
        }
    }

    /// Whether changes are saved to a database (and so block: see [`MockState::step`]).
    pub(crate) fn is_durable(&self) -> bool {
        self.store.is_some()
    }
}
