//! The SDK's [`menu_client::Transport`]: the one place where a finished request is sent and its
//! response read. It
//! - adds the headers the spec cannot express (`Content-Type: application/json` on every call,
//!   including the body-less `GET`, and `User-Agent`) without duplicating any, and marks the
//!   `Application` key sensitive;
//! - applies the whole-request timeout to every request (also with a caller-supplied HTTP client);
//! - reads the body up to the configured limit, so a hostile server cannot exhaust memory;
//! - keeps the status and raw body of the call ([`Captured`]), so that errors can show the body
//!   whatever its shape, and hands the generated code an identical, already-buffered response.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use menu_client::hooks::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{ResponseBuilderExt as _, StatusCode};

use crate::config::Config;

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
}

impl SdkTransport {
    /// A transport for one call, keeping what the response was.
    pub(crate) fn for_call(config: Arc<Config>) -> Self {
        Self {
            config,
            captured: Some(Mutex::new(None)),
        }
    }

    /// A transport that keeps nothing (for [`crate::Client::generated`]).
    pub(crate) fn shared(config: Arc<Config>) -> Self {
        Self {
            config,
            captured: None,
        }
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
        // What an earlier attempt of the call received is not what this one ends with.
        let _ = self.take_captured();

        crate::timer_anchor::hold();
        let response = client.execute(request).await?;
        self.buffer(response).await
    }

    /// Reads the body (bounded), records it (the last answer is the one the call ends with), and
    /// rebuilds an equivalent response around it.
    async fn buffer(&self, mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
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

        if let Some(slot) = self.captured.as_ref() {
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
