//! A loopback HTTP/1.1 server that records each request exactly as it arrived on the wire
//! (header names, order and duplicates included) and answers with a canned response.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as read from the socket.
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub method: String,
    pub target: String,
    /// `(name, value)` in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl WireRequest {
    /// All values of a header (case-insensitive name).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A stable text rendering for snapshots: request line, headers sorted by lower-cased name
    /// (duplicates kept), with the values of `redact` replaced, then the body.
    pub fn render(&self, redact: &[&str]) -> String {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let n = n.to_ascii_lowercase();
                let v = if redact.contains(&n.as_str()) {
                    "[redacted]".to_owned()
                } else {
                    v.clone()
                };
                (n, v)
            })
            .collect();
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = format!("{} {}\n", self.method, self.target);
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\n"));
        }
        out.push('\n');
        out.push_str(&self.body);
        out
    }
}

/// A running capture server.
pub struct CaptureServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<WireRequest>>>,
}

impl CaptureServer {
    /// Start on an ephemeral loopback port; every request is answered with `status` and `body`.
    pub async fn start(status: u16, body: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    recorded.lock().unwrap().push(request);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            base_url: format!("http://{addr}/api"),
            requests,
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<WireRequest> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<WireRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(WireRequest {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
