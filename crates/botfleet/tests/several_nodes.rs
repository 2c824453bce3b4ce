//! Several `botfleet serve` processes on one PostgreSQL database share one fleet: started through
//! any node, each bot runs on exactly one of them; a node killed with kill -9 has its bots taken
//! over by the others, which resume their gateway sessions; no command is answered or tracked
//! twice, and no bot ever has two sessions at once (the emulator counts them).
//!
//! `BOTFLEET_TEST_NODES_BOTS` sets the number of bots (300 by default, as the issue asks).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use futures_util::StreamExt;
use serde_json::json;
use tokio::time::Instant;

const SECRET_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

struct World {
    emulator: Emulator,
    alice: u64,
    /// Per bot (in creation order): its application id, bot user id, token and its own channel.
    bots: Vec<(u64, u64, String, u64)>,
}

async fn world(n: usize) -> World {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let mut bots = Vec::with_capacity(n);
    for i in 0..n {
        let app =
            emulator.create_application(ApplicationSpec { name: format!("Shop {i}"), ..Default::default() }).unwrap();
        let guild = emulator.create_guild(&format!("Shop {i}"), alice).unwrap();
        let channel = emulator.create_channel(guild, "orders").unwrap();
        emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();
        bots.push((app.application_id, app.bot_user_id, app.token, channel));
    }
    World { emulator, alice, bots }
}

/// A node: its process, API, id and data directory.
struct Node {
    child: Option<tokio::process::Child>,
    api: String,
    id: String,
    dir: tempfile::TempDir,
}

async fn start_node(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Node {
    let (child, api) = process::serve(dir.path(), env).await;
    let id = std::fs::read_to_string(dir.path().join("node-id")).unwrap().trim().to_owned();
    Node { child: Some(child), api, id, dir }
}

/// Bots held per node, by the leases.
async fn holders(pool: &sqlx::PgPool) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (Option<String>, i64)>(
        "SELECT node_id, COUNT(*) FROM bot_leases WHERE node_id IS NOT NULL GROUP BY node_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .filter_map(|(n, c)| Some((n?, c)))
    .collect()
}

async fn wait_for<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Applications with an attached gateway session now.
fn attached(emulator: &Emulator) -> HashSet<u64> {
    emulator.sessions(None).into_iter().filter(|s| s.attached).map(|s| s.application_id).collect()
}

/// Replies per message answered (a reply's nonce is the id of the message it answers).
fn replies(world: &World) -> HashMap<u64, usize> {
    let state = world.emulator.state();
    let mut out: HashMap<u64, usize> = HashMap::new();
    for (_, bot_user, _, channel) in &world.bots {
        let Some(c) = state.channels.get(channel) else { continue };
        for m in c.messages.values().filter(|m| m.author_id == *bot_user) {
            let of = m
                .nonce
                .as_ref()
                .and_then(|n| n.as_str().map(str::to_owned).or_else(|| n.as_u64().map(|v| v.to_string())));
            if let Some(of) = of.and_then(|n| n.parse::<u64>().ok()) {
                *out.entry(of).or_default() += 1;
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_the_bots_and_take_over_a_killed_one() {
    let Some(db) = process::scratch_postgres("botfleet_nodes").await else { return };
    let n: usize = std::env::var("BOTFLEET_TEST_NODES_BOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let world = world(n).await;
    let url: String = world.emulator.http_url().to_owned();
    let env = [
        ("BOTFLEET_DISCORD_API_URL", &*url),
        ("BOTFLEET_DATABASE_URL", db.url.as_str()),
        ("BOTFLEET_SECRET_KEY", SECRET_KEY),
        ("BOTFLEET_SEVERAL_NODES", "true"),
        // Hundreds of bots added and started by one key in a few seconds.
        ("BOTFLEET_BOT_OPS_PER_MINUTE", "100000"),
    ];
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let key = process::admin_key_with(dirs[0].path(), &env).await;
    let http = process::client(&key);
    let mut nodes = Vec::new();
    for dir in dirs {
        nodes.push(start_node(dir, &env).await);
    }
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (pool, w) = (&pool, &world);

    // Bots added and started through the three nodes in turn.
    let ids: Vec<i64> = futures_util::stream::iter(world.bots.iter().enumerate())
        .map(|(i, (_, _, token, _))| {
            let (http, api) = (http.clone(), nodes[i % 3].api.clone());
            async move {
                let id = process::create_bot(
                    &http,
                    &api,
                    json!({"name": format!("Shop {i}"), "token": token, "anti_spam": {"enabled": false}}),
                )
                .await;
                let r = http.post(format!("{api}/bots/{id}/start")).send().await.unwrap();
                assert!(r.status().is_success(), "start: {}", r.text().await.unwrap());
                id
            }
        })
        .buffered(8)
        .collect()
        .await;
    let apps: HashMap<i64, (u64, u64)> =
        ids.iter().zip(&world.bots).map(|(id, (app, _, _, channel))| (*id, (*app, *channel))).collect();

    // Spread evenly, every bot connected, every session saved (what a kill -9 may cost otherwise).
    let share = n.div_ceil(3) as i64;
    wait_for("every bot connected on an even share of the nodes", 180, move || async move {
        let held = holders(pool).await;
        held.len() == 3
            && held.values().sum::<i64>() == n as i64
            && held.values().all(|c| *c <= share)
            && attached(&w.emulator).len() == n
    })
    .await;
    wait_for("every session saved", 60, move || async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM gateway_sessions").fetch_one(pool).await.unwrap() == n as i64
    })
    .await;
    let before = world.emulator.counters().counters;
    assert_eq!(before.identifies, n as u64, "one identify per bot");

    // kill -9 the third node; users keep writing to its bots.
    let victim = nodes.pop().unwrap();
    let theirs: Vec<i64> = sqlx::query_scalar("SELECT bot_id FROM bot_leases WHERE node_id = $1 ORDER BY bot_id")
        .bind(victim.id.clone())
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(!theirs.is_empty());
    let their_apps: HashSet<u64> = theirs.iter().map(|id| apps[id].0).collect();
    let mut victim_child = victim.child.unwrap();
    let killed_at = Instant::now();
    victim_child.start_kill().unwrap();
    victim_child.wait().await.unwrap();
    let mut sent = Vec::new();
    let mut k = 0usize;
    let failover = loop {
        let live = attached(&world.emulator);
        if their_apps.iter().all(|a| live.contains(a)) && holders(pool).await.len() == 2 {
            break killed_at.elapsed();
        }
        assert!(killed_at.elapsed() < Duration::from_secs(120), "the killed node's bots were not taken over");
        let bot = theirs[k % theirs.len()];
        sent.push(world.emulator.user_message(world.alice, apps[&bot].1, &format!("!ping {k}")).unwrap());
        k += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "failover: the killed node's {} bots connected again {:.2} s after kill -9",
        theirs.len(),
        failover.as_secs_f64()
    );
    for bot in theirs.iter().take(10) {
        sent.push(world.emulator.user_message(world.alice, apps[bot].1, &format!("!ping {k}")).unwrap());
        k += 1;
    }

    // The survivors hold every bot; each answered once and tracked once.
    let victim_id = &victim.id;
    wait_for("the survivors to hold every bot", 60, move || async move {
        let held = holders(pool).await;
        held.len() == 2 && held.values().sum::<i64>() == n as i64 && !held.contains_key(victim_id)
    })
    .await;
    let sent_ref = &sent;
    wait_for("every command answered", 60, move || async move {
        let answered = replies(w);
        sent_ref.iter().all(|m| answered.contains_key(m))
    })
    .await;
    let twice: Vec<_> = replies(&world).into_iter().filter(|(_, c)| *c > 1).collect();
    assert!(twice.is_empty(), "answered more than once: {twice:?}");
    wait_for("every command tracked", 60, move || async move {
        let tracked: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM discord_command_logs").fetch_one(pool).await.unwrap();
        tracked >= sent_ref.len() as i64
    })
    .await;
    let tracked: Vec<i64> =
        sqlx::query_scalar("SELECT event_id FROM discord_command_logs").fetch_all(pool).await.unwrap();
    assert_eq!(tracked.len(), sent.len(), "tracked once each");
    let tracked: HashSet<u64> = tracked.into_iter().map(|e| e as u64).collect();
    assert!(sent.iter().all(|m| tracked.contains(m)), "every command tracked");

    let c = world.emulator.counters().counters;
    let resumed = c.resumes - before.resumes;
    println!(
        "taken over: {} bots, {resumed} resumed, {} identified again",
        theirs.len(),
        c.identifies - before.identifies
    );
    assert_eq!(c.identifies, before.identifies, "every bot taken over resumed its session");
    assert!(
        c.max_live_sessions_per_shard.values().all(|m| *m == 1),
        "never two sessions of one bot: {:?}",
        c.max_live_sessions_per_shard
    );
    let _ = victim.dir;
    for mut node in nodes {
        if let Some(child) = node.child.as_ref() {
            process::sigterm(child);
        }
        if let Some(mut child) = node.child.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
        }
    }
    pool.close().await;
    db.remove().await;
}
