//! `botfleet demo` as a newcomer runs it: it prints where the API is, its bots run, simulated
//! shoppers' commands are answered and recorded, and Ctrl-C stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_bots_that_answer_shoppers_and_records_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"))
        .args(["demo", "--listen", "127.0.0.1:0", "--rate", "20"])
        .env("BOTFLEET_DEMO_DIR", dir.path().join("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut api, mut key, mut password, mut emu) = (None, None, None, None);
    while key.is_none() || emu.is_none() {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("the demo prints its API and credentials");
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("API key") {
            key = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(url) = line.strip_prefix("API ") {
            api = Some(url.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("Discord (emu)") {
            emu = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("Sign in") {
            password = rest.split_whitespace().nth(2).map(str::to_owned);
        }
    }
    let (api, key, password) = (api.unwrap(), key.unwrap(), password.unwrap());
    // The printed admin password signs in.
    let login = reqwest::Client::new()
        .post(format!("{api}/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.headers().get("set-cookie").is_some());
    // Without a credential, nothing but health answers.
    assert_eq!(reqwest::get(format!("{api}/bots")).await.unwrap().status(), 401);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {key}").parse().unwrap());
    let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let logs: serde_json::Value =
            http.get(format!("{api}/command-logs?limit=200")).send().await.unwrap().json().await.unwrap();
        let items = logs["items"].as_array().unwrap();
        let kinds: std::collections::HashSet<&str> = items.iter().filter_map(|r| r["kind"].as_str()).collect();
        if items.len() >= 10 && kinds.len() == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the demo's shoppers were not answered: {logs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bots: serde_json::Value = http.get(format!("{api}/bots")).send().await.unwrap().json().await.unwrap();
    let statuses: Vec<&str> = bots["items"].as_array().unwrap().iter().map(|b| b["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["running", "running", "running"]);
    let products: serde_json::Value = http.get(format!("{api}/products")).send().await.unwrap().json().await.unwrap();
    assert_eq!(products["items"].as_array().unwrap().len(), 6, "the demo shop has products: {products}");
    // The first bot keeps the stock message in its channel.
    let stock_channel = bots["items"][0]["stock_channel_id"].as_str().expect("a stock channel").to_owned();
    let emu = emu.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let url = format!("{emu}/_emulator/channels/{stock_channel}/messages");
        let text = reqwest::get(url).await.unwrap().text().await.unwrap();
        if text.contains("Mug with logo") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no stock message in the demo: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
}
