//! Restarts that miss no command, on SQLite and PostgreSQL: a graceful stop of the service (the
//! SIGTERM path) leaves each bot's gateway session resumable and saved; the next start resumes it,
//! Discord replays what users sent meanwhile, and each command is answered and tracked once. A
//! slash command whose 3-second window passed meanwhile is tracked once as `expired`. A restart
//! through the API resumes too, unless the token or intents changed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig, UserAction};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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

async fn add_running_bot(app: &TestApp, token: &str) -> i64 {
    let body = json!({"name": "Shop", "token": token, "anti_spam": {"enabled": false}});
    let (status, bot) = app.post("/api/v1/bots", body).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    let (status, body) = app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    running(app, id).await;
    id
}

async fn running(app: &TestApp, id: i64) {
    until("the bot to run", 30, || async {
        (app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
    })
    .await;
}

async fn rows(app: &TestApp, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/command-logs?limit=500&{query}")).await.1["items"].as_array().cloned().unwrap_or_default()
}

/// How many bot replies answer each message id (the reply's nonce is the message's id).
fn replies_to(emulator: &Emulator, channel: u64, message: u64) -> usize {
    let nonce = message.to_string();
    emulator.messages(channel).unwrap().iter().filter(|m| m.author_is_bot && m.nonce.as_deref() == Some(&nonce)).count()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    commands_sent_while_the_service_is_down_are_answered_once_after_it_starts_again,
    a_restart_through_the_api_resumes_unless_the_token_or_intents_changed,
    a_saved_session_discord_refuses_falls_back_to_identify_and_says_so,
);

async fn commands_sent_while_the_service_is_down_are_answered_once_after_it_starts_again(w: World) {
    let World { emulator, shop, alice, general, app } = w;
    let id = add_running_bot(&app, &shop.token).await;
    until("/ping to be registered", 30, || async {
        emulator.state().commands.contains_key(&shop.application_id).then_some(())
    })
    .await;
    let before = emulator.user_message(alice, general, "!ping before").unwrap();
    until("the first reply", 30, || async { (replies_to(&emulator, general, before) == 1).then_some(()) }).await;

    let mut sent = Vec::new();
    let mut slash = None;
    let app = app
        .restart_after(async {
            assert!(!emulator.sessions(Some(shop.application_id)).is_empty(), "the session stays resumable");
            let slash_action = UserAction::SlashCommand { name: "ping".into(), options: vec![] };
            slash = Some(emulator.user_interaction(shop.application_id, alice, general, slash_action).unwrap());
            for n in 0..5 {
                sent.push(emulator.user_message(alice, general, &format!("!ping meanwhile {n}")).unwrap());
            }
            // Past Discord's 3-second window for the slash command.
            emulator.advance_time(Duration::from_secs(5));
        })
        .await;
    let slash = slash.unwrap();
    running(&app, id).await;
    until("every command sent meanwhile to be answered", 30, || async {
        sent.iter().all(|m| replies_to(&emulator, general, *m) >= 1).then_some(())
    })
    .await;
    let expired = until("the expired slash command's row", 30, || async {
        rows(&app, &format!("bot_id={id}&event_id={}", slash.interaction_id)).await.first().cloned()
    })
    .await;
    assert_eq!(expired["outcome"], "expired", "{expired}");
    assert!(expired["error"].as_str().unwrap().contains("3-second window"), "{expired}");
    until("every command to be tracked", 30, || async {
        (rows(&app, &format!("bot_id={id}")).await.len() == 7).then_some(())
    })
    .await;
    for m in &sent {
        assert_eq!(replies_to(&emulator, general, *m), 1, "answered once");
        assert_eq!(rows(&app, &format!("bot_id={id}&event_id={m}")).await.len(), 1, "tracked once");
    }
    assert_eq!(replies_to(&emulator, general, before), 1, "the command before the restart was not answered again");
    let c = emulator.counters().counters;
    assert_eq!((c.identifies, c.resumes), (1, 1), "resumed, not identified");
    let resumed = app.get(&format!("/api/v1/bot-logs?bot_id={id}&event=resumed")).await.1;
    assert!(resumed["items"][0]["message"].as_str().unwrap().contains("saved session resumed"), "{resumed}");
}

async fn a_restart_through_the_api_resumes_unless_the_token_or_intents_changed(w: World) {
    let World { emulator, shop, alice, general, app } = w;
    let id = add_running_bot(&app, &shop.token).await;
    let (status, body) = app.post(&format!("/api/v1/bots/{id}/restart"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("the resume", 30, || async { (emulator.counters().counters.resumes == 1).then_some(()) }).await;
    running(&app, id).await;
    let m = emulator.user_message(alice, general, "!ping after restart").unwrap();
    until("the reply", 30, || async { (replies_to(&emulator, general, m) == 1).then_some(()) }).await;
    assert_eq!(emulator.counters().counters.identifies, 1, "the same session goes on");

    // New intents must take effect: a fresh session.
    let version = app.get(&format!("/api/v1/bots/{id}")).await.1["version"].as_i64().unwrap();
    let change = json!({"version": version, "intents": ["GUILDS", "GUILD_MESSAGES", "MESSAGE_CONTENT"]});
    let (status, body) = app.call(Method::PATCH, &format!("/api/v1/bots/{id}"), Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post(&format!("/api/v1/bots/{id}/restart"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("a new identify", 30, || async { (emulator.counters().counters.identifies == 2).then_some(()) }).await;
    running(&app, id).await;
    assert_eq!(emulator.counters().counters.resumes, 1);
    let sessions = emulator.sessions(Some(shop.application_id));
    assert_eq!(sessions.len(), 1, "the old session was ended, not left to linger: {sessions:?}");
}

async fn a_saved_session_discord_refuses_falls_back_to_identify_and_says_so(w: World) {
    let World { emulator, shop, alice, general, app } = w;
    let id = add_running_bot(&app, &shop.token).await;
    let mut lost = None;
    let app = app
        .restart_after(async {
            // Discord forgets the session while the service is down (past its resume window).
            emulator.advance_time(Duration::from_secs(3600));
            lost = Some(emulator.user_message(alice, general, "!ping lost").unwrap());
        })
        .await;
    running(&app, id).await;
    until("a new identify", 30, || async { (emulator.counters().counters.identifies == 2).then_some(()) }).await;
    let line = until("the bot log line", 30, || async {
        let logs = app.get(&format!("/api/v1/bot-logs?bot_id={id}&event=session_lost")).await.1;
        logs["items"].as_array().unwrap().first().cloned()
    })
    .await;
    assert!(line["message"].as_str().unwrap().contains("saved session"), "{line}");
    let m = emulator.user_message(alice, general, "!ping later").unwrap();
    until("the reply", 30, || async { (replies_to(&emulator, general, m) == 1).then_some(()) }).await;
    assert_eq!(replies_to(&emulator, general, lost.unwrap()), 0, "lost by Discord's rule, and said so");
}
