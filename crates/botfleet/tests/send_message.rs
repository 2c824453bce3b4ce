//! `POST /bots/{id}/send-message` end to end, on SQLite and on PostgreSQL, against the emulator:
//! it goes through the bot's one REST client (its replies and API sends share one rate-limit
//! budget: zero 429s), pings nobody unless asked and allowed (`bots.mention`), and keeps to
//! Discord's message limits (422 naming the field, nothing sent, nothing audited).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::auth::keys::{create, Grant};
use botfleet::auth::Action;
use common::{client_with_key, shop_world, until, Backend, ShopWorld, TestApp};
use discord_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    shop: ShopWorld,
    app: TestApp,
    bot: i64,
}

async fn world(backend: Backend) -> Option<World> {
    // The default config: each channel's message bucket takes 5 per 5 s, as Discord's does.
    let shop = shop_world(EmulatorConfig::default()).await;
    let app = TestApp::spawn_with(backend, shop.emulator.http_url()).await?;
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.shop.token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let bot = bot["id"].as_i64().unwrap();
    Some(World { shop, app, bot })
}

impl World {
    fn path(&self) -> String {
        format!("/api/v1/bots/{}/send-message", self.bot)
    }

    fn bot_messages(&self) -> Vec<discord_emulator::MessageRecord> {
        self.shop.emulator.messages(self.shop.general).unwrap().into_iter().filter(|m| m.author_is_bot).collect()
    }

    async fn audited_sends(&self) -> usize {
        let (_, page) = self.app.get("/api/v1/audit-logs?action=bots.send_message").await;
        page["items"].as_array().map_or(0, Vec::len)
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    replies_and_api_sends_share_one_rate_limit_budget,
    mentions_ping_nobody_unless_asked_and_allowed,
    limits_and_channels_are_refused_with_the_field_named,
);

/// A running bot answers 4 commands in #general while 6 messages are sent to #general through
/// the API, all at once: 10 messages into a bucket of 5 per 5 s. Through one client its rate
/// limiter, which reads the bucket's `X-RateLimit-*` headers, holds the second 5 until the bucket
/// resets: zero 429s. (With a client per send, as before, each fresh client believed it had the
/// whole bucket to itself, so the replies' client and the sends' clients together posted 10 within
/// the window and 5 of them met a 429 — which twilight retries, so every message still arrived, but
/// each 429 counts toward Discord's invalid-request limit that bans the IP.)
async fn replies_and_api_sends_share_one_rate_limit_budget(w: World) {
    let (status, body) = w.app.post(&format!("/api/v1/bots/{}/start", w.bot), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("the bot to run", 30, || async {
        let bot = w.app.get(&format!("/api/v1/bots/{}", w.bot)).await.1;
        (bot["status"] == "running").then_some(())
    })
    .await;
    for i in 0..4 {
        w.shop.emulator.user_message(w.shop.alice, w.shop.general, &format!("!ping {i}")).unwrap();
    }
    let path = w.path();
    let sends = (0..6).map(|i| {
        let body = json!({"channel_id": w.shop.general.to_string(), "content": format!("announcement {i}")});
        w.app.post(&path, body)
    });
    for (status, body) in futures_util::future::join_all(sends).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    until("4 replies and 6 announcements", 30, || async { (w.bot_messages().len() == 10).then_some(()) }).await;
    let announcements = w.bot_messages().iter().filter(|m| m.content.starts_with("announcement")).count();
    assert_eq!(announcements, 6);
    let counters = w.shop.emulator.counters().counters;
    assert_eq!(counters.rate_limited, 0, "no 429 from the emulator: {:?}", counters.rate_limited_by_scope);
}

/// Content that names `@everyone`, a user and a role pings none of them unless the request asks;
/// asking needs `bots.mention` (a key scoped to `bots.message` alone is refused, nothing sent).
async fn mentions_ping_nobody_unless_asked_and_allowed(w: World) {
    let alice = w.shop.alice.to_string();
    let content = format!("@everyone sale! <@{alice}>");
    let channel = w.shop.general.to_string();
    let (status, body) = w.app.post(&w.path(), json!({"channel_id": channel, "content": content})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let quiet = w.bot_messages().pop().unwrap();
    assert_eq!((quiet.mention_everyone, quiet.mentions.len()), (false, 0), "nobody pinged by default");

    let asked = json!({"channel_id": channel, "content": content, "allowed_mentions": {"parse": ["everyone"], "users": [alice]}});
    let narrow =
        create(&w.app.store, "sender", &Grant::Scopes(vec![Action::BotsMessage]), None, botfleet::time::now_ms(), None)
            .await
            .unwrap()
            .0;
    let refused =
        client_with_key(&narrow).post(format!("{}{}", w.app.url, w.path())).json(&asked).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refusal: Value = refused.json().await.unwrap();
    assert!(refusal["error"]["message"].as_str().unwrap().contains("bots.mention"), "{refusal}");
    assert_eq!(w.bot_messages().len(), 1, "the refused message was not sent");
    // The same key may still send a message that pings nobody.
    let plain = json!({"channel_id": channel, "content": "quiet news", "allowed_mentions": {"parse": []}});
    let sent = client_with_key(&narrow).post(format!("{}{}", w.app.url, w.path())).json(&plain).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::OK);

    let (status, body) = w.app.post(&w.path(), asked).await;
    assert_eq!(status, StatusCode::OK, "the admin holds bots.mention: {body}");
    let loud = w.bot_messages().pop().unwrap();
    assert_eq!((loud.mention_everyone, loud.mentions.clone()), (true, vec![w.shop.alice]));

    let (status, body) = w
        .app
        .post(
            &w.path(),
            json!({"channel_id": channel, "content": "x", "allowed_mentions": {"parse": ["users"], "users": [alice]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "allowed_mentions.users", "{body}");
}

/// 2,001 characters, 11 embeds, an embed field over its limit and an empty message are 422 naming
/// the field; a channel the bot cannot see is 422 naming `channel_id`; none is sent or audited. An
/// embed alone is a message.
async fn limits_and_channels_are_refused_with_the_field_named(w: World) {
    let channel = w.shop.general.to_string();
    let embed = json!({"title": "Sale", "description": "Everything 20 % off", "fields": [{"name": "When", "value": "Friday 09:00"}]});
    let cases = [
        (json!({"channel_id": channel, "content": "x".repeat(2001)}), "content"),
        (json!({"channel_id": channel, "content": "hi", "embeds": vec![embed.clone(); 11]}), "embeds"),
        (
            json!({"channel_id": channel, "embeds": [{"fields": [{"name": "n", "value": "v".repeat(1025)}]}]}),
            "embeds[0].fields[0].value",
        ),
        (json!({"channel_id": channel}), "content"),
        (json!({"channel_id": channel, "content": "   "}), "content"),
    ];
    for (body, field) in cases {
        let (status, answer) = w.app.post(&w.path(), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["fields"][0]["field"], field, "{answer}");
    }
    let hidden = w.shop.emulator.create_channel(w.shop.guild, "staff").unwrap();
    w.shop
        .emulator
        .set_overwrite(hidden, discord_emulator::Overwrite { id: w.shop.guild, kind: 0, allow: 0, deny: 1 << 10 })
        .unwrap();
    for (target, words) in [(hidden.to_string(), "cannot see"), ("123456789012345678".to_owned(), "does not exist")] {
        let (status, answer) = w.app.post(&w.path(), json!({"channel_id": target, "content": "hi"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(
            (answer["error"]["code"].as_str(), answer["error"]["fields"][0]["field"].as_str()),
            (Some("discord"), Some("channel_id"))
        );
        assert!(answer["error"]["message"].as_str().unwrap().contains(words), "{answer}");
    }
    assert!(w.bot_messages().is_empty(), "nothing refused was sent");

    let ten = vec![embed.clone(); 10];
    let (status, body) = w.app.post(&w.path(), json!({"channel_id": channel, "embeds": ten})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sent = w.bot_messages().pop().unwrap();
    assert_eq!((sent.content.as_str(), sent.embeds.len()), ("", 10));
    assert_eq!(sent.embeds[0]["title"], "Sale");
    // Audit rows are written in order: once the sent message's row is there, the refused ones
    // would be too.
    until("the send's audit row", 30, || async { (w.audited_sends().await >= 1).then_some(()) }).await;
    assert_eq!(w.audited_sends().await, 1, "only the message sent is audited");
}
