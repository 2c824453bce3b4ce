//! Slow or idle connections are closed: a few hundred stalled connections from one address
//! (127.0.0.2) are capped per IP — the extra ones closed at once — while another address
//! (127.0.0.1) is still answered, and the stalled ones (partial headers, or nothing at all) are
//! closed after the header-read timeout, over TLS too; an idle keep-alive connection is closed
//! after the idle timeout; a trickled body is answered 408 and its connection closed; a
//! credential cannot open more live WebSockets than its cap.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use botfleet::config::ServeConfig;
use common::{until, Backend, TestApp};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A partial request: a request line and half the headers, never finished.
const PARTIAL: &[u8] = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

async fn spawn(adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
    TestApp::spawn_configured(Backend::Sqlite, "http://127.0.0.1:9", adjust).await.expect("SQLite is always there")
}

fn address(app: &TestApp) -> SocketAddr {
    app.url.rsplit("://").next().unwrap().parse().unwrap()
}

/// A TCP connection to `app` from `from` (any port).
async fn connect_from(from: &str, app: &TestApp) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(address(app)).await.unwrap()
}

/// Reads until the server closes the connection (end of stream or reset); what it sent. Fails
/// after `secs` seconds.
async fn until_closed(stream: &mut (impl AsyncRead + Unpin), secs: u64) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), read).await.expect("the server closes the connection");
    String::from_utf8_lossy(&buf).into_owned()
}

/// Whether the server has closed `stream` (without waiting: data or the end already there).
fn is_closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    !matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

async fn health(app: &TestApp) -> u16 {
    reqwest::get(format!("{}/api/v1/health", app.url)).await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_ip_cap_are_closed_at_once_and_other_addresses_are_served() {
    const CAP: usize = 40;
    const SLOW: usize = 300;
    let app = spawn(|c| {
        c.connections.max_connections_per_ip = CAP as u64;
        // Long enough that no stalled connection is closed by a timeout during this test.
        c.connections.header_timeout_seconds = 300;
        c.connections.idle_timeout_seconds = 300;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut tcp = connect_from("127.0.0.2", &app).await;
        // Over the cap the server may already have closed it: writing may fail, which is fine.
        let _ = tcp.write_all(PARTIAL).await;
        slow.push(tcp);
    }
    assert_eq!(health(&app).await, 200, "another address is answered while 127.0.0.2 is at its cap");

    // Every connection over the cap is closed, without an answer; those under it stay open.
    let closed = until("the connections over the cap to be closed", 30, || {
        let n = slow.iter().filter(|s| is_closed(s)).count();
        async move { (n >= SLOW - CAP).then_some(n) }
    })
    .await;
    assert_eq!(closed, SLOW - CAP, "exactly the connections over the cap are closed");
    let mut extra = connect_from("127.0.0.2", &app).await;
    assert_eq!(until_closed(&mut extra, 30).await, "", "a new one from 127.0.0.2 is closed without an answer");
    assert_eq!(health(&app).await, 200);

    // Freeing slots lets 127.0.0.2 back in.
    slow.clear();
    let mut again = until("127.0.0.2 to get a slot back", 30, || {
        let app = &app;
        async move {
            let mut tcp = connect_from("127.0.0.2", app).await;
            tcp.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.ok()?;
            let answer = until_closed(&mut tcp, 30).await;
            answer.starts_with("HTTP/1.1 200").then_some(tcp)
        }
    })
    .await;
    let _ = again.shutdown().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_after_the_header_timeout_while_others_are_served() {
    const SLOW: usize = 200;
    let app = spawn(|c| {
        c.connections.max_connections_per_ip = 1000;
        c.connections.header_timeout_seconds = 1;
        // Longer than this test may take: only the header timeout can close them.
        c.connections.idle_timeout_seconds = 600;
    })
    .await;
    let mut slow = Vec::new();
    for i in 0..SLOW {
        let mut tcp = connect_from("127.0.0.2", &app).await;
        // Half send part of a request, half nothing at all.
        if i % 2 == 0 {
            tcp.write_all(PARTIAL).await.unwrap();
        }
        slow.push(tcp);
    }
    assert_eq!(health(&app).await, 200, "127.0.0.1 is answered while 127.0.0.2 stalls");
    for tcp in &mut slow {
        let answer = until_closed(tcp, 60).await;
        assert!(!answer.contains("\"status\""), "a stalled request was answered: {answer:?}");
    }
    assert_eq!(health(&app).await, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn(|c| {
        c.connections.idle_timeout_seconds = 1;
        // Longer than the wait below: only the idle timeout can close it.
        c.connections.header_timeout_seconds = 120;
    })
    .await;
    let mut tcp = TcpStream::connect(address(&app)).await.unwrap();
    tcp.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let answer = until_closed(&mut tcp, 60).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "answered, then closed: {answer:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_answered_408_and_its_connection_closed() {
    let app = spawn(|c| {
        c.connections.body_timeout_seconds = 1;
        c.connections.idle_timeout_seconds = 600;
        c.connections.header_timeout_seconds = 600;
    })
    .await;
    let mut tcp = TcpStream::connect(address(&app)).await.unwrap();
    let head = format!(
        "POST /api/v1/bots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: 200\r\n\r\n{{\"name\": ",
        app.admin_key
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = tcp.split();
    // A byte now and then keeps a per-read timeout happy; the body as a whole is late.
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    let answer = tokio::select! {
        answer = until_closed(&mut reader, 60) => answer,
        () = trickle => String::new(),
    };
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer:?}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer:?}");
    assert_eq!(app.get("/api/v1/bots").await.1["items"], serde_json::json!([]), "nothing was saved");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_cannot_open_more_live_sockets_than_its_cap() {
    let app = spawn(|c| c.connections.live_sockets_per_credential = 2).await;
    let url = format!("{}/api/v1/live", app.url.replacen("http", "ws", 1));
    let open = |key: String| {
        let url = url.clone();
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = url.into_client_request().unwrap();
            request.headers_mut().insert("authorization", format!("Bearer {key}").parse().unwrap());
            tokio_tungstenite::connect_async(request).await
        }
    };
    let first = open(app.admin_key.clone()).await.expect("first socket");
    let _second = open(app.admin_key.clone()).await.expect("second socket");
    match open(app.admin_key.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            let body: serde_json::Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("BOTFLEET_LIVE_SOCKETS_PER_CREDENTIAL"), "{message}");
        }
        other => panic!("a third socket was not refused with 429: {:?}", other.map(|(_, r)| r.status())),
    }
    // Another credential has its own count.
    let other = TestApp::make_key(&app.store, botfleet::auth::Role::Viewer).await;
    let _theirs = open(other).await.expect("another key's socket");
    // Closing one frees its place.
    drop(first);
    let key = app.admin_key.clone();
    let replacement = until("a closed socket to free its place", 30, || {
        let open = &open;
        let key = key.clone();
        async move { open(key).await.ok() }
    })
    .await;
    // Open live sockets hold the service's state: closed before it stops.
    drop((replacement, _second, _theirs));
    app.stop().await;
}

/// A self-signed certificate for 127.0.0.1, as PEM files (and the certificate's PEM).
fn self_signed(dir: &tempfile::TempDir) -> (PathBuf, PathBuf, String) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    (cert_path, key_path, cert.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_stalled_headers_and_handshakes_are_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = self_signed(&dir);
    let app = spawn(|c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
        c.connections.header_timeout_seconds = 1;
        c.connections.idle_timeout_seconds = 600;
    })
    .await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    let mut stalled = Vec::new();
    for _ in 0..20 {
        let tcp = connect_from("127.0.0.2", &app).await;
        let mut tls = connector.connect(ServerName::try_from("127.0.0.1").unwrap(), tcp).await.unwrap();
        tls.write_all(PARTIAL).await.unwrap();
        tls.flush().await.unwrap();
        stalled.push(tls);
    }
    // And one that never starts its handshake.
    let mut silent = connect_from("127.0.0.2", &app).await;
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let res = client.get(format!("{}/api/v1/health", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200, "127.0.0.1 is answered over TLS meanwhile");
    for tls in &mut stalled {
        let answer = until_closed(tls, 60).await;
        assert!(!answer.contains("\"status\""), "a stalled request was answered: {answer:?}");
    }
    // The header-read timeout bounds the handshake too.
    until_closed(&mut silent, 60).await;
    app.stop().await;
}
