//! Raw HTTP/1.1 to the mock: one keep-alive connection over a `TcpStream`, hyper's
//! connection-level client (no pool, no retries, no redirects, no timeouts), each request sent as
//! it is given and its whole answer read.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// One keep-alive connection to the mock; opened again if the server closed it between two
/// requests.
pub(crate) struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Connects to `addr`.
    pub(crate) async fn open(addr: SocketAddr) -> Result<Self, String> {
        Ok(Self {
            addr,
            sender: handshake(addr).await?,
        })
    }

    /// Sends `request` and reads the whole answer: its status and body.
    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), String> {
        if self.sender.ready().await.is_err() {
            // Closed between requests (nothing of this request was sent): a new connection.
            self.sender = handshake(self.addr).await?;
        }
        let what = format!("{} {}", request.method(), request.uri());
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("{what} to {}: {e}", self.addr))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{what} to {}: reading the answer: {e}", self.addr))?
            .to_bytes();
        Ok((status, body))
    }
}

/// A new HTTP/1.1 connection to `addr`, driven by a task of its own.
async fn handshake(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to the mock at {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY on a connection to {addr}: {e}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP/1.1 handshake with {addr}: {e}"))?;
    // Its error, if any, is the next request's.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
