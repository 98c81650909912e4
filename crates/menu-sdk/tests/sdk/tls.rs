//! HTTPS against a local server whose certificate a private CA issued: a user trusts the CA
//! through the builder or through the `reqwest::Client` they supply; without it, the call fails
//! with a clear `Error::Transport` (never a panic or a hang).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use menu_sdk::{Client, ClientBuilder, Error, TransportErrorKind};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{APP_KEY, REFERENCE_JWT, REFRESH_BODY, fresh_jwt};

/// A private CA (its certificate, PEM) and an HTTPS server on loopback with a certificate it
/// issued for `127.0.0.1` and `localhost`, answering every request with the refresh reference
/// body.
struct HttpsServer {
    ca_pem: String,
    addr: SocketAddr,
}

async fn start_https_server() -> HttpsServer {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "menu-sdk test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server_cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate aborts the handshake here.
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_request| async {
                    let response = hyper::Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from_static(REFRESH_BODY.as_bytes())))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    HttpsServer {
        ca_pem: ca.pem(),
        addr,
    }
}

fn builder(server: &HttpsServer) -> ClientBuilder {
    Client::builder()
        .base_url(format!("https://{}/api", server.addr))
        .application_key(APP_KEY)
        .token(fresh_jwt("customer"))
}

/// The call, bounded: a hang fails the test instead of stalling it.
async fn refresh(client: &Client) -> Result<menu_sdk::Session, Error> {
    tokio::time::timeout(Duration::from_secs(20), client.refresh())
        .await
        .expect("the call neither hung nor outlived its bound")
}

#[tokio::test]
async fn a_private_ca_is_trusted_through_the_builder() {
    let server = start_https_server().await;
    let ca = reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).unwrap();
    let client = builder(&server).tls_root_certificate(ca).build().unwrap();
    let session = refresh(&client).await.unwrap();
    assert_eq!(session.token.value(), REFERENCE_JWT);
}

#[tokio::test]
async fn a_private_ca_is_trusted_through_a_supplied_http_client() {
    let server = start_https_server().await;
    let ca = reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client = builder(&server).http_client(http).build().unwrap();
    let session = refresh(&client).await.unwrap();
    assert_eq!(session.token.value(), REFERENCE_JWT);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_clear_transport_error() {
    let server = start_https_server().await;
    let client = builder(&server).build().unwrap();
    let error = refresh(&client).await.unwrap_err();
    let Error::Transport { kind, attempts, .. } = &error else {
        panic!("expected Error::Transport, got {error:?}");
    };
    assert_eq!(*kind, TransportErrorKind::Tls, "{error}");
    // A certificate the client does not trust will not be trusted on a second attempt.
    assert_eq!(*attempts, 1, "{error}");
    let message = error.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn the_builder_refuses_a_root_certificate_for_a_supplied_http_client() {
    let server = start_https_server().await;
    let ca = reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).unwrap();
    let error = builder(&server)
        .tls_root_certificate(ca)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfig { .. }), "{error:?}");
    assert!(error.to_string().contains("http_client"), "{error}");
}
