//! SIGTERM under load: a real `botfleet serve` process answers a stream of commands and is told
//! to stop in the middle; afterwards every command the emulator saw answered has its row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::collections::HashSet;
use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_command_is_tracked_after_sigterm() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    // Enough channels that Discord's 5-per-5-s message bucket never makes replies wait.
    let channels: Vec<u64> = (0..100).map(|i| emulator.create_channel(guild, &format!("c{i}")).unwrap()).collect();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let key = process::admin_key(dir.path()).await;
    let (mut child, api) = process::serve(dir.path(), &[("BOTFLEET_DISCORD_API_URL", emulator.http_url())]).await;
    let http = process::client(&key);
    let bot: serde_json::Value = http
        .post(format!("{api}/bots"))
        // One user sends 100 commands a second: far past the anti-spam limits, so turn them off.
        .json(&json!({"name": "Shop", "token": shop.token, "anti_spam": {"enabled": false}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = bot["id"].as_i64().unwrap();
    http.post(format!("{api}/bots/{id}/start")).send().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let b: serde_json::Value = http.get(format!("{api}/bots/{id}")).send().await.unwrap().json().await.unwrap();
        if b["status"] == "running" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "bot never ran");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // A stream of commands (about 100/s); SIGTERM after 60 of them; keep sending until it exits.
    let mut n = 0u64;
    let status = loop {
        emulator
            .user_message(alice, channels[usize::try_from(n).unwrap() % channels.len()], &format!("!ping {n}"))
            .unwrap();
        n += 1;
        if n == 60 {
            process::sigterm(&child);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(n < 10_000, "botfleet did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(status.success(), "clean exit: {status}");

    // Which commands did the emulator see answered? A reply references the command's message.
    let answered: HashSet<String> = {
        let state = emulator.state();
        let mut answered = HashSet::new();
        for channel in &channels {
            let Some(c) = state.channels.get(channel) else { continue };
            for m in c.messages.values().filter(|m| m.author_id == shop.bot_user_id) {
                let original = m
                    .message_reference
                    .as_ref()
                    .and_then(|r| r.get("message_id")?.as_str()?.parse::<u64>().ok())
                    .and_then(|mid| c.messages.get(&mid));
                if let Some(original) = original {
                    answered.insert(original.content.trim_start_matches("!ping ").to_owned());
                }
            }
        }
        answered
    };
    assert!(answered.len() >= 30, "most commands before SIGTERM were answered ({} of {n})", answered.len());

    let store = botfleet::store::Store::connect(&botfleet::store::default_url(dir.path())).await.unwrap();
    let tracked: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT arguments FROM discord_command_logs WHERE outcome = 'ok'")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let missing: Vec<&String> = answered.iter().filter(|a| !tracked.contains(*a)).collect();
    assert!(
        missing.is_empty(),
        "answered but not tracked: {missing:?} ({} answered, {} tracked)",
        answered.len(),
        tracked.len()
    );
}
