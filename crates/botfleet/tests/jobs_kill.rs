//! A real `botfleet serve` process is killed with kill -9 in the middle of a bulk start job, on
//! SQLite and on PostgreSQL; started again, it takes the job up and finishes it: items recorded
//! before the kill do not run again, and no bot whose gateway session was saved identifies again: it
//! resumes. The only second identifies are of bots whose start was in flight at the kill (READY
//! less than about a second before it, the session not yet durable): at most the items running
//! at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::collections::BTreeMap;
use std::time::Duration;

use botfleet::store::Store;
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, FaultAction, FaultSpec};
use serde_json::{json, Value};

const BOTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_mid_bulk_job_then_it_finishes_without_identifying_a_bot_twice() {
    kill_mid_job(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_mid_bulk_job_then_it_finishes_without_identifying_a_bot_twice() {
    let Some(db) = process::scratch_postgres("botfleet_jobkill").await else { return };
    kill_mid_job(Some(db.url.clone())).await;
    db.remove().await;
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Each item's (state, finished_at), by seq.
async fn items(store: &Store, job: i64) -> BTreeMap<i64, (String, Option<i64>)> {
    let rows: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT seq, state, finished_at FROM job_items WHERE job_id = $1")
            .bind(job)
            .fetch_all(store.pool())
            .await
            .unwrap();
    rows.into_iter().map(|(seq, state, at)| (seq, (state, at))).collect()
}

async fn kill_mid_job(database_url: Option<String>) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let owner = emulator.create_user("owner").unwrap();
    let guild = emulator.create_guild("Shop", owner).unwrap();
    emulator.create_channel(guild, "general").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = database_url.unwrap_or_else(|| botfleet::store::default_url(dir.path()));
    let env = [
        ("BOTFLEET_DISCORD_API_URL", emulator.http_url()),
        ("BOTFLEET_DATABASE_URL", url.as_str()),
        ("BOTFLEET_RATE_LIMIT_PER_MINUTE", "1000000"),
        ("BOTFLEET_BOT_OPS_PER_MINUTE", "1000000"),
    ];
    let key = process::admin_key_with(dir.path(), &env).await;
    let (mut child, api) = process::serve(dir.path(), &env).await;
    let http = process::client(&key);
    for i in 0..BOTS {
        let app =
            emulator.create_application(ApplicationSpec { name: format!("Bot {i}"), ..Default::default() }).unwrap();
        emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();
        process::create_bot(&http, &api, json!({"name": format!("Bot {i}"), "token": app.token})).await;
    }

    // Discord answers slowly: each start takes a while, so the job is long enough to cut.
    let slow = FaultAction::RestLatency { ms: 250, jitter_ms: 0, route: None, for_ms: Some(120_000) };
    emulator.inject(FaultSpec::now(slow)).unwrap();
    let job: Value = http
        .post(format!("{api}/bots/bulk"))
        .json(&json!({"action": "start", "filter": {}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_i64().expect("a job");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let job = get(&http, format!("{api}/jobs/{id}")).await;
        if job["done"].as_i64().unwrap_or(0) >= 8 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job never got under way: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    // What the kill left: the items recorded, the sessions saved, the identifies so far.
    let store = Store::connect(&url).await.unwrap();
    let before = items(&store, id).await;
    let recorded: Vec<i64> = before.iter().filter(|(_, (s, _))| s == "ok").map(|(seq, _)| *seq).collect();
    assert!(recorded.len() >= 8 && recorded.len() < BOTS, "cut in the middle: {} recorded", recorded.len());
    let saved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM gateway_sessions").fetch_one(store.pool()).await.unwrap();
    let at_kill = emulator.counters().counters;
    eprintln!(
        "at the kill: {} items recorded, {saved} sessions saved, {} identifies",
        recorded.len(),
        at_kill.identifies
    );
    emulator.clear_faults();

    let (_child, api) = process::serve(dir.path(), &env).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let done = loop {
        let job = get(&http, format!("{api}/jobs/{id}?limit=1000")).await;
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            break job;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job never finished after the restart: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((done["state"].as_str(), done["done"].as_i64()), (Some("succeeded"), Some(BOTS as i64)), "{done}");
    let bots = get(&http, format!("{api}/bots?limit=200")).await;
    let bots = bots["items"].as_array().unwrap();
    assert!(bots.iter().all(|b| b["status"] == "running"), "every bot runs");

    // No item recorded before the kill ran again: each kept its result and its time.
    let after = items(&store, id).await;
    for seq in &recorded {
        assert_eq!(after[seq], before[seq], "item {seq} was recorded before the kill and did not run again");
    }
    // Those with a saved session resumed it; the others identified once after the restart.
    let end = emulator.counters().counters;
    let saved = u64::try_from(saved).unwrap();
    assert_eq!(end.resumes - at_kill.resumes, saved, "every saved session resumed: {end:?}");
    assert_eq!(
        end.identifies - at_kill.identifies,
        BOTS as u64 - saved,
        "only the bots without a saved session identified again, once each ({} before the kill)",
        at_kill.identifies
    );
    let unsaved = at_kill.identifies - saved;
    assert!(unsaved <= 16, "second identifies only for starts in flight at the kill: {unsaved}");
    assert!(end.max_live_sessions.values().all(|n| *n == 1), "never two sessions of one bot: {end:?}");
    store.close().await;
}
