//! Background jobs, on SQLite and PostgreSQL: a bulk start of 1,000 bots runs as a job (202), ends
//! with every bot running and its progress seen on the live bus; a job cut by a restart of the
//! service finishes after it without starting any bot twice; cancel stops between items; retry
//! runs only the failed items; permissions and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::events::Event;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, FaultAction, FaultSpec};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    emulator: Emulator,
    app: TestApp,
    guild: u64,
}

async fn world(backend: Backend) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let owner = emulator.create_user("owner").unwrap();
    let guild = emulator.create_guild("Shop", owner).unwrap();
    emulator.create_channel(guild, "general").unwrap();
    let app = TestApp::spawn_configured(backend, emulator.http_url(), |c| {
        c.auth.requests_per_minute = 1_000_000;
        c.auth.bot_ops_per_minute = 1_000_000;
    })
    .await?;
    Some(World { emulator, app, guild })
}

impl World {
    /// `n` bots, each its own Discord application in the guild; their ids.
    async fn bots(&self, n: usize) -> Vec<i64> {
        self.bots_in(n, false).await
    }

    /// `n` bots, each its own Discord application, in the shared guild or (`own_guilds`) each in
    /// a small guild of its own, as a shop's fleet usually is.
    async fn bots_in(&self, n: usize, own_guilds: bool) -> Vec<i64> {
        let mut ids = Vec::with_capacity(n);
        let from = self.app.get("/api/v1/bots?limit=200").await.1["items"].as_array().map_or(0, Vec::len);
        for i in from..from + n {
            let spec = ApplicationSpec { name: format!("Bot {i}"), ..Default::default() };
            let app = self.emulator.create_application(spec).unwrap();
            let guild = if own_guilds {
                let owner = self.emulator.create_user(&format!("owner{i}")).unwrap();
                let guild = self.emulator.create_guild(&format!("Shop {i}"), owner).unwrap();
                self.emulator.create_channel(guild, "general").unwrap();
                guild
            } else {
                self.guild
            };
            self.emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();
            let (status, bot) =
                self.app.post("/api/v1/bots", json!({"name": format!("Bot {i}"), "token": app.token})).await;
            assert_eq!(status, StatusCode::CREATED, "{bot}");
            ids.push(bot["id"].as_i64().unwrap());
        }
        ids
    }

    async fn job(&self, id: i64) -> Value {
        self.app.get(&format!("/api/v1/jobs/{id}?limit=1000")).await.1
    }

    /// The job once it has ended, with its items. Polled lightly (without its items): a poll
    /// that read every item of a 1,000-item job would load the service it measures.
    async fn finished(&self, id: i64) -> Value {
        let polls = std::sync::atomic::AtomicU32::new(0);
        until("the job to end", 480, || async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let job = self.app.get(&format!("/api/v1/jobs/{id}?limit=1")).await.1;
            if polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 100 == 99 {
                eprintln!("still waiting for job {id}: {} {} done {} failed", job["state"], job["done"], job["failed"]);
            }
            job["state"].as_str().is_some_and(|s| !matches!(s, "queued" | "running")).then_some(())
        })
        .await;
        self.job(id).await
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    a_bulk_start_is_a_job_that_ends_with_every_bot_running,
    a_job_cut_by_a_restart_finishes_without_starting_a_bot_twice,
    cancel_stops_between_items_and_retry_runs_only_the_failed_ones,
    jobs_are_listed_filtered_and_guarded,
);

/// The figure: a bulk start of 1,000 bots.
const FLEET: usize = 1000;

async fn a_bulk_start_is_a_job_that_ends_with_every_bot_running(w: World) {
    let ids = w.bots_in(FLEET, true).await;
    let n = i64::try_from(FLEET).unwrap();
    // The job's progress as the live bus carries it, read while it runs (the bus keeps a bounded
    // backlog: a reader that falls behind skips, as a live client would).
    let mut events = w.app.events.subscribe();
    let (job_id_tx, job_id_rx) = tokio::sync::oneshot::channel::<i64>();
    let watcher = tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        let mut seen = Vec::new();
        let mut early = Vec::new();
        let mut job_id_rx = Some(job_id_rx);
        let mut id = None;
        loop {
            match events.recv().await {
                Ok(Event::Job(j)) => early.push((j.id, j.state, j.done)),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
            if id.is_none() {
                if let Some(Ok(got)) = job_id_rx.as_mut().map(|rx| rx.try_recv()) {
                    id = Some(got);
                    job_id_rx = None;
                }
            }
            if let Some(id) = id {
                seen.extend(early.drain(..).filter(|(j, _, _)| *j == id).map(|(_, s, d)| (s, d)));
                if seen.last().is_some_and(|(s, _)| s == "succeeded") {
                    break;
                }
            }
        }
        seen
    });
    let (status, job) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "filter": {}})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!((job["kind"].as_str(), job["total"].as_i64()), (Some("bots_bulk"), Some(n)), "{job}");
    let id = job["id"].as_i64().unwrap();
    job_id_tx.send(id).unwrap();
    let started = tokio::time::Instant::now();
    let done = w.finished(id).await;
    eprintln!("{FLEET} bots started by one job in {:.1} s", started.elapsed().as_secs_f64());
    let failed: Vec<&Value> =
        done["items"]["items"].as_array().unwrap().iter().filter(|i| i["state"] != "ok").take(5).collect();
    assert_eq!(
        (done["state"].as_str(), done["done"].as_i64(), done["failed"].as_i64()),
        (Some("succeeded"), Some(n), Some(0)),
        "{failed:?}"
    );
    let items = done["items"]["items"].as_array().unwrap();
    assert_eq!(items.len(), FLEET);
    assert!(items.iter().all(|i| i["state"] == "ok" && i["attempts"] == 1), "{done}");
    let mut running = 0;
    let mut cursor = String::new();
    loop {
        let page = w.app.get(&format!("/api/v1/bots?limit=200{cursor}")).await.1;
        running += page["items"].as_array().unwrap().iter().filter(|b| b["status"] == "running").count();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(running, ids.len(), "every bot runs");
    assert_eq!(w.emulator.counters().counters.identifies, n as u64, "one identify per bot");
    // Progress went to the live bus: several updates, ending with the job's end.
    let seen = tokio::time::timeout(std::time::Duration::from_secs(30), watcher).await.unwrap().unwrap();
    assert!(seen.len() >= 3, "progress was published: {seen:?}");
    assert_eq!(seen.last().unwrap(), &("succeeded".to_owned(), n));
    assert!(seen.iter().any(|(s, d)| s == "running" && *d > 0 && *d < n), "progress between: {seen:?}");
    let audit = w.app.get("/api/v1/audit-logs?action=bots.bulk_start").await.1;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
}

async fn a_job_cut_by_a_restart_finishes_without_starting_a_bot_twice(w: World) {
    let ids = w.bots(40).await;
    let World { emulator, app, guild } = w;
    let (status, job) = app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": ids})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = job["id"].as_i64().unwrap();
    until("the job to be under way", 60, || async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let job = app.get(&format!("/api/v1/jobs/{id}")).await.1;
        (job["done"].as_i64().unwrap_or(0) > 0).then_some(())
    })
    .await;
    let app = app.restart().await;
    let w = World { emulator, app, guild };
    let done = w.finished(id).await;
    assert_eq!((done["state"].as_str(), done["done"].as_i64()), (Some("succeeded"), Some(40)), "{done}");
    assert!(done["items"]["items"].as_array().unwrap().iter().all(|i| i["state"] == "ok" && i["attempts"] == 1));
    let c = w.emulator.counters().counters;
    assert_eq!(c.identifies, 40, "no bot identified twice (the restart resumed the running ones): {c:?}");
}

async fn cancel_stops_between_items_and_retry_runs_only_the_failed_ones(w: World) {
    let ids = w.bots(3).await;
    // A bot whose token Discord does not know: its item fails.
    let (_, bad) = w.app.post("/api/v1/bots", json!({"name": "Bad", "token": common::token("bad")})).await;
    let bad = bad["id"].as_i64().unwrap();
    let mut all = ids.clone();
    all.insert(1, bad);
    let (_, job) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": all})).await;
    let id = job["id"].as_i64().unwrap();
    let done = w.finished(id).await;
    assert_eq!(
        (done["state"].as_str(), done["done"].as_i64(), done["failed"].as_i64()),
        (Some("partial"), Some(3), Some(1))
    );
    let failed = &done["items"]["items"][1];
    assert_eq!((failed["state"].as_str(), failed["target"].as_str()), (Some("failed"), Some(bad.to_string().as_str())));
    assert!(failed["error"].as_str().unwrap().contains("token"), "{failed}");

    // Retry runs the failed item only (it fails again: the token is still wrong).
    let identifies = w.emulator.counters().counters.identifies;
    let (status, retried) = w.app.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!((status, retried["attempts"].as_i64()), (StatusCode::OK, Some(2)), "{retried}");
    let done = w.finished(id).await;
    let items = done["items"]["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|i| i["attempts"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 1, 1]);
    assert_eq!(w.emulator.counters().counters.identifies, identifies, "the bots that were started were not again");
    let (status, body) = w.app.post(&format!("/api/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an ended job cannot be cancelled: {body}");

    // Cancel: a stop of many bots, cancelled while under way, stops between items.
    let more = w.bots(40).await;
    let (_, started) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": more})).await;
    w.finished(started["id"].as_i64().unwrap()).await;
    // Discord answers slowly meanwhile (each restart asks it for the gateway): the job is long.
    let slow = FaultAction::RestLatency { ms: 400, jitter_ms: 0, route: None, for_ms: Some(60_000) };
    w.emulator.inject(FaultSpec::now(slow)).unwrap();
    let (_, job) = w.app.post("/api/v1/bots/bulk", json!({"action": "restart", "bot_ids": more})).await;
    let id = job["id"].as_i64().unwrap();
    until("the restart to be under way", 60, || async {
        (w.job(id).await["done"].as_i64().unwrap_or(0) > 0).then_some(())
    })
    .await;
    let (status, cancelled) = w.app.post(&format!("/api/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let done_then = usize::try_from(cancelled["done"].as_i64().unwrap()).unwrap();
    let done = w.finished(id).await;
    assert_eq!(done["state"], "cancelled", "{done}");
    let items = done["items"]["items"].as_array().unwrap();
    let ran = items.iter().filter(|i| i["state"] == "ok").count();
    let skipped = items.iter().filter(|i| i["state"] == "cancelled").count();
    assert_eq!(ran + skipped, 40, "every item either ran or was cancelled: {done}");
    assert!(skipped > 0, "the cancel stopped the job before its end: {done}");
    assert!(
        ran <= done_then + 16,
        "only the items already running finished after the cancel ({ran}, {done_then} before)"
    );
    let audit = w.app.get("/api/v1/audit-logs?action=jobs.cancel").await.1;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
}

async fn jobs_are_listed_filtered_and_guarded(w: World) {
    let ids = w.bots(2).await;
    let (_, first) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": ids})).await;
    w.finished(first["id"].as_i64().unwrap()).await;
    let (_, second) = w.app.post("/api/v1/bots/bulk", json!({"action": "stop", "filter": {"name": "bot 1"}})).await;
    assert_eq!(second["total"], 1, "the filter took one bot: {second}");
    w.finished(second["id"].as_i64().unwrap()).await;
    let page = w.app.get("/api/v1/jobs?limit=1").await.1;
    assert_eq!(page["items"][0]["id"], second["id"], "newest first");
    let next = w.app.get(&format!("/api/v1/jobs?limit=1&cursor={}", page["next_cursor"].as_str().unwrap())).await.1;
    assert_eq!(next["items"][0]["id"], first["id"]);
    let succeeded = w.app.get("/api/v1/jobs?state=succeeded&kind=bots_bulk").await.1;
    assert_eq!(succeeded["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(w.app.get("/api/v1/jobs?state=maybe").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.app.get("/api/v1/jobs/999999").await.0, StatusCode::NOT_FOUND);
    let (status, body) =
        w.app.post("/api/v1/bots/bulk", json!({"action": "start", "filter": {"name": "nobody"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": ids, "filter": {}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A viewer reads jobs but may not cancel or retry a bulk job (bots.operate).
    let viewer = TestApp::make_key(&w.app.store, botfleet::auth::Role::Viewer).await;
    let as_viewer = common::client_with_key(&viewer);
    let list = as_viewer.get(format!("{}/api/v1/jobs", w.app.url)).send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let retry = as_viewer.post(format!("{}/api/v1/jobs/{}/retry", w.app.url, first["id"])).send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::FORBIDDEN);
}
