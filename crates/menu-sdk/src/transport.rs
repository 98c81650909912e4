//! The SDK's [`menu_client::Transport`]: the one place where a finished request is sent and its
//! response read. It
//! - adds the headers the spec cannot express (`Content-Type: application/json` on every call,
//!   including the body-less `GET`, and `User-Agent`) without duplicating any, and marks the
//!   `Application` key sensitive;
//! - applies the whole-request timeout to every request (also with a caller-supplied HTTP client);
//! - retries what [`crate::retry`] says is retryable, re-sending the very same request (so every
//!   attempt carries the call's `X-Request-ID`), and counts the attempts;
//! - reads the body up to the configured limit, so a hostile server cannot exhaust memory;
//! - keeps the status and raw body of the call ([`Captured`]), so that errors can show the body
//!   whatever its shape, and hands the generated code an identical, already-buffered response.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use menu_client::hooks::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{ResponseBuilderExt as _, StatusCode};

use crate::config::Config;
use crate::retry::{retry_after, retryable_status};

/// The status and body of the last response a call received.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub(crate) status: StatusCode,
    /// The body as read; empty when it was over the limit.
    pub(crate) body: Bytes,
    /// Whether the body was larger than the limit (reading stopped there).
    pub(crate) too_large: bool,
}

/// Sends the requests of one call (or, without a capture slot, of the raw generated client).
pub(crate) struct SdkTransport {
    config: Arc<Config>,
    captured: Option<Mutex<Option<Captured>>>,
    attempts: AtomicU32,
}

impl SdkTransport {
    /// A transport for one call, keeping what the response was.
    pub(crate) fn for_call(config: Arc<Config>) -> Self {
        Self {
            config,
            captured: Some(Mutex::new(None)),
            attempts: AtomicU32::new(0),
        }
    }

    /// A transport that keeps nothing (for [`crate::Client::generated`]).
    pub(crate) fn shared(config: Arc<Config>) -> Self {
        Self {
            config,
            captured: None,
            attempts: AtomicU32::new(0),
        }
    }

    /// How many attempts the call made (requests handed to the HTTP client).
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// What the call's last response was.
    pub(crate) fn take_captured(&self) -> Option<Captured> {
        self.captured
            .as_ref()?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let headers = request.headers_mut();
        let user_agent = &self.config.user_agent;
        if user_agent.explicit {
            headers.insert(USER_AGENT, user_agent.value.clone());
        } else {
            headers
                .entry(USER_AGENT)
                .or_insert_with(|| user_agent.value.clone());
        }
        headers
            .entry(CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("application/json"));
        // The application key is a secret: keep it out of anything that prints headers.
        if let Some(key) = headers.get_mut(HeaderName::from_static("application")) {
            key.set_sensitive(true);
        }
        *request.timeout_mut() = Some(self.config.timeout);
        crate::timer_anchor::hold();

        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            self.attempts.store(attempt, Ordering::Relaxed);
            // Bodies here are in-memory bytes, so a clone always exists; without one, no retry.
            let retry_copy = (attempt < policy.attempts())
                .then(|| request.try_clone())
                .flatten();
            let outcome = client.execute(request).await;
            let (wait, reason) = match (&outcome, retry_copy.is_some()) {
                (Err(error), true) if error.is_connect() => (
                    policy.wait_before(attempt + 1, None, started.elapsed()),
                    "connection failed before the request was sent",
                ),
                (Ok(response), true) if retryable_status(response.status()) => (
                    policy.wait_before(
                        attempt + 1,
                        retry_after(response.headers(), SystemTime::now()),
                        started.elapsed(),
                    ),
                    "retryable status",
                ),
                _ => (None, ""),
            };
            let (Some(wait), Some(copy)) = (wait, retry_copy) else {
                return self.buffer(outcome?, true).await;
            };
            tracing::info!(
                attempt,
                reason,
                status = outcome.as_ref().ok().map(|r| r.status().as_u16()),
                wait_ms = wait.as_millis() as u64,
                "retrying the same request"
            );
            // Let the connection be reused: read (and drop, unrecorded) a bounded amount of the
            // body.
            if let Ok(response) = outcome {
                let _ = self.buffer(response, false).await;
            }
            tokio::time::sleep(wait).await;
            request = copy;
            attempt += 1;
        }
    }

    /// Reads the body (bounded), records it (when `record`: the answer the call ends with), and
    /// rebuilds an equivalent response around it.
    async fn buffer(
        &self,
        mut response: reqwest::Response,
        record: bool,
    ) -> reqwest::Result<reqwest::Response> {
        let limit = self.config.max_response_body_bytes;
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let url = response.url().clone();

        let declared = response.content_length();
        let mut too_large = declared.is_some_and(|length| length > limit as u64);
        let mut body = Bytes::new();
        if !too_large {
            // A body in one chunk (the common case) is kept without copying.
            let mut joined: Option<BytesMut> = None;
            while let Some(chunk) = response.chunk().await? {
                let so_far = joined.as_ref().map_or(body.len(), BytesMut::len);
                if so_far + chunk.len() > limit {
                    too_large = true;
                    break;
                }
                match joined.as_mut() {
                    Some(buffer) => buffer.extend_from_slice(&chunk),
                    None if body.is_empty() => body = chunk,
                    None => {
                        let mut buffer = BytesMut::with_capacity(body.len() + chunk.len());
                        buffer.extend_from_slice(&body);
                        buffer.extend_from_slice(&chunk);
                        joined = Some(buffer);
                    }
                }
            }
            if let Some(buffer) = joined {
                body = buffer.freeze();
            }
        }
        if too_large {
            body = Bytes::new();
        }

        if let Some(slot) = self.captured.as_ref().filter(|_| record) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(Captured {
                status,
                body: body.clone(),
                too_large,
            });
        }

        let mut rebuilt = http::Response::new(reqwest::Body::from(body));
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        // Carry the URL over (reqwest's only public way in is the builder); without it, reqwest
        // would parse a placeholder URL for every response.
        if let Ok(carrier) = http::Response::builder().url(url).body(()) {
            rebuilt
                .extensions_mut()
                .extend(carrier.into_parts().0.extensions);
        }
        Ok(reqwest::Response::from(rebuilt))
    }
}

impl menu_client::Transport for SdkTransport {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.send(client, request))
    }
}
