//! The state in an SQLite database ([`Sqlite`], cargo feature `sqlite`): one row per record, each
//! step's changes written in one transaction, WAL with `synchronous=NORMAL` (a commit survives
//! the process being killed). The schema's version is `PRAGMA user_version`.
//!
//! Work in progress (issue 28): not yet wired to `MockState`; see the plan.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};
use uuid::Uuid;

use super::{Saved, Store};
use crate::error::StateError;
use crate::records::{Change, Records};

/// The schema this version writes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE application_keys (key TEXT PRIMARY KEY);
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    email_folded TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE codes (email TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX outbox_recipient ON outbox (recipient);
CREATE TABLE revoked (jti TEXT PRIMARY KEY);
";

/// The state's database.
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

impl Sqlite {
    /// Opens (or creates) the database `path` for a state with these keys.
    pub(crate) fn open(
        path: &Path,
        application_key: &str,
        signing_key: [u8; 16],
    ) -> Result<Self, StateError> {
        let connection = connect(path)?;
        let store = Self {
            path: path.to_owned(),
            connection: Mutex::new(connection),
        };
        store.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('application_key', ?1)",
                params![application_key],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('signing_key', ?1)",
                params![Uuid::from_bytes(signing_key).simple().to_string()],
            )?;
            Ok(())
        })?;
        Ok(store)
    }

    fn error(&self, reason: impl std::fmt::Display) -> StateError {
        StateError::File {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    /// Runs `f` in one transaction, committed if it succeeds.
    fn write(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StateError> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tx = connection.transaction().map_err(|e| self.error(e))?;
        f(&tx).map_err(|e| self.error(e))?;
        tx.commit().map_err(|e| self.error(e))
    }
}

/// Opens `path` with the pragmas the store relies on, and the schema at its version (a newer
/// one is refused). A new database is created with mode 0600 (it holds the signing key and the
/// customers' data; SQLite gives its `-wal` file the same mode). The connection holds the
/// database exclusively until it is closed: a second process is refused.
fn connect(path: &Path) -> Result<Connection, StateError> {
    let error = |reason: String| StateError::File {
        path: path.to_owned(),
        reason,
    };
    create_private(path).map_err(|e| error(format!("cannot create it: {e}")))?;
    let connection = Connection::open(path).map_err(|e| error(format!("cannot open it: {e}")))?;
    // Fail at once when another process holds it (rusqlite waits 5 s by default).
    connection
        .busy_timeout(Duration::ZERO)
        .map_err(|e| error(format!("cannot set it up: {e}")))?;
    let locked = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => error(
            "another process uses it (another `menu mock serve --state` on the same file?)".into(),
        ),
        _ => error(format!("cannot set it up: {e}")),
    };
    connection
        .execute_batch(
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; \
             PRAGMA synchronous=NORMAL; BEGIN EXCLUSIVE; COMMIT;",
        )
        .map_err(locked)?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| error(format!("cannot read its version: {e}")))?;
    match version {
        0 => connection
            .execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(|e| error(format!("cannot create its tables: {e}")))?,
        SCHEMA_VERSION => {}
        newer => {
            return Err(error(format!(
                "its schema version {newer} is newer than this mock's ({SCHEMA_VERSION}): use \
                 the `menu` that wrote it"
            )));
        }
    }
    Ok(connection)
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

/// A record as the text of its row.
fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Store for Sqlite {
    fn save_all(&self, records: &Mutex<Records>) -> Result<(), StateError> {
        let records = records.lock().unwrap_or_else(PoisonError::into_inner);
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM application_keys; DELETE FROM customers; DELETE FROM codes; \
                 DELETE FROM outbox; DELETE FROM revoked;",
            )?;
            for key in &records.application_keys {
                tx.execute(
                    "INSERT INTO application_keys (key) VALUES (?1)",
                    params![key],
                )?;
            }
            for customer in records.customers() {
                upsert_customer(tx, customer)?;
            }
            for (email, code) in &records.codes {
                tx.execute(
                    "INSERT INTO codes (email, record) VALUES (?1, ?2)",
                    params![email, json(code)?],
                )?;
            }
            for message in &records.outbox {
                insert_message(tx, message)?;
            }
            for jti in &records.revoked {
                tx.execute("INSERT INTO revoked (jti) VALUES (?1)", params![jti])?;
            }
            set_code_lifetime(tx, records.code_lifetime)
        })
    }

    fn apply(&self, records: &Mutex<Records>, changes: &[Change]) -> Result<(), StateError> {
        let records = records.lock().unwrap_or_else(PoisonError::into_inner);
        self.write(|tx| {
            for change in changes {
                match change {
                    Change::ApplicationKeyAdded(key) => {
                        tx.execute(
                            "INSERT OR IGNORE INTO application_keys (key) VALUES (?1)",
                            params![key],
                        )?;
                    }
                    Change::CustomerCreated(id) | Change::CustomerUpdated(id) => {
                        match records.customer(id) {
                            Some(customer) => upsert_customer(tx, customer)?,
                            None => delete_customer(tx, id)?,
                        }
                    }
                    Change::CustomerDeleted(id) => delete_customer(tx, id)?,
                    Change::CodeIssued(email)
                    | Change::CodeConsumed(email)
                    | Change::CodeDiscarded(email) => match records.codes.get(email) {
                        Some(code) => {
                            tx.execute(
                                "INSERT OR REPLACE INTO codes (email, record) VALUES (?1, ?2)",
                                params![email, json(code)?],
                            )?;
                        }
                        None => {
                            tx.execute("DELETE FROM codes WHERE email = ?1", params![email])?;
                        }
                    },
                    Change::MessageSent(message) => insert_message(tx, message)?,
                    Change::TokenInvalidated(jti) => {
                        tx.execute(
                            "INSERT OR IGNORE INTO revoked (jti) VALUES (?1)",
                            params![jti],
                        )?;
                    }
                    Change::CodeLifetimeSet(lifetime) => set_code_lifetime(tx, *lifetime)?,
                }
            }
            Ok(())
        })
    }
}

fn upsert_customer(
    tx: &rusqlite::Transaction<'_>,
    customer: &crate::records::Customer,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO customers (id, email_folded, record) VALUES (?1, ?2, ?3)",
        params![
            customer.account.id.to_string(),
            customer.account.email.to_ascii_lowercase(),
            json(customer)?
        ],
    )?;
    Ok(())
}

fn delete_customer(tx: &rusqlite::Transaction<'_>, id: &Uuid) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM customers WHERE id = ?1",
        params![id.to_string()],
    )?;
    Ok(())
}

fn insert_message(
    tx: &rusqlite::Transaction<'_>,
    message: &crate::outbox::Message,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO outbox (recipient, record) VALUES (?1, ?2)",
        params![message.to, json(message)?],
    )?;
    Ok(())
}

fn set_code_lifetime(tx: &rusqlite::Transaction<'_>, lifetime: Duration) -> rusqlite::Result<()> {
    let millis = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('code_lifetime_ms', ?1)",
        params![millis.to_string()],
    )?;
    Ok(())
}

/// A record read back from the text of its row.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// The state saved in the database `path`.
pub(crate) fn load(path: &Path) -> Result<Saved, StateError> {
    let error = |reason: String| StateError::File {
        path: path.to_owned(),
        reason,
    };
    let connection = connect(path)?;
    let read = || -> rusqlite::Result<Saved> {
        let meta = |key: &str| -> rusqlite::Result<Option<String>> {
            connection
                .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()
        };
        let application_key = meta("application_key")?.unwrap_or_default();
        let signing_key = meta("signing_key")?.unwrap_or_default();
        let lifetime = meta("code_lifetime_ms")?
            .and_then(|ms| ms.parse::<u64>().ok())
            .map_or(crate::codes::DEFAULT_CODE_LIFETIME, Duration::from_millis);
        let mut records = Records::new(&application_key, lifetime);
        let texts = |sql: &str| -> rusqlite::Result<Vec<String>> {
            let mut statement = connection.prepare(sql)?;
            let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        for key in texts("SELECT key FROM application_keys")? {
            records.application_keys.insert(key);
        }
        for text in texts("SELECT record FROM customers")? {
            records.insert_customer(parse(&text)?);
        }
        let mut statement = connection.prepare("SELECT email, record FROM codes")?;
        let codes =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for code in codes {
            let (email, text) = code?;
            records.codes.insert(email, parse(&text)?);
        }
        for text in texts("SELECT record FROM outbox ORDER BY seq")? {
            records.outbox.push(parse(&text)?);
        }
        for jti in texts("SELECT jti FROM revoked")? {
            records.revoked.insert(jti);
        }
        Ok(Saved {
            application_key,
            signing_key: Uuid::parse_str(&signing_key)
                .map(Uuid::into_bytes)
                .unwrap_or_default(),
            records,
        })
    };
    read().map_err(|e| error(format!("cannot read it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_written_change_by_change_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let key = *Uuid::new_v4().as_bytes();
        let records = Mutex::new(Records::new("app", Duration::from_secs(60)));
        let store = Sqlite::open(&path, "app", key).unwrap();
        store.save_all(&records).unwrap();
        let (mut account, _) = crate::seed::customers().remove(0);
        account.email = "Ann@Example.com".into();
        let id = account.id;
        records
            .lock()
            .unwrap()
            .insert_customer(crate::records::Customer::new(account));
        store
            .apply(
                &records,
                &[
                    Change::CustomerCreated(id),
                    Change::TokenInvalidated("j1".into()),
                ],
            )
            .unwrap();
        drop(store); // it holds the database until closed
        let saved = load(&path).unwrap();
        assert_eq!(saved.signing_key, key);
        assert_eq!(
            saved.records.customer_with_email("ann@example.com"),
            Some(id)
        );
        assert!(saved.records.revoked.contains("j1"));
        // A newer schema is refused.
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        drop(connection);
        let refused = load(&path).err().unwrap().to_string();
        assert!(refused.contains("newer"), "{refused}");
    }

    #[test]
    fn the_database_and_its_wal_are_private_and_held_by_one_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Sqlite::open(&path, "app", [7; 16]).unwrap();
        let records = Mutex::new(Records::new("app", Duration::from_secs(60)));
        store.save_all(&records).unwrap();
        #[cfg(unix)]
        for file in ["state.db", "state.db-wal"] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let refused = Sqlite::open(&path, "app", [7; 16])
            .err()
            .unwrap()
            .to_string();
        assert!(refused.contains("another process"), "{refused}");
        drop(store);
        assert!(
            Sqlite::open(&path, "app", [7; 16]).is_ok(),
            "free once closed"
        );
    }
}
