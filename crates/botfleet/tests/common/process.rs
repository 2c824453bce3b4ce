//! A real `botfleet serve` process for tests that need one (signals, exit codes).

#![allow(dead_code)] // each test file uses a different part

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

/// Starts `botfleet serve --listen 127.0.0.1:0` on `data_dir` with extra environment; returns the
/// child and its API base URL (`http://127.0.0.1:PORT/api/v1`, `https://` with TLS settings), read from its start-up log line.
/// The rest of its log is drained in the background.
pub async fn serve(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let (child, api, _) = serve_with_line(data_dir, env).await;
    (child, api)
}

/// [`serve`], also returning its start-up line ("botfleet is serving", with its settings).
pub async fn serve_with_line(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (tokio::process::Child, String, String) {
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
    let (api, serving) = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("botfleet logs within 30 s")
            .expect("stderr readable")
            .expect("serve logs its address");
        if let Some(rest) = line.split("api=").nth(1) {
            break (rest.split_whitespace().next().expect("an address").to_owned(), line);
        }
    };
    let api_for_log = api.clone();
    // Warnings and errors go to the test's output (shown when it fails); every line with
    // BOTFLEET_TEST_NODE_LOG=all.
    let all = std::env::var("BOTFLEET_TEST_NODE_LOG").is_ok_and(|v| v == "all");
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if all || line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("panicked") {
                eprintln!("[{api_for_log}] {line}");
            }
        }
    });
    (child, api, serving)
}

/// Makes an admin API key with `botfleet key add` on `data_dir` (as an operator would) and
/// returns it.
pub async fn admin_key(data_dir: &std::path::Path) -> String {
    admin_key_with(data_dir, &[]).await
}

/// [`admin_key`] with extra environment (`BOTFLEET_DATABASE_URL`, say).
pub async fn admin_key_with(data_dir: &std::path::Path, env: &[(&str, &str)]) -> String {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"));
    cmd.args(["key", "add", "--name", "tests", "--role", "admin"])
        .env("BOTFLEET_DATA_DIR", data_dir)
        .env_remove("BOTFLEET_DATABASE_URL")
        .env_remove("BOTFLEET_SECRET_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("botfleet key add runs");
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

/// Adds a bot over the API (`POST {api}/bots` with `body`) and returns its id; anything but 201
/// fails the test with the answer.
pub async fn create_bot(http: &reqwest::Client, api: &str, body: serde_json::Value) -> i64 {
    let r = http.post(format!("{api}/bots")).json(&body).send().await.expect("POST /bots answers");
    let status = r.status();
    let bot: serde_json::Value = r.json().await.expect("a JSON answer");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{bot}");
    bot["id"].as_i64().expect("the bot's id")
}

/// A fresh PostgreSQL database for one process test, on the server the tests use
/// (`BOTFLEET_TEST_POSTGRES_URL`); [`ScratchDb::remove`] drops it.
pub struct ScratchDb {
    conn: sqlx::PgConnection,
    name: String,
    pub url: String,
}

/// Makes a [`ScratchDb`] named `<prefix>_<random>`; `None` (the test skips, saying why) when
/// PostgreSQL cannot be reached, unless `BOTFLEET_TEST_REQUIRE_ALL=1`, where that fails the test.
pub async fn scratch_postgres(prefix: &str) -> Option<ScratchDb> {
    use sqlx::Connection;
    let admin = std::env::var("BOTFLEET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) if std::env::var("BOTFLEET_TEST_REQUIRE_ALL").as_deref() != Ok("1") => {
            eprintln!("SKIPPED: PostgreSQL not reachable at {admin} ({e})");
            return None;
        }
        Err(e) => panic!("PostgreSQL is required but {admin} is not reachable: {e}"),
    };
    let name = format!("{prefix}_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create the database");
    let base = admin.rsplit_once('/').map_or(admin.clone(), |(b, _)| b.to_owned());
    Some(ScratchDb { conn, url: format!("{base}/{name}"), name })
}

impl ScratchDb {
    /// Drops the database (whoever is still connected).
    pub async fn remove(mut self) {
        let _ = sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name)).execute(&mut self.conn).await;
    }
}

/// Sends SIGTERM to a child.
pub fn sigterm(child: &tokio::process::Child) {
    signal(child, "TERM");
}

/// Sends `kill -<name>` to the process (`STOP` pauses it, `CONT` resumes it).
pub fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let _ = std::process::Command::new("kill").args([&format!("-{name}"), &pid]).status();
}

/// The message a bot's reply answers: botfleet sends the id of that message as the reply's nonce
/// (a number or a string, as Discord echoes it).
pub fn answers(nonce: Option<&serde_json::Value>) -> Option<u64> {
    let nonce = nonce?;
    nonce.as_u64().or_else(|| nonce.as_str().and_then(|s| s.parse().ok()))
}
