//! How the state changes: one step of the domain at a time under the records' lock, pruned, and
//! committed to the store before the step ends (undone if it cannot be); and the state opened
//! from its database.

#[cfg(feature = "sqlite")]
use super::{DEFAULT_APPLICATION_KEY, new_signing_key};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::Path;
use std::sync::PoisonError;

use super::{MockState, Notice, StateError};
use crate::domain::Step;
use crate::persist::Store;
use crate::records::Change;

/// Why a step with a store is undone.
enum Undo {
    /// Its changes could not be saved.
    NotSaved(StateError),
    /// It panicked (or saving it did): the panic goes on once the step is undone.
    Panicked(Box<dyn std::any::Any + Send>),
}

impl MockState {
    /// The state kept in the SQLite database `path`, which every change is saved to from then on,
    /// before the call or the request that made it returns (cargo feature `sqlite`). A new
    /// database is created (mode 0600) with the state of [`MockState::seeded`]. A 0.3 JSON state
    /// file is migrated into a new database beside it (`state.json` -> `state.db`), and left as
    /// it was; [`MockState::state_file`] tells which database is used.
    ///
    /// The database is held until the state is dropped: another process that opens it is
    /// refused. The library's calls that change the state (such as [`MockState::add_customer`])
    /// then block on the database, and wait for the commits of the changes before them: call
    /// them off the async workers where that matters. A file that is neither a database nor a state file, or a database written by a
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
    /// before it returns. If they cannot be (or the step panics), the records are read back from
    /// the store: the step is undone, a [`Notice::NotSaved`] says why, and the error is
    /// returned. The messages it sent are then noticed.
    ///
    /// With a store, one step at a time runs to its commit, and it blocks on the database: the
    /// server calls it off its async workers. The records' lock is held only while the step runs
    /// in memory, so reads go on while the database writes (and may see a change that is then
    /// undone, if its commit fails). Notices are sent once no lock is held.
    pub(crate) fn step<R>(&self, f: impl FnOnce(&mut Step<'_>) -> R) -> Result<R, StateError> {
        let Some(store) = &self.store else {
            // In memory only: nothing to commit, nor to undo from.
            let mut records = self.lock();
            let mut step = Step::new(&mut records);
            let result = f(&mut step);
            let changes = step.into_changes(&self.retention);
            drop(records);
            self.notify_sent(changes);
            return Ok(result);
        };
        let writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(reason) = self.diverged.get() {
            return Err(StateError::Diverged(reason.clone()));
        }
        let mut records = self.lock();
        let stepped = catch_unwind(AssertUnwindSafe(|| {
            let mut step = Step::new(&mut records);
            let result = f(&mut step);
            (result, step.into_changes(&self.retention))
        }));
        // What to undo, with the records locked again (a panicked step's never released).
        let (undo, mut records) = match stepped {
            Err(panic) => (Undo::Panicked(panic), records),
            Ok((result, changes)) => {
                drop(records);
                let applied = if changes.is_empty() {
                    Ok(Ok(()))
                } else {
                    catch_unwind(AssertUnwindSafe(|| store.apply(&self.records, &changes)))
                };
                match applied {
                    Ok(Ok(())) => {
                        drop(writing);
                        self.notify_sent(changes);
                        return Ok(result);
                    }
                    Ok(Err(error)) => (Undo::NotSaved(error), self.lock()),
                    Err(panic) => (Undo::Panicked(panic), self.lock()),
                }
            }
        };
        let why = match &undo {
            Undo::NotSaved(error) => error.to_string(),
            Undo::Panicked(_) => "a change panicked".to_owned(),
        };
        let diverged = match store.reload() {
            Ok(saved) => {
                *records = saved;
                None
            }
            Err(reload) => {
                let reason = format!("{why}; and then {reload}");
                let _ = self.diverged.set(reason.clone());
                Some(reason)
            }
        };
        drop(records);
        drop(writing);
        self.notify(&Notice::NotSaved(diverged.clone().unwrap_or(why)));
        match (undo, diverged) {
            (Undo::Panicked(panic), _) => resume_unwind(panic),
            (Undo::NotSaved(_), Some(reason)) => Err(StateError::Diverged(reason)),
            (Undo::NotSaved(error), None) => Err(error),
        }
    }

    /// Tells of each message among `changes`.
    fn notify_sent(&self, changes: Vec<Change>) {
        for change in changes {
            if let Change::MessageSent(message) = change {
                self.notify(&Notice::Sent(message));
            }
        }
    }

    /// Whether a change could be neither saved nor undone: the records may differ from the store,
    /// and the server answers every request with a 500 until it restarts.
    pub(crate) fn has_diverged(&self) -> Option<StateError> {
        self.diverged.get().cloned().map(StateError::Diverged)
    }

    /// A [`MockState::step`] the library asked for with no result to carry an error: a change
    /// that cannot be saved is undone, and told as a [`Notice::NotSaved`].
    pub(super) fn change(&self, f: impl FnOnce(&mut Step<'_>)) {
        let _ = self.step(f);
    }

    /// Whether changes are saved to a database (and so block: see [`MockState::step`]).
    pub(crate) fn is_durable(&self) -> bool {
        self.store.is_some()
    }
}
