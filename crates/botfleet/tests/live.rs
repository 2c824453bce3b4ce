//! `/api/v1/live`: refused without a credential or from another site; topics by permission;
//! commands, bot log lines, status changes and fleet figures arrive; a client that does not read
//! is told how many events it missed while a normal client still gets every one; off with
//! `DISCORD_WEBSOCKET_ENABLED=false`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::events::{BotLogEvent, Event};
use common::{Backend, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, headers: &[(&str, String)]) -> Result<Ws, u16> {
    let url = format!("{}/api/v1/live", app.url.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

fn bearer(key: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {key}"))
}

/// The next JSON message (fails after 30 s).
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(30), ws.next()).await.expect("a message").unwrap().unwrap();
        if let Message::Text(t) = message {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The next message of `kind`, skipping others.
async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let m = next(ws).await;
        if m["type"] == kind {
            return m;
        }
    }
}

async fn subscribe(ws: &mut Ws, body: Value) -> Value {
    ws.send(Message::Text(body.to_string().into())).await.unwrap();
    loop {
        let m = next(ws).await;
        if m["type"] == "subscribed" || m["type"] == "error" {
            return m;
        }
    }
}

async fn session(app: &TestApp, name: &str, role: &str) -> String {
    let body = json!({"username": name, "password": "a long enough password", "role": role});
    assert_eq!(app.post("/api/v1/users", body).await.0, 201);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": name, "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

fn log_line(bot_id: i64, message: String) -> Event {
    Event::BotLog(BotLogEvent { bot_id, at: String::new(), level: "info".into(), event: "test".into(), message })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_without_a_credential_or_from_another_site() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(connect(&app, &[]).await.err(), Some(401));
    assert_eq!(connect(&app, &[bearer("bf_notakey")]).await.err(), Some(401));
    let cookie = session(&app, "wendy", "viewer").await;
    let evil = [("cookie", cookie.clone()), ("origin", "https://evil.example".to_owned())];
    assert_eq!(connect(&app, &evil).await.err(), Some(403), "cross-site");
    assert_eq!(connect(&app, &[("cookie", cookie.clone())]).await.err(), Some(403), "no Origin with a cookie");
    let mut ws = connect(&app, &[("cookie", cookie), ("origin", app.url.clone())]).await.unwrap();
    let hello = next(&mut ws).await;
    assert_eq!((hello["type"].as_str(), hello["user"].as_str()), (Some("hello"), Some("wendy")));
    assert_eq!(hello["topics"], json!(["bots", "commands", "bot_logs", "fleet", "stock", "alerts", "jobs"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_follow_permissions_and_events_arrive() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, created) = app.post("/api/v1/api-keys", json!({"name": "logs", "scopes": ["logs.read"]})).await;
    let mut scoped = connect(&app, &[bearer(created["key"].as_str().unwrap())]).await.unwrap();
    assert_eq!(next(&mut scoped).await["topics"], json!(["commands", "bot_logs"]));
    let refused = subscribe(&mut scoped, json!({"type": "subscribe", "topics": ["bots"]})).await;
    assert_eq!(refused["type"], "error");
    let bad = subscribe(&mut scoped, json!({"type": "subscribe", "topics": ["gossip"]})).await;
    assert_eq!(bad["type"], "error");
    let ok = subscribe(&mut scoped, json!({"type": "subscribe", "topics": ["bot_logs"], "bot_id": 2})).await;
    assert_eq!(ok["type"], "subscribed");
    app.events.publish(log_line(1, "not for you".into()));
    app.events.publish(log_line(2, "for you".into()));
    let line = next_of(&mut scoped, "bot_log").await;
    assert_eq!((line["bot_id"].as_i64(), line["message"].as_str()), (Some(2), Some("for you")));

    // Fleet figures every 2 s; a status change of a real bot (a bad token fails it).
    let mut admin = connect(&app, &[bearer(&app.admin_key)]).await.unwrap();
    next(&mut admin).await;
    subscribe(&mut admin, json!({"type": "subscribe", "topics": ["bots", "fleet"]})).await;
    let figures = next_of(&mut admin, "fleet").await;
    assert!(figures["bots"]["stopped"].is_u64() && figures["rss_bytes"].as_u64().unwrap() > 1_000_000, "{figures}");
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "B", "token": common::token("live")})).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let status = next_of(&mut admin, "bot_status").await;
    assert_eq!((status["bot_id"].as_i64(), status["status"].as_str()), (Some(id), Some("starting")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_told_what_it_missed_and_nobody_else_waits() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut normal = connect(&app, &[bearer(&app.admin_key)]).await.unwrap();
    let mut slow = connect(&app, &[bearer(&app.admin_key)]).await.unwrap();
    for ws in [&mut normal, &mut slow] {
        next(ws).await;
        subscribe(ws, json!({"type": "subscribe", "topics": ["bot_logs"]})).await;
    }
    // 3,000 lines of 8 KiB (24 MiB): far more than one socket's buffers and queue hold. The slow
    // client reads nothing meanwhile; the normal one reads everything, batch by batch.
    let big = "x".repeat(8192);
    let (total, batch) = (3000, 100);
    let mut received = 0;
    for start in (0..total).step_by(batch) {
        for i in start..start + batch {
            app.events.publish(log_line(1, format!("{i} {big}")));
        }
        while received < start + batch {
            let m = next(&mut normal).await;
            assert_eq!(m["type"], "bot_log", "the normal client lagged: {m}");
            assert!(m["message"].as_str().unwrap().starts_with(&format!("{received} ")));
            received += 1;
        }
    }
    assert_eq!(received, total);
    // Now the slow client reads: some lines, then a lagged notice with how many it missed.
    let mut lines = 0u64;
    let missed = loop {
        let m = next(&mut slow).await;
        match m["type"].as_str() {
            Some("bot_log") => lines += 1,
            Some("lagged") => break m["missed"].as_u64().unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(missed > 0 && lines + missed <= total as u64, "lines {lines}, missed {missed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_when_websockets_are_disabled() {
    let app = TestApp::spawn_configured(Backend::Sqlite, "http://127.0.0.1:9", |c| c.websocket = false).await.unwrap();
    assert_eq!(connect(&app, &[bearer(&app.admin_key)]).await.err(), Some(503));
    let (status, body) = app.get("/api/v1/live").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (503, Some("live_disabled")));
    assert_eq!(app.get("/api/v1/auth/me").await.1["live"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_command_in_discord_reaches_the_live_feed() {
    use discord_emulator::EmulatorConfig;
    let common::ShopWorld { emulator, shop, alice, general, .. } = common::shop_world(EmulatorConfig::default()).await;
    let app = TestApp::spawn_with(Backend::Sqlite, emulator.http_url()).await.unwrap();
    let mut ws = connect(&app, &[bearer(&app.admin_key)]).await.unwrap();
    next(&mut ws).await;
    subscribe(&mut ws, json!({"type": "subscribe", "topics": ["bots", "commands", "bot_logs"]})).await;
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    loop {
        let m = next_of(&mut ws, "bot_status").await;
        if m["status"] == "running" {
            break;
        }
    }
    emulator.user_message(alice, general, "!ping live").unwrap();
    let command = next_of(&mut ws, "command").await;
    assert_eq!(
        (command["bot_id"].as_i64(), command["command"].as_str(), command["user_name"].as_str()),
        (Some(id), Some("ping"), Some("alice"))
    );
    assert_eq!((command["outcome"].as_str(), command["kind"].as_str()), (Some("ok"), Some("prefix")));
    assert!(command["latency_ms"].as_f64().is_some());
    assert_eq!(command["channel_id"].as_str(), Some(general.to_string().as_str()));
}

/// When the bots cannot be listed, the fleet figures say their counts are unknown (`null`), not
/// that there are none, and the fault is counted in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_counts_are_unknown_not_zero_when_the_database_fails() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.post("/api/v1/bots", json!({"name": "Shop", "token": common::token("shop")})).await;
    let mut bus = app.events.subscribe();
    let counted = |bus: &mut tokio::sync::broadcast::Receiver<Event>| {
        let mut seen = Vec::new();
        while let Ok(event) = bus.try_recv() {
            if let Event::Fleet(_) = &event {
                seen.push(serde_json::to_value(&event).unwrap()["bots"].clone());
            }
        }
        seen
    };
    common::until("figures counting the bot", 30, || {
        let seen = counted(&mut bus);
        async move { seen.iter().any(|b| b["stopped"] == 1).then_some(()) }
    })
    .await;
    sqlx::query("ALTER TABLE bots RENAME TO bots_away").execute(app.store.pool()).await.unwrap();
    let after = common::until("figures with unknown counts", 30, || {
        let seen = counted(&mut bus);
        async move { seen.iter().any(Value::is_null).then_some(seen) }
    })
    .await;
    assert!(after.iter().all(|b| b.is_null() || b["stopped"] == 1), "never zero bots: {after:?}");
    // The fault was counted (read once the table is back: /metrics lists the bots too).
    sqlx::query("ALTER TABLE bots_away RENAME TO bots").execute(app.store.pool()).await.unwrap();
    let metrics = common::client_with_key(&app.admin_key).get(format!("{}/metrics", app.url)).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("botfleet_faults_total{fault=\"live_bot_counts\"}"), "{text}");
    app.stop().await;
}

/// A dashboard left open does not hold botfleet up at shutdown: its socket is closed with 1001
/// (going away) as shutdown begins, and the tracking writer drains as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_live_sockets_with_going_away() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut ws = connect(&app, &[bearer(&app.admin_key)]).await.unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");
    let stopping = tokio::spawn(app.stop());
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(25), ws.next()).await.expect("closed before the writer gives up")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(1001), "going away");
    stopping.await.unwrap();
    assert!(!common::captured_logs().contains("tracking did not finish"), "the writer drained");
}
