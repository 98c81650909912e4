//! A faithful, stateful mock of the Menu customer API: both operations of the spec, served by axum
//! on tokio, with customers, pending phone number changes and real HS256 tokens held in memory.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use menu_mock::{MockServer, state};
//!
//! let server = MockServer::start().await?; // 127.0.0.1, an ephemeral port
//! let token = server.state().issue_token(state::DRAGOS).expect("a seeded customer");
//! let client = menu_sdk::Client::builder()
//!     .base_url(server.base_url())
//!     .application_key(server.application_key())
//!     .token(token.value())
//!     .build()
//!     .expect("valid configuration");
//! let account = client
//!     .verify_phone_number_update(state::DRAGOS, state::DRAGOS_CONFIRMATION_CODE)
//!     .await
//!     .expect("the seeded code confirms the change");
//! assert_eq!(account.phone_number, "+40724373613");
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What it validates, and in which order, is documented in the `routes` module source; in short:
//! malformed or missing header parameters -> 400 (unknown `Application` -> 401), a missing,
//! invalid, expired or invalidated token -> 401, another customer's token -> 403, an unknown
//! customer -> 404, a wrong code or no pending change -> 400, and any malformed request -> a 4xx
//! with a JSON error envelope. Every response echoes `X-Request-ID`.

mod reply;
mod routes;
pub mod state;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use routes::MAX_REQUEST_BODY_BYTES;
pub use state::{DEFAULT_APPLICATION_KEY, MockState, PendingPhoneChange, StateError};
pub use tokens::{DEFAULT_REFRESH_TTL, DEFAULT_TTL, TokenRejection, TokenSpec};

/// A running mock server. Dropping it stops it (see [`MockServer::shutdown`] to wait for that).
pub struct MockServer {
    addr: SocketAddr,
    base_url: String,
    state: Arc<MockState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// Starts a seeded mock on `127.0.0.1` and an ephemeral port.
    pub async fn start() -> std::io::Result<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), MockState::seeded()).await
    }

    /// Starts a mock with `state` on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr, state: MockState) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state);
        let app = routes::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            addr,
            base_url: format!("http://{addr}/api"),
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/api`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The application key the mock accepts.
    pub fn application_key(&self) -> &str {
        self.state.application_key()
    }

    /// The mock's state: add customers, set pending changes, issue tokens, read counters.
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the server fails (for a foreground process; stop it with a signal).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
