//! Health check by check: a running bot is healthy (gateway, heartbeat, events, REST, database,
//! queues); a gateway outage makes it unhealthy with a reason, and it recovers; a
//! stopped bot says how to fix it; readiness lists its checks. Its figures: REST calls and the 429s
//! twilight-http retried by itself (agreeing with the emulator's count), events per second, and
//! uptime over 1 h / 24 h / 7 d from the performance history (manual clock).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{until, Backend, TestApp};
use discord_emulator::{EmulatorConfig, FaultAction, FaultSpec, Scope};
use serde_json::{json, Value};

async fn health_until(app: &TestApp, id: i64, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, health) = app.get(&format!("/api/v1/bots/{id}/health")).await;
        if wanted(&health) {
            return health;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_health_check_by_check() {
    // Heartbeats every second, so a stall shows within seconds.
    let common::ShopWorld { emulator, shop, alice, general, .. } = common::shop_world(EmulatorConfig::fast()).await;
    let app = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await;
    let id = bot["id"].as_i64().unwrap();

    let stopped = health_until(&app, id, "a stopped bot's health", |h| h["status"] == "unhealthy").await;
    assert!(check(&stopped, "gateway")["detail"].as_str().unwrap().contains("start it"), "{stopped}");

    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let healthy = health_until(&app, id, "a healthy bot", |h| h["status"] == "healthy").await;
    let names: Vec<&str> = healthy["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["gateway", "heartbeat", "events", "session_starts", "rest", "database", "queues", "tracking_spool"]
    );
    assert_eq!(healthy["figures"]["heartbeat_interval_ms"], 1000);
    assert!(healthy["figures"]["status_since"].is_i64(), "how long it has been running: {healthy}");
    // A command answered: the last REST call is recorded.
    emulator.user_message(alice, general, "!ping").unwrap();
    let answered = health_until(&app, id, "a REST call", |h| h["figures"]["last_rest_ok_at"].is_i64()).await;
    assert!(check(&answered, "rest")["detail"].as_str().unwrap().starts_with("last call answered"));

    // The gateway goes down for 5 s: the connection drops and cannot come back meanwhile.
    emulator.inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 5000 })).unwrap();
    let sick = health_until(&app, id, "the outage to show", |h| h["status"] == "unhealthy").await;
    let failing: Vec<&Value> = sick["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert!(
        failing.iter().any(|c| c["name"] == "heartbeat" || c["name"] == "gateway"),
        "a connection check fails: {sick}"
    );
    assert!(failing.iter().all(|c| c["detail"].as_str().unwrap().len() > 10), "each says why: {sick}");
    let back = health_until(&app, id, "recovery after the outage", |h| h["status"] == "healthy").await;
    assert!(back["figures"]["reconnects"].as_u64().unwrap() + back["figures"]["resumes"].as_u64().unwrap() >= 1);

    let (status, ready) = app.get("/api/v1/health/ready").await;
    assert_eq!(status, 200);
    assert_eq!(ready["checks"][0]["name"], "database");
    assert_eq!(app.get("/api/v1/bots/999/health").await.0, 404);
}

async fn figures(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/bots/{id}/health")).await.1["figures"].clone()
}

async fn status_until(app: &TestApp, id: i64, wanted: &str) {
    until(&format!("the bot to be {wanted}"), 60, || async {
        (app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == wanted).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_calls_and_the_429s_twilight_retries_are_counted_per_bot() {
    let common::ShopWorld { emulator, shop, alice, general, .. } = common::shop_world(EmulatorConfig::default()).await;
    let app = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let body = json!({"name": "Shop", "token": shop.token, "anti_spam": {"enabled": false}});
    let id = app.post("/api/v1/bots", body).await.1["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    status_until(&app, id, "running").await;
    // Before the gateway: GET /gateway/bot, the application, the slash command registration.
    let before = figures(&app, id).await;
    let calls = before["rest_calls"].as_u64().unwrap();
    assert!(calls >= 3, "{before}");
    assert_eq!(before["rate_limited"], 0);
    let limited = emulator.counters().counters.rate_limited;

    // The reply meets three 429s; twilight-http retries each by itself and the reply gets through.
    let n = 3;
    let fault = FaultAction::RestRateLimit {
        scope: Scope::User,
        retry_after_ms: 100,
        route: None,
        times: Some(n),
        for_ms: None,
    };
    emulator.inject(FaultSpec::now(fault).for_application(shop.application_id)).unwrap();
    emulator.user_message(alice, general, "!ping").unwrap();
    let row = until("the command to be tracked", 60, || async {
        let (_, page) = app.get(&format!("/api/v1/command-logs?bot_id={id}")).await;
        page["items"].as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(row["outcome"], "ok", "answered after the retries: {row}");
    let after = until("the 429s to be counted", 30, || async {
        let f = figures(&app, id).await;
        (f["rate_limited"].as_u64() == Some(u64::from(n))).then_some(f)
    })
    .await;
    // One call (the reply), however many attempts it took.
    assert_eq!(after["rest_calls"].as_u64().unwrap(), calls + 1, "{after}");
    // The emulator counts after answering: wait for it, then it agrees.
    let seen = until("the emulator to count its 429s", 30, || async {
        let now = emulator.counters().counters.rate_limited;
        (now >= limited + u64::from(n)).then_some(now)
    })
    .await;
    assert_eq!(seen - limited, u64::from(n));
    // The counted event still reached the process's subscriber.
    assert!(common::captured_logs().contains("rate limited; retrying"));
    // And the health check stays good: the call succeeded.
    let health = app.get(&format!("/api/v1/bots/{id}/health")).await.1;
    assert_eq!(check(&health, "rest")["ok"], true, "{health}");
}

async fn uptime_follows_the_bots_status(backend: Backend) {
    let common::ShopWorld { emulator, shop, .. } = common::shop_world(EmulatorConfig::default()).await;
    let clock = botfleet::time::Clock::manual(1_800_000_000_000);
    let c = clock.clone();
    let Some(app) = TestApp::spawn_configured(backend, emulator.http_url(), move |config| {
        config.clock = c;
        config.metrics_interval_seconds = 1;
    })
    .await
    else {
        return;
    };
    let id = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await.1["id"].as_i64().unwrap();
    // Never run: nothing is known.
    let unknown = figures(&app, id).await;
    assert!(unknown["uptime"]["1h"].is_null() && unknown["uptime"]["7d"].is_null(), "{unknown}");

    // Up for 30 min (the manual clock moves only when told, so starting took no time).
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    status_until(&app, id, "running").await;
    clock.advance(Duration::from_secs(30 * 60));
    // Down (failed, still meant to run) for 20 min.
    emulator.close_connections(Some(shop.application_id), 4014);
    status_until(&app, id, "failed").await;
    clock.advance(Duration::from_secs(20 * 60));
    // Stopped on purpose for 10 min: not downtime.
    app.post(&format!("/api/v1/bots/{id}/stop"), json!({})).await;
    clock.advance(Duration::from_secs(10 * 60));
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    status_until(&app, id, "running").await;

    // The sampler (every second) writes the differences: 30 min up of 50 observed.
    let shares = until("the history to hold the uptime", 60, || async {
        let f = figures(&app, id).await;
        (f["uptime"]["1h"].as_f64().is_some_and(|s| (s - 0.6).abs() < 1e-9)).then_some(f)
    })
    .await;
    assert_eq!(shares["uptime"]["24h"].as_f64(), Some(0.6), "{shares}");
    assert_eq!(shares["uptime"]["7d"].as_f64(), Some(0.6), "{shares}");
    // The gateway events since the restart all fall in the clock's current minute.
    assert!(shares["events_per_s"].as_f64().unwrap() > 0.0, "{shares}");
    let (_, rows) = app.get(&format!("/api/v1/performance?bot_id={id}")).await;
    let rows = rows["items"].as_array().unwrap();
    let sum = |k: &str| rows.iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("up_ms"), sum("span_ms")), (30 * 60_000, 50 * 60_000), "{rows:?}");
    assert!(sum("events") >= 2 && sum("rest_calls") >= 6, "READY twice, two start-ups of three calls: {rows:?}");

    // Two hours on, still running: the last hour is all up, the day still holds the failure.
    clock.advance(Duration::from_secs(2 * 3600));
    let later = until("the last hour to be all up", 60, || async {
        let f = figures(&app, id).await;
        (f["uptime"]["1h"].as_f64() == Some(1.0)).then_some(f)
    })
    .await;
    let day = later["uptime"]["24h"].as_f64().unwrap();
    assert!((day - 150.0 / 170.0).abs() < 1e-9, "{later}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uptime_follows_the_bots_status() {
    uptime_follows_the_bots_status(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_uptime_follows_the_bots_status() {
    uptime_follows_the_bots_status(Backend::Postgres).await;
}

/// Discord's heartbeat interval is 41.25 s: a bot that has just connected has no ACK yet, and is
/// not unhealthy for it — its heartbeat check is pending until the first ACK is due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_just_connected_bot_is_not_unhealthy_while_its_first_heartbeat_is_due() {
    let common::ShopWorld { emulator, shop, .. } = common::shop_world(EmulatorConfig::default()).await;
    let app = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    status_until(&app, id, "running").await;
    let health = app.get(&format!("/api/v1/bots/{id}/health")).await.1;
    let heartbeat = check(&health, "heartbeat");
    // Pending, or (if twilight's first, randomly jittered heartbeat was already answered) ok.
    assert!(heartbeat["state"] == "pending" || heartbeat["state"] == "ok", "{health}");
    assert_eq!(heartbeat["ok"], true, "{health}");
    assert_eq!(health["status"], "healthy", "{health}");
    app.stop().await;
}

/// With `--public-readiness`, a probe without a credential gets readiness's status and code alone;
/// a signed-in caller still gets every check; a bad key is still refused. Without it, a probe
/// needs a credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_probes_without_a_credential_only_when_asked_to() {
    let emulator = discord_emulator::Emulator::start(EmulatorConfig::default()).await.unwrap();
    let anonymous = reqwest::Client::new();
    let closed = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let r = anonymous.get(format!("{}/api/v1/health/ready", closed.url)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);

    let open =
        TestApp::spawn_configured(Backend::Sqlite, emulator.http_url(), |c| c.public_readiness = true).await.unwrap();
    let r = anonymous.get(format!("{}/api/v1/health/ready", open.url)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"status": "ready"}), "the status alone: no checks, counts or details");
    let (status, full) = open.get("/api/v1/health/ready").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(full["checks"].is_array() && full["fleet"].is_object(), "{full}");
    let r =
        anonymous.get(format!("{}/api/v1/health/ready", open.url)).bearer_auth("bf_not_a_key").send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED, "a credential sent is checked");
    // Other health routes still need one.
    let r = anonymous.get(format!("{}/api/v1/nodes", open.url)).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
}
