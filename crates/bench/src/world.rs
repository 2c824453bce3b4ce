//! The pieces every fleet benchmark runs: the emulator and botfleet, each its own process, bots
//! added and started through the API, the emulator's load driver, and what `/proc` says about a
//! process (RSS, CPU time). Binaries are looked for next to the running benchmark
//! (`target/<profile>/`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn bin(name: &str) -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().join(name)
}

/// User + system CPU time of `pid` so far, in microseconds.
pub fn cpu_us(pid: u32) -> u64 {
    static TICK_US: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let tick_us = *TICK_US.get_or_init(|| {
        let out = std::process::Command::new("getconf").arg("CLK_TCK").output();
        let hz: u64 = out.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100);
        1_000_000 / hz.max(1)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) are space-separated; utime and stime
    // are the 14th and 15th of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
    fields.iter().sum::<u64>() * tick_us
}

/// CPU microseconds per answered command of each process over one load run.
pub fn cpu_per_command(before: u64, after: u64, answered: u64) -> f64 {
    if answered == 0 {
        return 0.0;
    }
    after.saturating_sub(before) as f64 / answered as f64
}

pub fn answered(report: &Value) -> u64 {
    ["prefix", "slash"].iter().map(|k| report["kinds"][k]["answered"].as_u64().unwrap_or(0)).sum()
}

pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub struct Emulator {
    pub child: Child,
    pub url: String,
    pub gateway: String,
    pub apps: Vec<Value>,
}

/// Starts the emulator process with `bots` applications, each with its own small guild.
pub async fn emulator(bots: usize, dir: &std::path::Path) -> Emulator {
    emulator_with_members(bots, 0, dir).await
}

/// Starts the emulator process with `bots` applications, each with its own guild of two members
/// and `more` other members (the same users in every guild: a larger GUILD_CREATE per bot).
pub async fn emulator_with_members(bots: usize, more: usize, dir: &std::path::Path) -> Emulator {
    let mut world = String::from("[[users]]\nusername = \"alice\"\n\n");
    for j in 0..more {
        world.push_str(&format!("[[users]]\nusername = \"member{j}\"\n\n"));
    }
    let others: String = (0..more).map(|j| format!(", \"member{j}\"")).collect();
    for i in 0..bots {
        world.push_str(&format!("[[applications]]\nname = \"Bench {i}\"\ntoken = \"bench.token.{i:06}-not-a-real-token-abcdefghijklmnop\"\n\n"));
    }
    for i in 0..bots {
        world.push_str(&format!("[[guilds]]\nname = \"Shop {i}\"\nowner = \"alice\"\nchannels = [\"general\"]\nmembers = [\"alice\", \"Bench {i}\"{others}]\n\n"));
    }
    let path = dir.join("world.toml");
    std::fs::write(&path, world).unwrap();
    let mut child = Command::new(bin("discord-emulator"))
        .args(["--listen", "127.0.0.1:0", "--json", "--world"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("target/release/discord-emulator (run ./scripts/bench)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).await.unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    Emulator {
        child,
        url: printed["http_url"].as_str().unwrap().to_owned(),
        gateway: printed["gateway_url"].as_str().unwrap().to_owned(),
        apps: printed["world"]["applications"].as_array().unwrap().clone(),
    }
}

pub async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Waits until `bots` sessions are attached and every bot registered its commands.
pub async fn wait_connected(http: &reqwest::Client, emu: &Emulator, bots: usize) -> Duration {
    let started = tokio::time::Instant::now();
    loop {
        let sessions = get(http, format!("{}/_emulator/gateway/sessions", emu.url)).await;
        let attached = sessions.as_array().map_or(0, |s| s.iter().filter(|s| s["attached"] == true).count());
        let counters = get(http, format!("{}/_emulator/counters", emu.url)).await;
        let routes = &counters["rest_by_route"];
        let registered = routes["POST /applications/{application_id}/commands"].as_u64().unwrap_or(0)
            + routes["PUT /applications/{application_id}/commands"].as_u64().unwrap_or(0);
        if attached >= bots && registered >= bots as u64 {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(300), "bots did not connect: {attached}/{bots} attached");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run_load(http: &reqwest::Client, emu: &Emulator, rate: f64, secs: f64) -> Value {
    let scenario = json!({"users": 100, "rate": rate, "duration_secs": secs, "slash_percent": 50, "grace_secs": 10.0});
    http.post(format!("{}/_emulator/load", emu.url))
        .json(&scenario)
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub struct Botfleet {
    pub child: Child,
    pub api: String,
    /// An admin API key made with `botfleet key add` before the service starts.
    pub key: String,
    pub db: PathBuf,
}

/// `BENCH_WORKER_THREADS`: the threads of botfleet's and the echo bots' runtimes (unset or `0`:
/// each process's default, one per core). `./scripts/bench` sets 1 unless told otherwise: on a
/// 2-core machine the emulator and its load driver use the other core.
pub fn worker_threads() -> Option<String> {
    std::env::var("BENCH_WORKER_THREADS").ok().filter(|n| !n.is_empty() && n != "0")
}

pub async fn botfleet(emu: &Emulator, dir: &std::path::Path, monitoring: bool) -> Botfleet {
    let made = Command::new(bin("botfleet"))
        .args(["key", "add", "--name", "bench", "--role", "admin"])
        .env("BOTFLEET_DATA_DIR", dir)
        .env_remove("BOTFLEET_DATABASE_URL")
        .output()
        .await
        .expect("botfleet key add");
    let key = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    let prefix = std::env::var("BENCH_BOTFLEET_PREFIX").unwrap_or_default();
    let mut words: Vec<String> = prefix.split_whitespace().map(str::to_owned).collect();
    words.push(bin("botfleet").display().to_string());
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOTFLEET_DATA_DIR", dir)
        // Thousands of bots are created one request at a time.
        .env("BOTFLEET_RATE_LIMIT_PER_MINUTE", "10000000")
        .env("BOTFLEET_BOT_OPS_PER_MINUTE", "10000000")
        .env("BOTFLEET_DISCORD_API_URL", &emu.url)
        .env("BOTFLEET_MONITORING", monitoring.to_string())
        .envs(worker_threads().map(|n| ("BOTFLEET_WORKER_THREADS", n)))
        .env_remove("BOTFLEET_DATABASE_URL")
        .env("RUST_LOG", "warn,botfleet=info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("target/release/botfleet");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let api = loop {
        let line = lines.next_line().await.unwrap().expect("botfleet prints its address");
        if let Some(rest) = line.split("api=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Botfleet { child, api, key, db: dir.join("botfleet.db") }
}

pub async fn add_and_start(http: &reqwest::Client, bf: &Botfleet, emu: &Emulator) {
    let mut ids = Vec::new();
    for app in &emu.apps {
        let bot: Value = http
            .post(format!("{}/bots", bf.api))
            .bearer_auth(&bf.key)
            // The scripted users run commands faster than anti-spam allows; the echo baseline has
            // none, so the comparison runs without it.
            .json(&json!({"name": app["name"], "token": app["token"], "anti_spam": {"enabled": false}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(bot["id"].as_i64().expect("bot created"));
    }
    for chunk in ids.chunks(1000) {
        http.post(format!("{}/bots/bulk", bf.api))
            .bearer_auth(&bf.key)
            .json(&json!({"action": "start", "bot_ids": chunk}))
            .send()
            .await
            .unwrap();
    }
}

pub fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fleet-bench-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[allow(clippy::disallowed_methods)] // A unique folder name, not a time rule.
pub fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}
