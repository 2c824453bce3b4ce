//! HTTPS without a proxy in front: the certificate chain and key from PEM files (`--tls-cert`,
//! `--tls-key`), and a server loop that terminates TLS (rustls, ring) and hands each connection
//! to the API router over HTTP/1.1 or HTTP/2 (ALPN). `axum::serve` does the same for plain
//! HTTP; this loop keeps its behaviour: handlers see `ConnectInfo<SocketAddr>`, shutdown stops
//! accepting and lets in-flight requests finish. A client that fails the handshake (plain HTTP
//! on the TLS port, an untrusted certificate) is logged at debug and costs nothing else.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::{Error, Result};

/// Marks a request that arrived over a TLS connection botfleet terminated (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsConnection;

/// A client gets this long to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS server settings from a PEM certificate chain (leaf first) and its private key; errors
/// name the setting, the file and what is wrong with it.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let chain = load_chain(cert)?;
    let private_key = load_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS could not be set up: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            Error::Config(format!(
                "the TLS certificate {} (--tls-cert) and key {} (--tls-key) cannot be used together: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(path: &Path, what: &str, setting: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read the TLS {what} file {} ({setting}): {e}", path.display())))
}

fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    const SETTING: &str = "--tls-cert, BOTFLEET_TLS_CERT";
    let pem = read(path, "certificate", SETTING)?;
    let chain = CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
        Error::Config(format!("the TLS certificate file {} ({SETTING}) is not valid PEM: {e}", path.display()))
    })?;
    if chain.is_empty() {
        return Err(Error::Config(format!(
            "the TLS certificate file {} ({SETTING}) has no certificate in it: expected PEM \
             (-----BEGIN CERTIFICATE-----), leaf first",
            path.display()
        )));
    }
    Ok(chain)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    const SETTING: &str = "--tls-key, BOTFLEET_TLS_KEY";
    let pem = read(path, "key", SETTING)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "has no private key in it: expected PEM (-----BEGIN PRIVATE KEY-----, RSA or EC PRIVATE KEY)".to_owned()
            }
            e => format!("is not valid PEM: {e}"),
        };
        Error::Config(format!("the TLS key file {} ({SETTING}) {why}", path.display()))
    })
}

/// Serves `router` over TLS on `listener` until `shutdown` completes, then stops accepting and
/// waits for open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Taken before the handshake, so shutdown also waits for connections still shaking hands.
        let watcher = graceful.watcher();
        let (acceptor, router, builder) = (acceptor.clone(), router.clone(), builder.clone());
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = router.map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(TlsConnection);
                request
            });
            let connection =
                builder.serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// As `axum::serve`: a client that gave up before `accept` is nothing; anything else (out of file
/// descriptors) is logged and accepting pauses a second rather than spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
