//! Alerts against the emulator's faults, on a clock the test steps: a bot's gateway goes down →
//! "bot down" fires once after its threshold and its failures in a row, is sent again at its
//! resend interval, and a recovery notice follows when the bot is back; a maintenance window mutes
//! it; a 429 storm and added REST latency fire their rules; an HTTP receiver checks signatures and
//! payloads, a failing one gets retries with backoff; a Discord-webhook channel posts an embed in
//! an emulator channel; "send test"; acknowledging stops resends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/receiver.rs"]
mod receiver;

use std::time::Duration;

use botfleet::time::Clock;
use common::{until, Backend, TestApp};
use discord_emulator::{Emulator, EmulatorConfig, FaultAction, FaultSpec, RouteMatch, Scope};
use receiver::Receiver;
use serde_json::{json, Value};

const SECRET: &str = "a-very-long-signing-secret";

/// An emulator world: one shop bot in a guild with a general and an alerts channel.
struct World {
    emulator: Emulator,
    shop: discord_emulator::ApplicationInfo,
    alice: u64,
    general: u64,
    alerts_channel: u64,
    webhook_url: String,
}

async fn world() -> World {
    let common::ShopWorld { emulator, shop, alice, guild, general } = common::shop_world(EmulatorConfig::fast()).await;
    let alerts_channel = emulator.create_channel(guild, "alerts").unwrap();
    let hook = emulator.create_webhook(alerts_channel, "botfleet alerts").unwrap();
    let webhook_url = format!("{}/api/v10/webhooks/{}/{}", emulator.http_url(), hook.id, hook.token);
    World { emulator, shop, alice, general, alerts_channel, webhook_url }
}

async fn spawn(backend: Backend, w: &World, clock: &Clock) -> Option<TestApp> {
    let clock = clock.clone();
    TestApp::spawn_configured(backend, w.emulator.http_url(), move |c| {
        c.clock = clock;
        c.alert_evaluation_ms = 20;
        // The test polls often and its clock stands still: rate limits would never refill.
        c.auth.requests_per_minute = 1_000_000;
    })
    .await
}

async fn running_bot(app: &TestApp, w: &World) -> i64 {
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": w.shop.token})).await;
    assert_eq!(status, 201, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    bot_status(app, id, "running").await;
    id
}

async fn bot_status(app: &TestApp, id: i64, wanted: &str) {
    until(&format!("bot {id} to be {wanted}"), 30, || async move {
        let (_, bot) = app.get(&format!("/api/v1/bots/{id}")).await;
        (bot["status"] == wanted).then_some(())
    })
    .await;
}

async fn not_running(app: &TestApp, id: i64) {
    until(&format!("bot {id} to lose its gateway"), 30, || async move {
        let (_, bot) = app.get(&format!("/api/v1/bots/{id}")).await;
        (bot["status"] != "running").then_some(())
    })
    .await;
}

async fn channel(app: &TestApp, body: Value) -> i64 {
    let (status, ch) = app.post("/api/v1/alerts/channels", body).await;
    assert_eq!(status, 201, "{ch}");
    ch["id"].as_i64().unwrap()
}

async fn rule(app: &TestApp, body: Value) -> i64 {
    let (status, r) = app.post("/api/v1/alerts/rules", body).await;
    assert_eq!(status, 201, "{r}");
    r["id"].as_i64().unwrap()
}

async fn incidents(app: &TestApp) -> Vec<Value> {
    let (status, list) = app.get("/api/v1/alerts/incidents").await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

fn embeds_in(w: &World) -> Vec<Value> {
    w.emulator.messages(w.alerts_channel).unwrap().into_iter().flat_map(|m| m.embeds).collect()
}

async fn bot_down_fires_once_resends_and_recovers(backend: Backend) {
    let w = world().await;
    let clock = Clock::manual(1_800_000_000_000);
    let Some(app) = spawn(backend, &w, &clock).await else { return };
    let mut live = app.events.subscribe();
    let bot = running_bot(&app, &w).await;
    let receiver = Receiver::start(SECRET, 0).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    let discord =
        channel(&app, json!({"name": "Discord #alerts", "kind": "discord_webhook", "url": w.webhook_url})).await;
    rule(
        &app,
        json!({"name": "Bot down", "condition": {"kind": "bot_down", "for_seconds": 30}, "failures_in_a_row": 2,
               "resend_every_seconds": 300, "channel_ids": [http, discord]}),
    )
    .await;

    // The gateway goes down (for longer than the test): the bot keeps trying to reconnect.
    let fault = w
        .emulator
        .inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 600_000 }).for_application(w.shop.application_id))
        .unwrap();
    not_running(&app, bot).await;
    app.alert_rounds(3).await;
    assert!(incidents(&app).await.is_empty(), "down for 0 s on the test's clock: below the threshold");

    clock.advance(Duration::from_secs(31));
    receiver.wait_for(&["firing"]).await;
    until("the Discord embed", 30, || async { (!embeds_in(&w).is_empty()).then_some(()) }).await;
    app.alert_rounds(5).await;
    assert_eq!(receiver.kinds(), ["firing"], "fires once, not once per evaluation");
    let open = incidents(&app).await;
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["state"].as_str(), open[0]["bot_id"].as_i64()), (Some("firing"), Some(bot)));
    let first = &receiver.payloads()[0];
    assert_eq!(first["incident"]["rule_name"], "Bot down");
    assert!(first["detail"].as_str().unwrap().contains("Shop has been"), "{first}");
    assert!(first["title"].as_str().unwrap().contains("Shop (bot"), "{first}");
    let embed = &embeds_in(&w)[0];
    assert!(embed["title"].as_str().unwrap().contains("Bot down"), "{embed}");
    assert_eq!(embed["color"], 0xE5484D);

    clock.advance(Duration::from_secs(300));
    receiver.wait_for(&["firing", "resent"]).await;

    assert!(w.emulator.remove_fault(fault));
    bot_status(&app, bot, "running").await;
    receiver.wait_for(&["firing", "resent", "recovered"]).await;
    until("three embeds", 30, || async { (embeds_in(&w).len() == 3).then_some(()) }).await;
    assert_eq!(embeds_in(&w)[2]["color"], 0x30A46C);

    let id = open[0]["id"].as_i64().unwrap();
    let (_, detail) = app.get(&format!("/api/v1/alerts/incidents/{id}")).await;
    assert_eq!(detail["incident"]["state"], "resolved");
    let kinds: Vec<&str> =
        detail["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["firing", "resent", "recovered"]);
    until("every delivery marked sent", 30, || async {
        let (_, detail) = app.get(&format!("/api/v1/alerts/incidents/{id}")).await;
        detail["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["deliveries"].as_array().unwrap().clone())
            .all(|d| d["state"] == "sent" && d["attempts"] == 1)
            .then_some(())
    })
    .await;

    // The live bus carried all three.
    let mut seen = Vec::new();
    while let Ok(event) = live.try_recv() {
        if let botfleet::events::Event::Alert(a) = event {
            seen.push(a.kind);
        }
    }
    assert_eq!(seen, ["firing", "resent", "recovered"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_down_on_sqlite() {
    bot_down_fires_once_resends_and_recovers(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_down_on_postgres() {
    bot_down_fires_once_resends_and_recovers(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_mutes_then_the_alert_fires_after_it() {
    let w = world().await;
    let now = 1_800_000_000_000;
    let clock = Clock::manual(now);
    let app = spawn(Backend::Sqlite, &w, &clock).await.unwrap();
    let bot = running_bot(&app, &w).await;
    let receiver = Receiver::start(SECRET, 0).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    let rule_id = rule(
        &app,
        json!({"name": "Bot down", "condition": {"kind": "bot_down", "for_seconds": 10}, "channel_ids": [http]}),
    )
    .await;
    let (status, window) = app
        .post(
            "/api/v1/alerts/maintenance",
            json!({"name": "Deploy", "rule_id": rule_id, "bot_id": bot,
                   "once": {"starts_at": botfleet::time::rfc3339(now - 1000), "ends_at": botfleet::time::rfc3339(now + 600_000)}}),
        )
        .await;
    assert_eq!(status, 201, "{window}");
    assert_eq!(window["active_now"], true);

    w.emulator.inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 600_000 })).unwrap();
    not_running(&app, bot).await;
    clock.advance(Duration::from_secs(60));
    app.alert_rounds(5).await;
    assert!(incidents(&app).await.is_empty(), "muted inside the window");
    assert!(receiver.kinds().is_empty());

    // The window ends with the bot still down: now it fires.
    clock.advance(Duration::from_secs(600));
    receiver.wait_for(&["firing"]).await;

    // A weekly window validates its days and time.
    let (status, bad) = app
        .post(
            "/api/v1/alerts/maintenance",
            json!({"name": "Nightly", "weekly": {"days": ["moonday"], "start": "25:00", "duration_minutes": 0}}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["weekly.days[0]", "weekly.start", "weekly.duration_minutes"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_rest_latency_and_a_429_storm_fire_their_rules() {
    let w = world().await;
    let clock = Clock::manual(1_800_000_000_000);
    let app = spawn(Backend::Sqlite, &w, &clock).await.unwrap();
    let bot = running_bot(&app, &w).await;
    rule(
        &app,
        json!({"name": "Slow replies", "condition": {"kind": "reply_latency", "p99_ms": 200, "within_seconds": 60}}),
    )
    .await;
    rule(
        &app,
        json!({"name": "Rate limited", "condition": {"kind": "rate_limited", "count": 2, "within_seconds": 60}}),
    )
    .await;
    app.alert_rounds(2).await;

    // Every reply takes 400 ms more.
    let route = RouteMatch::new("POST", "/channels/{channel_id}/messages");
    let slow = w
        .emulator
        .inject(FaultSpec::now(FaultAction::RestLatency {
            ms: 400,
            jitter_ms: 0,
            route: Some(route.clone()),
            for_ms: None,
        }))
        .unwrap();
    for _ in 0..3 {
        w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    }
    let fired = |name: &'static str| {
        let app = &app;
        async move {
            until(&format!("{name} to fire"), 30, || async move {
                incidents(app).await.into_iter().find(|i| i["rule_name"] == name && i["state"] == "firing")
            })
            .await
        }
    };
    let slow_incident = fired("Slow replies").await;
    assert_eq!(slow_incident["bot_id"], bot);
    assert!(slow_incident["detail"].as_str().unwrap().contains("p99 reply latency"), "{slow_incident}");
    w.emulator.remove_fault(slow);

    // Discord answers 429 to the next replies (twilight-http waits and retries them by itself).
    w.emulator
        .inject(FaultSpec::now(FaultAction::RestRateLimit {
            scope: Scope::User,
            retry_after_ms: 50,
            route: Some(route),
            times: Some(4),
            for_ms: None,
        }))
        .unwrap();
    w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    let limited = fired("Rate limited").await;
    assert!(limited["detail"].as_str().unwrap().contains("rate limits (429)"), "{limited}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_retries_with_backoff_and_acknowledging_stops_resends() {
    let w = world().await;
    let clock = Clock::manual(1_800_000_000_000);
    let app = spawn(Backend::Sqlite, &w, &clock).await.unwrap();
    let receiver = Receiver::start(SECRET, 2).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    // Any process is over one megabyte: fires at once.
    rule(
        &app,
        json!({"name": "Memory", "condition": {"kind": "memory_over", "megabytes": 1}, "resend_every_seconds": 600, "channel_ids": [http]}),
    )
    .await;
    until("the first attempt", 30, || async { (receiver.got.lock().unwrap().len() == 1).then_some(()) }).await;
    let incident = incidents(&app).await[0]["id"].as_i64().unwrap();
    let delivery = || async {
        let (_, d) = app.get(&format!("/api/v1/alerts/incidents/{incident}")).await;
        d["notifications"][0]["deliveries"][0].clone()
    };
    until("the failure recorded", 30, || async { (delivery().await["attempts"] == 1).then_some(()) }).await;
    let d = delivery().await;
    assert_eq!(d["state"], "pending");
    assert!(d["last_error"].as_str().unwrap().contains("500"), "{d}");
    app.alert_rounds(3).await;
    assert_eq!(receiver.got.lock().unwrap().len(), 1, "no retry before its backoff (5 s on the test's clock)");

    clock.advance(Duration::from_secs(5));
    until("the second attempt", 30, || async { (receiver.got.lock().unwrap().len() == 2).then_some(()) }).await;
    // Its failure recorded (and the next attempt set from the clock) before the clock moves on.
    until("the second failure recorded", 30, || async { (delivery().await["attempts"] == 2).then_some(()) }).await;
    clock.advance(Duration::from_secs(10));
    until("the third attempt, answered", 30, || async { (delivery().await["state"] == "sent").then_some(()) }).await;
    assert_eq!(delivery().await["attempts"], 3);
    assert_eq!(receiver.kinds(), ["firing", "firing", "firing"]);
    let ids: Vec<Value> = receiver.payloads().iter().map(|p| p["delivery_id"].clone()).collect();
    assert!(ids.windows(2).all(|p| p[0] == p[1]), "the same delivery, retried");

    // An operator acknowledges: the channel hears it, and no resend follows.
    let operator = common::client_with_key(&TestApp::make_key(&app.store, botfleet::auth::Role::Operator).await);
    let ack =
        operator.post(format!("{}/api/v1/alerts/incidents/{incident}/acknowledge", app.url)).send().await.unwrap();
    assert_eq!(ack.status(), 200);
    let again =
        operator.post(format!("{}/api/v1/alerts/incidents/{incident}/acknowledge", app.url)).send().await.unwrap();
    assert_eq!(again.status(), 409, "acknowledged once");
    until("the acknowledgement sent", 30, || async { (receiver.got.lock().unwrap().len() == 4).then_some(()) }).await;
    assert_eq!(receiver.payloads()[3]["incident"]["acknowledged_by"], "test operator");
    clock.advance(Duration::from_secs(700));
    app.alert_rounds(5).await;
    assert_eq!(receiver.kinds(), ["firing", "firing", "firing", "acknowledged"], "no resend once acknowledged");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_send_tests_and_keep_their_secrets() {
    let w = world().await;
    let app = TestApp::spawn_with(Backend::Sqlite, w.emulator.http_url()).await.unwrap();
    let receiver = Receiver::start(SECRET, 0).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    let discord = channel(&app, json!({"name": "Discord", "kind": "discord_webhook", "url": w.webhook_url})).await;
    let dead = channel(
        &app,
        json!({"name": "Dead", "kind": "http_webhook", "url": "http://127.0.0.1:9/hook", "secret": SECRET}),
    )
    .await;

    let (status, ok) = app.post(&format!("/api/v1/alerts/channels/{http}/test"), json!({})).await;
    assert_eq!((status.as_u16(), ok["delivered"].as_bool()), (200, Some(true)), "{ok}");
    assert_eq!(receiver.kinds(), ["test"]);
    let (_, ok) = app.post(&format!("/api/v1/alerts/channels/{discord}/test"), json!({})).await;
    assert_eq!(ok["delivered"], true, "{ok}");
    assert!(embeds_in(&w)[0]["title"].as_str().unwrap().contains("Test notification"));
    let (_, failed) = app.post(&format!("/api/v1/alerts/channels/{dead}/test"), json!({})).await;
    assert_eq!(failed["delivered"], false);
    assert!(failed["error"].as_str().unwrap().contains("could not connect"), "{failed}");

    // Secrets never come back: not the signing secret, not the Discord webhook's token.
    let token = w.webhook_url.rsplit('/').next().unwrap().to_owned();
    let (_, list) = app.get("/api/v1/alerts/channels").await;
    let text = list.to_string();
    assert!(!text.contains(SECRET) && !text.contains(&token), "{text}");
    assert!(text.contains("/webhooks/") && text.contains("…"), "{text}");
    let (_, audit) = app.get("/api/v1/audit-logs").await;
    assert!(!audit.to_string().contains(&token) && !audit.to_string().contains(SECRET));

    // Bad input: clear field errors, nothing changed.
    let (status, bad) = app
        .post(
            "/api/v1/alerts/channels",
            json!({"name": "X", "kind": "discord_webhook", "url": "https://discord.com/api/channels/1"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let (status, bad) =
        app.post("/api/v1/alerts/channels", json!({"name": "Y", "kind": "http_webhook", "url": receiver.url})).await;
    assert_eq!((status.as_u16(), bad["error"]["fields"][0]["field"].as_str()), (422, Some("secret")), "{bad}");
    let (status, bad) = app
        .post(
            "/api/v1/alerts/rules",
            json!({"name": "R", "condition": {"kind": "memory_over", "megabytes": 0}, "bot_id": 99, "channel_ids": [999]}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["condition.megabytes", "bot_id"], "{bad}");
    let (status, _) = app
        .post(
            "/api/v1/alerts/rules",
            json!({"name": "R", "condition": {"kind": "bot_down", "for_seconds": 5}, "channel_ids": [999]}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(app.get("/api/v1/alerts/rules").await.1["items"].as_array().unwrap().is_empty());

    // A channel in use cannot be deleted.
    rule(&app, json!({"name": "R", "condition": {"kind": "database_unreachable"}, "channel_ids": [http]})).await;
    let (status, conflict) = app.call(reqwest::Method::DELETE, &format!("/api/v1/alerts/channels/{http}"), None).await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(app.get("/api/v1/alerts/channels").await.1["items"].as_array().unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unreachable_is_sent_directly_and_stored_once_it_is_back() {
    use sqlx::Connection;
    let w = world().await;
    let clock = Clock::manual(1_800_000_000_000);
    let Some(app) = spawn(Backend::Postgres, &w, &clock).await else { return };
    let receiver = Receiver::start(SECRET, 0).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    rule(
        &app,
        json!({"name": "Database", "condition": {"kind": "database_unreachable"}, "failures_in_a_row": 2, "channel_ids": [http]}),
    )
    .await;
    app.alert_rounds(2).await; // the rule is in the engine's memory now
    let name: String = sqlx::query_scalar("SELECT current_database()::text").fetch_one(app.store.pool()).await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&common::postgres_admin_url()).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
    // End botfleet's connections until the alert arrives (one opened just before the ALTER would
    // otherwise keep answering).
    let admin = tokio::sync::Mutex::new(admin);
    let terminate =
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()";
    // Generous: each failing round may wait the pool's 10 s acquire timeout, and two are needed.
    until("the database-down alert", 90, || async {
        sqlx::query(terminate).bind(&name).execute(&mut *admin.lock().await).await.unwrap();
        (!receiver.got.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    receiver.wait_for(&["firing"]).await;
    let mut admin = admin.into_inner();
    let firing = &receiver.payloads()[0];
    assert!(firing["title"].as_str().unwrap().contains("sent directly"), "{firing}");
    assert!(firing["detail"].as_str().unwrap().contains("the database does not answer"), "{firing}");

    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();
    receiver.wait_for(&["firing", "recovered"]).await;
    let list = incidents(&app).await;
    assert_eq!((list.len(), list[0]["state"].as_str()), (1, Some("resolved")), "{list:?}");
    let (_, detail) = app.get(&format!("/api/v1/alerts/incidents/{}", list[0]["id"])).await;
    let kinds: Vec<(&str, bool)> = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), n["muted"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds, [("firing", true), ("recovered", false)], "the firing was sent directly, not queued");
    app.stop().await;
}

/// An acknowledgement whose rule cannot be read is refused (nothing changes) instead of being
/// recorded with its notice sent to no channel; once the rule reads again, it goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_never_tells_no_channel_because_its_rule_could_not_be_read() {
    let w = world().await;
    let clock = Clock::manual(1_800_000_000_000);
    let app = spawn(Backend::Sqlite, &w, &clock).await.unwrap();
    let receiver = Receiver::start(SECRET, 0).await;
    let http =
        channel(&app, json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET})).await;
    let rule_id = rule(
        &app,
        json!({"name": "Memory", "condition": {"kind": "memory_over", "megabytes": 1}, "channel_ids": [http]}),
    )
    .await;
    until("the alert sent", 30, || async { (receiver.got.lock().unwrap().len() == 1).then_some(()) }).await;
    let incident = incidents(&app).await[0]["id"].as_i64().unwrap();
    let saved: String = sqlx::query_scalar("SELECT channel_ids FROM alert_rules WHERE id = $1")
        .bind(rule_id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let set_channels =
        |text: String| sqlx::query("UPDATE alert_rules SET channel_ids = $1 WHERE id = $2").bind(text).bind(rule_id);
    set_channels("{oops".into()).execute(app.store.pool()).await.unwrap();

    let ack = format!("/api/v1/alerts/incidents/{incident}/acknowledge");
    let (status, body) = app.post(&ack, json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "unreadable", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&format!("alert rule {rule_id}")), "{body}");
    let (_, now) = app.get(&format!("/api/v1/alerts/incidents/{incident}")).await;
    assert!(now["incident"]["acknowledged_at"].is_null(), "nothing changed: {now}");

    set_channels(saved).execute(app.store.pool()).await.unwrap();
    let (status, body) = app.post(&ack, json!({})).await;
    assert_eq!(status, 200, "{body}");
    until("the acknowledgement sent to the rule's channel", 30, || async {
        (receiver.kinds().last().map(String::as_str) == Some("acknowledged")).then_some(())
    })
    .await;
    app.stop().await;
}
