//! The state files of 0.3 (`menu mock serve --state FILE` rewrote one JSON snapshot after every
//! change), read once to be migrated into a database (`sqlite.rs`). Nothing writes them any more.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{Saved, error};
use crate::error::StateError;
use crate::outbox::Message;
use crate::records::{Customer, Passcode, Records};

/// The only format 0.3 wrote.
const FORMAT: u32 = 1;

/// What a 0.3 state file holds.
#[derive(Deserialize)]
struct Snapshot {
    format: u32,
    application_key: String,
    /// The key the tokens are signed with (hexadecimal, a UUID's simple form).
    signing_key: String,
    domain: Domain,
}

/// The records as 0.3 wrote them.
#[derive(Deserialize)]
struct Domain {
    application_keys: BTreeSet<String>,
    customers: HashMap<Uuid, Customer>,
    codes: HashMap<String, Passcode>,
    outbox: Vec<Message>,
    revoked: HashSet<String>,
    code_lifetime: Duration,
}

/// Whether `path`'s content is JSON (its first byte other than white space is `{`): a 0.3 state
/// file, or a corrupt one, but never a database.
pub(super) fn is_json(path: &Path) -> Result<bool, StateError> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|file| file.take(64).read_to_end(&mut head))
        .map_err(|e| error(path, format!("cannot read it: {e}")))?;
    Ok(head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// The state of the 0.3 file `path`. A file that is not one is an error.
pub(super) fn load(path: &Path) -> Result<Saved, StateError> {
    let text = std::fs::read(path).map_err(|e| error(path, format!("cannot read it: {e}")))?;
    let snapshot: Snapshot = serde_json::from_slice(&text)
        .map_err(|e| error(path, format!("it is not a mock state file ({e})")))?;
    if snapshot.format != FORMAT {
        return Err(error(
            path,
            format!(
                "it is not a mock state file (unknown format {})",
                snapshot.format
            ),
        ));
    }
    let signing_key = Uuid::parse_str(&snapshot.signing_key)
        .map_err(|_| error(path, "its signing key is not 32 hexadecimal digits"))?;
    let domain = snapshot.domain;
    let mut records = Records::new(&snapshot.application_key, domain.code_lifetime);
    records.application_keys = domain.application_keys;
    for customer in domain.customers.into_values() {
        records.insert_customer(customer);
    }
    for (email, code) in domain.codes {
        records.insert_code(email, code);
    }
    records.outbox.extend(domain.outbox);
    // 0.3 kept no deadline: the latest a token of the default lifetimes could still be used or
    // refreshed, counted from now.
    let deadline = chrono::Duration::from_std(
        crate::tokens::DEFAULT_REFRESH_TTL.max(crate::tokens::DEFAULT_TTL),
    )
    .ok()
    .and_then(|window| Utc::now().checked_add_signed(window))
    .unwrap_or(DateTime::<Utc>::MAX_UTC);
    for jti in domain.revoked {
        records.revoke(jti, deadline);
    }
    Ok(Saved {
        application_key: snapshot.application_key,
        signing_key: signing_key.into_bytes(),
        records,
    })
}
