//! A raw TCP server that misbehaves on purpose: each request (attempt) gets the next fault of a
//! script, and every attempt's method, path and `X-Request-ID` is recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{REFRESH_BODY, VERIFY_BODY};

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Reset the connection (RST) after reading the request, before any response byte.
    ResetBeforeResponse,
    /// Send the headers and part of the body, then reset.
    ResetMidBody,
    /// Declare a `Content-Length` larger than the body sent, then close cleanly.
    ShortBody,
    /// Read the request, then say nothing for this long.
    StallBeforeHeaders(Duration),
    /// Send the headers and part of the body, then stall for this long.
    StallMidBody(Duration),
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// 502 with an HTML page, as a proxy sends it.
    Html502,
    /// 200 with an empty body.
    Empty200,
    /// 200 with JSON of the wrong shape.
    WrongShape,
    /// 200 with a body of this many bytes.
    Huge(usize),
    /// 503 declaring a body of this many bytes.
    HugeUnavailable(usize),
    /// 429 with this `Retry-After` value.
    TooManyRequests(String),
    /// 503 with a JSON error.
    Unavailable,
    /// 500 with a JSON error.
    ServerError,
    /// 200 with the operation's reference body.
    Success,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
    pub at: std::time::Instant,
}

/// A running fault server.
pub struct FaultServer {
    pub base_url: String,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    /// For [`FaultServer::refusing`]: its port, bound and not listening, so that connections are
    /// refused and no other server of the tests can take it meanwhile.
    _reserved: Option<tokio::net::TcpSocket>,
}

impl FaultServer {
    /// Serves `script`: the n-th request gets `script[n]` (the last fault repeats).
    pub async fn start(script: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/api", listener.local_addr().unwrap());
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let recorded = attempts.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let recorded = recorded.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, &script, &recorded).await;
                });
            }
        });
        Self {
            base_url,
            attempts,
            _reserved: None,
        }
    }

    /// A base URL where nothing listens: every connection is refused.
    pub fn refusing() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = socket.local_addr().unwrap().port();
        Self {
            base_url: format!("http://127.0.0.1:{port}/api"),
            attempts: Arc::default(),
            _reserved: Some(socket),
        }
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap().clone()
    }
}

/// Serves the requests of one connection (keep-alive), each with the next fault of the script.
async fn serve(
    mut socket: TcpStream,
    script: &[Fault],
    recorded: &Mutex<Vec<Attempt>>,
) -> std::io::Result<()> {
    loop {
        let Some((method, path, request_id)) = read_request(&mut socket).await? else {
            return Ok(());
        };
        let fault = {
            let mut attempts = recorded.lock().unwrap();
            let fault = script[attempts.len().min(script.len() - 1)].clone();
            attempts.push(Attempt {
                method,
                path: path.clone(),
                request_id,
                at: std::time::Instant::now(),
            });
            fault
        };
        let success = if path.ends_with("/refresh") {
            REFRESH_BODY
        } else {
            VERIFY_BODY
        };
        let json =
            |status: &str, body: &str| respond(status, "application/json", &[], body.as_bytes());
        match fault {
            Fault::ResetBeforeResponse => return reset(socket),
            Fault::ResetMidBody => {
                socket
                    .write_all(&head("200 OK", "application/json", &[], 1000))
                    .await?;
                socket.write_all(&success.as_bytes()[..100]).await?;
                socket.flush().await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
                return reset(socket);
            }
            Fault::ShortBody => {
                socket
                    .write_all(&head(
                        "200 OK",
                        "application/json",
                        &[],
                        success.len() + 500,
                    ))
                    .await?;
                socket.write_all(success.as_bytes()).await?;
                return socket.shutdown().await;
            }
            Fault::StallBeforeHeaders(wait) => {
                tokio::time::sleep(wait).await;
                return Ok(());
            }
            Fault::StallMidBody(wait) => {
                socket
                    .write_all(&head("200 OK", "application/json", &[], success.len()))
                    .await?;
                socket.write_all(&success.as_bytes()[..100]).await?;
                tokio::time::sleep(wait).await;
                return Ok(());
            }
            Fault::InvalidJson => {
                socket
                    .write_all(&json("200 OK", "{\"status\": \"OK\", \"data\": {"))
                    .await?
            }
            Fault::Html502 => {
                let page =
                    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
                socket
                    .write_all(&respond("502 Bad Gateway", "text/html", &[], page))
                    .await?
            }
            Fault::Empty200 => socket.write_all(&json("200 OK", "")).await?,
            Fault::WrongShape => {
                socket
                    .write_all(&json(
                        "200 OK",
                        r#"{"status":"OK","code":200,"data":{"items":[1,2,3]}}"#,
                    ))
                    .await?
            }
            Fault::HugeUnavailable(size) => {
                socket
                    .write_all(&head("503 Service Unavailable", "text/plain", &[], size))
                    .await?;
                let _ = socket.write_all(&vec![b'x'; size.min(1 << 20)]).await;
                return Ok(());
            }
            Fault::Huge(size) => {
                socket
                    .write_all(&head("200 OK", "application/json", &[], size))
                    .await?;
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0;
                while sent < size {
                    let n = chunk.len().min(size - sent);
                    if socket.write_all(&chunk[..n]).await.is_err() {
                        return Ok(()); // the client stopped reading: expected
                    }
                    sent += n;
                }
            }
            Fault::TooManyRequests(retry_after) => {
                let body = br#"{"status":"ERROR","code":429,"message":"Too Many Attempts."}"#;
                let headers = [("retry-after", retry_after.as_str())];
                socket
                    .write_all(&respond(
                        "429 Too Many Requests",
                        "application/json",
                        &headers,
                        body,
                    ))
                    .await?
            }
            Fault::Unavailable => {
                socket
                    .write_all(&json(
                        "503 Service Unavailable",
                        r#"{"status":"ERROR","code":503,"message":"Down for maintenance"}"#,
                    ))
                    .await?
            }
            Fault::ServerError => {
                socket
                    .write_all(&json(
                        "500 Internal Server Error",
                        r#"{"status":"ERROR","code":500,"message":"Server Error"}"#,
                    ))
                    .await?
            }
            Fault::Success => socket.write_all(&json("200 OK", success)).await?,
        }
        socket.flush().await?;
    }
}

fn head(status: &str, content_type: &str, extra: &[(&str, &str)], length: usize) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n"
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

fn respond(status: &str, content_type: &str, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut bytes = head(status, content_type, extra, body.len());
    bytes.extend_from_slice(body);
    bytes
}

/// Closes with RST instead of FIN.
fn reset(socket: TcpStream) -> std::io::Result<()> {
    socket.set_zero_linger()?;
    drop(socket);
    Ok(())
}

/// Reads one request; `None` when the client closed the connection.
async fn read_request(
    socket: &mut TcpStream,
) -> std::io::Result<Option<(String, String, Option<String>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let mut length = 0;
    let mut request_id = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "x-request-id" => request_id = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = buf.len() - (end + 4);
    while body < length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body += n;
    }
    Ok(Some((method, path, request_id)))
}
