//! A real `botfleet serve` process for tests that need one (signals, exit codes).

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

/// Sends SIGTERM to a child.
pub fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
}
