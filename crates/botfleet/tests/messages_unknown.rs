//! A batch item whose send was cut short (botfleet stopped while the request was out), on SQLite
//! and on PostgreSQL, with botfleet's clock in the test's hands and the emulator's faults holding
//! the request:
//! - found again longer ago than the nonce window, it is `unknown` and not sent again; a person
//!   skips it (`skipped`) or retries it (sent);
//! - found again within the window, it is sent again with the same nonce and Discord (the
//!   emulator) keeps one message, whose id the item records;
//! - the window counts from the first send: a re-send cut short too keeps that time, so two
//!   restarts cannot stretch it past Discord's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::jobs::messages::NONCE_WINDOW;
use botfleet::time::Clock;
use common::{shop_world, until, Backend, ShopWorld, TestApp};
use discord_emulator::{EmulatorConfig, FaultAction, FaultSpec, RouteMatch};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    shop: ShopWorld,
    app: TestApp,
    clock: Clock,
    bot: i64,
    channels: Vec<u64>,
}

async fn world(backend: Backend) -> Option<World> {
    let shop = shop_world(EmulatorConfig::default()).await;
    let clock = Clock::manual(botfleet::time::now_ms());
    let app = TestApp::spawn_configured(backend, shop.emulator.http_url(), |c| c.clock = clock.clone()).await?;
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.shop.token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let bot = bot["id"].as_i64().unwrap();
    let news = shop.emulator.create_channel(shop.guild, "news").unwrap();
    let channels = vec![shop.general, news];
    Some(World { shop, app, clock, bot, channels })
}

fn posts() -> Option<RouteMatch> {
    Some(RouteMatch::new("POST", "/channels/{channel_id}/messages"))
}

/// Requests to post a message wait ten minutes before Discord (the emulator) looks at them.
fn held() -> FaultSpec {
    FaultSpec::now(FaultAction::RestLatency { ms: 600_000, jitter_ms: 0, route: posts(), for_ms: None })
}

/// Messages are posted, but their answers are held back ten minutes.
fn answer_lost() -> FaultSpec {
    FaultSpec::now(FaultAction::RestAnswerLost { ms: 600_000, route: posts(), for_ms: None })
}

impl World {
    fn bot_messages(&self, channel: u64) -> Vec<discord_emulator::MessageRecord> {
        self.shop.emulator.messages(channel).unwrap().into_iter().filter(|m| m.author_is_bot).collect()
    }

    async fn submit(&self, channels: &[u64]) -> i64 {
        let destinations: Vec<Value> =
            channels.iter().map(|c| json!({"bot_id": self.bot, "channel_id": c.to_string()})).collect();
        let (status, job) = self
            .app
            .post(
                "/api/v1/messages/batch",
                json!({"messages": [{"content": "Sale on Friday"}], "channels": destinations}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        job["id"].as_i64().unwrap()
    }

    async fn job(&self, id: i64) -> Value {
        self.app.get(&format!("/api/v1/jobs/{id}?limit=100")).await.1
    }

    /// Waits until every item of the job is marked "about to be sent"; their `since` times.
    async fn all_sending(&self, id: i64) -> Vec<i64> {
        until("every item marked 'sending'", 60, || async {
            let job = self.job(id).await;
            let items = job["items"]["items"].as_array().cloned().unwrap_or_default();
            let since: Vec<i64> = items
                .iter()
                .filter(|i| i["state"] == "pending" && i["detail"]["phase"] == "sending")
                .filter_map(|i| i["detail"]["since"].as_i64())
                .collect();
            (!items.is_empty() && since.len() == items.len()).then_some(since)
        })
        .await
    }

    async fn finished(&self, id: i64) -> Value {
        until("the job to end", 120, || async {
            let job = self.job(id).await;
            (!matches!(job["state"].as_str(), Some("queued" | "running"))).then_some(job)
        })
        .await
    }

    /// Stops botfleet (the send in flight is cut short), runs `meanwhile` on the emulator and the
    /// clock while it is down, starts it again on the same data.
    async fn restart(self, meanwhile: impl FnOnce(&discord_emulator::Emulator, &Clock)) -> World {
        let World { shop, app, clock, bot, channels } = self;
        let app = app.restart_after(async { meanwhile(&shop.emulator, &clock) }).await;
        World { shop, app, clock, bot, channels }
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    cut_short_past_the_nonce_window_is_unknown_then_skipped_or_retried,
    cut_short_within_the_window_is_sent_again_and_discord_keeps_one,
    restarts_one_after_another_do_not_stretch_the_window,
);

/// Two items whose requests never reached Discord; botfleet stops; its clock passes the nonce
/// window; started again, both are `unknown` (explained) and nothing is posted. Skip the first:
/// `skipped`. Retry the job: the second is sent, once; the first stays skipped.
async fn cut_short_past_the_nonce_window_is_unknown_then_skipped_or_retried(w: World) {
    let fault = w.shop.emulator.inject(held()).unwrap();
    let id = w.submit(&w.channels).await;
    w.all_sending(id).await;
    let w = w
        .restart(|emulator, clock| {
            emulator.remove_fault(fault);
            clock.advance(NONCE_WINDOW + Duration::from_secs(1));
        })
        .await;
    let job = w.finished(id).await;
    assert_eq!(
        (job["state"].as_str(), job["done"].as_i64(), job["failed"].as_i64()),
        (Some("failed"), Some(0), Some(2))
    );
    let items = job["items"]["items"].as_array().unwrap();
    for item in items {
        assert_eq!(item["state"], "unknown", "{item}");
        assert!(item["error"].as_str().unwrap().contains("unknown whether sent"), "{item}");
    }
    for channel in &w.channels {
        assert!(w.bot_messages(*channel).is_empty(), "an unknown item is not sent again");
    }

    let (status, job) = w.app.post(&format!("/api/v1/jobs/{id}/items/1/skip"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let (status, job) = w.app.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let job = w.finished(id).await;
    assert_eq!(
        (job["state"].as_str(), job["done"].as_i64(), job["failed"].as_i64()),
        (Some("succeeded"), Some(1), Some(0))
    );
    let items = job["items"]["items"].as_array().unwrap();
    assert_eq!((items[0]["state"].as_str(), items[1]["state"].as_str()), (Some("skipped"), Some("ok")), "{items:?}");
    assert!(w.bot_messages(w.channels[0]).is_empty(), "the skipped item was not sent");
    let sent = w.bot_messages(w.channels[1]);
    assert_eq!(sent.len(), 1, "the retried item was sent once");
    assert_eq!(items[1]["detail"]["message_id"], sent[0].id.to_string());
}

/// The message is posted but its answer is lost; botfleet stops; a minute later (within the
/// window) it starts again: the item is sent again with the same nonce, the emulator returns the
/// first message instead of posting another, and the item records that message's id.
async fn cut_short_within_the_window_is_sent_again_and_discord_keeps_one(w: World) {
    let fault = w.shop.emulator.inject(answer_lost()).unwrap();
    let id = w.submit(&w.channels[..1]).await;
    w.all_sending(id).await;
    let posted =
        until("the message to be posted", 60, || async { w.bot_messages(w.channels[0]).first().map(|m| m.id) }).await;
    let before = w.shop.emulator.counters().counters.nonce_duplicates;
    let w = w
        .restart(|emulator, clock| {
            emulator.remove_fault(fault);
            clock.advance(Duration::from_secs(60));
        })
        .await;
    let job = w.finished(id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let item = &job["items"]["items"][0];
    assert_eq!(item["detail"]["message_id"], posted.to_string(), "the first message's id: {item}");
    let sent = w.bot_messages(w.channels[0]);
    assert_eq!(sent.len(), 1, "Discord kept one message");
    assert_eq!(sent[0].nonce.as_deref(), Some(format!("j{id}.1").as_str()));
    assert_eq!(w.shop.emulator.counters().counters.nonce_duplicates, before + 1, "sent again with the same nonce");
}

/// Posted, answer lost, stopped; 70 s later started again: re-sent (same nonce, answer lost
/// again), the mark keeping the first send's time; stopped; 60 s later — 130 s after the first
/// send, 60 s after the re-send — started again: `unknown`, not sent a third time.
async fn restarts_one_after_another_do_not_stretch_the_window(w: World) {
    w.shop.emulator.inject(answer_lost()).unwrap();
    let id = w.submit(&w.channels[..1]).await;
    let first = w.all_sending(id).await[0];
    until("the message to be posted", 60, || async { (!w.bot_messages(w.channels[0]).is_empty()).then_some(()) }).await;
    let before = w.shop.emulator.counters().counters.nonce_duplicates;
    let w = w.restart(|_, clock| clock.advance(Duration::from_secs(70))).await;
    until("the re-send to reach Discord", 60, || async {
        (w.shop.emulator.counters().counters.nonce_duplicates == before + 1).then_some(())
    })
    .await;
    assert_eq!(w.all_sending(id).await, [first], "the re-send keeps the first send's time");
    let w = w
        .restart(|emulator, clock| {
            emulator.clear_faults();
            clock.advance(Duration::from_secs(60));
        })
        .await;
    let job = w.finished(id).await;
    assert_eq!(job["items"]["items"][0]["state"], "unknown", "{job}");
    assert_eq!(w.bot_messages(w.channels[0]).len(), 1);
    assert_eq!(w.shop.emulator.counters().counters.nonce_duplicates, before + 1, "not sent a third time");
}
