//! Large bots, on SQLite and PostgreSQL: a bot in more servers than one shard may hold runs the
//! shards `GET /gateway/bot` recommends, each with its own session (saved, resumed on a restart),
//! every command answered once whichever shard its server is on; a bot that grows past its shards
//! while running is told 4011 (sharding required) by the gateway and starts again with more.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::json;

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    /// One channel per server the bot is in.
    channels: Vec<u64>,
    app: TestApp,
}

/// A bot in `servers` servers, two servers per shard at most.
async fn world(backend: Backend, servers: usize) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let spec = ApplicationSpec { name: "Big Shop".into(), max_guilds_per_shard: 2, ..Default::default() };
    let shop = emulator.create_application(spec).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let mut channels = Vec::new();
    let mut joined = Vec::new();
    while channels.len() < servers {
        let i = channels.len();
        if let Some((guild, channel)) = server_with_room(&emulator, &shop, alice, i, &joined, servers) {
            joined.push(guild);
            channels.push(channel);
        }
    }
    let app = TestApp::spawn_with(backend, emulator.http_url()).await?;
    Some(World { emulator, shop, alice, channels, app })
}

/// A server made a millisecond after the last, with the bot in it when its shard has room beside
/// the servers `joined` — at most two per shard both for the shards Discord recommends for
/// `servers` and for one more server — as Discord's recommendation leaves room (a server's shard
/// follows the time in its id, `(id >> 22) % shards`); its id and channel, or `None` when it was
/// made without the bot.
fn server_with_room(
    emulator: &Emulator,
    shop: &ApplicationInfo,
    alice: u64,
    i: usize,
    joined: &[u64],
    servers: usize,
) -> Option<(u64, u64)> {
    emulator.advance_time(std::time::Duration::from_millis(1));
    let guild = emulator.create_guild(&format!("Shop {i}"), alice).unwrap();
    let fits = |n: usize| {
        let shards = n.div_ceil(2).max(1) as u64;
        joined.iter().filter(|g| (*g >> 22) % shards == (guild >> 22) % shards).count() < 2
    };
    if !(fits(servers) && fits(servers + 1)) {
        return None;
    }
    let channel = emulator.create_channel(guild, "orders").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    Some((guild, channel))
}

/// The shard counts of the bot's attached sessions, by shard id.
fn attached(w: &World) -> BTreeSet<[u32; 2]> {
    w.emulator.sessions(Some(w.shop.application_id)).into_iter().filter(|s| s.attached).map(|s| s.shard).collect()
}

async fn start_bot(w: &World) -> i64 {
    let body = json!({"name": "Big Shop", "token": w.shop.token, "anti_spam": {"enabled": false}});
    let (status, bot) = w.app.post("/api/v1/bots", body).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    let (status, body) = w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn running_on(w: &World, id: i64, shards: u32) {
    let want: BTreeSet<[u32; 2]> = (0..shards).map(|s| [s, shards]).collect();
    until(&format!("the bot to run on {shards} shards"), 60, || async {
        let status = w.app.get(&format!("/api/v1/bots/{id}")).await.1["status"].clone();
        (status == "running" && attached(w) == want).then_some(())
    })
    .await;
}

/// Sends `!ping` in every server's channel and waits until each is answered; each answered once.
async fn every_server_answered_once(w: &World, tag: &str) {
    let sent: Vec<(u64, u64)> = w
        .channels
        .iter()
        .map(|c| (*c, w.emulator.user_message(w.alice, *c, &format!("!ping {tag}")).unwrap()))
        .collect();
    let replies = |channel: u64, message: u64| {
        let nonce = message.to_string();
        w.emulator
            .messages(channel)
            .unwrap()
            .iter()
            .filter(|m| m.author_is_bot && m.nonce.as_deref() == Some(nonce.as_str()))
            .count()
    };
    until("every server's command answered", 30, || async {
        sent.iter().all(|(c, m)| replies(*c, *m) > 0).then_some(())
    })
    .await;
    assert!(sent.iter().all(|(c, m)| replies(*c, *m) == 1), "each answered once");
}

/// Waits until the bot's log lines say each of `words`.
async fn logged(w: &World, id: i64, words: &[&str]) {
    until(&format!("bot log lines saying {words:?}"), 30, || async {
        let text = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}&limit=200")).await.1.to_string();
        words.iter().all(|word| text.contains(word)).then_some(())
    })
    .await;
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

both!(a_bot_in_many_servers_runs_the_shards_discord_recommends, a_bot_that_outgrows_its_shards_reshards_on_4011);

async fn a_bot_in_many_servers_runs_the_shards_discord_recommends(backend: Backend) {
    let Some(w) = world(backend, 5).await else { return };
    let id = start_bot(&w).await;
    running_on(&w, id, 3).await;
    every_server_answered_once(&w, "first").await;
    logged(&w, id, &["running 3 shards"]).await;
    // A restart resumes every shard's session: no identify, three resumes.
    let before = w.emulator.counters().counters;
    // (The polling above may have spent this second's API budget: a 429 is asked again.)
    let (status, body) = until("the restart to be taken", 30, || async {
        let (status, body) = w.app.post(&format!("/api/v1/bots/{id}/restart"), json!({})).await;
        (status != StatusCode::TOO_MANY_REQUESTS).then_some((status, body))
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("every shard resumed", 60, || async {
        let now = w.emulator.counters().counters;
        (now.resumes >= before.resumes + 3 && attached(&w).len() == 3).then_some(())
    })
    .await;
    running_on(&w, id, 3).await;
    let after = w.emulator.counters().counters;
    assert_eq!(after.identifies, before.identifies, "resumed, not identified");
    every_server_answered_once(&w, "after the restart").await;
    let tracked = until("every command tracked", 30, || async {
        let items = w.app.get("/api/v1/command-logs?limit=100").await.1["items"].as_array().cloned()?;
        (items.len() >= 10).then_some(items.len())
    })
    .await;
    assert_eq!(tracked, 10, "every command tracked once");
    let per_shard = after.max_live_sessions_per_shard.get(&w.shop.application_id).copied();
    assert_eq!(per_shard, Some(1), "never two sessions of one shard");
}

async fn a_bot_that_outgrows_its_shards_reshards_on_4011(backend: Backend) {
    let Some(mut w) = world(backend, 2).await else { return };
    let id = start_bot(&w).await;
    running_on(&w, id, 1).await;
    // A third server: the one shard may not hold it. The next identify is refused with 4011, and
    // the bot starts again with the two shards Discord now recommends.
    let joined: Vec<u64> = {
        let state = w.emulator.state();
        w.channels.iter().filter_map(|c| state.channels.get(c).and_then(|c| c.guild_id)).collect()
    };
    let channel = loop {
        if let Some((_, channel)) = server_with_room(&w.emulator, &w.shop, w.alice, 2, &joined, 3) {
            break channel;
        }
    };
    w.channels.push(channel);
    w.emulator.invalidate_sessions(Some(w.shop.application_id), false);
    running_on(&w, id, 2).await;
    every_server_answered_once(&w, "resharded").await;
    logged(&w, id, &["4011 Sharding required", "running 2 shards"]).await;
}
