//! Seeing responses as they are read, for a debugging tool: a [`RequestContext`] given an
//! [`Observer`] (opt-in: [`RequestContext::observe`]) passes each response's status line, headers
//! and the first bytes of its body to it, once the body is read or dropped. The body flows to the
//! generated code unchanged (errors and the body limit included); only a bounded copy is kept.
//!
//! A panic of the observer is contained: the read goes on, unchanged.
//!
//! What the observer gets is the raw response: secrets in it (a token the server issues) are the
//! observer's to mask (`menu_sdk::inspect` does).
//!
//! [`RequestContext`]: crate::RequestContext
//! [`RequestContext::observe`]: crate::RequestContext::observe

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use reqwest::header::HeaderMap;

/// Called with each response a client reads (see the module documentation). It runs while the
/// body is read or dropped; a panic in it is caught there (the panic hook still runs), so the
/// call goes on as if it had returned.
pub type Observer = Arc<dyn Fn(&Observed) + Send + Sync>;

/// A response as an [`Observer`] sees it: raw, secrets included.
#[derive(Clone)]
#[non_exhaustive]
pub struct Observed {
    /// The operation that was sent (its `operationId`).
    pub operation_id: &'static str,
    /// The HTTP version, status and headers.
    pub version: reqwest::Version,
    /// The status.
    pub status: reqwest::StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body's first bytes (up to the bound the observer was given).
    pub body: Bytes,
    /// How many bytes of the body were read past [`Observed::body`].
    pub more_bytes: u64,
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Raw: the body or a header may hold a secret.
        f.debug_struct("Observed")
            .field("operation_id", &self.operation_id)
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &(self.body.len() as u64 + self.more_bytes))
            .finish_non_exhaustive()
    }
}

/// What is kept of one response until its body is read or dropped, then reported.
struct Recorder {
    seen: Observed,
    kept: BytesMut,
    keep: usize,
    observer: Observer,
}

impl Recorder {
    fn record(&mut self, data: &[u8]) {
        let room = self.keep.saturating_sub(self.kept.len()).min(data.len());
        self.kept.extend_from_slice(&data[..room]);
        self.seen.more_bytes += (data.len() - room) as u64;
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.seen.body = std::mem::take(&mut self.kept).freeze();
        // A panicking observer must not end the read it watches (the answer may carry a token
        // the server has just rotated) nor abort a thread already unwinding: it is contained.
        let (observer, seen) = (&self.observer, &self.seen);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| observer(seen)));
    }
}

/// `body` with every byte it yields also recorded (at most `keep` of them kept), reported to
/// `observer` with `parts` when the body is dropped.
pub(crate) fn tee(
    operation_id: &'static str,
    parts: &http::response::Parts,
    body: reqwest::Body,
    observer: Observer,
    keep: usize,
) -> reqwest::Body {
    let mut recorder = Recorder {
        seen: Observed {
            operation_id,
            version: parts.version,
            status: parts.status,
            headers: parts.headers.clone(),
            body: Bytes::new(),
            more_bytes: 0,
        },
        kept: BytesMut::new(),
        keep,
        observer,
    };
    reqwest::Body::wrap(body.map_frame(move |frame| {
        if let Some(data) = frame.data_ref() {
            recorder.record(data);
        }
        frame
    }))
}
