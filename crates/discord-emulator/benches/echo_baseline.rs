//! Baseline benchmark: bare twilight echo bots (this process) driven by the load driver of a
//! `discord-emulator` running in its own process. Prints the load report as JSON.
//!
//!   cargo bench -p discord-emulator --bench echo_baseline
//!   BENCH_BOTS=20 BENCH_RATE=1000 BENCH_DURATION=10 BENCH_SLASH_PERCENT=50 cargo bench ...
//!
//! This is the figure botfleet is compared with: the same scenario against botfleet's bots.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

#[path = "../tests/common/echo_bot.rs"]
mod echo_bot;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{json, Value};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bots: usize = env_or("BENCH_BOTS", 20);
    let scenario = json!({
        "users": env_or("BENCH_USERS", 50usize),
        "rate": env_or("BENCH_RATE", 1000.0f64),
        "duration_secs": env_or("BENCH_DURATION", 10.0f64),
        "slash_percent": env_or("BENCH_SLASH_PERCENT", 50u8),
        "grace_secs": 10.0,
    });
    let world = std::env::temp_dir().join(format!("echo-baseline-{}.toml", std::process::id()));
    let mut text = String::new();
    for i in 0..bots {
        text.push_str(&format!("[[applications]]\nname = \"Echo {i}\"\ntoken = \"echo-baseline-{i}\"\n\n"));
    }
    std::fs::write(&world, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_discord-emulator"))
        .args(["--listen", "127.0.0.1:0", "--json", "--world"])
        .arg(&world)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the discord-emulator binary starts");
    let stdout = child.stdout.take().unwrap();
    let _emulator = Killed(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    let http_url = printed["http_url"].as_str().unwrap().to_owned();
    let gateway = printed["gateway_url"].as_str().unwrap().to_owned();
    let host = http_url.trim_start_matches("http://").to_owned();

    for app in printed["world"]["applications"].as_array().unwrap() {
        let (token, id) = (app["token"].as_str().unwrap().to_owned(), app["application_id"].as_u64().unwrap());
        tokio::spawn(echo_bot::run(host.clone(), gateway.clone(), token, id));
    }
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let counters: Value =
            http.get(format!("{http_url}/_emulator/counters")).send().await.unwrap().json().await.unwrap();
        let sessions: Value =
            http.get(format!("{http_url}/_emulator/gateway/sessions")).send().await.unwrap().json().await.unwrap();
        let attached = sessions.as_array().unwrap().iter().filter(|s| s["attached"] == true).count();
        let registered =
            counters["rest_by_route"]["POST /applications/{application_id}/commands"].as_u64().unwrap_or(0);
        if attached == bots && registered as usize == bots {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "echo bots did not all connect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("{bots} echo bots ready in {:?}; running {scenario}", started.elapsed());
    let report: Value = http
        .post(format!("{http_url}/_emulator/load"))
        .json(&scenario)
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let _ = std::fs::remove_file(world);
}
