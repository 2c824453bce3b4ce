//! End to end: the service and the Discord emulator, on SQLite and on PostgreSQL. Bots start,
//! answer `!ping` and `/ping`, every command is tracked with the right fields, stop/restart publish
//! their status, a bad token fails once with a reason, desired state survives a restart of the
//! service, and a dropped connection resumes with a command sent meanwhile answered once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::events::Event;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig, UserAction};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    guild: u64,
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
    Some(World { emulator, shop, alice, guild, general, app })
}

impl World {
    async fn add_bot(&self, name: &str, token: &str) -> i64 {
        let (status, bot) = self.app.post("/api/v1/bots", json!({"name": name, "token": token})).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        bot["id"].as_i64().unwrap()
    }

    async fn status(&self, id: i64) -> Value {
        self.app.get(&format!("/api/v1/bots/{id}")).await.1
    }

    async fn running(&self, id: i64) {
        until("the bot to run", 30, || async { (self.status(id).await["status"] == "running").then_some(()) }).await;
    }

    async fn start(&self, id: i64) {
        let (status, body) = self.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.running(id).await;
    }

    /// Waits until the bot is `failed`; returns it.
    async fn failed(&self, id: i64) -> Value {
        until("the bot to fail", 30, || async {
            let bot = self.status(id).await;
            (bot["status"] == "failed").then_some(bot)
        })
        .await
    }

    async fn command_logs(&self, query: &str) -> Vec<Value> {
        self.app.get(&format!("/api/v1/command-logs?{query}")).await.1["items"].as_array().cloned().unwrap_or_default()
    }

    /// `GET /metrics`'s text, read with the admin key.
    async fn metrics(&self) -> String {
        self.app.http.get(format!("{}/metrics", self.app.url)).send().await.unwrap().text().await.unwrap()
    }

    fn bot_replies(&self, channel: u64) -> Vec<discord_emulator::MessageRecord> {
        self.emulator.messages(channel).unwrap().into_iter().filter(|m| m.author_is_bot).collect()
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    a_started_bot_answers_prefix_and_slash_commands_and_tracks_them,
    stop_and_restart_work_and_publish_their_status,
    a_bad_token_or_disallowed_intents_fail_once_with_a_reason,
    desired_state_survives_a_restart_of_the_service,
    a_dropped_connection_resumes_and_a_command_sent_meanwhile_is_answered_once,
    bulk_actions_and_send_message,
    a_stop_identifies_nothing_and_neither_does_shutdown,
    a_command_discord_delivers_again_is_answered_and_tracked_once,
    the_session_start_budget_is_shown_and_its_last_starts_are_kept,
    a_slash_command_discord_delivers_again_is_answered_and_tracked_once,
    a_session_discord_will_not_resume_is_counted_as_lost,
    invalid_requests_to_discord_are_counted_fleet_wide,
    slash_commands_are_put_only_when_they_differ,
);

/// `GET /gateway/bot`'s session-start budget is read at each start, shown in the bot's health and
/// `/metrics`, and below the floor the bot does not identify (a bot that spends them all has its
/// token reset by Discord).
async fn the_session_start_budget_is_shown_and_its_last_starts_are_kept(w: World) {
    // 10 a day and the default floor of 10: the first start (10 left) connects; the next (9 left)
    // is refused.
    let thrifty = w
        .emulator
        .create_application(ApplicationSpec { name: "Thrifty".into(), session_start_total: 10, ..Default::default() })
        .unwrap();
    w.emulator.add_member(w.guild, thrifty.bot_user_id, vec![]).unwrap();
    let id = w.add_bot("Thrifty", &thrifty.token).await;
    w.start(id).await;
    let health = w.app.get(&format!("/api/v1/bots/{id}/health")).await.1;
    let check = health["checks"].as_array().unwrap().iter().find(|c| c["name"] == "session_starts").cloned();
    let check = check.unwrap_or_else(|| panic!("a session_starts check: {health}"));
    assert!(check["detail"].as_str().unwrap().starts_with("10 of 10 left today"), "{check}");
    let metrics = w.metrics().await;
    assert!(metrics.contains(&format!("botfleet_session_starts_remaining{{bot_id=\"{id}\"}} 10\n")), "{metrics}");
    let reset = metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("botfleet_session_starts_reset_timestamp_seconds{{bot_id=\"{id}\"}} ")))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("the reset time in /metrics: {metrics}"));
    let in_a_day = botfleet::time::Clock::system().now_ms() as f64 / 1000.0 + 86_400.0;
    assert!((in_a_day - reset).abs() < 600.0, "the budget is full again in about a day: {reset}");

    w.app.post(&format!("/api/v1/bots/{id}/stop"), json!({})).await;
    w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let bot = w.failed(id).await;
    let reason = bot["status_reason"].as_str().unwrap();
    assert!(reason.contains("only 9 of 10 session starts are left"), "{reason}");
    assert_eq!(w.emulator.counters().counters.identifies, 1, "the last starts were not spent");
}

/// A start reads the registered slash commands and puts them only when they differ.
async fn slash_commands_are_put_only_when_they_differ(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    w.app.post(&format!("/api/v1/bots/{id}/restart"), json!({})).await;
    w.running(id).await;
    let c = w.emulator.counters().counters;
    let puts = c.rest_by_route.iter().filter(|(route, _)| route.starts_with("PUT ") && route.contains("/commands"));
    let puts: u64 = puts.map(|(_, n)| *n).sum();
    assert_eq!((puts, c.identifies, c.resumes), (1, 1, 1), "registered once over two starts: {:?}", c.rest_by_route);
}

/// Discord may deliver an event again (a session resumed from an older sequence than the bot had
/// reached): the emulator re-sends a prefix command's `MESSAGE_CREATE`, the bot runs it again, its
/// reply's nonce (with `enforce_nonce`) gets the first reply back instead of a second message, and
/// its event id keeps it to one tracked row.
async fn a_command_discord_delivers_again_is_answered_and_tracked_once(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    let seq = || w.emulator.sessions(Some(w.shop.application_id)).iter().map(|s| s.seq).max().unwrap_or(0);
    let before = seq();
    let message = w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    until("the !ping reply", 30, || async { w.bot_replies(w.general).into_iter().next() }).await;
    let rows = until("the tracked !ping", 30, || async {
        let rows = w.command_logs(&format!("bot_id={id}")).await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(rows[0]["event_id"], message.to_string(), "a prefix command's event is its message");

    let mut events = w.app.events.subscribe();
    let since = seq() - before; // the command and everything after it
    assert_eq!(w.emulator.redeliver(Some(w.shop.application_id), since), 1);
    let mut again = 0;
    until("the bot to run the re-delivered command", 30, || {
        while let Ok(event) = events.try_recv() {
            if matches!(&event, Event::Command(c) if c.bot_id == id && c.command == "ping") {
                again += 1;
            }
        }
        std::future::ready((again > 0).then_some(()))
    })
    .await;
    // A later command's row is written after the repeated one was handed to the writer.
    let later = w.emulator.user_message(w.alice, w.general, "!ping later").unwrap();
    until("the later command's row", 30, || async {
        let rows = w.command_logs(&format!("bot_id={id}&event_id={later}")).await;
        (!rows.is_empty()).then_some(())
    })
    .await;
    assert_eq!(again, 1, "the re-delivered command ran once more");
    let rows = w.command_logs(&format!("bot_id={id}&event_id={message}")).await;
    assert_eq!(rows.len(), 1, "one row for the event: {rows:?}");
    assert_eq!(w.command_logs(&format!("bot_id={id}")).await.len(), 2);
    let replies = w.bot_replies(w.general);
    assert_eq!(replies.len(), 2, "one reply per command, none for the repeat: {replies:?}");
    assert_eq!(w.emulator.counters().counters.nonce_duplicates, 1, "the repeat's reply was the first one");
}

/// An interaction delivered again is answered once by Discord's own rule (one initial response;
/// the second gets 40060), which botfleet takes as "already answered": no second record, no error
/// — but the record is stored if the first answer's never was (a process killed in between).
async fn a_slash_command_discord_delivers_again_is_answered_and_tracked_once(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    until("/ping to be registered", 30, || async {
        w.emulator.state().commands.contains_key(&w.shop.application_id).then_some(())
    })
    .await;
    let seq = || w.emulator.sessions(Some(w.shop.application_id)).iter().map(|s| s.seq).max().unwrap_or(0);
    let before = seq();
    let slash = UserAction::SlashCommand { name: "ping".into(), options: vec![] };
    let started = w.emulator.user_interaction(w.shop.application_id, w.alice, w.general, slash).unwrap();
    until("the /ping row", 30, || async {
        (w.command_logs(&format!("bot_id={id}&event_id={}", started.interaction_id)).await.len() == 1).then_some(())
    })
    .await;
    let callbacks = || {
        let c = w.emulator.counters().counters;
        c.rest_by_route.get("POST /interactions/{interaction_id}/{interaction_token}/callback").copied().unwrap_or(0)
    };
    assert_eq!(callbacks(), 1);
    // As if the process had been killed between answering and storing: the row is gone.
    sqlx::query("DELETE FROM discord_command_logs WHERE event_id = $1")
        .bind(i64::try_from(started.interaction_id).unwrap())
        .execute(w.app.store.pool())
        .await
        .unwrap();
    assert_eq!(w.emulator.redeliver(Some(w.shop.application_id), seq() - before), 1);
    until("the bot to answer the repeat (Discord refuses it: 40060)", 30, || async {
        (callbacks() == 2).then_some(())
    })
    .await;
    until("the repeat to store the row the first answer did not", 30, || async {
        (w.command_logs(&format!("bot_id={id}&event_id={}", started.interaction_id)).await.len() == 1).then_some(())
    })
    .await;
    let later = w.emulator.user_message(w.alice, w.general, "!ping later").unwrap();
    until("the later command's row", 30, || async {
        (!w.command_logs(&format!("bot_id={id}&event_id={later}")).await.is_empty()).then_some(())
    })
    .await;
    let rows = w.command_logs(&format!("bot_id={id}")).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["outcome"] == "ok"), "{rows:?}");
    let warnings = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}&level=warn")).await.1;
    assert_eq!(warnings["items"].as_array().unwrap().len(), 0, "no reply failure logged: {warnings}");
}

/// Where exactly-once ends by Discord's rule: op 9 with `d: false` ends the session, and events
/// sent while the bot was away from it are lost. botfleet counts each such loss, says so in the bot
/// log, and identifies again.
async fn a_session_discord_will_not_resume_is_counted_as_lost(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    assert_eq!(w.emulator.invalidate_sessions(Some(w.shop.application_id), false), 1);
    let lost = until("the loss in the bot log", 30, || async {
        let logs = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}&event=session_lost")).await.1;
        logs["items"].as_array().unwrap().first().cloned()
    })
    .await;
    assert!(
        lost["message"].as_str().unwrap().contains("events sent while the bot was disconnected are lost"),
        "{lost}"
    );
    until("a new session", 30, || async { (w.emulator.counters().counters.identifies == 2).then_some(()) }).await;
    w.running(id).await;
    let metrics = w.metrics().await;
    assert!(metrics.contains(&format!("botfleet_gateway_sessions_lost_total{{bot_id=\"{id}\"}} 1\n")), "{metrics}");
}

/// Discord bans an IP after 10,000 invalid requests (401, 403, 429) in 10 minutes: botfleet counts
/// the fleet's, in that window and since start (`/metrics`). A message to a channel the bot cannot
/// see is one (403, Missing Access); one to a channel that does not exist (404) is not.
async fn invalid_requests_to_discord_are_counted_fleet_wide(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    let elsewhere = w.emulator.create_guild("Not ours", w.alice).unwrap();
    let hidden = w.emulator.create_channel(elsewhere, "hidden").unwrap();
    for channel in [hidden.to_string(), hidden.to_string(), "123456789012345678".to_owned()] {
        let body = json!({"channel_id": channel, "content": "hello"});
        let (status, _) = w.app.post(&format!("/api/v1/bots/{id}/send-message"), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let metrics = w.metrics().await;
    assert!(metrics.contains("\nbotfleet_discord_invalid_requests 2\n"), "{metrics}");
    assert!(metrics.contains("\nbotfleet_discord_invalid_requests_total 2\n"), "{metrics}");
}

/// Each identify spends one of a bot's 1,000 session starts a day: a start identifies once, a stop
/// sends one close (ending the session) and identifies nothing, and neither does a shutdown (the
/// SIGTERM path), which keeps the session resumable.
async fn a_stop_identifies_nothing_and_neither_does_shutdown(w: World) {
    let second =
        w.emulator.create_application(ApplicationSpec { name: "Second".into(), ..Default::default() }).unwrap();
    w.emulator.add_member(w.guild, second.bot_user_id, vec![]).unwrap();
    let one = w.add_bot("Shop", &w.shop.token).await;
    let two = w.add_bot("Second", &second.token).await;
    w.start(one).await;
    w.start(two).await;
    let c = w.emulator.counters().counters;
    assert_eq!((c.identifies, c.connections), (2, 2), "one identify per start");

    let (status, body) = w.app.post(&format!("/api/v1/bots/{one}/stop"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("stopped")), "{body}");
    until("the stopped bot's session to end", 10, || async {
        w.emulator.sessions(Some(w.shop.application_id)).is_empty().then_some(())
    })
    .await;
    let c = w.emulator.counters().counters;
    assert_eq!((c.identifies, c.connections), (2, 2), "a stop connects and identifies nothing");

    let World { emulator, app, .. } = w;
    app.stop().await;
    let c = emulator.counters().counters;
    assert_eq!((c.identifies, c.connections), (2, 2), "shutdown connects and identifies nothing");
    let kept = emulator.sessions(Some(second.application_id));
    assert!(
        kept.len() == 1 && !kept[0].attached,
        "the running bot's connection was closed and its session left resumable for the next start: {kept:?}"
    );
}

async fn a_started_bot_answers_prefix_and_slash_commands_and_tracks_them(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    until("/ping to be registered", 30, || async {
        w.emulator.state().commands.contains_key(&w.shop.application_id).then_some(())
    })
    .await;

    let message = w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    let reply = until("the !ping reply", 30, || async { w.bot_replies(w.general).into_iter().next() }).await;
    assert!(reply.content.starts_with("Pong!"), "{}", reply.content);
    // Sent once per event: the reply's nonce is the message it answers (with enforce_nonce).
    assert_eq!(reply.nonce, Some(message.to_string()), "the reply carries its event's nonce");
    let started = w
        .emulator
        .user_interaction(
            w.shop.application_id,
            w.alice,
            w.general,
            UserAction::SlashCommand { name: "ping".into(), options: vec![] },
        )
        .unwrap();
    until("the /ping answer", 30, || async {
        w.emulator.interaction(started.interaction_id).unwrap().acknowledged.then_some(())
    })
    .await;
    w.emulator.user_message(w.alice, w.general, "!teleport now").unwrap();
    until("the friendly unknown-command reply", 30, || async {
        w.bot_replies(w.general).iter().any(|m| m.content.contains("I don't know `!teleport`")).then_some(())
    })
    .await;

    let rows = until("three tracked commands", 30, || async {
        let rows = w.command_logs(&format!("bot_id={id}")).await;
        (rows.len() == 3).then_some(rows)
    })
    .await;
    let (unknown, slash, prefix) = (&rows[0], &rows[1], &rows[2]);
    for row in [prefix, slash] {
        assert_eq!(row["command"], "ping");
        assert_eq!(row["outcome"], "ok");
        assert_eq!(row["user_id"], w.alice.to_string());
        assert_eq!(row["user_name"], "alice");
        assert_eq!(row["guild_id"], w.guild.to_string());
        assert_eq!(row["channel_id"], w.general.to_string());
        assert!(row["response"].as_str().unwrap().starts_with("Pong!"));
        assert!(row["latency_ms"].as_f64().unwrap() > 0.0 && row["responded_at"].is_string());
    }
    assert_eq!((prefix["kind"].as_str(), slash["kind"].as_str()), (Some("prefix"), Some("slash")));
    assert_eq!(
        (prefix["event_id"].as_str(), slash["event_id"].as_str()),
        (Some(message.to_string().as_str()), Some(started.interaction_id.to_string().as_str())),
        "the message id of a prefix command, the interaction id of a slash command"
    );
    assert_eq!(
        (unknown["command"].as_str(), unknown["arguments"].as_str(), unknown["outcome"].as_str()),
        (Some("teleport"), Some("now"), Some("error"))
    );
    let logs = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}&event=connected")).await.1;
    assert_eq!(logs["items"].as_array().unwrap().len(), 1);
    let (_, ready) = w.app.get("/api/v1/health/ready").await;
    assert_eq!(ready["fleet"]["running"], 1);
    let (_, list) = w.app.get("/api/v1/bots").await;
    assert_eq!(list["items"][0]["status"], "running", "the list shows live status too");
    let (_, latency) = w.app.get("/api/v1/fleet/latency").await;
    assert_eq!(latency["count"], 3);
}

async fn stop_and_restart_work_and_publish_their_status(w: World) {
    let mut events = w.app.events.subscribe();
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    let (status, body) = w.app.post(&format!("/api/v1/bots/{id}/stop"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("stopped")));
    assert_eq!(w.status(id).await["desired_state"], "stopped");
    until("the session to end", 10, || async {
        w.emulator.sessions(Some(w.shop.application_id)).is_empty().then_some(())
    })
    .await;
    let (status, _) = w.app.post(&format!("/api/v1/bots/{id}/restart"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    w.running(id).await;
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::BotStatus { bot_id, status, .. } = event {
            assert_eq!(bot_id, id);
            seen.push(status);
        }
    }
    assert_eq!(seen, ["starting", "running", "stopped", "starting", "running"]);
    assert_eq!(w.emulator.counters().counters.identifies, 2);
}

async fn a_bad_token_or_disallowed_intents_fail_once_with_a_reason(w: World) {
    let id = w.add_bot("Impostor", "MTIzNDU2Nzg5MDEyMzQ1Njc4.AbCdEf.thisIsNotAValidTokenForAnyBotAtAll1234").await;
    w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let bot = w.failed(id).await;
    assert!(bot["status_reason"].as_str().unwrap().contains("rejected the token"), "{bot}");
    let c = w.emulator.counters().counters;
    assert_eq!(c.connections, 0, "never reached the gateway");
    assert_eq!(c.rest_by_route.get("GET /gateway/bot"), Some(&1), "asked once, no retry loop");

    let plain = w
        .emulator
        .create_application(ApplicationSpec {
            name: "Plain".into(),
            message_content_intent: false,
            ..Default::default()
        })
        .unwrap();
    w.emulator.add_member(w.guild, plain.bot_user_id, vec![]).unwrap();
    let id = w.add_bot("Plain", &plain.token).await; // default intents include MESSAGE_CONTENT
    w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let bot = w.failed(id).await;
    assert!(bot["status_reason"].as_str().unwrap().contains("4014"), "{bot}");
    assert_eq!(w.emulator.counters().counters.connections, 1, "one connection, closed with 4014, never retried");
    let logs = until("the failure in the bot log", 10, || async {
        let logs = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}&level=error")).await.1;
        (!logs["items"].as_array().unwrap().is_empty()).then_some(logs)
    })
    .await;
    assert!(logs.to_string().contains("4014"));
}

async fn desired_state_survives_a_restart_of_the_service(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    let World { emulator, app, .. } = w;
    let app = app.restart().await;
    let bot = until("the bot to come back", 30, || async {
        let bot = app.get(&format!("/api/v1/bots/{id}")).await.1;
        (bot["status"] == "running").then_some(bot)
    })
    .await;
    assert_eq!(bot["desired_state"], "running");
    let c = emulator.counters().counters;
    assert_eq!((c.identifies, c.resumes), (1, 1), "the saved session was resumed");
}

async fn a_dropped_connection_resumes_and_a_command_sent_meanwhile_is_answered_once(w: World) {
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    w.emulator.close_connections(Some(w.shop.application_id), 4000);
    w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    until("the reply", 30, || async { (!w.bot_replies(w.general).is_empty()).then_some(()) }).await;
    until("the resume", 30, || async { (w.emulator.counters().counters.resumes == 1).then_some(()) }).await;
    w.emulator.user_message(w.alice, w.general, "!help").unwrap();
    until("the second reply", 30, || async { (w.bot_replies(w.general).len() == 2).then_some(()) }).await;
    let rows = until("two rows", 30, || async {
        let rows = w.command_logs(&format!("bot_id={id}")).await;
        (rows.len() == 2).then_some(rows)
    })
    .await;
    assert_eq!((rows[0]["command"].as_str(), rows[1]["command"].as_str()), (Some("help"), Some("ping")));
    assert_eq!(w.bot_replies(w.general).len(), 2, "the ping was answered once");
    let c = w.emulator.counters().counters;
    assert_eq!(c.identifies, 1, "resumed, not re-identified");
    assert_eq!(c.max_live_sessions_per_shard[&w.shop.application_id], 1);
}

/// Waits until a job has ended; returns it with its items.
async fn finished_job(app: &TestApp, id: i64) -> Value {
    until("the job to end", 60, || async {
        let job = app.get(&format!("/api/v1/jobs/{id}")).await.1;
        (!matches!(job["state"].as_str(), Some("queued" | "running"))).then_some(job)
    })
    .await
}

async fn bulk_actions_and_send_message(w: World) {
    let second =
        w.emulator.create_application(ApplicationSpec { name: "Second".into(), ..Default::default() }).unwrap();
    w.emulator.add_member(w.guild, second.bot_user_id, vec![]).unwrap();
    let a = w.add_bot("Shop", &w.shop.token).await;
    let b = w.add_bot("Second", &second.token).await;
    let (status, job) = w.app.post("/api/v1/bots/bulk", json!({"action": "start", "bot_ids": [a, b, 999]})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let done = finished_job(&w.app, job["id"].as_i64().unwrap()).await;
    assert_eq!(done["state"], "partial", "{done}");
    let items = done["items"]["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|i| i["state"].as_str().unwrap()).collect::<Vec<_>>(), ["ok", "ok", "failed"]);
    assert!(items[2]["error"].as_str().unwrap().contains("999"), "{done}");
    w.running(a).await;
    w.running(b).await;
    let (_, job) = w.app.post("/api/v1/bots/bulk", json!({"action": "stop", "bot_ids": [a, b]})).await;
    assert_eq!(finished_job(&w.app, job["id"].as_i64().unwrap()).await["state"], "succeeded");
    assert_eq!(w.status(a).await["status"], "stopped");
    let (status, body) = w.app.post("/api/v1/bots/bulk", json!({"action": "explode", "bot_ids": []})).await;
    assert_eq!((status, body["error"]["fields"].as_array().map(Vec::len)), (StatusCode::UNPROCESSABLE_ENTITY, Some(2)));

    let (status, sent) = w
        .app
        .post(
            &format!("/api/v1/bots/{a}/send-message"),
            json!({"channel_id": w.general.to_string(), "content": "Sale starts now!"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(w.bot_replies(w.general)[0].content, "Sale starts now!");
    let (status, body) = w
        .app
        .post(&format!("/api/v1/bots/{a}/send-message"), json!({"channel_id": "123456789012345678", "content": "x"}))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("discord")));
    assert!(body["error"]["message"].as_str().unwrap().contains("does not exist"), "{body}");
    let (status, body) = w
        .app
        .post(&format!("/api/v1/bots/{a}/send-message"), json!({"channel_id": w.general.to_string(), "content": " "}))
        .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("content"))
    );
    assert_eq!(w.bot_replies(w.general).len(), 1, "refused messages were not sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_tracking_off_commands_are_answered_but_not_recorded() {
    let w = world_with(Backend::Sqlite, |c| c.tracking = false).await.unwrap();
    let id = w.add_bot("Shop", &w.shop.token).await;
    w.start(id).await;
    w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    until("the reply", 30, || async { (!w.bot_replies(w.general).is_empty()).then_some(()) }).await;
    // Bot logs are still written (the connection), commands are not.
    until("the connected bot log", 30, || async {
        let logs = w.app.get(&format!("/api/v1/bot-logs?bot_id={id}")).await.1;
        (!logs["items"].as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    assert!(w.command_logs("").await.is_empty(), "DISCORD_ENABLE_TRACKING=false records no command");
}

/// A bot whose saved channel list cannot be read is not started as if it had none (which would
/// answer in every channel): the start is refused with the reason, and the bot shows it.
async fn a_bot_with_an_unreadable_channel_list_is_refused_not_widened(backend: Backend) {
    let Some(w) = world(backend).await else { return };
    let id = w.add_bot("Shop", &w.shop.token).await;
    sqlx::query("UPDATE bots SET channel_ids = 'not a list' WHERE id = $1")
        .bind(id)
        .execute(w.app.store.pool())
        .await
        .unwrap();
    let (status, body) = w.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "unreadable", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("channel list"), "{body}");
    let bot = w.status(id).await;
    assert_eq!(bot["status"], "failed", "{bot}");
    assert!(bot["status_reason"].as_str().unwrap().contains("channel list"), "{bot}");
    // Nothing answers: the bot never connected.
    w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    assert!(w.emulator.sessions(Some(w.shop.application_id)).is_empty(), "no gateway session was opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_bot_with_an_unreadable_channel_list_is_refused_not_widened() {
    a_bot_with_an_unreadable_channel_list_is_refused_not_widened(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_bot_with_an_unreadable_channel_list_is_refused_not_widened() {
    a_bot_with_an_unreadable_channel_list_is_refused_not_widened(Backend::Postgres).await;
}

/// A server that is not Discord (a wrong URL, a proxy's error page) is named as such: what it
/// answered (status, content type, first bytes, the path asked), on the bot's status while it
/// retries and in the config test — never "Discord could not be reached".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_discord_is_described_not_called_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let not_discord = axum::Router::new().fallback(|| async {
        (axum::http::StatusCode::BAD_REQUEST, [("content-type", "text/plain")], "no such route on this proxy")
    });
    tokio::spawn(async move { axum::serve(listener, not_discord).await });
    let app = TestApp::spawn_with(Backend::Sqlite, &url).await.unwrap();
    let token = common::token("shop");
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let id = bot["id"].as_i64().unwrap();

    let (_, report) = app.post(&format!("/api/v1/bots/{id}/test"), json!({})).await;
    let detail = report["checks"][0]["detail"].as_str().unwrap().to_owned();
    for words in ["not Discord's JSON", "400", "text/plain", "no such route on this proxy", "/api/v10/users/@me"] {
        assert!(detail.contains(words), "{words:?} in {detail}");
    }

    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let reason = until("the bot to say what answered", 30, || async {
        let bot = app.get(&format!("/api/v1/bots/{id}")).await.1;
        bot["status_reason"].as_str().filter(|r| r.contains("text/plain")).map(str::to_owned)
    })
    .await;
    for words in ["not Discord's JSON", "400", "no such route on this proxy", "/api/v10/gateway/bot"] {
        assert!(reason.contains(words), "{words:?} in {reason}");
    }
    assert!(!reason.contains(&token), "the token is not shown: {reason}");
    app.stop().await;
}
