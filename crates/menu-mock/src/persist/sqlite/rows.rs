//! The tables of the state's database: the schema, and how each record is written to its row
//! (the record as JSON in `record`, beside the columns the database indexes) and read back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use crate::outbox::Message;
use crate::records::{Change, Customer, Records};

/// The schema this version writes.
pub(super) const SCHEMA_VERSION: i64 = 1;

/// Each table holds one kind of record; `record` is the record as JSON. Keyed tables are
/// `WITHOUT ROWID` (one b-tree, not a table and its key's index); the outbox's order is its rowid
/// (`seq`).
pub(super) const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE application_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    email_folded TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE codes (email TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE revoked (jti TEXT PRIMARY KEY, usable_until INTEGER NOT NULL) WITHOUT ROWID;
";

/// A record as the text of its row.
fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The value of `key` in the `meta` table.
pub(super) fn meta(connection: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    connection
        .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
}

/// The error of a database that holds something a mock never writes.
fn invalid(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("it holds {what}").into(),
    )
}

/// A record read back from the text of its row.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// One row to write or delete, its record already serialized: read from the records under
/// their lock, written to the database without it.
pub(super) enum Row {
    Meta {
        key: &'static str,
        value: String,
    },
    ApplicationKey(String),
    Customer {
        id: String,
        email: String,
        record: String,
    },
    NoCustomer(String),
    Code {
        email: String,
        record: Option<String>,
    },
    Message {
        recipient: String,
        record: String,
    },
    MessagesDropped(i64),
    Revoked {
        jti: String,
        until: i64,
    },
    NotRevoked(String),
}

impl Row {
    /// The row `change` names, as `records` have it now.
    pub(super) fn of(records: &Records, change: &Change) -> rusqlite::Result<Self> {
        Ok(match change {
            Change::ApplicationKeyAdded(key) => Self::ApplicationKey(key.clone()),
            Change::CustomerCreated(id) | Change::CustomerUpdated(id) => {
                match records.customer(id) {
                    Some(customer) => Self::customer(customer)?,
                    None => Self::NoCustomer(id.to_string()),
                }
            }
            Change::CustomerDeleted(id) => Self::NoCustomer(id.to_string()),
            Change::CodeIssued(email)
            | Change::CodeConsumed(email)
            | Change::CodeDiscarded(email) => Self::Code {
                email: email.clone(),
                record: records.code(email).map(json).transpose()?,
            },
            Change::MessageSent(message) => Self::message(message)?,
            Change::MessagesDropped(count) => {
                Self::MessagesDropped(i64::try_from(*count).unwrap_or(i64::MAX))
            }
            Change::TokenInvalidated(jti) => match records.revocation(jti) {
                Some(until) => Self::Revoked {
                    jti: jti.clone(),
                    until: until.timestamp(),
                },
                None => Self::NotRevoked(jti.clone()),
            },
            Change::RevocationDropped(jti) => Self::NotRevoked(jti.clone()),
            Change::CodeLifetimeSet(lifetime) => Self::code_lifetime(*lifetime),
        })
    }

    /// The rows of all of `records`, created with these keys.
    pub(super) fn all(
        records: &Records,
        application_key: &str,
        signing_key: [u8; 16],
    ) -> rusqlite::Result<Vec<Self>> {
        let mut rows = vec![
            Self::Meta {
                key: "application_key",
                value: application_key.to_owned(),
            },
            Self::Meta {
                key: "signing_key",
                value: Uuid::from_bytes(signing_key).simple().to_string(),
            },
            Self::code_lifetime(records.code_lifetime),
        ];
        rows.extend(
            records
                .application_keys
                .iter()
                .cloned()
                .map(Self::ApplicationKey),
        );
        for customer in records.customers() {
            rows.push(Self::customer(customer)?);
        }
        for (email, code) in records.codes() {
            rows.push(Self::Code {
                email: email.clone(),
                record: Some(json(code)?),
            });
        }
        for message in records.outbox.iter() {
            rows.push(Self::message(message)?);
        }
        rows.extend(records.revocations().map(|(jti, until)| Self::Revoked {
            jti: jti.clone(),
            until: until.timestamp(),
        }));
        Ok(rows)
    }

    fn customer(customer: &Customer) -> rusqlite::Result<Self> {
        Ok(Self::Customer {
            id: customer.account.id.to_string(),
            email: customer.account.email.to_ascii_lowercase(),
            record: json(customer)?,
        })
    }

    fn message(message: &Message) -> rusqlite::Result<Self> {
        Ok(Self::Message {
            recipient: message.to.clone(),
            record: json(message)?,
        })
    }

    fn code_lifetime(lifetime: Duration) -> Self {
        Self::Meta {
            key: "code_lifetime_ms",
            value: u64::try_from(lifetime.as_millis())
                .unwrap_or(u64::MAX)
                .to_string(),
        }
    }

    /// Writes (or deletes) the row.
    pub(super) fn write(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let sql = |sql: &str| tx.prepare_cached(sql);
        match self {
            Self::Meta { key, value } => {
                sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
                    .execute(params![key, value])?
            }
            Self::ApplicationKey(key) => {
                sql("INSERT OR IGNORE INTO application_keys (key) VALUES (?1)")?
                    .execute(params![key])?
            }
            // Not `OR REPLACE`: an email another customer's row has is an error (the records
            // never make one), not that row deleted.
            Self::Customer { id, email, record } => sql(
                "INSERT INTO customers (id, email_folded, record) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET email_folded = excluded.email_folded, \
                 record = excluded.record",
            )?
            .execute(params![id, email, record])?,
            Self::NoCustomer(id) => {
                sql("DELETE FROM customers WHERE id = ?1")?.execute(params![id])?
            }
            Self::Code {
                email,
                record: Some(record),
            } => sql("INSERT OR REPLACE INTO codes (email, record) VALUES (?1, ?2)")?
                .execute(params![email, record])?,
            Self::Code {
                email,
                record: None,
            } => sql("DELETE FROM codes WHERE email = ?1")?.execute(params![email])?,
            Self::Message { recipient, record } => {
                sql("INSERT INTO outbox (recipient, record) VALUES (?1, ?2)")?
                    .execute(params![recipient, record])?
            }
            Self::MessagesDropped(count) => sql(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?1)",
            )?
            .execute(params![count])?,
            Self::Revoked { jti, until } => {
                sql("INSERT OR REPLACE INTO revoked (jti, usable_until) VALUES (?1, ?2)")?
                    .execute(params![jti, until])?
            }
            Self::NotRevoked(jti) => {
                sql("DELETE FROM revoked WHERE jti = ?1")?.execute(params![jti])?
            }
        };
        Ok(())
    }
}

/// The application key, the signing key and the records the database holds; `None` if it holds
/// no state yet.
pub(super) fn read(connection: &Connection) -> rusqlite::Result<Option<(String, String, Records)>> {
    let Some(signing_key) = meta(connection, "signing_key")? else {
        return Ok(None);
    };
    let application_key =
        meta(connection, "application_key")?.ok_or_else(|| invalid("no application key"))?;
    let lifetime = match meta(connection, "code_lifetime_ms")? {
        Some(ms) => Duration::from_millis(
            ms.parse()
                .map_err(|_| invalid("a code lifetime that is not a number of milliseconds"))?,
        ),
        None => crate::codes::DEFAULT_CODE_LIFETIME,
    };
    let mut records = Records::new(&application_key, lifetime);
    let rows = |sql: &str| -> rusqlite::Result<Vec<(String, String)>> {
        let mut statement = connection.prepare(sql)?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    };
    for (key, _) in rows("SELECT key, key FROM application_keys")? {
        records.application_keys.insert(key);
    }
    for (_, text) in rows("SELECT id, record FROM customers")? {
        records.insert_customer(parse(&text)?);
    }
    for (email, text) in rows("SELECT email, record FROM codes")? {
        records.insert_code(email, parse(&text)?);
    }
    for (_, text) in rows("SELECT recipient, record FROM outbox ORDER BY seq")? {
        records.outbox.push_back(parse(&text)?);
    }
    let mut statement = connection.prepare("SELECT jti, usable_until FROM revoked")?;
    let revoked = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in revoked {
        let (jti, deadline) = row?;
        records.revoke(
            jti,
            DateTime::from_timestamp(deadline, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
    }
    Ok(Some((application_key, signing_key, records)))
}
