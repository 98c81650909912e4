//! The tables of the state's database: the schema, and how each record is written to its row
//! (the record as JSON in `record`, beside the columns the database indexes) and read back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use crate::outbox::Message;
use crate::records::{Customer, Records};

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

pub(super) fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

pub(super) fn set_code_lifetime(tx: &Transaction<'_>, lifetime: Duration) -> rusqlite::Result<()> {
    let millis = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
    set_meta(tx, "code_lifetime_ms", &millis.to_string())
}

pub(super) fn add_application_key(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO application_keys (key) VALUES (?1)")?
        .execute(params![key])?;
    Ok(())
}

pub(super) fn upsert_customer(tx: &Transaction<'_>, customer: &Customer) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO customers (id, email_folded, record) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        customer.account.id.to_string(),
        customer.account.email.to_ascii_lowercase(),
        json(customer)?
    ])?;
    Ok(())
}

pub(super) fn delete_customer(tx: &Transaction<'_>, id: &Uuid) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM customers WHERE id = ?1")?
        .execute(params![id.to_string()])?;
    Ok(())
}

/// Writes the code of `email` as `records` have it, or deletes it.
pub(super) fn write_code(
    tx: &Transaction<'_>,
    records: &Records,
    email: &str,
) -> rusqlite::Result<()> {
    match records.code(email) {
        Some(code) => tx
            .prepare_cached("INSERT OR REPLACE INTO codes (email, record) VALUES (?1, ?2)")?
            .execute(params![email, json(code)?])?,
        None => tx
            .prepare_cached("DELETE FROM codes WHERE email = ?1")?
            .execute(params![email])?,
    };
    Ok(())
}

pub(super) fn insert_message(tx: &Transaction<'_>, message: &Message) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO outbox (recipient, record) VALUES (?1, ?2)")?
        .execute(params![message.to, json(message)?])?;
    Ok(())
}

pub(super) fn revoke(
    tx: &Transaction<'_>,
    jti: &str,
    deadline: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO revoked (jti, usable_until) VALUES (?1, ?2)")?
        .execute(params![jti, deadline.timestamp()])?;
    Ok(())
}

pub(super) fn forget_revocation(tx: &Transaction<'_>, jti: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM revoked WHERE jti = ?1")?
        .execute(params![jti])?;
    Ok(())
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
