//! A faithful, stateful mock of the Menu customer API, served by axum on tokio: every operation of
//! the spec, the customer's lifecycle with state (sign-up with one-time codes kept in an outbox,
//! account changes confirmed with codes, real HS256 tokens that a refresh rotates and a deletion
//! revokes), faults on request (the `Prefer` header, see [`faults`]), and, with the cargo feature
//! `sqlite`, a state kept in a database that survives restarts (`MockState::open`; without it the
//! state lives in memory only). An operation without a stateful handler answers
//! its documented example once the request passes the checks the API would make.
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
//! What it validates, and in which order, is documented in the `pipeline` module source; in short:
//! malformed or missing header parameters -> 400 (unknown `Application` -> 401), a missing,
//! invalid, expired or invalidated token -> 401, another customer's token -> 403, an unknown
//! customer -> 404, a wrong code or no pending change -> 400, and any malformed request -> a 4xx
//! with a JSON error envelope. Every response echoes `X-Request-ID`.

mod actions;
mod checks;
mod codes;
mod contract;
mod controls;
mod domain;
mod error;
pub mod faults;
pub mod outbox;
mod persist;
mod pipeline;
mod records;
mod refusals;
mod reply;
mod retention;
mod routes;
mod seed;
pub mod state;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

pub use contract::MAX_REQUEST_BODY_BYTES;
pub use outbox::{Message, MessageKind};
pub use routes::{OUTBOX_PATH, REQUEST_BODY_TIMEOUT};

/// A client must send its request headers within this time, or the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`MockServer::shutdown`] lets in-flight requests finish before cutting them off.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
pub use state::{
    DEFAULT_APPLICATION_KEY, DEFAULT_CODE_LIFETIME, MockState, Notice, PendingPhoneChange,
    Retention, StateError,
};
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
        Self::bind_operations(addr, state, menu_client::operations::ALL).await
    }

    /// Starts a mock of `operations` (the spec's, or others in tests) with `state` on `addr`.
    pub(crate) async fn bind_operations(
        addr: SocketAddr,
        state: MockState,
        operations: &'static [&'static menu_client::operation::Operation],
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state);
        let app = routes::router(state.clone(), operations);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, stopped));
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

    /// The mock's state: add customers, set pending changes, issue tokens, set an operation's
    /// answer ([`MockState::respond`]), read counters.
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish (for at most
    /// [`SHUTDOWN_GRACE`]; a stalled client does not hold the server up), and waits for it.
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

/// Serves `app` on `listener` until `stopped`: each connection in its own task, with a deadline
/// for request headers (slow clients cannot pile up), then a bounded graceful shutdown.
async fn serve(
    listener: TcpListener,
    app: Router,
    mut stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or a connection reset while queued: keep serving.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let app = app.clone();
                // A fault may ask for the connection to be dropped: the service then fails, and
                // hyper closes the connection without an answer.
                let service = tower::service_fn(move |request: hyper::Request<Incoming>| {
                    let app = app.clone();
                    async move {
                        let response = app
                            .oneshot(request.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|never| match never {});
                        if response.extensions().get::<faults::DropConnection>().is_some() {
                            return Err(std::io::Error::other("a fault dropped the connection"));
                        }
                        Ok(response)
                    }
                });
                let service = TowerToHyperService::new(service);
                let connection = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    connections.abort_all();
    Ok(())
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
