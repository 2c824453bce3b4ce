//! Authenticated API requests per second with the caches on and off (issue 22): `botfleet serve`
//! in this process (`botfleet::app`) on SQLite or PostgreSQL, 50 bots and 10,000 command-log
//! rows, then `--clients` concurrent keep-alive clients calling `GET /api/v1/bots?limit=50` and
//! `GET /api/v1/command-logs?limit=50` with an API key for `--secs` seconds each, with
//! `DISCORD_CACHE_ENABLED` true and false (rounds interleaved). The clients share the machine with
//! the server: the figures compare the two settings, they are not the server's ceiling. Prints
//! one JSON document.
//!
//!   cargo build --release -p bench --bin api-bench
//!   target/release/api-bench [--postgres] [--clients 16] [--secs 10] [--rounds 2]

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bench::soak::database::{self, Database};
use botfleet::config::ServeConfig;
use botfleet::logs::commands::{self, CommandKind, CommandRecord};
use clap::Parser;
use serde_json::{json, Value};
use tokio::time::Instant;

#[derive(Parser)]
struct Args {
    /// PostgreSQL (a new database on the test server) instead of SQLite.
    #[arg(long)]
    postgres: bool,
    #[arg(long, default_value_t = 16)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Rounds of (on, off) per route.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

/// `botfleet serve`'s flags, read as the binary reads them.
#[derive(Parser)]
struct Serve {
    #[command(flatten)]
    config: ServeConfig,
}

/// One running service.
struct Service {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(dir: &std::path::Path, database_url: &str, cache: bool) -> Service {
    let data_dir = dir.to_str().unwrap();
    let config = Serve::parse_from([
        "serve",
        "--data-dir",
        data_dir,
        "--database-url",
        database_url,
        "--discord-api-url",
        "http://127.0.0.1:9",
        "--cache",
        if cache { "true" } else { "false" },
        "--requests-per-minute",
        "100000000",
        "--monitoring",
        "false",
    ])
    .config;
    let state = botfleet::app::build(&config).await.expect("botfleet starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = botfleet::app::run(listener, state, async move {
            let _ = stopped.await;
        })
        .await;
    });
    Service { url, stop, task }
}

impl Service {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Requests per second of `clients` clients calling `path` for `secs` seconds.
async fn load(url: &str, key: &str, path: &str, clients: usize, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (done, target, key) = (done.clone(), format!("{url}{path}"), key.to_owned());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while Instant::now() < until {
                    let res = client.get(&target).bearer_auth(&key).send().await.unwrap();
                    assert!(res.status().is_success(), "{target}: {}", res.status());
                    let _ = res.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("api-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pg = if args.postgres {
        Some(Database::create(&database::admin_url(), &format!("api_bench_{}", std::process::id())).await.unwrap())
    } else {
        None
    };
    let database_url = match &pg {
        Some(db) => db.direct_url().unwrap(),
        None => format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
    };

    // Seed through a first start: 50 bots, 10,000 command rows, an admin key.
    let seeding = serve(&dir, &database_url, true).await;
    let store = botfleet::store::Store::connect(&database_url).await.unwrap();
    let grant = botfleet::auth::keys::Grant::Role(botfleet::auth::Role::Admin);
    let key =
        botfleet::auth::keys::create(&store, "bench", &grant, None, botfleet::time::now_ms(), None).await.unwrap().0;
    let http = reqwest::Client::new();
    for i in 0..50 {
        let token = format!("MTQzNjk5ODQ5NzAzNTQ0NjQwMA.Gx{i:04}.secretpartabcdefghijklmnopqrstuv{i:04}");
        let res = http
            .post(format!("{}/api/v1/bots", seeding.url))
            .bearer_auth(&key)
            .json(&json!({"name": format!("bot {i}"), "token": token}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "creating a bot: {}", res.text().await.unwrap());
    }
    let rows: Vec<CommandRecord> = (0..10_000u64)
        .map(|i| {
            let mut r = CommandRecord::new(
                1 + (i % 50) as i64,
                CommandKind::Slash,
                1_800_000_000_000 + i as i64,
                "stock",
                "tea".into(),
            )
            .from(i + 1, Some(7), 8, 9, "shopper");
            r.reply("5 left");
            r
        })
        .collect();
    commands::insert_batch(&store, &rows).await.unwrap();
    seeding.stop().await;

    let mut results: Vec<Value> = Vec::new();
    for path in ["/api/v1/bots?limit=50", "/api/v1/command-logs?limit=50"] {
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            for cache in [true, false] {
                let service = serve(&dir, &database_url, cache).await;
                load(&service.url, &key, path, 2, 1).await; // warm up
                let rate = load(&service.url, &key, path, args.clients, args.secs).await;
                service.stop().await;
                eprintln!("{path} cache {}: {rate:.0} requests/s", if cache { "on" } else { "off" });
                if cache {
                    on.push(rate)
                } else {
                    off.push(rate)
                }
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        results.push(json!({
            "route": path,
            "cache_on_rps": on.iter().map(|r| r.round()).collect::<Vec<_>>(),
            "cache_off_rps": off.iter().map(|r| r.round()).collect::<Vec<_>>(),
            "gain": (mean(&on) / mean(&off) * 100.0).round() / 100.0,
        }));
    }
    store.close().await;
    let doc = json!({
        "database": if args.postgres { "postgres" } else { "sqlite" },
        "clients": args.clients,
        "secs": args.secs,
        "routes": results,
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap());
    if let Some(db) = pg {
        db.drop_database().await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
