//! A real `botfleet serve` process is killed with kill -9 in the middle of a batch of messages
//! (30 messages to 3 channels: about 25 s at Discord's 5 per 5 s per channel), on SQLite and on
//! PostgreSQL; started again on the same data, it finishes the job and every channel has each
//! message exactly once and in order. An item cut short after its "about to be sent" mark is sent
//! again with the same nonce, and the emulator (as Discord) returns the first message instead of
//! posting another: its `nonce_duplicates` counter shows those re-sends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::time::Duration;

use botfleet::store::Store;
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use serde_json::{json, Value};

const MESSAGES: usize = 30;
const CHANNELS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_mid_batch_then_every_channel_gets_each_message_once_in_order() {
    kill_mid_batch(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_mid_batch_then_every_channel_gets_each_message_once_in_order() {
    let Some(db) = process::scratch_postgres("botfleet_msgkill").await else { return };
    kill_mid_batch(Some(db.url.clone())).await;
    db.remove().await;
}

async fn job(http: &reqwest::Client, api: &str, id: i64) -> Value {
    http.get(format!("{api}/jobs/{id}?limit=1000")).send().await.unwrap().json().await.unwrap()
}

fn content(n: usize) -> String {
    format!("announcement {n} of {MESSAGES}")
}

async fn kill_mid_batch(database_url: Option<String>) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let owner = emulator.create_user("owner").unwrap();
    let guild = emulator.create_guild("Shop", owner).unwrap();
    let app = emulator.create_application(ApplicationSpec { name: "Announcer".into(), ..Default::default() }).unwrap();
    emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();
    let channels: Vec<u64> =
        (0..CHANNELS).map(|i| emulator.create_channel(guild, &format!("news-{i}")).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let url = database_url.unwrap_or_else(|| botfleet::store::default_url(dir.path()));
    let env = [("BOTFLEET_DISCORD_API_URL", emulator.http_url()), ("BOTFLEET_DATABASE_URL", url.as_str())];
    let key = process::admin_key_with(dir.path(), &env).await;
    let (mut child, api) = process::serve(dir.path(), &env).await;
    let http = process::client(&key);
    let bot = process::create_bot(&http, &api, json!({"name": "Announcer", "token": app.token})).await;

    let batch = json!({
        "messages": (1..=MESSAGES).map(|n| json!({"content": content(n)})).collect::<Vec<_>>(),
        "channels": channels.iter().map(|c| json!({"bot_id": bot, "channel_id": c.to_string()})).collect::<Vec<_>>(),
    });
    let res = http.post(format!("{api}/messages/batch")).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().expect("a job");
    // Under way: past the first bucket of every channel (15 items), well before the end (90).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let job = job(&http, &api, id).await;
        if job["done"].as_i64().unwrap_or(0) >= 20 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job never got under way: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    let store = Store::connect(&url).await.unwrap();
    let (recorded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND state = 'ok'")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    let (marked,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND state = 'pending' AND detail IS NOT NULL")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap();
    let posted: usize = channels.iter().map(|c| emulator.messages(*c).unwrap().len()).sum();
    let total = (MESSAGES * CHANNELS) as i64;
    assert!(recorded >= 20 && recorded < total, "cut in the middle: {recorded} recorded");
    let at_kill = emulator.counters().counters;
    eprintln!("at the kill: {recorded} items recorded, {marked} marked 'sending', {posted} messages posted");

    let (_child, api) = process::serve(dir.path(), &env).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let done = loop {
        let job = job(&http, &api, id).await;
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            break job;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job never finished after the restart: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((done["state"].as_str(), done["done"].as_i64()), (Some("succeeded"), Some(total)), "{done}");

    // Every channel: each message exactly once, in order (the emulator's record, as Discord's).
    let want: Vec<String> = (1..=MESSAGES).map(content).collect();
    for channel in &channels {
        let got: Vec<String> = emulator.messages(*channel).unwrap().into_iter().map(|m| m.content).collect();
        assert_eq!(got, want, "channel {channel}");
    }
    let end = emulator.counters().counters;
    let resent = end.nonce_duplicates - at_kill.nonce_duplicates;
    eprintln!("after the restart: {resent} re-sends deduplicated by their nonce");
    // A re-send happens only for an item marked 'sending' when the process died.
    assert!(resent <= u64::try_from(marked).unwrap(), "{resent} re-sends, {marked} items were marked");
    // (429s are possible here: the new process's client does not know the buckets the killed one
    // had emptied until Discord's first answer tells it; twilight waits and retries them.)
    eprintln!("429s after the restart: {}", end.rate_limited - at_kill.rate_limited);
    store.close().await;
}
