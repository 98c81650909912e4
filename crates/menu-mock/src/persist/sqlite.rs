//! The state in an SQLite database ([`Sqlite`], cargo feature `sqlite`): one row per record
//! (the record itself as JSON, beside the columns the database indexes), each step's changes
//! written in one transaction, WAL with `synchronous=NORMAL` (a commit survives the process being
//! killed; a power loss may lose the last commits, never the database). The schema's version is
//! `PRAGMA user_version`. The database is private (mode 0600) and held by one process.
//!
//! [`open`] opens one, creates it, or migrates a 0.3 JSON state file into a new one.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, Transaction};
use uuid::Uuid;

use super::{Saved, Store, error, json03};
use crate::error::StateError;
use crate::records::{Change, Records};

mod rows;

use rows::{Row, SCHEMA, SCHEMA_VERSION, read};

/// The state's database, held open (and so locked) until dropped.
pub(crate) struct Sqlite {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What opening a file as the state's database found.
enum Found {
    /// The state's database (new, or made by a mock).
    Database(Sqlite),
    /// A file SQLite cannot read as a database (left as it was).
    NotADatabase,
}

/// The database `path` and the state it holds (`None`: a new database, to be filled with
/// [`Store::save_all`]). When `path` is a 0.3 JSON state file, its state is migrated into a new
/// database beside it (see [`migrate`]). [`Store::path`] tells which database it is.
pub(crate) fn open(path: &Path) -> Result<(Sqlite, Option<Saved>), StateError> {
    match Sqlite::connect(path)? {
        Found::Database(store) => {
            let saved = store.load()?;
            Ok((store, saved))
        }
        // Read only once SQLite has refused it: reading a database this process holds would
        // release its locks (closing any descriptor of a file drops the process's POSIX locks).
        Found::NotADatabase if json03::is_json(path)? => migrate(path),
        Found::NotADatabase => Err(error(
            path,
            "it is not a mock state file (nor any SQLite database)",
        )),
    }
}

/// Migrates the 0.3 JSON state file `json` into a new database beside it (`state.json` ->
/// `state.db`; any other name gets `.db` added), written whole in a temporary file and moved
/// into place, never over a file: an interrupted migration leaves no database. The JSON file is
/// left as it was. Given the same file again, it opens the database it was migrated into.
fn migrate(json: &Path) -> Result<(Sqlite, Option<Saved>), StateError> {
    let saved = json03::load(json)?;
    let database = migrated_name(json);
    let source = json
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if database.try_exists().unwrap_or(true) {
        if let Found::Database(store) = Sqlite::connect(&database)?
            && store.migrated_from()?.as_deref() == Some(source.as_str())
        {
            let saved = store.load()?;
            return Ok((store, saved));
        }
        return Err(error(
            json,
            format!(
                "it is a 0.3 JSON state file, to be migrated into {}, which exists and was not \
                 migrated from it: use `--state {}`, or move it away to migrate again",
                database.display(),
                database.display()
            ),
        ));
    }
    let dir = match database.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let failed = |e: std::io::Error| error(&database, format!("cannot create it: {e}"));
    // Mode 0600, as tempfile creates it; no descriptor kept open (see `open`).
    let temporary = tempfile::Builder::new()
        .prefix(".menu-mock-migration-")
        .tempfile_in(dir)
        .map_err(failed)?
        .into_temp_path();
    let Found::Database(store) = Sqlite::connect(&temporary)? else {
        return Err(error(&temporary, "SQLite cannot create it"));
    };
    store.save_all(&saved.records, &saved.application_key, saved.signing_key)?;
    let migrated_from = Row::Meta {
        key: MIGRATED_FROM,
        value: source.clone(),
    };
    store.write(|tx| migrated_from.write(tx))?;
    // Closed: its WAL is checkpointed into it, and removed.
    drop(store);
    temporary
        .persist_noclobber(&database)
        .map_err(|e| failed(e.error))?;
    match Sqlite::connect(&database)? {
        Found::Database(store) => {
            let saved = store.load()?;
            Ok((store, saved))
        }
        Found::NotADatabase => Err(error(&database, "SQLite cannot read it")),
    }
}

/// The `meta` key of the 0.3 file (its name) a database was migrated from.
const MIGRATED_FROM: &str = "migrated_from";

/// The database a 0.3 state file `path` is migrated into.
fn migrated_name(path: &Path) -> PathBuf {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        path.with_extension("db")
    } else {
        let mut name = path.as_os_str().to_owned();
        name.push(".db");
        PathBuf::from(name)
    }
}

/// `PRAGMA application_id` of the mock's databases ("MnMk"): a database of anything else is not
/// taken over.
const APPLICATION_ID: i64 = 0x4d6e_4d6b;

impl Sqlite {
    /// Opens `path` as the state's database: created with mode 0600 if it does not exist (it
    /// holds the signing key and the customers' data; SQLite gives its `-wal` file the same
    /// mode), held exclusively until closed (a second process is refused at once), checked to be
    /// a mock's (an empty database becomes one; another application's, or a newer schema, is
    /// refused), then in WAL mode with `synchronous=NORMAL`.
    fn connect(path: &Path) -> Result<Found, StateError> {
        create_private(path).map_err(|e| error(path, format!("cannot create it: {e}")))?;
        let connection =
            Connection::open(path).map_err(|e| error(path, format!("cannot open it: {e}")))?;
        let setup = |e: rusqlite::Error| error(path, format!("cannot set it up: {e}"));
        // Fail at once when another process holds it (rusqlite waits 5 s by default).
        connection.busy_timeout(Duration::ZERO).map_err(setup)?;
        // In exclusive locking mode the WAL's index lives in the process's memory (there is no
        // `-shm` file), and the write lock taken here is held for the connection's life.
        match connection.execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;") {
            Ok(()) => {}
            Err(e) => {
                return match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => Ok(Found::NotADatabase),
                    Some(
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked,
                    ) => Err(error(
                        path,
                        "another process uses it (another `menu mock serve --state` on the same \
                         file?)",
                    )),
                    _ => Err(setup(e)),
                };
            }
        }
        let number = |sql: &str| connection.query_row(sql, [], |row| row.get::<_, i64>(0));
        let read = |e| error(path, format!("cannot read it: {e}"));
        let id = number("PRAGMA application_id").map_err(read)?;
        let version = number("PRAGMA user_version").map_err(read)?;
        let tables = number("SELECT count(*) FROM sqlite_schema").map_err(read)?;
        match (id, version) {
            (0, 0) if tables == 0 => connection
                .execute_batch(&format!(
                    "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; \
                     PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| error(path, format!("cannot create its tables: {e}")))?,
            (APPLICATION_ID, SCHEMA_VERSION) => {}
            (APPLICATION_ID, newer) if newer > SCHEMA_VERSION => {
                return Err(error(
                    path,
                    format!(
                        "its schema version {newer} is newer than this mock's ({SCHEMA_VERSION}): \
                         use the `menu` that wrote it"
                    ),
                ));
            }
            _ => {
                return Err(error(
                    path,
                    "it is not a mock state file (an SQLite database of something else)",
                ));
            }
        }
        make_private(path).map_err(|e| error(path, format!("cannot make it private: {e}")))?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(setup)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(error(
                path,
                format!("SQLite cannot keep it in WAL mode ({mode})"),
            ));
        }
        connection
            .execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(setup)?;
        Ok(Found::Database(Self {
            path: path.to_owned(),
            connection: Mutex::new(connection),
        }))
    }

    /// The name of the 0.3 file the database was migrated from, if it was.
    fn migrated_from(&self) -> Result<Option<String>, StateError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rows::meta(&connection, MIGRATED_FROM)
            .map_err(|e| error(&self.path, format!("cannot read it: {e}")))
    }

    /// Runs `f` in one transaction, committed if it succeeds (else rolled back).
    fn write(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StateError> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let failed = |e: rusqlite::Error| error(&self.path, format!("cannot save a change: {e}"));
        let tx = connection.transaction().map_err(failed)?;
        f(&tx).map_err(failed)?;
        tx.commit().map_err(failed)
    }

    /// The state the database holds; `None` if it holds none yet (no signing key).
    fn load(&self) -> Result<Option<Saved>, StateError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        read(&connection)
            .map_err(|e| error(&self.path, format!("cannot read it: {e}")))?
            .map(|(application_key, signing_key, records)| {
                let signing_key = Uuid::parse_str(&signing_key).map_err(|_| {
                    error(&self.path, "its signing key is not 32 hexadecimal digits")
                })?;
                Ok(Saved {
                    application_key,
                    signing_key: signing_key.into_bytes(),
                    records,
                })
            })
            .transpose()
    }
}

impl Store for Sqlite {
    fn save_all(
        &self,
        records: &Records,
        application_key: &str,
        signing_key: [u8; 16],
    ) -> Result<(), StateError> {
        let rows = Row::all(records, application_key, signing_key)
            .map_err(|e| error(&self.path, format!("cannot save the state: {e}")))?;
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM meta; DELETE FROM application_keys; DELETE FROM customers; \
                 DELETE FROM codes; DELETE FROM outbox; DELETE FROM revoked;",
            )?;
            rows.iter().try_for_each(|row| row.write(tx))
        })
    }

    fn apply(&self, records: &Mutex<Records>, changes: &[Change]) -> Result<(), StateError> {
        let rows = {
            let records = records.lock().unwrap_or_else(PoisonError::into_inner);
            changes
                .iter()
                .map(|change| Row::of(&records, change))
                .collect::<rusqlite::Result<Vec<_>>>()
        }
        .map_err(|e| error(&self.path, format!("cannot save a change: {e}")))?;
        self.write(|tx| rows.iter().try_for_each(|row| row.write(tx)))
    }

    fn reload(&self) -> Result<Records, StateError> {
        match self.load()? {
            Some(saved) => Ok(saved.records),
            None => Err(error(&self.path, "it holds no state")),
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

/// Creates `path` empty with mode 0600, unless it exists.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes group and other access away from the database `path` and its WAL, if they have any
/// (a file made beforehand, or through a symbolic link that SQLite created): by path, so that
/// no descriptor of the database is opened and closed (see `open`).
fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        for file in [path.to_owned(), PathBuf::from(wal)] {
            if let Ok(metadata) = std::fs::metadata(&file)
                && metadata.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
impl Sqlite {
    /// Runs `sql` on the database (a test's way in, since the database is held exclusively).
    fn execute_batch(&self, sql: &str) {
        self.connection.lock().unwrap().execute_batch(sql).unwrap();
    }
}

/// A test keeps a handle on the store it gives the state.
#[cfg(test)]
impl Store for std::sync::Arc<Sqlite> {
    fn save_all(&self, records: &Records, key: &str, signing: [u8; 16]) -> Result<(), StateError> {
        (**self).save_all(records, key, signing)
    }
    fn apply(&self, records: &Mutex<Records>, changes: &[Change]) -> Result<(), StateError> {
        (**self).apply(records, changes)
    }
    fn reload(&self) -> Result<Records, StateError> {
        (**self).reload()
    }
    fn path(&self) -> &Path {
        (**self).path()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::outbox::Message;
    use crate::records::Customer;

    #[test]
    fn a_state_written_change_by_change_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let key = *Uuid::new_v4().as_bytes();
        let mut records = Records::new("app", Duration::from_secs(60));
        let (store, saved) = open(&path).unwrap();
        assert!(saved.is_none(), "a new database holds no state");
        store.save_all(&records, "app", key).unwrap();
        let (mut account, _) = crate::seed::customers().remove(0);
        account.email = "Ann@Example.com".into();
        let id = account.id;
        records.insert_customer(Customer::new(account));
        let deadline = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
        records.revoke("j1".into(), deadline);
        records.revoke("j2".into(), deadline);
        let message = |code: &str| Message {
            to: "ann@example.com".into(),
            kind: crate::outbox::MessageKind::SignUpCode,
            code: code.into(),
            sent_at: Utc::now(),
        };
        records.outbox.extend([message("1"), message("2")]);
        let changes = [
            Change::CustomerCreated(id),
            Change::TokenInvalidated("j1".into()),
            Change::TokenInvalidated("j2".into()),
            Change::MessageSent(message("1")),
            Change::MessageSent(message("2")),
        ];
        let records = Mutex::new(records);
        store.apply(&records, &changes).unwrap();
        let mut records = records.into_inner().unwrap();
        records.outbox.pop_front();
        let records = Mutex::new(records);
        store
            .apply(
                &records,
                &[
                    Change::MessagesDropped(1),
                    Change::RevocationDropped("j2".into()),
                ],
            )
            .unwrap();
        drop(store); // it holds the database until closed
        let (_store, saved) = open(&path).unwrap();
        let saved = saved.unwrap();
        assert_eq!(saved.signing_key, key);
        assert_eq!(saved.application_key, "app");
        let records = saved.records;
        assert_eq!(records.customer_with_email("ann@example.com"), Some(id));
        assert_eq!(records.revocation("j1"), Some(deadline));
        assert!(!records.is_revoked("j2"));
        assert_eq!(records.outbox.len(), 1);
        assert_eq!(records.outbox.front().unwrap().code, "2");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(open(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        drop(connection);
        let refused = open(&path).err().unwrap().to_string();
        assert!(refused.contains("newer"), "{refused}");
    }

    #[test]
    fn the_database_and_its_wal_are_private_and_held_by_one_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let (store, _) = open(&path).unwrap();
        let records = Records::new("app", Duration::from_secs(60));
        store.save_all(&records, "app", [7; 16]).unwrap();
        #[cfg(unix)]
        assert_private(dir.path());
        // Exclusive locking mode keeps the WAL's index in memory: no `-shm` file to protect.
        assert!(!dir.path().join("state.db-shm").exists());
        let refused = open(&path).err().unwrap().to_string();
        assert!(refused.contains("another process"), "{refused}");
        drop(store);
        assert!(open(&path).is_ok(), "free once closed");
    }

    #[test]
    fn a_database_of_something_else_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
        drop(other);
        let refused = open(&path).err().unwrap().to_string();
        assert!(refused.contains("something else"), "{refused}");
        let other = Connection::open(&path).unwrap();
        let mode: String = other
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "not switched to WAL");
        let tables: i64 = other
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "no table added");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_made_beforehand_becomes_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (store, _) = open(&path).unwrap();
        store
            .save_all(
                &Records::new("app", Duration::from_secs(60)),
                "app",
                [1; 16],
            )
            .unwrap();
        assert_private(dir.path());
    }

    /// The database `state.db` in `dir` and its WAL are mode 0600.
    #[cfg(unix)]
    fn assert_private(dir: &Path) {
        use std::os::unix::fs::PermissionsExt as _;
        for file in ["state.db", "state.db-wal"] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }

    #[tokio::test]
    async fn a_change_that_cannot_be_saved_answers_500_and_is_undone() {
        use crate::{MockServer, MockState};
        use menu_sdk::types::{EmailRequest, RegisterRequest};
        let dir = tempfile::tempdir().unwrap();
        let (store, saved) = open(&dir.path().join("state.db")).unwrap();
        let store = Arc::new(store);
        let state = MockState::kept_in(Box::new(store.clone()), saved).unwrap();
        let server = MockServer::bind("127.0.0.1:0".parse().unwrap(), state)
            .await
            .unwrap();
        let client = menu_sdk::Client::builder()
            .base_url(server.base_url())
            .application_key(server.application_key())
            .build()
            .unwrap();
        let email = "ann@example.com";
        client
            .passwordless_request(EmailRequest {
                email: email.into(),
            })
            .await
            .unwrap();
        let code = server
            .state()
            .last_code(email, crate::MessageKind::SignUpCode)
            .unwrap();
        let register = || {
            client.register(RegisterRequest {
                passwordless_email: email.into(),
                passwordless_code: code.as_str().into(),
                first_name: Some("Ann".into()),
                last_name: None,
            })
        };
        // The disk fails as the account is written.
        store.execute_batch(
            "CREATE TEMP TRIGGER fail BEFORE INSERT ON main.customers \
             BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;",
        );
        let failed = register().await.unwrap_err();
        assert_eq!(failed.status().map(|s| s.as_u16()), Some(500), "{failed}");
        assert!(failed.to_string().contains("could not save"), "{failed}");
        // As it was: no account, and the code not used up.
        assert!(server.state().customer_by_email(email).is_none());
        store.execute_batch("DROP TRIGGER temp.fail;");
        let session = register().await.unwrap();
        assert_eq!(session.customer_account.email, email);
        assert!(server.state().customer_by_email(email).is_some());
        // A commit that fails, and then the database cannot be read back either (a table of the
        // connection's own hides the state's `meta`): every request is refused from then on.
        store.execute_batch(
            "CREATE TEMP TRIGGER fail BEFORE INSERT ON main.codes \
             BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END; \
             CREATE TEMP TABLE meta (unrelated);",
        );
        let request = || {
            client.passwordless_request(EmailRequest {
                email: "bob@example.com".into(),
            })
        };
        for _ in 0..2 {
            let failed = request().await.unwrap_err();
            assert_eq!(failed.status().map(|s| s.as_u16()), Some(500), "{failed}");
            assert!(failed.to_string().contains("restart the mock"), "{failed}");
        }
        assert!(server.state().has_diverged().is_some());
    }
}
