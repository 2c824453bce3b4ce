//! Health check by check: a running bot is healthy (gateway, heartbeat, events, REST, database,
//! queues); a gateway outage makes it unhealthy with a reason, and it recovers; a
//! stopped bot says how to fix it; readiness lists its checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{Backend, TestApp};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, FaultAction, FaultSpec};
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
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let app = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await;
    let id = bot["id"].as_i64().unwrap();

    let stopped = health_until(&app, id, "a stopped bot's health", |h| h["status"] == "unhealthy").await;
    assert!(check(&stopped, "gateway")["detail"].as_str().unwrap().contains("start it"), "{stopped}");

    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let healthy = health_until(&app, id, "a healthy bot", |h| h["status"] == "healthy").await;
    let names: Vec<&str> = healthy["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gateway", "heartbeat", "events", "rest", "database", "queues"]);
    assert_eq!(healthy["figures"]["heartbeat_interval_ms"], 1000);
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
