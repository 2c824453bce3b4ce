//! The baseline process: N bare twilight echo bots (`!ping` → reply, `/ping` → response), nothing
//! tracked. Reads `[{token, application_id}]` JSON on stdin; prints `READY` when all are started.
//!
//!   echo-bots --host 127.0.0.1:PORT --gateway ws://127.0.0.1:PORT < bots.json

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark tool fails loudly

#[path = "../../../discord-emulator/tests/common/echo_bot.rs"]
mod echo_bot;

use std::io::Read;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().expect(name);
    let (host, gateway) = (arg("--host"), arg("--gateway"));
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let bots: Vec<serde_json::Value> = serde_json::from_str(&input).unwrap();
    for bot in &bots {
        let token = bot["token"].as_str().unwrap().to_owned();
        let app = bot["application_id"].as_u64().unwrap();
        tokio::spawn(echo_bot::run(host.clone(), gateway.clone(), token, app));
    }
    println!("READY");
    std::future::pending::<()>().await;
}
