//! Several `botfleet serve` processes on one PostgreSQL database share one fleet: started through
//! any node, each bot runs on exactly one of them; a node killed with kill -9 has its bots taken
//! over by the others, which resume their gateway sessions; no command is answered or tracked
//! twice, and no bot ever has two sessions at once (the emulator counts them).
//!
//! `BOTFLEET_TEST_NODES_BOTS` sets the number of bots (300 by default, as the issue asks).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;
#[path = "common/proxy.rs"]
mod proxy;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, FaultAction, FaultSpec};
use futures_util::StreamExt;
use serde_json::json;
use tokio::time::Instant;

const SECRET_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

struct World {
    emulator: std::sync::Arc<Emulator>,
    alice: u64,
    /// Per bot (in creation order): its application id, bot user id, token and its own channel.
    bots: Vec<(u64, u64, String, u64)>,
}

async fn world(n: usize, config: EmulatorConfig) -> World {
    let emulator = Emulator::start(config).await.unwrap();
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
    World { emulator: std::sync::Arc::new(emulator), alice, bots }
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

/// The bots `node` holds, by the leases, lowest id first.
async fn held_by(pool: &sqlx::PgPool, node: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT bot_id FROM bot_leases WHERE node_id = $1 ORDER BY bot_id")
        .bind(node.to_owned())
        .fetch_all(pool)
        .await
        .unwrap()
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
            if let Some(of) = process::answers(m.nonce.as_ref()) {
                *out.entry(of).or_default() += 1;
            }
        }
    }
    out
}

/// Nodes on a scratch database, `n` bots (one guild and channel each) added and started through
/// the nodes in turn, spread evenly, connected and their sessions saved. With `proxy`, the first
/// node reaches the database through it (to be cut off).
struct Cluster {
    proxy: Option<proxy::Proxy>,
    db: process::ScratchDb,
    world: World,
    env: Vec<(&'static str, String)>,
    nodes: Vec<Node>,
    pool: sqlx::PgPool,
    /// Bot id → (application id, channel).
    apps: HashMap<i64, (u64, u64)>,
    ids: Vec<i64>,
    http: reqwest::Client,
    /// The admin API key `http` sends.
    key: String,
}

fn bots_wanted() -> usize {
    std::env::var("BOTFLEET_TEST_NODES_BOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

impl Cluster {
    async fn start(n: usize) -> Option<Self> {
        Self::start_with(n, 3, false).await
    }

    async fn start_with(n: usize, count: usize, proxied: bool) -> Option<Self> {
        Self::start_on(n, count, proxied, EmulatorConfig::default()).await
    }

    /// As `start_with`, against an emulator configured as `config`.
    async fn start_on(n: usize, count: usize, proxied: bool, config: EmulatorConfig) -> Option<Self> {
        let db = process::scratch_postgres("botfleet_nodes").await?;
        let proxy = match proxied {
            true => {
                let upstream = db.url.split_once('@').and_then(|(_, r)| r.split_once('/')).map(|(h, _)| h.to_owned());
                Some(proxy::Proxy::start(upstream.unwrap()).await)
            }
            false => None,
        };
        let world = world(n, config).await;
        let env: Vec<(&'static str, String)> = vec![
            ("BOTFLEET_DISCORD_API_URL", world.emulator.http_url().to_owned()),
            ("BOTFLEET_DATABASE_URL", db.url.clone()),
            ("BOTFLEET_SECRET_KEY", SECRET_KEY.to_owned()),
            ("BOTFLEET_SEVERAL_NODES", "true".to_owned()),
            // Hundreds of bots added and started by one key in a few seconds.
            ("BOTFLEET_BOT_OPS_PER_MINUTE", "100000".to_owned()),
            // Alert rules judged often (each node judges the bots it runs).
            ("BOTFLEET_ALERT_EVALUATION_MS", "300".to_owned()),
        ];
        let dirs: Vec<tempfile::TempDir> = (0..count).map(|_| tempfile::tempdir().unwrap()).collect();
        let key = {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            process::admin_key_with(dirs[0].path(), &env).await
        };
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let http = process::client(&key);
        let mut cluster = Self {
            proxy,
            db,
            world,
            env,
            nodes: Vec::new(),
            pool,
            apps: HashMap::new(),
            ids: Vec::new(),
            http: http.clone(),
            key: key.clone(),
        };
        for (i, dir) in dirs.into_iter().enumerate() {
            let node = cluster.start_node_at(dir, i).await;
            cluster.nodes.push(node);
        }
        // Bots added and started through the three nodes in turn.
        let nodes = &cluster.nodes;
        let ids: Vec<i64> = futures_util::stream::iter(cluster.world.bots.iter().enumerate())
            .map(|(i, (_, _, token, _))| {
                let (http, api) = (http.clone(), nodes[i % nodes.len()].api.clone());
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
        cluster.apps =
            ids.iter().zip(&cluster.world.bots).map(|(id, (app, _, _, channel))| (*id, (*app, *channel))).collect();
        cluster.ids = ids;
        cluster.settled(count).await;
        let pool = &cluster.pool;
        wait_for("every session saved", 60, move || async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM gateway_sessions").fetch_one(pool).await.unwrap()
                == n as i64
        })
        .await;
        Some(cluster)
    }

    async fn start_node(&self, dir: tempfile::TempDir) -> Node {
        self.start_node_at(dir, 1).await
    }

    /// Node `index` (the first through the proxy, if there is one).
    async fn start_node_at(&self, dir: tempfile::TempDir, index: usize) -> Node {
        let mut env: Vec<(&str, String)> = self.env.iter().map(|(k, v)| (*k, v.clone())).collect();
        if let (0, Some(proxy)) = (index, &self.proxy) {
            let name = self.db.url.rsplit('/').next().unwrap().to_owned();
            env.retain(|(k, _)| *k != "BOTFLEET_DATABASE_URL");
            env.push(("BOTFLEET_DATABASE_URL", format!("postgres://postgres@{}/{name}", proxy.addr)));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        start_node(dir, &env).await
    }

    /// Waits until `nodes` nodes hold every bot, evenly, and every bot is connected.
    async fn settled(&self, nodes: usize) {
        let n = self.ids.len();
        let share = n.div_ceil(nodes) as i64;
        let (pool, w) = (&self.pool, &self.world);
        wait_for(&format!("every bot connected on an even share of {nodes} nodes"), 180, move || async move {
            let held = holders(pool).await;
            held.len() == nodes
                && held.values().sum::<i64>() == n as i64
                && held.values().all(|c| *c <= share)
                && attached(&w.emulator).len() == n
        })
        .await;
    }

    /// Waits until every command in `sent` is answered and tracked, each once.
    async fn answered_and_tracked_once(&self, sent: &[u64]) {
        let (pool, w) = (&self.pool, &self.world);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answered = replies(w);
            let missing: Vec<u64> = sent.iter().copied().filter(|m| !answered.contains_key(m)).collect();
            if missing.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                let state = w.emulator.state();
                let mut why = Vec::new();
                for m in missing.iter().take(5) {
                    let channel = state.channels.iter().find(|(_, c)| c.messages.contains_key(m)).map(|(id, _)| *id);
                    let bot = channel.and_then(|c| self.apps.iter().find(|(_, (_, ch))| *ch == c).map(|(b, _)| *b));
                    why.push(format!("message {m} in channel {channel:?} of bot {bot:?}"));
                }
                drop(state);
                panic!(
                    "{} of {} commands never answered: {why:?}; {:?}",
                    missing.len(),
                    sent.len(),
                    w.emulator.counters().counters
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let twice: Vec<_> = replies(w).into_iter().filter(|(_, c)| *c > 1).collect();
        assert!(twice.is_empty(), "answered more than once: {twice:?}");
        wait_for("every command tracked", 60, move || async move {
            let tracked: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM discord_command_logs").fetch_one(pool).await.unwrap();
            tracked >= sent.len() as i64
        })
        .await;
        let tracked: Vec<i64> =
            sqlx::query_scalar("SELECT event_id FROM discord_command_logs").fetch_all(pool).await.unwrap();
        assert_eq!(tracked.len(), sent.len(), "tracked once each");
        let tracked: HashSet<u64> = tracked.into_iter().map(|e| e as u64).collect();
        assert!(sent.iter().all(|m| tracked.contains(m)), "every command tracked");
    }

    /// Never two sessions of one bot at once.
    fn one_session_per_bot(&self) {
        let c = self.world.emulator.counters().counters;
        assert!(
            c.max_live_sessions_per_shard.values().all(|m| *m == 1),
            "never two sessions of one bot: {:?}",
            c.max_live_sessions_per_shard
        );
    }

    async fn stop(mut self) {
        for node in &mut self.nodes {
            if let Some(child) = node.child.as_ref() {
                process::sigterm(child);
            }
            if let Some(mut child) = node.child.take() {
                let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
            }
        }
        self.pool.close().await;
        self.db.remove().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_the_bots_and_take_over_a_killed_one() {
    let n = bots_wanted();
    let Some(mut cluster) = Cluster::start(n).await else { return };
    let (pool, world, apps) = (&cluster.pool, &cluster.world, &cluster.apps);
    let before = world.emulator.counters().counters;
    assert_eq!(before.identifies, n as u64, "one identify per bot");

    // kill -9 the third node; users keep writing to its bots.
    let mut victim = cluster.nodes.pop().unwrap();
    let theirs = held_by(pool, &victim.id).await;
    assert!(!theirs.is_empty());
    let their_apps: HashSet<u64> = theirs.iter().map(|id| apps[id].0).collect();
    let mut victim_child = victim.child.take().unwrap();
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
    cluster.answered_and_tracked_once(&sent).await;
    // Whichever node is asked, a bot taken over shows as running.
    for node in &cluster.nodes {
        for bot in theirs.iter().take(5) {
            let url = format!("{}/bots/{bot}", node.api);
            let (http, url) = (&cluster.http, &url);
            wait_for("the bot running, seen from every node", 30, move || async move {
                let b: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
                b["status"] == "running"
            })
            .await;
        }
    }
    let c = world.emulator.counters().counters;
    let resumed = c.resumes - before.resumes;
    println!(
        "taken over: {} bots, {resumed} resumed, {} identified again",
        theirs.len(),
        c.identifies - before.identifies
    );
    assert_eq!(c.identifies, before.identifies, "every bot taken over resumed its session");
    cluster.one_session_per_bot();
    drop(victim);
    cluster.stop().await;
}

/// Each node in turn stopped (SIGTERM) and started again while users send 100 commands a
/// second over all the bots: its bots move to the others and come back, and no command is lost
/// or answered twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_command() {
    let n = bots_wanted();
    let Some(mut cluster) = Cluster::start(n).await else { return };
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let sending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sender = {
        let (sent, sending) = (sent.clone(), sending.clone());
        let channels: Vec<u64> = cluster.ids.iter().map(|id| cluster.apps[id].1).collect();
        let emulator = cluster.world.emulator.clone();
        let alice = cluster.world.alice;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let mut k = 0usize;
            while sending.load(std::sync::atomic::Ordering::SeqCst) {
                tick.tick().await;
                let id = emulator.user_message(alice, channels[k % channels.len()], &format!("!ping {k}")).unwrap();
                sent.lock().unwrap().push(id);
                k += 1;
            }
        })
    };
    let started = Instant::now();
    for i in 0..3 {
        let mut node = cluster.nodes.remove(i);
        let mut child = node.child.take().unwrap();
        process::sigterm(&child);
        let status = child.wait().await.unwrap();
        assert!(status.success(), "clean exit: {status}");
        cluster.settled(2).await;
        let dir = std::mem::replace(&mut node.dir, tempfile::tempdir().unwrap());
        let back = cluster.start_node(dir).await;
        assert_eq!(back.id, node.id, "the node came back under its id");
        cluster.nodes.insert(i, back);
        cluster.settled(3).await;
        println!("node {} restarted; {:.1} s in", i + 1, started.elapsed().as_secs_f64());
    }
    sending.store(false, std::sync::atomic::Ordering::SeqCst);
    sender.await.unwrap();
    let sent = sent.lock().unwrap().clone();
    println!("rolling restart: {} commands sent over {:.1} s", sent.len(), started.elapsed().as_secs_f64());
    cluster.answered_and_tracked_once(&sent).await;
    cluster.one_session_per_bot();
    cluster.stop().await;
}

/// A node cut off from PostgreSQL stops its bots before another node starts them (never two
/// sessions of one bot), the other node takes them and resumes them, and once the database is
/// reachable again the first node comes back as one of the two and takes its share back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_the_database_stops_its_bots_before_another_takes_them() {
    let n = 20;
    let Some(cluster) = Cluster::start_with(n, 2, true).await else { return };
    let (pool, world) = (&cluster.pool, &cluster.world);
    let cut = cluster.nodes[0].id.clone();
    let theirs = held_by(pool, &cut).await;
    assert!(!theirs.is_empty());
    let their_apps: HashSet<u64> = theirs.iter().map(|id| cluster.apps[id].0).collect();
    let before = world.emulator.counters().counters;
    cluster.proxy.as_ref().unwrap().down();
    let cut_at = Instant::now();
    let their_apps = &their_apps;
    // Its bots go quiet (stopped by their own node), then come back through the other node.
    wait_for("the cut-off node to stop its bots", 30, move || async move {
        let live = attached(&world.emulator);
        their_apps.iter().all(|a| !live.contains(a))
    })
    .await;
    let stopped_after = cut_at.elapsed();
    let other = cluster.nodes[1].id.clone();
    let other_ref = &other;
    wait_for("the other node to hold every bot", 60, move || async move {
        let held = holders(pool).await;
        held.get(other_ref) == Some(&(n as i64)) && attached(&world.emulator).len() == n
    })
    .await;
    println!(
        "partition: the cut-off node's {} bots stopped {:.2} s after the cut, running on the other node {:.2} s after",
        theirs.len(),
        stopped_after.as_secs_f64(),
        cut_at.elapsed().as_secs_f64()
    );
    cluster.one_session_per_bot();
    // Back: it takes its share again, as one of two.
    cluster.proxy.as_ref().unwrap().up();
    cluster.settled(2).await;
    let c = world.emulator.counters().counters;
    assert_eq!(c.identifies, before.identifies, "every bot moved resumed its session");
    cluster.one_session_per_bot();
    cluster.stop().await;
}

/// An admin drains a node: its bots move to the other node (resumed, never two sessions), it takes
/// no new ones; taken back, it gets its share again. The change is audited; a viewer may not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_node_hands_its_bots_over_and_takes_its_share_back_after() {
    let n = 20;
    let Some(cluster) = Cluster::start_with(n, 2, false).await else { return };
    let (pool, http) = (&cluster.pool, &cluster.http);
    let (drained, other) = (cluster.nodes[0].id.clone(), cluster.nodes[1].id.clone());
    let api = &cluster.nodes[1].api;
    // Through the node that does not run it: a start is a no-op, a restart is carried out by the
    // node that does (the session resumed), and answered once it has been.
    let theirs = held_by(pool, &drained).await[0];
    let r = http.post(format!("{api}/bots/{theirs}/start")).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{}", r.text().await.unwrap());
    let resumes = cluster.world.emulator.counters().counters.resumes;
    let r = http.post(format!("{api}/bots/{theirs}/restart")).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(holders(pool).await.get(&drained), Some(&((n / 2) as i64)), "still run by its node");
    let (w, app) = (&cluster.world, cluster.apps[&theirs].0);
    wait_for("the bot resumed on its own node", 30, move || async move {
        w.emulator.counters().counters.resumes > resumes && attached(&w.emulator).contains(&app)
    })
    .await;
    let before = cluster.world.emulator.counters().counters;
    let r = http.patch(format!("{api}/nodes/{drained}")).json(&json!({"draining": true})).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let node: serde_json::Value = r.json().await.unwrap();
    assert_eq!(node["draining"], true, "{node}");
    let (other_ref, w) = (&other, &cluster.world);
    wait_for("the other node to hold every bot", 60, move || async move {
        let held = holders(pool).await;
        held.len() == 1 && held.get(other_ref) == Some(&(n as i64)) && attached(&w.emulator).len() == n
    })
    .await;
    let listed: serde_json::Value = http.get(format!("{api}/nodes")).send().await.unwrap().json().await.unwrap();
    let row = listed["items"].as_array().unwrap().iter().find(|n| n["id"] == drained.as_str()).unwrap().clone();
    assert_eq!(row["draining"], true, "{listed}");
    let r = http.patch(format!("{api}/nodes/{drained}")).json(&json!({"draining": false})).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    cluster.settled(2).await;
    let c = cluster.world.emulator.counters().counters;
    assert_eq!(c.identifies, before.identifies, "every bot moved resumed its session");
    cluster.one_session_per_bot();
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM discord_audit_logs WHERE action LIKE 'nodes.%' ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(actions, ["nodes.drain", "nodes.undrain"]);
    let restarts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM discord_audit_logs WHERE action = 'bots.restart' AND target_id = $1")
            .bind(theirs.to_string())
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(restarts, 1, "the restart audited once");
    // Unknown nodes and bodies are refused, clearly.
    let r = http.patch(format!("{api}/nodes/node-nope")).json(&json!({"draining": true})).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    let r = http.patch(format!("{api}/nodes/{drained}")).json(&json!({"draining": "yes"})).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST, "{}", r.text().await.unwrap());
    cluster.stop().await;
}

/// An HTTP alert channel's receiver: every notification's JSON.
#[derive(Clone, Default)]
struct Hook {
    got: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    url: String,
}

impl Hook {
    async fn start() -> Self {
        let mut hook = Hook::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        hook.url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = hook.got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    got.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        hook
    }

    /// Notifications of `kind` received about rule `rule`'s incidents of bot `bot`.
    fn count(&self, kind: &str, rule: i64, bot: i64) -> usize {
        let got = self.got.lock().unwrap();
        got.iter()
            .filter(|m| m["type"] == kind && m["incident"]["rule_id"] == rule && m["incident"]["bot_id"] == bot)
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_fires_once_whichever_nodes_judge_it_and_follows_its_bot_to_another_node() {
    // Heartbeats every second: a gateway gone silent is noticed within seconds.
    let Some(mut cluster) = Cluster::start_on(4, 2, false, EmulatorConfig::fast()).await else { return };
    let (pool, http) = (&cluster.pool, &cluster.http);
    let api = cluster.nodes[1].api.clone();
    let hook = Hook::start().await;
    let r = http
        .post(format!("{api}/alerts/channels"))
        .json(&json!({"name": "Ops", "kind": "http_webhook", "url": hook.url, "secret": "a-long-enough-s3cret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED, "{}", r.text().await.unwrap());
    let channel = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let rule = |body: serde_json::Value| {
        let (http, api) = (http.clone(), api.clone());
        async move {
            let r = http.post(format!("{api}/alerts/rules")).json(&body).send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::CREATED, "{}", r.text().await.unwrap());
            r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    let down = rule(json!({"name": "Down", "condition": {"kind": "bot_down", "for_seconds": 0},
                           "failures_in_a_row": 1, "resend_every_seconds": 0, "channel_ids": [channel]}))
    .await;
    // A bot of the first node loses its gateway: both nodes see it down (the second through the
    // first's shared status), one incident is opened and one notification sent.
    let victim = held_by(pool, &cluster.nodes[0].id).await[0];
    let app = cluster.apps[&victim].0;
    let fault = cluster
        .world
        .emulator
        .inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 600_000 }).for_application(app))
        .unwrap();
    // The victim's incidents (the other bots of the killed node are down for a while too).
    let incidents = |rule: i64| async move {
        sqlx::query_as::<_, (String, String)>(
            "SELECT subject, state FROM alert_incidents WHERE rule_id = $1 AND bot_id = $2 ORDER BY id",
        )
        .bind(rule)
        .bind(victim)
        .fetch_all(pool)
        .await
        .unwrap()
    };
    let subject = format!("bot:{victim}");
    let h = &hook;
    wait_for("the bot-down notification", 60, move || async move { h.count("firing", down, victim) >= 1 }).await;
    // kill -9 the first node: the second takes the bot over, still down, and carries on with the
    // open incident rather than opening another.
    let mut first = cluster.nodes.remove(0);
    let mut child = first.child.take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let second = cluster.nodes[0].id.clone();
    let second_ref = &second;
    wait_for("the second node to hold the bot", 60, move || async move {
        held_by(pool, second_ref).await.contains(&victim)
    })
    .await;
    // A rule made now fires only after the second node judged the bot it took, twice.
    let marker = rule(json!({"name": "Marker", "condition": {"kind": "bot_down", "for_seconds": 0},
                             "bot_id": victim, "failures_in_a_row": 2}))
    .await;
    wait_for("the second node to judge the bot", 60, move || async move { !incidents(marker).await.is_empty() }).await;
    assert_eq!(incidents(down).await, [(subject.clone(), "firing".to_owned())], "one incident, still open");
    let notified: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM alert_notifications n JOIN alert_incidents i ON i.id = n.incident_id \
         WHERE i.rule_id = $1 AND i.bot_id = $2 AND n.kind = 'firing'",
    )
    .bind(down)
    .bind(victim)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(notified, 1, "notified once");
    assert_eq!(hook.count("firing", down, victim), 1, "delivered once");
    // Back up: the node that runs it now closes the incident, once.
    assert!(cluster.world.emulator.remove_fault(fault));
    wait_for("the recovery notification", 90, move || async move { h.count("recovered", down, victim) >= 1 }).await;
    assert_eq!(incidents(down).await, [(subject, "resolved".to_owned())]);
    assert_eq!(hook.count("recovered", down, victim), 1);
    drop(first);
    cluster.stop().await;
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message on a live socket that `wanted` accepts (fails after 30 s).
async fn next_live(ws: &mut Ws, what: &str, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    use tokio_tungstenite::tungstenite::Message;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 30 s"))
            .unwrap()
            .unwrap();
        if let Message::Text(t) = message {
            let m: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            if wanted(&m) {
                return m;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_of_every_node_reach_the_dashboards_of_every_node() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let Some(cluster) = Cluster::start_with(4, 2, false).await else { return };
    let pool = &cluster.pool;
    // A dashboard on the second node follows a bot the first node runs.
    let bot = held_by(pool, &cluster.nodes[0].id).await[0];
    let channel = cluster.apps[&bot].1;
    let url = format!("{}/live", cluster.nodes[1].api.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", cluster.key).parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let subscribe = json!({"type": "subscribe", "topics": ["bots", "commands", "bot_logs"], "bot_id": bot});
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    next_live(&mut ws, "subscribed", |m| m["type"] == "subscribed").await;
    // A command answered on the first node shows on the second's feed.
    let w = &cluster.world;
    let sent = w.emulator.user_message(w.alice, channel, "!ping live").unwrap();
    let command = next_live(&mut ws, "command", |m| m["type"] == "command").await;
    assert_eq!((command["bot_id"].as_i64(), command["command"].as_str()), (Some(bot), Some("ping")), "{command}");
    assert_eq!(command["outcome"], "ok");
    assert!(replies(w).contains_key(&sent));
    // So do its statuses and log lines when it is restarted (through the second node, carried out
    // by the first).
    let r = cluster.http.post(format!("{}/bots/{bot}/restart", cluster.nodes[1].api)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{}", r.text().await.unwrap());
    let status = next_live(&mut ws, "status", |m| m["type"] == "bot_status" && m["status"] != "running").await;
    assert_eq!(status["bot_id"].as_i64(), Some(bot), "{status}");
    let line = next_live(&mut ws, "log line", |m| m["type"] == "bot_log").await;
    assert_eq!(line["bot_id"].as_i64(), Some(bot), "{line}");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_or_health_asked_through_any_node_is_served_by_the_node_that_runs_the_bot() {
    let Some(cluster) = Cluster::start_with(4, 2, false).await else { return };
    let (pool, http, w) = (&cluster.pool, &cluster.http, &cluster.world);
    let bot = held_by(pool, &cluster.nodes[0].id).await[0];
    let channel = cluster.apps[&bot].1;
    let api = &cluster.nodes[1].api;
    let health = || async move {
        let r = http.get(format!("{api}/bots/{bot}/health")).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        r.json::<serde_json::Value>().await.unwrap()
    };
    // The second node answers with the first node's figures: connected, events seen.
    let before = health().await;
    assert_eq!(before["status"], "healthy", "{before}");
    assert!(before["figures"]["connected_at"].is_i64(), "{before}");
    assert!(before["figures"]["events"].as_u64().unwrap() > 0, "{before}");
    let calls = before["figures"]["rest_calls"].as_u64().unwrap();
    // A message sent through the second node goes out through the first node's client: counted
    // there, once.
    let r = http
        .post(format!("{api}/bots/{bot}/send-message"))
        .json(&json!({"channel_id": channel.to_string(), "content": "Restocked!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{}", r.text().await.unwrap());
    let sent: serde_json::Value = r.json().await.unwrap();
    let posted = w.emulator.messages(channel).unwrap();
    assert_eq!(posted.iter().filter(|m| m.content == "Restocked!").count(), 1);
    assert_eq!(sent["message_id"], posted.iter().find(|m| m.content == "Restocked!").unwrap().id.to_string());
    let after = health().await;
    assert_eq!(after["figures"]["rest_calls"].as_u64(), Some(calls + 1), "{after}");
    // The first node paused: the second waits, withdraws the request and says which node did not
    // answer; nothing is sent, then or when that node resumes.
    let child = cluster.nodes[0].child.as_ref().unwrap();
    process::signal(child, "STOP");
    let r = http
        .post(format!("{api}/bots/{bot}/send-message"))
        .json(&json!({"channel_id": channel.to_string(), "content": "Never sent"}))
        .send()
        .await
        .unwrap();
    process::signal(child, "CONT");
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body = r.text().await.unwrap();
    assert!(body.contains(&cluster.nodes[0].id) && body.contains("nothing was done"), "{body}");
    let withdrawn: Option<i64> =
        sqlx::query_scalar("SELECT taken_at FROM node_asks ORDER BY id DESC LIMIT 1").fetch_one(pool).await.unwrap();
    assert_eq!(withdrawn, Some(-1), "withdrawn: the paused node can never take it");
    assert!(w.emulator.messages(channel).unwrap().iter().all(|m| m.content != "Never sent"));
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_take_one_bots_identify_turns_from_the_database() {
    use botfleet::fleet::identify::{IdentifyGate, IDENTIFY_SPACING};
    let Some(db) = process::scratch_postgres("botfleet_turns").await else { return };
    let store = botfleet::store::Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    // The same bot's gate on two nodes: the second identify waits out the first's window, by the
    // database's clock, whichever node asks.
    let (here, there) = (IdentifyGate::shared(store.clone(), 7), IdentifyGate::shared(store.clone(), 7));
    let first = here.shared_wait(0).await.unwrap();
    let second = there.shared_wait(0).await.unwrap();
    assert_eq!(first, Duration::ZERO, "the first goes at once");
    assert!(second > IDENTIFY_SPACING - Duration::from_millis(500), "{second:?}");
    let third = here.shared_wait(0).await.unwrap();
    assert!(third > second + IDENTIFY_SPACING - Duration::from_millis(500), "{third:?}");
    // Another bot, and another bucket of a bot with max_concurrency 2, go at once.
    assert_eq!(IdentifyGate::shared(store.clone(), 8).shared_wait(0).await, Some(Duration::ZERO));
    let wide = IdentifyGate::shared(store.clone(), 9);
    wide.set_concurrency(2);
    assert_eq!(wide.shared_wait(0).await, Some(Duration::ZERO));
    assert_eq!(wide.shared_wait(1).await, Some(Duration::ZERO));
    store.close().await;
    db.remove().await;
}

/// A large bot's shards, by the leases: shard → node.
async fn shard_holders(pool: &sqlx::PgPool, bot: i64) -> BTreeMap<i32, Option<String>> {
    sqlx::query_as::<_, (i32, Option<String>)>("SELECT shard, node_id FROM bot_leases WHERE bot_id = $1")
        .bind(bot)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// A bot in eight servers, two per shard at most, runs the four shards Discord recommends spread
/// over two nodes (its home holds shard 0; the shards above its share go to the other node), each
/// command answered and tracked once whichever node runs its server's shard; a restart through
/// either node resumes every shard; grown past its shards, it is told 4011 and both nodes run the
/// five shards Discord then recommends; when the node without its home is killed, the home's node
/// takes its shards over and resumes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_bots_shards_run_on_several_nodes() {
    let Some(mut cluster) = Cluster::start_with(2, 2, false).await else { return };
    let w = &cluster.world;
    let spec = ApplicationSpec { name: "Big Shop".into(), max_guilds_per_shard: 2, ..Default::default() };
    let big = w.emulator.create_application(spec).unwrap();
    // Two servers on each of the four shards, and at most two on each of five once it grows to
    // ten servers (a server's shard follows the time in its id, `(id >> 22) % shards`: servers
    // are made a millisecond apart and the bot joins those whose shard has room, as Discord's
    // recommendation leaves room).
    let mut channels = Vec::new();
    let (mut of_four, mut of_five) = ([0usize; 4], [0usize; 5]);
    let mut join = |count: usize, four: bool| {
        let mut joined = Vec::new();
        while joined.len() < count {
            w.emulator.advance_time(Duration::from_millis(1));
            let guild = w.emulator.create_guild("Big", w.alice).unwrap();
            let (s4, s5) = (((guild >> 22) % 4) as usize, ((guild >> 22) % 5) as usize);
            if (!four || of_four[s4] < 2) && of_five[s5] < 2 {
                of_four[s4] += 1;
                of_five[s5] += 1;
                joined.push(w.emulator.create_channel(guild, "orders").unwrap());
                w.emulator.add_member(guild, big.bot_user_id, vec![]).unwrap();
            }
        }
        joined
    };
    channels.extend(join(8, true));
    let (http, api) = (&cluster.http, &cluster.nodes[0].api);
    let id = process::create_bot(
        http,
        api,
        json!({"name": "Big Shop", "token": big.token, "anti_spam": {"enabled": false}}),
    )
    .await;
    let r = http.post(format!("{api}/bots/{id}/start")).send().await.unwrap();
    assert!(r.status().is_success(), "start: {}", r.text().await.unwrap());
    let mut all_shards: BTreeSet<[u32; 2]> = (0..4).map(|s| [s, 4]).collect();
    let shards_attached = || -> BTreeSet<[u32; 2]> {
        w.emulator.sessions(Some(big.application_id)).into_iter().filter(|s| s.attached).map(|s| s.shard).collect()
    };
    // Six leases (two small bots, four shards) over two nodes: three each, so the big bot's
    // shards end up on both.
    let pool = &cluster.pool;
    wait_for("the big bot's four shards connected, spread over both nodes", 120, || async {
        let held = shard_holders(pool, id).await;
        let nodes: HashSet<Option<String>> = held.values().cloned().collect();
        held.len() == 4 && !nodes.contains(&None) && nodes.len() == 2 && shards_attached() == all_shards
    })
    .await;
    for node in &cluster.nodes {
        let url = format!("{}/bots/{id}", node.api);
        let url = &url;
        wait_for("the big bot running, seen from both nodes", 30, move || async move {
            let b: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
            b["status"] == "running"
        })
        .await;
    }
    let answered_once = |tag: &'static str, channels: &[u64]| {
        let sent: Vec<(u64, u64)> = channels
            .iter()
            .map(|c| (*c, w.emulator.user_message(w.alice, *c, &format!("!ping {tag}")).unwrap()))
            .collect();
        async move {
            let replies = |channel: u64, message: u64| {
                let nonce = message.to_string();
                w.emulator
                    .messages(channel)
                    .unwrap()
                    .iter()
                    .filter(|m| m.author_is_bot && m.nonce.as_deref() == Some(nonce.as_str()))
                    .count()
            };
            wait_for(&format!("every server's command answered ({tag})"), 60, || async {
                sent.iter().all(|(c, m)| replies(*c, *m) > 0)
            })
            .await;
            assert!(sent.iter().all(|(c, m)| replies(*c, *m) == 1), "each answered once ({tag})");
            let ids: Vec<i64> = sent.iter().map(|(_, m)| *m as i64).collect();
            let ids = &ids;
            wait_for("every command tracked once", 60, move || async move {
                let tracked: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM discord_command_logs WHERE event_id = ANY($1)")
                        .bind(ids)
                        .fetch_one(pool)
                        .await
                        .unwrap();
                assert!(tracked <= ids.len() as i64, "tracked twice");
                tracked == ids.len() as i64
            })
            .await;
        }
    };
    answered_once("spread", &channels).await;
    let home = shard_holders(pool, id).await[&0].clone().unwrap();
    let other = cluster.nodes.iter().position(|n| n.id != home).unwrap();

    // A restart asked of the node without the bot's home restarts every shard, each resumed.
    let before = w.emulator.counters().counters;
    let r = http.post(format!("{}/bots/{id}/restart", cluster.nodes[other].api)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{}", r.text().await.unwrap());
    wait_for("every shard resumed after the restart", 60, || async {
        w.emulator.counters().counters.resumes >= before.resumes + 4 && shards_attached() == all_shards
    })
    .await;
    answered_once("restarted", &channels).await;
    assert_eq!(w.emulator.counters().counters.identifies, before.identifies, "the restart resumed every shard");

    // Two more servers: four shards may not hold them. A shard identifying is told 4011, its node
    // writes the count Discord recommends now, and both nodes start their shards again with it.
    let grown = join(2, false);
    channels.extend(grown);
    w.emulator.invalidate_sessions(Some(big.application_id), false);
    all_shards = (0..5).map(|s| [s, 5]).collect();
    wait_for("the big bot resharded to five shards over both nodes", 120, || async {
        let held = shard_holders(pool, id).await;
        let nodes: HashSet<Option<String>> = held.values().cloned().collect();
        held.len() == 5 && !nodes.contains(&None) && nodes.len() == 2 && shards_attached() == all_shards
    })
    .await;
    answered_once("resharded", &channels).await;

    // kill -9 the node without the home: the home's node takes its shards and resumes them.
    let mut victim = cluster.nodes.remove(other);
    let mut child = victim.child.take().unwrap();
    let before = w.emulator.counters().counters;
    let killed_at = Instant::now();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    wait_for("the home's node to run every shard", 60, || async {
        let held = shard_holders(pool, id).await;
        held.values().all(|n| n.as_deref() == Some(home.as_str())) && shards_attached() == all_shards
    })
    .await;
    println!(
        "failover of a large bot's shards: all 5 attached on the home's node {:.2} s after kill -9",
        killed_at.elapsed().as_secs_f64()
    );
    answered_once("taken over", &channels).await;
    let after = w.emulator.counters().counters;
    assert_eq!(after.identifies, before.identifies, "taken over by resuming, never identifying");
    cluster.one_session_per_bot();
    drop(victim);
    cluster.stop().await;
}

/// A change of a bot's server settings whose bus message never reached the node running it (here:
/// written to the database directly, no message at all) is still applied by that node within a
/// few rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_settings_changed_without_a_message_are_applied_within_a_few_rounds() {
    let Some(cluster) = Cluster::start_with(2, 2, false).await else { return };
    let (pool, w) = (&cluster.pool, &cluster.world);
    let bot = cluster.ids[0];
    let channel = cluster.apps[&bot].1;
    let guild = w.emulator.state().channels[&channel].guild_id.unwrap();
    sqlx::query(
        "INSERT INTO server_settings (bot_id, guild_id, prefix, version, created_at, updated_at) VALUES ($1, $2, '?', 1, 1, 1)",
    )
    .bind(bot)
    .bind(guild as i64)
    .execute(pool)
    .await
    .unwrap();
    // Asked again until the node applies the server's prefix (each "?ping" answered at most once).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent = w.emulator.user_message(w.alice, channel, "?ping").unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        if replies(w).contains_key(&sent) {
            break;
        }
        assert!(Instant::now() < deadline, "the server's prefix was never applied");
    }
    cluster.stop().await;
}
