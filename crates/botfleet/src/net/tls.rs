//! HTTPS without a proxy in front: the TLS server settings (rustls, ring; HTTP/1.1 and HTTP/2 by
//! ALPN) from the certificate chain and key PEM files (`--tls-cert`, `--tls-key`). The server loop
//! (`net/server.rs`) terminates TLS with them; a client that fails the handshake (plain HTTP on
//! the TLS port, an untrusted certificate) is logged at debug and costs nothing else.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// Marks a request that arrived over a TLS connection botfleet terminated (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsConnection;

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
