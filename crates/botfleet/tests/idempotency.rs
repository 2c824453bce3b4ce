//! `Idempotency-Key` on the routes that act, end to end with the Discord emulator, on SQLite and on
//! PostgreSQL: a request retried with its key acts once and gets the first answer again (marked
//! `Idempotent-Replayed: true`); the key used for another request is refused; another credential's
//! same key is its own; a bad key is a 400; a 5xx is not kept; a key is forgotten after 24 hours.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::events::Event;
use botfleet::time::Clock;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::header::HeaderValue;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    general: u64,
    app: TestApp,
}

async fn world(backend: Backend) -> Option<World> {
    world_with(backend, |_| {}).await
}

async fn world_with(backend: Backend, adjust: impl FnOnce(&mut botfleet::config::ServeConfig)) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Demo Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let app = TestApp::spawn_configured(backend, emulator.http_url(), adjust).await?;
    Some(World { emulator, shop, general, app })
}

/// An answer: status, `Idempotent-Replayed`, body.
#[derive(Debug, PartialEq)]
struct Answer {
    status: StatusCode,
    replayed: Option<String>,
    content_type: Option<String>,
    body: Value,
}

impl World {
    async fn add_bot(&self) -> i64 {
        let (status, bot) = self.app.post("/api/v1/bots", json!({"name": "Shop", "token": self.shop.token})).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        bot["id"].as_i64().unwrap()
    }

    fn messages(&self) -> Vec<String> {
        self.emulator
            .messages(self.general)
            .unwrap()
            .into_iter()
            .filter(|m| m.author_is_bot)
            .map(|m| m.content)
            .collect()
    }

    /// POSTs `body` to `path` as `client`, with `key` (raw header bytes) when given.
    async fn post(&self, client: &reqwest::Client, path: &str, key: Option<&[u8]>, body: &Value) -> Answer {
        let mut req = client.post(format!("{}{path}", self.app.url)).json(body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", HeaderValue::from_bytes(key).unwrap());
        }
        let res = req.send().await.unwrap();
        let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let (status, replayed, content_type) = (res.status(), header("idempotent-replayed"), header("content-type"));
        let text = res.text().await.unwrap();
        Answer { status, replayed, content_type, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
    }

    async fn rows(&self) -> i64 {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys").fetch_one(self.app.store.pool()).await.unwrap();
        n
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    a_message_sent_with_a_key_is_sent_once,
    a_restart_with_a_key_restarts_once,
    a_refused_request_is_replayed_and_a_failed_one_is_not_kept,
    a_key_still_being_processed_is_a_conflict_until_it_is_abandoned,
);

async fn a_message_sent_with_a_key_is_sent_once(w: World) {
    let id = w.add_bot().await;
    let path = format!("/api/v1/bots/{id}/send-message");
    let sale = json!({"channel_id": w.general.to_string(), "content": "Sale starts now!"});
    let admin = &w.app.http;

    let first = w.post(admin, &path, Some(b"order-42"), &sale).await;
    assert_eq!((first.status, first.replayed.as_deref()), (StatusCode::OK, None), "{:?}", first.body);
    let again = w.post(admin, &path, Some(b"order-42"), &sale).await;
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!((again.status, &again.body, &again.content_type), (first.status, &first.body, &first.content_type));
    assert_eq!(w.messages(), ["Sale starts now!"], "the retry sent nothing");

    // The key used for another body, or another bot: refused, nothing sent.
    let other = json!({"channel_id": w.general.to_string(), "content": "Sale ends now!"});
    let reused = w.post(admin, &path, Some(b"order-42"), &other).await;
    assert_eq!(
        (reused.status, reused.body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
    );
    assert!(reused.body["error"]["message"].as_str().unwrap().contains("another request"), "{:?}", reused.body);
    let elsewhere = w.post(admin, &format!("/api/v1/bots/{id}/restart"), Some(b"order-42"), &json!({})).await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", elsewhere.body);
    assert_eq!(w.messages().len(), 1);

    // Another credential's same key is its own request.
    let operator = common::client_with_key(&TestApp::make_key(&w.app.store, botfleet::auth::Role::Admin).await);
    let theirs = w.post(&operator, &path, Some(b"order-42"), &sale).await;
    assert_eq!((theirs.status, theirs.replayed.as_deref()), (StatusCode::OK, None), "{:?}", theirs.body);
    assert_ne!(theirs.body["message_id"], first.body["message_id"]);
    assert_eq!(w.messages().len(), 2);

    // A bad key is a 400 naming the header, and sends nothing.
    let long = vec![b'k'; 256];
    for bad in [&b""[..], b"two words", b"caf\xc3\xa9", &long] {
        let answer = w.post(admin, &path, Some(bad), &sale).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad:?}: {:?}", answer.body);
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("Idempotency-Key"), "{:?}", answer.body);
    }
    let res = admin
        .post(format!("{}{path}", w.app.url))
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&sale)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a key sent twice");
    let longest = vec![b'~'; 255];
    assert_eq!(w.post(admin, &path, Some(&longest), &sale).await.status, StatusCode::OK);
    assert_eq!(w.messages().len(), 3);

    // Without a key, two requests are two messages.
    for _ in 0..2 {
        assert_eq!(w.post(admin, &path, None, &sale).await.status, StatusCode::OK);
    }
    assert_eq!(w.messages().len(), 5);
    assert_eq!(w.rows().await, 3, "one row per key and credential");
}

async fn a_restart_with_a_key_restarts_once(w: World) {
    let id = w.add_bot().await;
    let admin = &w.app.http;
    let bulk = json!({"action": "start", "bot_ids": [id]});
    let started = w.post(admin, "/api/v1/bots/bulk", Some(b"start-all"), &bulk).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let running = || async { (w.app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(()) };
    until("the bot to run", 30, running).await;
    let replayed = w.post(admin, "/api/v1/bots/bulk", Some(b"start-all"), &bulk).await;
    assert_eq!((replayed.replayed.as_deref(), &replayed.body), (Some("true"), &started.body));
    let jobs = w.app.get("/api/v1/jobs").await.1;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(1), "the replay started no second job: {jobs}");

    let mut events = w.app.events.subscribe();
    let connections = w.emulator.counters().counters.connections;
    let path = format!("/api/v1/bots/{id}/restart");
    let first = w.post(admin, &path, Some(b"restart-1"), &json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let retry = w.post(admin, &path, Some(b"restart-1"), &json!({})).await;
    assert_eq!((retry.status, retry.replayed.as_deref(), &retry.body), (StatusCode::OK, Some("true"), &first.body));
    until("the bot to run again", 30, running).await;
    // A stop without a key marks the end: every status event of the restarts comes before it.
    assert_eq!(w.post(admin, &format!("/api/v1/bots/{id}/stop"), None, &json!({})).await.status, StatusCode::OK);
    let mut seen = Vec::new();
    until("the stop's event", 30, || {
        while let Ok(event) = events.try_recv() {
            if let Event::BotStatus { bot_id, status, .. } = event {
                assert_eq!(bot_id, id);
                seen.push(status);
            }
        }
        let done = seen.last().is_some_and(|s| s == "stopped");
        async move { done.then_some(()) }
    })
    .await;
    assert_eq!(seen.iter().filter(|s| *s == "starting").count(), 1, "one restart: {seen:?}");
    assert_eq!(w.emulator.counters().counters.connections, connections + 1, "one new gateway connection");
}

async fn a_refused_request_is_replayed_and_a_failed_one_is_not_kept(w: World) {
    let id = w.add_bot().await;
    let admin = &w.app.http;
    // A 4xx is an answer: kept and replayed.
    let explode = json!({"action": "explode", "bot_ids": [id]});
    let refused = w.post(admin, "/api/v1/bots/bulk", Some(b"oops"), &explode).await;
    assert_eq!((refused.status, refused.replayed.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, None));
    let again = w.post(admin, "/api/v1/bots/bulk", Some(b"oops"), &explode).await;
    assert_eq!((again.status, again.replayed.as_deref(), &again.body), (refused.status, Some("true"), &refused.body));
    let path = format!("/api/v1/bots/{id}/send-message");
    let nowhere = json!({"channel_id": "123456789012345678", "content": "x"});
    let unknown = w.post(admin, &path, Some(b"nowhere"), &nowhere).await;
    assert_eq!(unknown.body["error"]["code"], "discord");
    let calls = || w.emulator.counters().counters.rest_by_route.values().sum::<u64>();
    let before = calls();
    assert_eq!(w.post(admin, &path, Some(b"nowhere"), &nowhere).await.replayed.as_deref(), Some("true"));
    assert_eq!(calls(), before, "the replay did not call Discord");

    // A 5xx is not: with Discord unreachable (the emulator gone) the retry acts again.
    let sale = json!({"channel_id": w.general.to_string(), "content": "Sale!"});
    let rows = w.rows().await;
    let World { emulator, app, .. } = w;
    emulator.shutdown().await;
    for _ in 0..2 {
        let res = app
            .http
            .post(format!("{}{path}", app.url))
            .header("Idempotency-Key", "while-down")
            .json(&sale)
            .send()
            .await
            .unwrap();
        assert_eq!((res.status(), res.headers().get("idempotent-replayed")), (StatusCode::BAD_GATEWAY, None));
    }
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(left, rows, "the reservation of a failed request is removed");
}

async fn a_key_still_being_processed_is_a_conflict_until_it_is_abandoned(w: World) {
    let id = w.add_bot().await;
    let now = botfleet::time::now_ms();
    let grant = botfleet::auth::keys::Grant::Role(botfleet::auth::Role::Admin);
    let (secret, key) = botfleet::auth::keys::create(&w.app.store, "script", &grant, None, now, None).await.unwrap();
    let script = common::client_with_key(&secret);
    let path = format!("/api/v1/bots/{id}/send-message");
    let sale = json!({"channel_id": w.general.to_string(), "content": "Sale!"});
    // A script whose request times out (Discord answers slowly) retries with its key while the
    // first request is still being handled, then once it is done.
    let slow = discord_emulator::FaultAction::RestLatency {
        ms: 5_000,
        jitter_ms: 0,
        route: Some(discord_emulator::RouteMatch::new("POST", "/channels/{channel_id}/messages")),
        for_ms: None,
    };
    let fault = w.emulator.inject(discord_emulator::FaultSpec::now(slow)).unwrap();
    let impatient = reqwest::Client::builder()
        .default_headers(
            [(reqwest::header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {secret}")).unwrap())]
                .into_iter()
                .collect(),
        )
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let timed_out =
        impatient.post(format!("{}{path}", w.app.url)).header("Idempotency-Key", "busy").json(&sale).send().await;
    assert!(timed_out.is_err(), "the client gave up: {timed_out:?}");
    until("the reservation", 30, || async { (w.rows().await == 1).then_some(()) }).await;
    let busy = w.post(&script, &path, Some(b"busy"), &sale).await;
    assert_eq!((busy.status, busy.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    assert!(busy.body["error"]["message"].as_str().unwrap().contains("still being processed"), "{:?}", busy.body);
    until("the first request's answer to be stored", 60, || async {
        let answered: Option<(i64,)> = sqlx::query_as("SELECT id FROM idempotency_keys WHERE status IS NOT NULL")
            .fetch_optional(w.app.store.pool())
            .await
            .unwrap();
        answered.map(|_| ())
    })
    .await;
    let done = w.post(&script, &path, Some(b"busy"), &sale).await;
    assert_eq!((done.status, done.replayed.as_deref()), (StatusCode::OK, Some("true")), "{:?}", done.body);
    assert_eq!(w.messages(), ["Sale!"], "the action finished though its client hung up, once");
    w.emulator.remove_fault(fault);

    // A reservation left 31 minutes ago by a process that died is taken over.
    let hash: String =
        sha2::Sha256::digest(serde_json::to_vec(&sale).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "INSERT INTO idempotency_keys (credential, idem_key, method, path, body_hash, created_at) \
         VALUES ($1, 'abandoned', 'POST', $2, $3, $4)",
    )
    .bind(format!("key:{}", key.id))
    .bind(path.clone())
    .bind(hash)
    .bind(now - 31 * 60_000)
    .execute(w.app.store.pool())
    .await
    .unwrap();
    let taken = w.post(&script, &path, Some(b"abandoned"), &sale).await;
    assert_eq!((taken.status, taken.replayed.as_deref()), (StatusCode::OK, None), "{:?}", taken.body);
    assert_eq!(w.messages(), ["Sale!", "Sale!"]);
}
/// A key is remembered for 24 hours (by the service's clock), then acts again; the housekeeping's
/// sweep deletes the rows older than that.
async fn a_key_is_forgotten_after_a_day(backend: Backend) {
    let clock = Clock::manual(1_800_000_000_000);
    let c = clock.clone();
    let Some(w) = world_with(backend, move |config| config.clock = c).await else { return };
    let id = w.add_bot().await;
    let path = format!("/api/v1/bots/{id}/send-message");
    let sale = json!({"channel_id": w.general.to_string(), "content": "Daily sale"});
    let admin = &w.app.http;
    assert_eq!(w.post(admin, &path, Some(b"daily"), &sale).await.status, StatusCode::OK);
    clock.advance(Duration::from_secs(23 * 3600));
    assert_eq!(w.post(admin, &path, Some(b"daily"), &sale).await.replayed.as_deref(), Some("true"));
    clock.advance(Duration::from_secs(3600));
    let next_day = w.post(admin, &path, Some(b"daily"), &sale).await;
    assert_eq!((next_day.status, next_day.replayed.as_deref()), (StatusCode::OK, None));
    assert_eq!(w.messages().len(), 2);

    assert_eq!(w.post(admin, &path, Some(b"other"), &sale).await.status, StatusCode::OK);
    assert_eq!(w.rows().await, 2);
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(w.post(admin, &path, Some(b"today"), &sale).await.status, StatusCode::OK);
    let cutoff = clock.now_ms() - botfleet::auth::idempotency::KEEP_MS;
    assert_eq!(botfleet::auth::idempotency::sweep(&w.app.store, cutoff).await.unwrap(), 2);
    assert_eq!(w.rows().await, 1, "today's key stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_forgotten_after_a_day_on_sqlite() {
    a_key_is_forgotten_after_a_day(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_forgotten_after_a_day_on_postgres() {
    a_key_is_forgotten_after_a_day(Backend::Postgres).await;
}
