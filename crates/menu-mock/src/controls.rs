//! What tests control and count, apart from the API's state: the answers a test set for an
//! operation ([`crate::MockState::respond`]), the requests each operation received
//! ([`crate::MockState::requests`]), and how many attempts of a request id asked for a fault
//! (`faults.rs`). Operations are named by their `operationId`, never special-cased.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;

use crate::error::StateError;

/// At most this many request ids are remembered for `Prefer: attempts=N`; when full, the
/// memory is emptied.
const REMEMBERED_REQUEST_IDS: usize = 16 * 1024;

#[derive(Default)]
struct Inner {
    /// Answers set by tests, by `operationId`.
    answers: HashMap<String, (StatusCode, serde_json::Value)>,
    /// Requests received, by `operationId`.
    requests: HashMap<&'static str, u64>,
    /// Requests that asked for a fault, by request id.
    attempts: HashMap<String, u32>,
}

/// The test controls of a mock.
#[derive(Default)]
pub(crate) struct Controls {
    inner: Mutex<Inner>,
}

impl Controls {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers every request of the operation `operation_id` with `status` and `body`; an
    /// operation the spec does not have, or a status outside 200 to 599, is an error.
    pub(crate) fn respond(
        &self,
        operation_id: &str,
        status: u16,
        body: serde_json::Value,
    ) -> Result<(), StateError> {
        let operation = menu_client::operations::find(operation_id)
            .ok_or_else(|| StateError::UnknownOperation(operation_id.to_owned()))?;
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| (200..600).contains(&s.as_u16()))
            .ok_or(StateError::InvalidStatus(status))?;
        self.lock()
            .answers
            .insert(operation.id.to_owned(), (status, body));
        Ok(())
    }

    pub(crate) fn clear_response(&self, operation_id: &str) {
        self.lock().answers.remove(operation_id);
    }

    /// The answer a test set for `operation_id`.
    pub(crate) fn answer_for(&self, operation_id: &str) -> Option<(StatusCode, serde_json::Value)> {
        self.lock().answers.get(operation_id).cloned()
    }

    /// How many requests of the operation `operation_id` arrived.
    pub(crate) fn requests(&self, operation_id: &str) -> u64 {
        self.lock().requests.get(operation_id).copied().unwrap_or(0)
    }

    pub(crate) fn count_request(&self, operation_id: &'static str) {
        *self.lock().requests.entry(operation_id).or_default() += 1;
    }

    /// Counts an attempt of `request_id` and returns its number (1 for the first).
    pub(crate) fn attempt(&self, request_id: &str) -> u32 {
        let mut inner = self.lock();
        if inner.attempts.len() >= REMEMBERED_REQUEST_IDS
            && !inner.attempts.contains_key(request_id)
        {
            inner.attempts.clear();
        }
        let count = inner.attempts.entry(request_id.to_owned()).or_default();
        *count = count.saturating_add(1);
        *count
    }
}
