//! `POST /api/v1/messages/batch` end to end, on SQLite and on PostgreSQL, against the emulator:
//! a batch is a job with one item per message and channel; every channel gets every message once
//! and in order, within Discord's rate limits (zero 429s); bad input is a 422 naming the field
//! with nothing queued; a channel that refuses is that item's error while the rest are sent; a
//! failed item can be skipped, after which the job counts as succeeded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{shop_world, until, Backend, ShopWorld, TestApp};
use discord_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    shop: ShopWorld,
    app: TestApp,
    bot: i64,
    channels: Vec<u64>,
}

async fn world(backend: Backend) -> Option<World> {
    let shop = shop_world(EmulatorConfig::default()).await;
    let app = TestApp::spawn_with(backend, shop.emulator.http_url()).await?;
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.shop.token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let bot = bot["id"].as_i64().unwrap();
    let mut channels = vec![shop.general];
    for name in ["news", "sales"] {
        channels.push(shop.emulator.create_channel(shop.guild, name).unwrap());
    }
    Some(World { shop, app, bot, channels })
}

impl World {
    fn bot_messages(&self, channel: u64) -> Vec<discord_emulator::MessageRecord> {
        self.shop.emulator.messages(channel).unwrap().into_iter().filter(|m| m.author_is_bot).collect()
    }

    fn destinations(&self, channels: &[u64]) -> Value {
        channels.iter().map(|c| json!({"bot_id": self.bot, "channel_id": c.to_string()})).collect()
    }

    async fn finished(&self, id: i64) -> Value {
        until("the job to end", 120, || async {
            let (_, job) = self.app.get(&format!("/api/v1/jobs/{id}?limit=1000")).await;
            (!matches!(job["state"].as_str(), Some("queued" | "running"))).then_some(job)
        })
        .await
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    a_batch_reaches_every_channel_once_and_in_order,
    bad_batches_are_refused_with_the_field_named,
    a_refusing_channel_fails_its_items_and_the_rest_are_sent,
);

/// 7 messages to 3 channels (21 items; 7 per channel, above a bucket of 5 per 5 s): each channel
/// gets the 7 in order, each once, each with its item's nonce; no 429; the job succeeded with
/// every item's message id; the placeholders were filled; one audit row.
async fn a_batch_reaches_every_channel_once_and_in_order(w: World) {
    let (status, product) = w
        .app
        .post(
            "/api/v1/products",
            json!({"sku": "TEE", "name": "Tee", "price_minor": 1999, "currency": "EUR", "stock": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let messages: Vec<Value> =
        (1..=7).map(|i| json!({"content": format!("news {i}: {{stock:TEE}} tees at {{price:TEE}}")})).collect();
    let before = w.shop.emulator.counters().counters.rate_limited;
    let (status, job) = w
        .app
        .post("/api/v1/messages/batch", json!({"messages": messages, "channels": w.destinations(&w.channels)}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "messages");
    assert_eq!(job["total"], 21);
    let id = job["id"].as_i64().unwrap();
    let job = w.finished(id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["done"], 21);
    for channel in &w.channels {
        let got: Vec<String> = w.bot_messages(*channel).into_iter().map(|m| m.content).collect();
        let want: Vec<String> = (1..=7).map(|i| format!("news {i}: 7 tees at 19.99 EUR")).collect();
        assert_eq!(got, want, "channel {channel}");
    }
    let nonces: Vec<Option<String>> = w.bot_messages(w.channels[0]).into_iter().map(|m| m.nonce).collect();
    assert_eq!(nonces[0].as_deref(), Some(format!("j{id}.1").as_str()));
    assert_eq!(w.shop.emulator.counters().counters.rate_limited, before, "no 429");
    let items = job["items"]["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["state"] == "ok" && i["detail"]["message_id"].is_string()), "{items:?}");
    let (_, audit) = w.app.get("/api/v1/audit-logs?action=messages.batch").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

/// Each bad input is a 422 naming its field, and no job is queued.
async fn bad_batches_are_refused_with_the_field_named(w: World) {
    let one = w.destinations(&w.channels[..1]);
    let embed = json!({"title": "t"});
    let cases = [
        (json!({"messages": [{"content": "x".repeat(2001)}], "channels": one}), "messages[0].content"),
        (json!({"messages": [{"content": "hi", "embeds": vec![embed; 11]}], "channels": one}), "messages[0].embeds"),
        (json!({"messages": [{"content": "{stock:NOPE} left"}], "channels": one}), "messages[0].content"),
        (json!({"messages": [], "channels": one}), "messages"),
        (
            json!({"messages": [{"content": "hi"}], "channels": [{"bot_id": w.bot, "channel_id": "12"}]}),
            "channels[0].channel_id",
        ),
        (
            json!({"messages": [{"content": "hi"}], "channels": [{"bot_id": w.bot, "channel_id": "100000000000000001"}]}),
            "channels[0].channel_id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = w.app.post("/api/v1/messages/batch", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let fields: Vec<&str> =
            answer["error"]["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
        assert!(fields.contains(&field), "{field} in {answer}");
    }
    let (status, _) = w
        .app
        .post("/api/v1/messages/batch", json!({"messages": [{"content": "hi"}], "channels": [{"bot_id": 999, "channel_id": w.channels[0].to_string()}]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, jobs) = w.app.get("/api/v1/jobs?kind=messages").await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 0, "{jobs}");
}

/// A channel the bot can see but may not post in refuses its items (explained, 50013);
/// the other channels get theirs; the job is partial; skipping the failed items makes it
/// succeeded, and a retry then has nothing to run.
async fn a_refusing_channel_fails_its_items_and_the_rest_are_sent(w: World) {
    let closed = w.channels[2];
    // The bot keeps View Channel but loses Send Messages there.
    w.shop
        .emulator
        .set_overwrite(closed, discord_emulator::Overwrite { id: w.shop.guild, kind: 0, allow: 0, deny: 1 << 11 })
        .unwrap();
    let (status, job) = w
        .app
        .post(
            "/api/v1/messages/batch",
            json!({"messages": [{"content": "one"}, {"content": "two"}], "channels": w.destinations(&w.channels)}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let job = w.finished(id).await;
    assert_eq!(job["state"], "partial", "{job}");
    assert_eq!((job["done"].as_i64(), job["failed"].as_i64()), (Some(4), Some(2)));
    let failed: Vec<&Value> =
        job["items"]["items"].as_array().unwrap().iter().filter(|i| i["state"] == "failed").collect();
    assert!(failed.iter().all(|i| i["error"].as_str().unwrap().contains("50013")), "{failed:?}");
    for channel in &w.channels[..2] {
        assert_eq!(w.bot_messages(*channel).len(), 2);
    }
    for item in &failed {
        let (status, body) = w.app.post(&format!("/api/v1/jobs/{id}/items/{}/skip", item["seq"]), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, job) = w.app.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!((job["state"].as_str(), job["failed"].as_i64()), (Some("succeeded"), Some(0)), "{job}");
    let (status, _) = w.app.post(&format!("/api/v1/jobs/{id}/items/1/skip"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an item that succeeded cannot be skipped");
    let (status, _) = w.app.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to retry");
}
