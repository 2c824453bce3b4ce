//! A real `botfleet serve` process answers a stream of commands and is stopped in the middle —
//! by SIGTERM, or by kill -9 — while users keep sending; started again, it resumes each bot's
//! saved gateway session, Discord replays what was sent meanwhile, and every command is answered
//! once and tracked once. The emulator counts resumes, not identifies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::collections::HashMap;
use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
enum Stop {
    Sigterm,
    Kill,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_then_start_again_misses_no_command() {
    restart_misses_nothing(Stop::Sigterm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_start_again_misses_no_command() {
    restart_misses_nothing(Stop::Kill).await;
}

async fn wait_running(http: &reqwest::Client, api: &str, id: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let b: serde_json::Value = http.get(format!("{api}/bots/{id}")).send().await.unwrap().json().await.unwrap();
        if b["status"] == "running" {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "bot never ran: {b}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn restart_misses_nothing(how: Stop) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    // Enough channels that Discord's 5-per-5-s message bucket never makes replies wait.
    let channels: Vec<u64> = (0..100).map(|i| emulator.create_channel(guild, &format!("c{i}")).unwrap()).collect();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let key = process::admin_key(dir.path()).await;
    let env = [("BOTFLEET_DISCORD_API_URL", emulator.http_url())];
    let (mut child, api) = process::serve(dir.path(), &env).await;
    let http = process::client(&key);
    // One user sends 100 commands a second: far past the anti-spam limits, so turn them off.
    let bot = json!({"name": "Shop", "token": shop.token, "anti_spam": {"enabled": false}});
    let id = process::create_bot(&http, &api, bot).await;
    http.post(format!("{api}/bots/{id}/start")).send().await.unwrap();
    wait_running(&http, &api, id).await;
    // What a kill -9 may cost: a session not saved yet (botfleet saves a new one at once).
    let store = botfleet::store::Store::connect(&botfleet::store::default_url(dir.path())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM gateway_sessions").fetch_one(store.pool()).await.unwrap()
        == 0
    {
        assert!(tokio::time::Instant::now() < deadline, "the session was never saved");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // A stream of commands (about 100/s); stop botfleet after 60 of them; keep sending until it
    // has exited, and 30 more while it is down.
    let mut sent: Vec<u64> = Vec::new();
    let mut send = |n: usize| {
        let channel = channels[n % channels.len()];
        sent.push(emulator.user_message(alice, channel, &format!("!ping {n}")).unwrap());
    };
    let mut n = 0;
    let status = loop {
        send(n);
        n += 1;
        if n == 60 {
            match how {
                Stop::Sigterm => process::sigterm(&child),
                Stop::Kill => child.start_kill().unwrap(),
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(n < 10_000, "botfleet did not exit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    if matches!(how, Stop::Sigterm) {
        assert!(status.success(), "clean exit: {status}");
    }
    for _ in 0..30 {
        send(n);
        n += 1;
    }

    let (_child, api) = process::serve(dir.path(), &env).await;
    wait_running(&http, &api, id).await;
    for _ in 0..10 {
        send(n);
        n += 1;
    }

    // Every command answered once: a reply's nonce is the id of the message it answers.
    let replies = || {
        let state = emulator.state();
        let mut replies: HashMap<u64, usize> = HashMap::new();
        for channel in &channels {
            let Some(c) = state.channels.get(channel) else { continue };
            for m in c.messages.values().filter(|m| m.author_id == shop.bot_user_id) {
                if let Some(of) = process::answers(m.nonce.as_ref()) {
                    *replies.entry(of).or_default() += 1;
                }
            }
        }
        replies
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while sent.iter().any(|m| !replies().contains_key(m)) {
        if tokio::time::Instant::now() > deadline {
            let answered = replies();
            let missing: Vec<usize> = (0..sent.len()).filter(|i| !answered.contains_key(&sent[*i])).collect();
            panic!("not every command was answered ({how:?}): {missing:?}; {:?}", emulator.counters().counters);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let replies = replies();
    let twice: Vec<_> = replies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "answered more than once: {twice:?}");

    // Every command tracked once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let tracked = loop {
        let tracked: Vec<i64> =
            sqlx::query_scalar("SELECT event_id FROM discord_command_logs WHERE bot_id = $1 AND outcome = 'ok'")
                .bind(id)
                .fetch_all(store.pool())
                .await
                .unwrap();
        if tracked.len() >= sent.len() || tokio::time::Instant::now() > deadline {
            break tracked;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut missing: Vec<u64> = sent.iter().copied().filter(|m| !tracked.contains(&(*m as i64))).collect();
    missing.sort_unstable();
    assert!(missing.is_empty(), "answered but not tracked ({how:?}): {missing:?} of {}", sent.len());
    assert_eq!(tracked.len(), sent.len(), "tracked once each");

    let c = emulator.counters().counters;
    assert_eq!((c.identifies, c.resumes), (1, 1), "the restart resumed the session ({how:?})");
}
