//! HTTPS: botfleet with a certificate and key answers over TLS (HTTP/1.1 and HTTP/2), gives a
//! plain-HTTP client on that port no API answer and keeps serving, lets a request in flight
//! finish when it is told to stop, and refuses to start on a TLS, proxy or origin setting it cannot
//! use, naming the setting. The real binary does the same from its flags and environment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use botfleet::config::ServeConfig;
use clap::Parser;
use common::{Backend, TestApp};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// A self-signed certificate for 127.0.0.1 and localhost, as PEM files.
struct Cert {
    dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    pem: String,
}

fn self_signed() -> Cert {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    Cert { dir, cert: cert_path, key: key_path, pem: cert.pem() }
}

async fn spawn_tls(cert: &Cert) -> TestApp {
    TestApp::spawn_configured(Backend::Sqlite, "http://127.0.0.1:9", |c| {
        c.tls_cert = Some(cert.cert.clone());
        c.tls_key = Some(cert.key.clone());
    })
    .await
    .expect("SQLite is always there")
}

/// A client that trusts only `cert`.
fn https_client(cert: &Cert) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap())
}

/// A TLS connection to `app` speaking HTTP/1.1, for requests written by hand.
async fn raw_tls(app: &TestApp, cert: &Cert) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(cert.pem.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(address(app)).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

fn address(app: &TestApp) -> String {
    app.url.rsplit("://").next().unwrap().to_owned()
}

/// Reads until `until` has been seen (or the end); what was read.
async fn read_until(stream: &mut (impl AsyncRead + Unpin), until: &str) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        while !String::from_utf8_lossy(&buf).contains(until) {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.expect("an answer within 30 s");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_answers_the_api_over_http1_and_http2() {
    let cert = self_signed();
    let app = spawn_tls(&cert).await;
    assert!(app.url.starts_with("https://127.0.0.1:"), "{}", app.url);

    let h2 = https_client(&cert).build().unwrap();
    let res = h2.get(format!("{}/api/v1/health", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_2, "ALPN offers h2");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ok");

    let h1 = https_client(&cert).http1_only().build().unwrap();
    let res = h1.get(format!("{}/api/v1/health", app.url)).send().await.unwrap();
    assert_eq!((res.status(), res.version()), (reqwest::StatusCode::OK, reqwest::Version::HTTP_11));
    let res = h1.get(format!("{}/api/v1/bots", app.url)).bearer_auth(&app.admin_key).send().await.unwrap();
    assert_eq!(res.status(), 200, "the whole API, not only health");

    // Both clients keep their connections open; stopping closes them and does not wait on them.
    tokio::time::timeout(Duration::from_secs(30), app.stop()).await.expect("stops with idle connections open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_or_an_untrusting_client_on_the_tls_port_gets_no_answer_and_changes_nothing() {
    let cert = self_signed();
    let app = spawn_tls(&cert).await;

    let mut tcp = tokio::net::TcpStream::connect(address(&app)).await.unwrap();
    tcp.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until(&mut tcp, "\"status\"").await;
    assert!(!answer.starts_with("HTTP/"), "plain HTTP got an HTTP answer: {answer:?}");
    assert!(!answer.contains("\"status\""), "plain HTTP reached the API: {answer:?}");

    let plain = reqwest::Client::new().get(format!("http://{}/api/v1/health", address(&app))).send().await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true), "plain HTTP was answered");
    let other = self_signed();
    let untrusting = https_client(&other).build().unwrap();
    assert!(untrusting.get(format!("{}/api/v1/health", app.url)).send().await.is_err(), "wrong certificate trusted");

    // Failed handshakes are not fatal.
    let res = https_client(&cert).build().unwrap().get(format!("{}/api/v1/health", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_finishes_after_shutdown_begins() {
    let cert = self_signed();
    let app = spawn_tls(&cert).await;
    let addr = address(&app);
    let mut tls = raw_tls(&app, &cert).await;
    // `Expect: 100-continue`: the server says "100 Continue" when the handler starts reading the
    // body, so the request is certainly in flight before shutdown begins.
    let body = serde_json::json!({"name": "Late", "token": common::token("late")}).to_string();
    let head = format!(
        "POST /api/v1/bots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        app.admin_key,
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let interim = read_until(&mut tls, "\r\n\r\n").await;
    assert!(interim.starts_with("HTTP/1.1 100 Continue"), "{interim:?}");

    let stopping = tokio::spawn(app.stop());
    // Shutdown has begun once new connections are refused.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "still accepting connections 30 s after shutdown");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!stopping.is_finished(), "shutdown did not wait for the request in flight");

    // The bot is saved: the database stays open until the request is answered.
    tls.write_all(body.as_bytes()).await.unwrap();
    let answer = read_until(&mut tls, "\"Late\"").await;
    assert!(answer.starts_with("HTTP/1.1 201"), "the request was answered in full: {answer:?}");
    tokio::time::timeout(Duration::from_secs(30), stopping).await.expect("stops once the request is answered").unwrap();
}

/// `botfleet serve` flags (and the environment) as the binary parses them.
#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    serve: ServeConfig,
}

fn flags(dir: &Path, args: &[&str]) -> Result<ServeConfig, clap::Error> {
    let data_dir = dir.display().to_string();
    let base = ["botfleet", "--data-dir", &data_dir, "--listen", "127.0.0.1:0"];
    Flags::try_parse_from(base.iter().chain(args)).map(|f| f.serve)
}

/// Why botfleet refuses to start with these flags.
async fn start_error(dir: &Path, args: &[&str]) -> String {
    botfleet::app::build(&flags(dir, args).unwrap()).await.expect_err("botfleet refuses to start").to_string()
}

#[tokio::test]
async fn half_a_tls_setting_is_refused_naming_the_missing_one() {
    let cert = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = (cert.cert.to_str().unwrap(), cert.key.to_str().unwrap());
    let e = start_error(dir.path(), &["--tls-cert", c]).await;
    assert!(e.contains("--tls-key (BOTFLEET_TLS_KEY) is not"), "{e}");
    let e = start_error(dir.path(), &["--tls-key", k]).await;
    assert!(e.contains("--tls-cert (BOTFLEET_TLS_CERT) is not"), "{e}");
    assert!(!dir.path().join("botfleet.db").exists(), "nothing was started");
}

#[tokio::test]
async fn unreadable_or_unusable_tls_files_are_refused_naming_file_and_setting() {
    let cert = self_signed();
    let other = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = (cert.cert.to_str().unwrap(), cert.key.to_str().unwrap());
    let missing = cert.dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    let garbage = cert.dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let garbage = garbage.to_str().unwrap();

    let e = start_error(dir.path(), &["--tls-cert", missing, "--tls-key", k]).await;
    assert!(e.contains("cannot read the TLS certificate file") && e.contains(missing), "{e}");
    assert!(e.contains("--tls-cert, BOTFLEET_TLS_CERT"), "{e}");
    let e = start_error(dir.path(), &["--tls-cert", c, "--tls-key", missing]).await;
    assert!(e.contains("cannot read the TLS key file") && e.contains("--tls-key, BOTFLEET_TLS_KEY"), "{e}");
    let e = start_error(dir.path(), &["--tls-cert", garbage, "--tls-key", k]).await;
    assert!(e.contains("has no certificate in it") && e.contains(garbage), "{e}");
    // The certificate given as the key, and a key that is not the certificate's.
    let e = start_error(dir.path(), &["--tls-cert", c, "--tls-key", c]).await;
    assert!(e.contains("has no private key in it") && e.contains("BOTFLEET_TLS_KEY"), "{e}");
    let e = start_error(dir.path(), &["--tls-cert", c, "--tls-key", other.key.to_str().unwrap()]).await;
    assert!(e.contains("cannot be used together"), "{e}");
}

#[tokio::test]
async fn proxy_and_origin_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let config = flags(dir.path(), &["--trusted-proxies", "127.0.0.1, 10.0.0.0/8,fd00::/8"]).unwrap();
    assert_eq!(config.trusted_proxies.to_string(), "127.0.0.1/32,10.0.0.0/8,fd00::/8");
    assert!(flags(dir.path(), &["--trusted-proxies", ""]).unwrap().trusted_proxies.is_empty(), "empty is none");
    let e = flags(dir.path(), &["--trusted-proxies", "127.0.0.1,10.0.0.0/33"]).unwrap_err().to_string();
    assert!(e.contains("--trusted-proxies") && e.contains("`10.0.0.0/33` is not an IP address or CIDR range"), "{e}");

    let config = flags(dir.path(), &["--public-origin", "HTTPS://Shop.Example:443/"]).unwrap();
    assert_eq!(config.public_origin.as_deref(), Some("https://shop.example"));
    let e = flags(dir.path(), &["--public-origin", "https://shop.example/botfleet"]).unwrap_err().to_string();
    assert!(e.contains("--public-origin") && e.contains("has a path"), "{e}");
    // A configuration built in code is checked at start too.
    let mut config = flags(dir.path(), &[]).unwrap();
    config.public_origin = Some("shop.example".into());
    let e = botfleet::app::build(&config).await.expect_err("refused").to_string();
    assert!(e.contains("--public-origin (BOTFLEET_PUBLIC_ORIGIN)"), "{e}");
}

fn botfleet() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"));
    for var in ["BOTFLEET_DATABASE_URL", "BOTFLEET_SECRET_KEY", "BOTFLEET_TLS_CERT", "BOTFLEET_TLS_KEY", "RUST_LOG"] {
        cmd.env_remove(var);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_https_from_its_environment_and_stops_on_sigterm() {
    let cert = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, api) = process::serve(
        dir.path(),
        &[
            ("BOTFLEET_TLS_CERT", cert.cert.to_str().unwrap()),
            ("BOTFLEET_TLS_KEY", cert.key.to_str().unwrap()),
            ("BOTFLEET_TRUSTED_PROXIES", "127.0.0.1,::1"),
            ("BOTFLEET_PUBLIC_ORIGIN", "https://shop.example"),
        ],
    )
    .await;
    assert!(api.starts_with("https://127.0.0.1:"), "the start-up line names https: {api}");
    let health: serde_json::Value =
        https_client(&cert).build().unwrap().get(format!("{api}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    process::sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[tokio::test]
async fn the_binary_refuses_a_certificate_without_its_key() {
    let cert = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert", cert.cert.to_str().unwrap()])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--tls-key (BOTFLEET_TLS_KEY) is not"), "{err}");
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .env("BOTFLEET_TRUSTED_PROXIES", "localhost")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("`localhost` is not an IP address or CIDR range"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_session_cookie_is_secure_and_host_only() {
    let cert = self_signed();
    let app = spawn_tls(&cert).await;
    let store = app.store.clone();
    let auth = botfleet::auth::Auth::new(
        store,
        botfleet::secrets::TokenCipher::new([7; 32]),
        botfleet::time::Clock::system(),
        botfleet::config::AuthConfig::default(),
        botfleet::tracking::Tracker::disabled(),
        botfleet::cache::Caching::local(botfleet::cache::CacheSettings::default()),
    )
    .await
    .unwrap();
    let password = botfleet::secrets::Secret::new("a long enough password");
    auth.create_user("hana", &password, botfleet::auth::Role::Viewer).await.unwrap();
    let client = https_client(&cert).build().unwrap();
    let res = client
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&serde_json::json!({"username": "hana", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-botfleet_session="), "{cookie}");
    for attribute in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let pair = cookie.split(';').next().unwrap();
    let me = client.get(format!("{}/api/v1/auth/me", app.url)).header("cookie", pair).send().await.unwrap();
    assert_eq!(me.status(), 200);
    app.stop().await;
}
