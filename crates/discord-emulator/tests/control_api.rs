//! The control API over HTTP and the `discord-emulator` binary: scripting a world from outside
//! the process, reading back what bots did, and clear errors for bad control requests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Stdio;
use std::time::Duration;

use discord_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;

async fn call(http: &reqwest::Client, method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_world_is_scripted_and_read_back_over_http() {
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    let http = reqwest::Client::new();
    let base = format!("{}/_emulator", emulator.http_url());
    let world = r#"
        [[applications]]
        name = "Shop Bot"
        token = "fixed-token"
        [[users]]
        username = "alice"
        [[guilds]]
        name = "Shop"
        channels = ["general"]
    "#;
    let summary: Value = http.post(format!("{base}/world")).body(world).send().await.unwrap().json().await.unwrap();
    assert_eq!(summary["applications"][0]["token"], "fixed-token");
    let app = summary["applications"][0]["application_id"].as_u64().unwrap();
    let alice = summary["users"][0][1].as_u64().unwrap();
    let general = summary["guilds"][0]["channels"][0][1].as_u64().unwrap();

    let (status, posted) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/channels/{general}/messages"),
        Some(json!({"author_id": alice, "content": "hi"})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(posted["id"].as_u64().is_some());

    // The bot answers over Discord's REST API; the control API shows it with timestamps.
    let res = http
        .post(format!("{}/channels/{general}/messages", emulator.api_url()))
        .header("Authorization", "Bot fixed-token")
        .json(&json!({"content": "hello alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, list) = call(&http, reqwest::Method::GET, format!("{base}/channels/{general}/messages"), None).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[1]["content"].as_str(), list[1]["author_is_bot"].as_bool()), (Some("hello alice"), Some(true)));
    assert!(list[1]["created_at"].as_str().unwrap().ends_with("+00:00"));

    http.put(format!("{}/applications/{app}/commands", emulator.api_url()))
        .header("Authorization", "Bot fixed-token")
        .json(&json!([{"name": "ping", "description": "Pong"}]))
        .send()
        .await
        .unwrap();
    let (status, started) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/interactions"),
        Some(json!({
            "application_id": app, "user_id": alice, "channel_id": general,
            "action": {"type": "slash_command", "name": "ping"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let id = started["interaction_id"].as_u64().unwrap();
    let (_, record) = call(&http, reqwest::Method::GET, format!("{base}/interactions/{id}"), None).await;
    assert_eq!(
        (record["acknowledged"].as_bool(), record["responses"].as_array().map(Vec::len)),
        (Some(false), Some(0))
    );

    let (_, counters) = call(&http, reqwest::Method::GET, format!("{base}/counters"), None).await;
    assert!(counters["rest_requests"].as_u64().unwrap() >= 2);
    let (status, _) =
        call(&http, reqwest::Method::POST, format!("{base}/time/advance"), Some(json!({"ms": 1000}))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_control_requests_get_clear_errors_and_change_nothing() {
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    let http = reqwest::Client::new();
    let base = format!("{}/_emulator", emulator.http_url());
    let (status, body) = call(&http, reqwest::Method::POST, format!("{base}/users"), Some(json!({"name": "x"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_body")));
    let (status, body) =
        call(&http, reqwest::Method::POST, format!("{base}/users"), Some(json!({"username": "x"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid")));
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/channels/5/messages"),
        Some(json!({"author_id": 1, "content": "x"})),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _) =
        call(&http, reqwest::Method::POST, format!("{base}/gateway/close"), Some(json!({"code": 99}))).await;
    assert_eq!(status, 400);
    let res = http.post(format!("{base}/world")).body("[[nonsense").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let (_, world) = call(&http, reqwest::Method::GET, format!("{base}/world"), None).await;
    assert_eq!(world["users"], json!([]));
}

#[tokio::test]
async fn the_binary_prints_its_urls_and_the_tokens_of_its_world() {
    let world = std::env::temp_dir().join(format!("emulator-world-{}.toml", std::process::id()));
    std::fs::write(&world, "[[applications]]\nname = \"Printed Bot\"\ntoken = \"printed-token\"\n[[users]]\nusername = \"bob\"\n[[guilds]]\nname = \"Printed Shop\"\nchannels = [\"general\"]\n").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_discord-emulator"))
        .args(["--listen", "127.0.0.1:0", "--json", "--world"])
        .arg(&world)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(printed["world"]["applications"][0]["token"], "printed-token");
    let api = format!("{}/api/v10", printed["http_url"].as_str().unwrap());
    let me: Value = reqwest::Client::new()
        .get(format!("{api}/users/@me"))
        .header("Authorization", "Bot printed-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Printed Bot");
    assert!(printed["gateway_url"].as_str().unwrap().starts_with("ws://127.0.0.1:"));
    child.kill().await.unwrap();
    let _ = std::fs::remove_file(world);
}

#[tokio::test]
async fn the_load_subcommand_runs_a_scenario_on_a_running_emulator() {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_discord-emulator"))
        .args(["--listen", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    let url = printed["http_url"].as_str().unwrap();
    // No bot is connected: every command is sent and none is answered, and the report says so.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_discord-emulator"))
        .args(["load", "--url", url, "--rate", "20", "--duration", "0.5", "--slash-percent", "0", "--grace", "0.1"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["kinds"]["prefix"]["sent"], 10);
    assert_eq!(report["kinds"]["prefix"]["unanswered"], 10);
    // A bad scenario fails with the emulator's explanation.
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_discord-emulator"))
        .args(["load", "--url", url, "--rate", "0"])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("rate must be above 0"));
    server.kill().await.unwrap();
}
