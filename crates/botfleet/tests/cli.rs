//! The `botfleet` binary as an operator meets it: `--help`, `migrate`, and `serve` with defaults
//! that just work (SQLite file and key file created on first run), stopped cleanly by SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::time::Duration;

fn botfleet() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"));
    cmd.env_remove("BOTFLEET_DATABASE_URL").env_remove("BOTFLEET_SECRET_KEY").env_remove("RUST_LOG");
    cmd
}

#[tokio::test]
async fn help_names_every_setting_and_its_environment_variable() {
    let out = botfleet().args(["serve", "--help"]).output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for var in [
        "BOTFLEET_DATA_DIR",
        "BOTFLEET_DATABASE_URL",
        "BOTFLEET_LISTEN",
        "BOTFLEET_DISCORD_API_URL",
        "BOTFLEET_SECRET_KEY",
        "BOTFLEET_LOG_FORMAT",
    ] {
        assert!(text.contains(var), "serve --help lacks {var}:\n{text}");
    }
    let top = botfleet().arg("--help").output().await.unwrap();
    let top = String::from_utf8_lossy(&top.stdout);
    assert!(top.contains("serve") && top.contains("migrate"));
}

#[tokio::test]
async fn migrate_then_serve_then_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet().arg("migrate").env("BOTFLEET_DATA_DIR", dir.path()).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("botfleet.db").exists());

    let (mut child, api) = process::serve(dir.path(), &[]).await;
    let health: serde_json::Value = reqwest::get(format!("{api}/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert!(dir.path().join("secret.key").exists(), "the token key is created on first run");
    process::sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[tokio::test]
async fn a_bad_setting_is_explained_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0", "--discord-api-url", "ftp://nope"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BOTFLEET_DISCORD_API_URL must start with http:// or https://")
    );
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0", "--secret-key", "too-short"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("BOTFLEET_SECRET_KEY must be 32 bytes"), "{err}");
    assert!(!err.contains("too-short"), "the key is not echoed");
}
