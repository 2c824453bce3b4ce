//! A database outage longer than the tracking queue holds (issue 18 §2), on SQLite and on
//! PostgreSQL: with a queue of 4 and the database unreachable, several times the queue in prefix
//! commands are all answered meanwhile, the overflow is spooled on disk (readiness `degraded` with
//! a `tracking_spool` check, `/metrics` gauges), and once the database is back every command is
//! tracked exactly once and the spool is gone.
//!
//! How the database is made unreachable:
//! - PostgreSQL: botfleet's URL points at a TCP proxy inside this test, switched to close every
//!   connection it accepts and to cut those open (the server is gone, as far as botfleet can
//!   tell). The API needs the database too, so readiness is then 503; a second phase lets
//!   connections through but holds `LOCK TABLE discord_command_logs IN EXCLUSIVE MODE` from
//!   another session, so that reads answer, command-log inserts wait, and readiness must say
//!   `degraded`.
//! - SQLite: another connection holds `BEGIN EXCLUSIVE`, so every write fails with SQLITE_BUSY
//!   after the store's 5 s busy timeout, while reads (WAL) still answer — the honest SQLite
//!   equivalent of a server that refuses writes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/proxy.rs"]
mod proxy;

use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use proxy::Proxy;
use serde_json::{json, Value};
use sqlx::Connection;
use std::sync::{Arc, Mutex};

const QUEUE: u64 = 4;
const COMMANDS: u64 = 4 * QUEUE;

struct World {
    emulator: Emulator,
    alice: u64,
    channels: Vec<u64>,
    shop_token: String,
    app: TestApp,
    /// The database's own URL (not through the proxy).
    real_url: String,
    proxy: Option<Proxy>,
}

async fn world(backend: Backend) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Demo Shop", alice).unwrap();
    let channels: Vec<u64> = (0..4).map(|i| emulator.create_channel(guild, &format!("c{i}")).unwrap()).collect();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let admin = common::postgres_admin_url();
    let upstream = admin.split_once('@').and_then(|(_, rest)| rest.split_once('/')).map(|(host, _)| host.to_owned());
    let proxy = match (backend, upstream) {
        (Backend::Postgres, Some(upstream)) => Some(Proxy::start(upstream).await),
        _ => None,
    };
    let real_url = Arc::new(Mutex::new(String::new()));
    let app = {
        let (real_url, proxy_addr) = (real_url.clone(), proxy.as_ref().map(|p| p.addr));
        TestApp::spawn_configured(backend, emulator.http_url(), move |config| {
            config.tracking_queue = QUEUE;
            let url = config.storage.database_url.clone().unwrap();
            *real_url.lock().unwrap() = url.clone();
            if let Some(addr) = proxy_addr {
                let (scheme, rest) = url.split_once('@').unwrap();
                let (_, db) = rest.split_once('/').unwrap();
                config.storage.database_url = Some(format!("{scheme}@{addr}/{db}"));
            }
        })
        .await?
    };
    let real_url = real_url.lock().unwrap().clone();
    Some(World { emulator, alice, channels, shop_token: shop.token, app, real_url, proxy })
}

impl World {
    async fn ready(&self) -> (u16, Value) {
        let (status, body) = self.app.get("/api/v1/health/ready").await;
        (status.as_u16(), body)
    }

    async fn metric(&self, name: &str) -> Option<f64> {
        let res = self.app.http.get(format!("{}/metrics", self.app.url)).send().await.ok()?;
        if !res.status().is_success() {
            return None;
        }
        let text = res.text().await.ok()?;
        text.lines().find_map(|l| l.strip_prefix(&format!("{name} ")).and_then(|v| v.trim().parse().ok()))
    }

    fn replies(&self) -> usize {
        let bot_messages =
            |c: &u64| self.emulator.messages(*c).unwrap().into_iter().filter(|m| m.author_is_bot).count();
        self.channels.iter().map(bot_messages).sum()
    }

    fn spool_files(&self) -> Vec<String> {
        match std::fs::read_dir(self.app.dir.path().join("spool")) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".seg"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The readiness answer's `tracking_spool` check, when it says records are spooled.
fn spool_check(body: &Value) -> Option<Value> {
    let check = body["checks"].as_array()?.iter().find(|c| c["name"] == "tracking_spool")?.clone();
    (check["state"] == "degraded").then_some(check)
}

async fn commands_are_answered_and_tracked_once_across_an_outage(w: World) {
    let (status, bot) = w
        .app
        .post("/api/v1/bots", json!({"name": "Shop", "token": w.shop_token, "anti_spam": {"enabled": false}}))
        .await;
    assert_eq!(status.as_u16(), 201, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    let (status, body) = w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    until("the bot to run", 30, || async {
        (w.app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
    })
    .await;
    let (status, body) = w.ready().await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")), "{body}");

    // The outage.
    let mut sqlite_lock = None;
    match &w.proxy {
        Some(proxy) => proxy.down(),
        None => {
            let mut conn = sqlx::SqliteConnection::connect(&w.real_url).await.unwrap();
            sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.unwrap();
            sqlite_lock = Some(conn);
        }
    }
    for i in 0..COMMANDS {
        // Spread over channels: Discord allows a bot 5 messages per 5 s in one channel.
        let channel = w.channels[i as usize % w.channels.len()];
        w.emulator.user_message(w.alice, channel, &format!("!ping n{i}")).unwrap();
    }
    until("every command to be answered while the database is away", 90, || async {
        (w.replies() as u64 >= COMMANDS).then_some(())
    })
    .await;
    assert!(!w.spool_files().is_empty(), "the overflow is on disk");

    // PostgreSQL: back, but command-log inserts wait behind a lock, so the spool stays while the
    // API answers.
    let mut pg_lock = None;
    if let Some(proxy) = &w.proxy {
        let mut conn = sqlx::PgConnection::connect(&w.real_url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query("LOCK TABLE discord_command_logs IN EXCLUSIVE MODE").execute(&mut conn).await.unwrap();
        pg_lock = Some(conn);
        proxy.up();
    }
    let check = until("readiness to say degraded, with the spool check", 60, || async {
        let (status, body) = w.ready().await;
        (status == 200 && body["status"] == "degraded").then(|| spool_check(&body)).flatten()
    })
    .await;
    assert!(check["ok"].as_bool().unwrap(), "degraded is not failed: {check}");
    assert!(check["detail"].as_str().unwrap().contains("spool"), "{check}");
    let spooled = until("the spooled-records gauge", 60, || async {
        w.metric("botfleet_tracking_spooled_records").await.filter(|&n| n > 0.0)
    })
    .await;
    assert!(spooled <= COMMANDS as f64 + 20.0, "{spooled}");
    assert!(w.metric("botfleet_tracking_spool_bytes").await.unwrap() > 0.0);

    // The database is back.
    if let Some(mut conn) = pg_lock {
        sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    }
    if let Some(mut conn) = sqlite_lock {
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    }
    let store = w.app.store.clone();
    let rows = until("the backlog to be written", 120, || {
        let store = store.clone();
        async move {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT arguments, COUNT(*) FROM discord_command_logs WHERE bot_id = $1 GROUP BY arguments",
            )
            .bind(id)
            .fetch_all(store.pool())
            .await
            .ok()?;
            (rows.len() as u64 == COMMANDS).then_some(rows)
        }
    })
    .await;
    for (argument, count) in &rows {
        assert_eq!(*count, 1, "{argument} tracked once: {rows:?}");
    }
    until("the spool to be gone", 60, || async { w.spool_files().is_empty().then_some(()) }).await;
    let (status, body) = until("readiness to be ready again", 60, || async {
        let (status, body) = w.ready().await;
        (body["status"] == "ready").then_some((status, body))
    })
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(w.metric("botfleet_tracking_spooled_records").await, Some(0.0));
    assert_eq!(w.metric("botfleet_tracking_records_dropped_total").await, Some(0.0), "none lost");
    assert_eq!(w.replies() as u64, COMMANDS, "each command answered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commands_are_answered_and_tracked_once_across_an_outage() {
    if let Some(w) = world(Backend::Sqlite).await {
        commands_are_answered_and_tracked_once_across_an_outage(w).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commands_are_answered_and_tracked_once_across_an_outage() {
    if let Some(w) = world(Backend::Postgres).await {
        commands_are_answered_and_tracked_once_across_an_outage(w).await;
    }
}
