//! A real `botfleet serve` process for tests that need one (signals, exit codes).

#![allow(dead_code)] // each test file uses a different part

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

/// Starts `botfleet serve --listen 127.0.0.1:0` on `data_dir` with extra environment; returns the
/// child and its API base URL (`http://127.0.0.1:PORT/api/v1`, `https://` with TLS settings), read from its start-up log line.
/// The rest of its log is drained in the background.
pub async fn serve(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOTFLEET_DATA_DIR", data_dir)
        .env_remove("BOTFLEET_DATABASE_URL")
        .env_remove("BOTFLEET_SECRET_KEY")
        .env_remove("BOTFLEET_TLS_CERT")
        .env_remove("BOTFLEET_TLS_KEY")
        .env_remove("BOTFLEET_TRUSTED_PROXIES")
        .env_remove("BOTFLEET_PUBLIC_ORIGIN")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("botfleet starts");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let api = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("botfleet logs within 30 s")
            .expect("stderr readable")
            .expect("serve logs its address");
        if let Some(rest) = line.split("api=").nth(1) {
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, api)
}

/// Makes an admin API key with `botfleet key add` on `data_dir` (as an operator would) and
/// returns it.
pub async fn admin_key(data_dir: &std::path::Path) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"))
        .args(["key", "add", "--name", "tests", "--role", "admin"])
        .env("BOTFLEET_DATA_DIR", data_dir)
        .env_remove("BOTFLEET_DATABASE_URL")
        .env_remove("BOTFLEET_SECRET_KEY")
        .output()
        .await
        .expect("botfleet key add runs");
    assert!(out.status.success(), "key add failed: {}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(key.starts_with("bf_"), "{key}");
    key
}

/// A reqwest client sending `Authorization: Bearer key`.
pub fn client(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {key}").parse().expect("header"));
    reqwest::Client::builder().default_headers(headers).build().expect("client")
}

/// Sends SIGTERM to a child.
pub fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
}
