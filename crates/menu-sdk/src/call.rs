//! One call's options ([`Call`]: request id, timeout, retry policy, extra headers), set before
//! it is sent; `pipeline.rs` sends it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use menu_client::operation::Operation;
use uuid::Uuid;

use crate::error::Error;
use crate::exchange::Sending;
use crate::headers::{self, Extra};
use crate::retry::RetryPolicy;
use crate::shared::Shared;

/// One call's options: `client.call().request_id(id).timeout(t).refresh()`. Obtained from
/// [`crate::Client::call`] or [`crate::Client::with_request_id`]; every operation's method is on
/// it as on the client.
#[derive(Clone)]
#[must_use]
pub struct Call<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    request_id: Option<Uuid>,
    options: Options,
}

/// What a call may set instead of its client's configuration.
#[derive(Clone, Default)]
struct Options {
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    /// The call's extra headers (checked), added to the client's.
    headers: Vec<Extra>,
    /// What is wrong with the first invalid extra header: the call fails with it, and sends
    /// nothing.
    invalid: Option<String>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(shared: &'a Arc<Shared>) -> Self {
        Self {
            shared,
            request_id: None,
            options: Options::default(),
        }
    }

    /// Sends this call with `request_id` as its `X-Request-ID` instead of a fresh one.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// The whole-request timeout of this call (each attempt), instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// How this call's failed attempts are retried, instead of the client's policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Sends an extra header with this call (after the client's extra headers, replacing one of
    /// the same name). It may not be one of the headers the SDK manages (`X-Request-ID`,
    /// `Application`, `API-Version`, `X-QB-Enabled`, `Accept`, `Content-Type`, `User-Agent`,
    /// `Authorization`); an invalid one makes the call fail with [`Error::InvalidArgument`] before
    /// anything is sent. An operation's own header parameter, when the call sets it, wins.
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.extra(name.as_ref(), value.as_ref(), false)
    }

    /// Like [`Call::header`], for a secret value (`DLC-Authorization`, say): it is marked
    /// sensitive and never appears in `Debug` output, errors or tracing.
    pub fn sensitive_header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.extra(name.as_ref(), value.as_ref(), true)
    }

    fn extra(mut self, name: &str, value: &str, sensitive: bool) -> Self {
        match headers::extra(name, value, sensitive) {
            Ok(extra) => {
                self.options.headers.retain(|h| h.name != extra.name);
                self.options.headers.push(extra);
            }
            Err(error) => {
                let message = match error {
                    Error::InvalidConfig { message } => message,
                    other => other.to_string(),
                };
                self.options.invalid.get_or_insert(message);
            }
        }
        self
    }

    /// What the call of `operation` sends every exchange with, its request id fixed (the
    /// caller's, or a fresh UUID v4, taken once per call); an error for the first invalid extra
    /// header instead, if any (nothing is sent then).
    pub(crate) fn sending(&self, operation: &Operation) -> Result<Sending, Error> {
        if let Some(message) = &self.options.invalid {
            return Err(Error::InvalidArgument {
                operation: operation.id,
                message: message.clone(),
            });
        }
        Ok(Sending {
            request_id: self.request_id.unwrap_or_else(Uuid::new_v4),
            timeout: self.options.timeout,
            retry: self.options.retry.clone(),
            headers: self.options.headers.clone(),
        })
    }
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be secrets: the names only.
        let names: Vec<&str> = self
            .options
            .headers
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .field("timeout", &self.options.timeout)
            .field("retry", &self.options.retry)
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}
