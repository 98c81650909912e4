//! The reference server: a minimal hyper server answering refresh and verify with the mock's
//! seed bodies, and a customer token it accepts.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// The reference pages' bodies.
pub const REFRESH_BODY: &str = include_str!("../../menu-mock/seed/refresh.json");
/// The reference pages' bodies.
pub const VERIFY_BODY: &str = include_str!("../../menu-mock/seed/verify-phone-number-update.json");

/// A minimal hyper HTTP/1.1 server that answers the two paths with the reference bodies.
pub async fn start_reference_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let body = if request.uri().path().ends_with("/refresh") {
                            REFRESH_BODY
                        } else {
                            VERIFY_BODY
                        };
                        let response = hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(body.as_bytes())))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A JWT that expires in 2100 (unsigned: the reference server does not check it).
pub fn long_lived_jwt() -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        b64.encode(r#"{"alg":"HS256"}"#),
        b64.encode(r#"{"sub":"1","iat":1700000000,"exp":4102444800}"#)
    )
}
