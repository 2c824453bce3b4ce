//! Outgoing webhooks, on SQLite and PostgreSQL, against a real receiver and the emulator: a
//! webhook gets the events it subscribed to — bot status, commands narrowed by bot, command and
//! outcome, stock changes, audit actions — signed with a timestamp, each listed in its delivery
//! history; a Discord webhook gets embeds; "Send test" reports what the receiver said; a failing
//! receiver is retried with backoff on a clock the test steps, the webhook is paused after
//! repeated failures and an alert fires, resuming sends what waited and resolves the alert; bad
//! input is refused and changes nothing, secrets never come back, viewers cannot make webhooks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/receiver.rs"]
mod receiver;

use std::sync::atomic::Ordering;
use std::time::Duration;

use botfleet::time::Clock;
use common::{until, Backend, TestApp};
use discord_emulator::EmulatorConfig;
use receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SECRET: &str = "a-very-long-signing-secret";

async fn spawn(backend: Backend, emulator: &str, clock: Option<Clock>) -> Option<TestApp> {
    TestApp::spawn_configured(backend, emulator, move |c| {
        if let Some(clock) = clock {
            c.clock = clock;
        }
        c.alert_evaluation_ms = 20;
        c.auth.requests_per_minute = 1_000_000;
    })
    .await
}

async fn webhook(app: &TestApp, body: Value) -> Value {
    let (status, w) = app.post("/api/v1/webhooks", body).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    w
}

async fn deliveries(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn product(app: &TestApp, sku: &str) -> i64 {
    let body = json!({"sku": sku, "name": format!("Product {sku}"), "price_minor": 450, "currency": "EUR", "stock": 5});
    let (status, p) = app.post("/api/v1/products", body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

both!(
    events_are_delivered_signed_filtered_and_listed,
    a_failing_receiver_is_retried_then_paused_with_an_alert_and_resumed,
    bad_webhooks_are_refused_and_secrets_never_come_back,
);

async fn events_are_delivered_signed_filtered_and_listed(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::fast()).await;
    let Some(app) = spawn(backend, w.emulator.http_url(), None).await else { return };
    let receiver = Receiver::start(SECRET, 0).await;
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": w.shop.token})).await;
    let bot_id = bot["id"].as_i64().unwrap();
    let hook = webhook(
        &app,
        json!({"name": "Orders", "kind": "http_webhook", "url": receiver.url, "secret": SECRET,
            "events": ["bot_status", "command", "stock", "audit"],
            "filters": {"bot_ids": [bot_id], "commands": ["ping"], "outcomes": ["ok"]}}),
    )
    .await;
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(hook["state"], "active");
    assert_eq!(hook["has_secret"], true);
    // A Discord webhook, for stock changes only.
    let feed = w.emulator.create_channel(w.guild, "stock-feed").unwrap();
    let discord = w.emulator.create_webhook(feed, "botfleet").unwrap();
    let discord_url = format!("{}/api/v10/webhooks/{}/{}", w.emulator.http_url(), discord.id, discord.token);
    webhook(&app, json!({"name": "Feed", "kind": "discord_webhook", "url": discord_url, "events": ["stock"]})).await;

    app.post(&format!("/api/v1/bots/{bot_id}/start"), json!({})).await;
    until("the bot running", 30, || async {
        (app.get(&format!("/api/v1/bots/{bot_id}")).await.1["status"] == "running").then_some(())
    })
    .await;
    let said = |text: &str| w.emulator.user_message(w.alice, w.general, text).unwrap();
    let ping = said("!ping");
    said("!help"); // another command: filtered out
    until("the ping answered", 30, || async {
        w.emulator
            .messages(w.general)
            .unwrap()
            .iter()
            .any(|m| m.author_is_bot && m.content.to_lowercase().contains("pong"))
            .then_some(())
    })
    .await;
    let tea = product(&app, "TEA").await;

    let types = |r: &Receiver| r.kinds();
    until("the command, stock and audit deliveries", 30, || async {
        let t = types(&receiver);
        let actions: Vec<String> =
            receiver.payloads().iter().filter_map(|p| p["data"]["action"].as_str().map(str::to_owned)).collect();
        let audited = ["products.create", "bots.start"].iter().all(|a| actions.iter().any(|x| x == a));
        (t.contains(&"command".to_owned()) && t.contains(&"stock".to_owned()) && audited).then_some(())
    })
    .await;
    let payloads = receiver.payloads(); // every signature checked
    let commands: Vec<&Value> = payloads.iter().filter(|p| p["type"] == "command").collect();
    assert_eq!(commands.len(), 1, "only !ping passes the filters: {commands:?}");
    assert_eq!(commands[0]["data"]["command"], "ping");
    assert_eq!(commands[0]["id"], format!("command:{bot_id}:{ping}"), "the Discord event is the delivery's identity");
    assert!(payloads.iter().any(|p| p["type"] == "bot_status" && p["data"]["status"] == "running"), "{payloads:?}");
    let stock = payloads.iter().find(|p| p["type"] == "stock").unwrap();
    assert_eq!(stock["data"]["product"]["id"], tea);
    let audited: Vec<&str> =
        payloads.iter().filter(|p| p["type"] == "audit").map(|p| p["data"]["action"].as_str().unwrap()).collect();
    assert!(audited.contains(&"products.create") && audited.contains(&"bots.start"), "{audited:?}");
    for p in &payloads {
        assert!(p["at"].as_str().is_some() && p["id"].as_str().is_some(), "{p}");
    }
    // Discord got an embed for the product.
    until("the Discord webhook's embed", 30, || async {
        let messages = w.emulator.messages(feed).unwrap();
        messages
            .iter()
            .any(|m| m.embeds.iter().any(|e| e["title"].as_str().is_some_and(|t| t.contains("Product TEA"))))
            .then_some(())
    })
    .await;

    // The history lists each delivery with the receiver's answer.
    let history = until("the history to show every delivery sent", 30, || async {
        let d = deliveries(&app, id).await;
        (d.len() == receiver.count() && d.iter().all(|d| d["state"] == "sent")).then_some(d)
    })
    .await;
    assert!(history.iter().all(|d| d["last_status"] == 204 && d["attempts"] == 1), "{history:?}");
    assert!(history.windows(2).all(|p| p[0]["id"].as_i64() > p[1]["id"].as_i64()), "newest first");

    // Send test: what the receiver said, and kept in the history.
    let (status, test) = app.post(&format!("/api/v1/webhooks/{id}/test"), json!({})).await;
    assert_eq!((status, test["delivered"].clone(), test["status"].clone()), (StatusCode::OK, json!(true), json!(204)));
    // The receiver heard it (the send is audited, and that audit event may follow it at once).
    assert_eq!(receiver.kinds().iter().filter(|k| *k == "test").count(), 1, "{:?}", receiver.kinds());
    let listed = deliveries(&app, id).await;
    let tested = listed.iter().find(|d| d["id"] == test["delivery_id"]).unwrap();
    assert_eq!((tested["event_type"].as_str(), tested["state"].as_str()), (Some("test"), Some("sent")), "{tested}");
    app.stop().await;
}

async fn a_failing_receiver_is_retried_then_paused_with_an_alert_and_resumed(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::fast()).await;
    let clock = Clock::manual(1_800_000_000_000);
    let Some(app) = spawn(backend, w.emulator.http_url(), Some(clock.clone())).await else { return };
    let failing = Receiver::start(SECRET, 0).await;
    failing.failing.store(true, Ordering::SeqCst);
    let ops = Receiver::start(SECRET, 0).await;
    let (_, channel) = app
        .post(
            "/api/v1/alerts/channels",
            json!({"name": "Ops", "kind": "http_webhook", "url": ops.url, "secret": SECRET}),
        )
        .await;
    let rule =
        json!({"name": "Webhook paused", "condition": {"kind": "webhook_paused"}, "channel_ids": [channel["id"]]});
    let (status, rule) = app.post("/api/v1/alerts/rules", rule).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let hook = webhook(
        &app,
        json!({"name": "Flaky", "kind": "http_webhook", "url": failing.url, "secret": SECRET, "events": ["stock"]}),
    )
    .await;
    let id = hook["id"].as_i64().unwrap();
    let (a, b) = (product(&app, "A").await, product(&app, "B").await);
    let _ = (a, b);
    until("both deliveries tried once", 30, || async { (failing.count() == 2).then_some(()) }).await;
    let first = until("the failures recorded", 30, || async {
        let d = deliveries(&app, id).await;
        d.iter().all(|d| d["attempts"] == 1).then_some(d)
    })
    .await;
    assert!(first.iter().all(|d| d["state"] == "pending" && d["last_status"] == 500), "{first:?}");
    app.alert_rounds(3).await;
    assert_eq!(failing.count(), 2, "no retry before its backoff (5 s on the test's clock)");
    // Step the clock past each backoff: the attempts go on, the same deliveries each time. The
    // clock moves only once every attempt made is recorded, so both deliveries stay due together
    // (an attempt recorded after a step would wait a step longer than the other).
    until("the webhook paused after 10 failures in a row", 60, || async {
        let (_, w) = app.get(&format!("/api/v1/webhooks/{id}")).await;
        if w["state"] == "paused" {
            return Some(());
        }
        let recorded: i64 = deliveries(&app, id).await.iter().map(|d| d["attempts"].as_i64().unwrap()).sum();
        if usize::try_from(recorded).unwrap() == failing.count() {
            clock.advance(Duration::from_secs(600));
        }
        app.alert_rounds(1).await;
        None
    })
    .await;
    let (_, paused) = app.get(&format!("/api/v1/webhooks/{id}")).await;
    assert!(paused["paused_reason"].as_str().unwrap().contains("10 failed attempts"), "{paused}");
    let tried = failing.count();
    assert_eq!(tried, 10, "paused at the tenth failure");
    let ids: std::collections::HashSet<String> =
        failing.payloads().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2, "the same two deliveries, retried");
    // The alert fires for the paused webhook.
    until("the webhook_paused alert", 30, || async { ops.kinds().contains(&"firing".to_owned()).then_some(()) }).await;
    assert!(ops.payloads()[0]["incident"]["subject_label"].as_str().unwrap().contains("Flaky"));
    // Paused: nothing more is tried, new events wait.
    product(&app, "C").await;
    clock.advance(Duration::from_secs(600));
    app.alert_rounds(3).await;
    assert_eq!(failing.count(), tried, "a paused webhook is not tried");

    // The receiver works again; resumed, what waited is sent and the alert recovers.
    failing.failing.store(false, Ordering::SeqCst);
    let (status, resumed) = app.post(&format!("/api/v1/webhooks/{id}/resume"), json!({})).await;
    assert_eq!(
        (status, resumed["state"].as_str(), resumed["failures_in_a_row"].as_i64()),
        (StatusCode::OK, Some("active"), Some(0))
    );
    until("the waiting deliveries sent", 30, || async {
        clock.advance(Duration::from_secs(600));
        let d = deliveries(&app, id).await;
        (d.len() == 3 && d.iter().all(|d| d["state"] == "sent")).then_some(())
    })
    .await;
    until("the alert to recover", 30, || async { ops.kinds().contains(&"recovered".to_owned()).then_some(()) }).await;
    let (_, audit) = app.get("/api/v1/audit-logs?action=webhooks.resume").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    // Paused by hand: not a failure, no alert.
    let (status, by_hand) = app.post(&format!("/api/v1/webhooks/{id}/pause"), json!({})).await;
    assert_eq!((status, by_hand["state"].as_str()), (StatusCode::OK, Some("paused")));
    app.alert_rounds(5).await;
    let fired = ops.kinds().iter().filter(|k| *k == "firing").count();
    assert_eq!(fired, 1, "a webhook paused by hand fires nothing: {:?}", ops.kinds());
    app.stop().await;
}

async fn bad_webhooks_are_refused_and_secrets_never_come_back(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::fast()).await;
    let Some(app) = spawn(backend, w.emulator.http_url(), None).await else { return };
    let receiver = Receiver::start(SECRET, 0).await;
    let bad = [
        (json!({"name": "X", "kind": "http_webhook", "url": receiver.url, "events": ["stock"]}), "secret"),
        (json!({"name": "X", "kind": "http_webhook", "url": "ftp://x", "secret": SECRET, "events": ["stock"]}), "url"),
        (json!({"name": "X", "kind": "http_webhook", "url": receiver.url, "secret": SECRET, "events": []}), "events"),
        (
            json!({"name": "X", "kind": "discord_webhook", "url": "https://discord.com/api/channels/1", "events": ["stock"]}),
            "url",
        ),
        (
            json!({"name": "X", "kind": "http_webhook", "url": receiver.url, "secret": SECRET, "events": ["stock"],
                "filters": {"outcomes": ["maybe"]}}),
            "filters.outcomes",
        ),
    ];
    for (body, field) in bad {
        let (status, e) = app.post("/api/v1/webhooks", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["error"]["fields"][0]["field"], field, "{e}");
    }
    let (status, e) = app.post("/api/v1/webhooks", json!({"name": "X", "kind": "carrier_pigeon"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a body that does not fit: {e}");
    assert_eq!(app.get("/api/v1/webhooks").await.1["items"], json!([]), "nothing made");

    let hook = webhook(
        &app,
        json!({"name": "Ops", "kind": "http_webhook", "url": format!("{}?token=abc", receiver.url), "secret": SECRET,
            "events": ["job"]}),
    )
    .await;
    let id = hook["id"].as_i64().unwrap();
    let (status, twice) = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "Ops", "kind": "http_webhook", "url": receiver.url, "secret": SECRET, "events": ["job"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{twice}");
    let path = format!("/api/v1/webhooks/{id}");
    let put = json!({"version": 1, "name": "Ops 2", "events": ["job", "alert"]});
    let (status, changed) = app.call(Method::PUT, &path, Some(put.clone())).await;
    assert_eq!((status, changed["version"].as_i64()), (StatusCode::OK, Some(2)), "{changed}");
    let (status, stale) = app.call(Method::PUT, &path, Some(put)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    for text in [
        app.get(&path).await.1.to_string(),
        app.get("/api/v1/webhooks").await.1.to_string(),
        app.get("/api/v1/audit-logs").await.1.to_string(),
    ] {
        assert!(!text.contains(SECRET) && !text.contains("token=abc"), "a secret came back: {text}");
    }
    assert!(changed["target"].as_str().unwrap().ends_with("/hooks/botfleet?…"), "{changed}");
    let viewer = common::client_with_key(&TestApp::make_key(&app.store, botfleet::auth::Role::Viewer).await);
    let list = viewer.get(format!("{}/api/v1/webhooks", app.url)).send().await.unwrap();
    assert_eq!(list.status(), 200, "viewers may read");
    let made = viewer
        .post(format!("{}/api/v1/webhooks", app.url))
        .json(&json!({"name": "V", "kind": "http_webhook", "url": receiver.url, "secret": SECRET, "events": ["job"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 403);
    let (status, _) = app.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}
