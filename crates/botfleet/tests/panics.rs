//! A panic is an error, not silence (issue #17, point 5), against the Discord emulator on SQLite
//! and PostgreSQL: `!panic` and `/panic` (a test-build command that panics on purpose) are each
//! answered with the friendly error reply and recorded once as `error` with the panic's message,
//! and the bot still answers; a bot whose runner panics comes back `running`, with the panic in
//! its status reason, its bot log and `botfleet_faults_total` (what repeated failures cost:
//! tests/crash_loop.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::commands::panic::{MESSAGE, RUNNER_MESSAGE, RUNNER_TRIGGER};
use botfleet::events::Event;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig, UserAction};
use reqwest::StatusCode;
use serde_json::{json, Value};

const FRIENDLY: &str = "Sorry, that didn't work: something went wrong on our side";

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    general: u64,
    app: TestApp,
}

async fn world(backend: Backend) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Demo Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let app = TestApp::spawn_with(backend, emulator.http_url()).await?;
    Some(World { emulator, shop, alice, general, app })
}

impl World {
    /// Adds the shop's bot and waits until it runs with its slash commands registered.
    async fn running_bot(&self) -> i64 {
        let (status, bot) = self.app.post("/api/v1/bots", json!({"name": "Shop", "token": self.shop.token})).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        let id = bot["id"].as_i64().unwrap();
        let (status, body) = self.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.running(id).await;
        until("/panic to be registered", 30, || async {
            let state = self.emulator.state();
            let commands = state.commands.get(&self.shop.application_id)?;
            commands.iter().any(|c| c.body["name"] == "panic").then_some(())
        })
        .await;
        id
    }

    async fn running(&self, id: i64) {
        until("the bot to run", 30, || async {
            (self.app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
        })
        .await;
    }

    fn bot_replies(&self) -> Vec<String> {
        let messages = self.emulator.messages(self.general).unwrap();
        messages.into_iter().filter(|m| m.author_is_bot).map(|m| m.content).collect()
    }

    async fn items(&self, path: &str) -> Vec<Value> {
        self.app.get(path).await.1["items"].as_array().cloned().unwrap_or_default()
    }

    async fn metrics(&self) -> String {
        let client = common::client_with_key(&self.app.admin_key);
        client.get(format!("{}/metrics", self.app.url)).send().await.unwrap().text().await.unwrap()
    }

    /// `!ping` is still answered.
    async fn answers_ping(&self) {
        self.emulator.user_message(self.alice, self.general, "!ping").unwrap();
        until("the !ping reply", 30, || async {
            self.bot_replies().iter().any(|r| r.starts_with("Pong!")).then_some(())
        })
        .await;
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(a_panicking_command_is_answered_and_recorded_as_an_error, a_panicking_runner_is_restarted_and_says_why);

async fn a_panicking_command_is_answered_and_recorded_as_an_error(w: World) {
    let id = w.running_bot().await;

    w.emulator.user_message(w.alice, w.general, "!panic now").unwrap();
    until("the friendly reply to !panic", 30, || async {
        w.bot_replies().iter().any(|r| r.starts_with(FRIENDLY)).then_some(())
    })
    .await;
    let started = w
        .emulator
        .user_interaction(
            w.shop.application_id,
            w.alice,
            w.general,
            UserAction::SlashCommand { name: "panic".into(), options: vec![] },
        )
        .unwrap();
    let answered = until("the /panic answer", 30, || async {
        let interaction = w.emulator.interaction(started.interaction_id).unwrap();
        interaction.acknowledged.then_some(interaction)
    })
    .await;
    assert_eq!(answered.responses.len(), 1, "one answer: {answered:?}");
    let content = answered.responses[0].data["content"].as_str().unwrap_or_default();
    assert!(content.starts_with(FRIENDLY), "{content}");
    assert!(!content.contains(MESSAGE), "the panic's message is not shown to the user: {content}");

    let rows = until("two tracked panics", 30, || async {
        let rows = w.items(&format!("/api/v1/command-logs?bot_id={id}&command=panic")).await;
        (rows.len() == 2).then_some(rows)
    })
    .await;
    let (slash, prefix) = (&rows[0], &rows[1]);
    assert_eq!((prefix["kind"].as_str(), slash["kind"].as_str()), (Some("prefix"), Some("slash")));
    for row in [prefix, slash] {
        assert_eq!(row["outcome"], "error", "{row}");
        assert!(row["error"].as_str().unwrap().contains(MESSAGE), "{row}");
        assert!(row["response"].as_str().unwrap().starts_with(FRIENDLY), "{row}");
        assert!(row["responded_at"].is_string(), "{row}");
    }
    assert_eq!(prefix["arguments"], "now");
    let friendly = w.bot_replies().into_iter().filter(|r| r.starts_with(FRIENDLY)).count();
    assert_eq!(friendly, 2, "one reply to !panic, one message of /panic's answer");

    // The bot lives on, the operator sees the panics in its log and the metrics.
    w.answers_ping().await;
    let logs = until("the panics in the bot log", 30, || async {
        let logs = w.items(&format!("/api/v1/bot-logs?bot_id={id}&event=command_panic")).await;
        (logs.len() == 2).then_some(logs)
    })
    .await;
    assert!(logs.iter().all(|l| l["level"] == "error" && l["message"].as_str().unwrap().contains(MESSAGE)), "{logs:?}");
    assert!(w.metrics().await.contains("botfleet_faults_total{fault=\"command_panic\"} 2"));
    assert_eq!(w.app.get(&format!("/api/v1/bots/{id}")).await.1["status"], "running");
}

async fn a_panicking_runner_is_restarted_and_says_why(w: World) {
    let id = w.running_bot().await;
    let mut events = w.app.events.subscribe();
    let identifies = w.emulator.counters().counters.identifies;

    w.emulator.user_message(w.alice, w.general, RUNNER_TRIGGER).unwrap();
    let logs = until("the runner's panic in the bot log", 30, || async {
        let logs = w.items(&format!("/api/v1/bot-logs?bot_id={id}&event=panic")).await;
        (!logs.is_empty()).then_some(logs)
    })
    .await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["level"], "error");
    assert!(logs[0]["message"].as_str().unwrap().contains(RUNNER_MESSAGE), "{logs:?}");
    assert!(logs[0]["message"].as_str().unwrap().contains("(in 1 s)"), "{logs:?}");

    // The bot comes back by itself: its session resumed past the event that panicked, `running`
    // again, answering.
    until("the session to resume", 30, || async { (w.emulator.counters().counters.resumes >= 1).then_some(()) }).await;
    assert_eq!(w.emulator.counters().counters.identifies, identifies, "resumed, not identified");
    w.running(id).await;
    w.answers_ping().await;
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::BotStatus { bot_id, status, reason } = event {
            assert_eq!(bot_id, id);
            seen.push((status, reason.unwrap_or_default()));
        }
    }
    let statuses: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(statuses, ["reconnecting", "starting", "running"], "{seen:?}");
    assert!(seen[0].1.contains(RUNNER_MESSAGE) && seen[0].1.contains("(in 1 s)"), "{seen:?}");
    assert!(w.metrics().await.contains("botfleet_faults_total{fault=\"bot_panic\"} 1"));
    let desired = w.app.get(&format!("/api/v1/bots/{id}")).await.1["desired_state"].clone();
    assert_eq!(desired, "running");

    // Later failures, the crash loop they make and a stop during the wait: tests/crash_loop.rs
    // (on the test's clock).
}
