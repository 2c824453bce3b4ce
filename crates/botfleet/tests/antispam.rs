//! Anti-spam end to end, on SQLite and on PostgreSQL: the service and the Discord emulator, with a
//! manual clock stepped instead of waiting. A user flooding `!ping` gets one "slow down" and
//! `denied` rows (one security event per cooldown), others are unaffected, the cooldown ends and
//! escalates; a flooding slash user gets ephemeral replies; the settings are shown, validated,
//! changed, and reach the running bot.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::audit::{AuditQuery, AuditRow};
use botfleet::time::Clock;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig, RouteLimit, UserAction};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    bob: u64,
    guild: u64,
    general: u64,
    clock: Clock,
    app: TestApp,
}

async fn world(backend: Backend) -> Option<World> {
    // Discord's 5 messages per 5 s per channel (and one identify per 5 s, on restart) would make
    // the bot wait for real seconds; the limits under test are botfleet's own.
    let mut config = EmulatorConfig { identify_window: Duration::from_millis(200), ..EmulatorConfig::default() };
    config.route_limits.retain(|r| r.route != "/channels/{channel_id}/messages" || r.method != "POST");
    config.route_limits.push(RouteLimit::new("POST", "/channels/{channel_id}/messages", 1000, Duration::from_secs(1)));
    let emulator = Emulator::start(config).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let bob = emulator.create_user("bob").unwrap();
    let guild = emulator.create_guild("Demo Shop", alice).unwrap();
    emulator.add_member(guild, bob, vec![]).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let start = botfleet::time::now_ms();
    let clock = Clock::manual(start);
    let shared = clock.clone();
    let app = TestApp::spawn_configured(backend, emulator.http_url(), |c| c.clock = shared).await?;
    Some(World { emulator, shop, alice, bob, guild, general, clock, app })
}

impl World {
    /// Adds the shop bot with `extra` fields in the request.
    async fn add_bot(&self, extra: Value) -> i64 {
        let mut body = json!({"name": "Shop", "token": self.shop.token});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let (status, bot) = self.app.post("/api/v1/bots", body).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        bot["id"].as_i64().unwrap()
    }

    async fn start(&self, id: i64, action: &str) {
        let (status, body) = self.app.post(&format!("/api/v1/bots/{id}/{action}"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        until("the bot to run", 30, || async {
            (self.app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
        })
        .await;
    }

    /// A user's tracked commands, newest first, once there are `n`.
    async fn rows(&self, user: u64, n: usize) -> Vec<Value> {
        until(&format!("{n} tracked commands"), 30, || async {
            let page = self.app.get(&format!("/api/v1/command-logs?user_id={user}&limit=500")).await.1;
            let rows = page["items"].as_array().cloned().unwrap_or_default();
            (rows.len() >= n).then_some(rows)
        })
        .await
    }

    async fn cooldowns(&self) -> Vec<AuditRow> {
        let query = AuditQuery { action: Some("antispam.cooldown".into()), ..Default::default() };
        botfleet::audit::list(&self.app.store, &query).await.unwrap().items
    }

    /// The security events of `n` cooldowns, newest first.
    async fn wait_cooldowns(&self, n: usize) -> Vec<AuditRow> {
        until(&format!("{n} cooldown events"), 30, || async {
            let rows = self.cooldowns().await;
            (rows.len() >= n).then_some(rows)
        })
        .await
    }

    fn bot_replies(&self) -> Vec<String> {
        let messages = self.emulator.messages(self.general).unwrap();
        messages.into_iter().filter(|m| m.author_is_bot).map(|m| m.content).collect()
    }

    fn flood(&self, user: u64, n: usize) {
        for _ in 0..n {
            self.emulator.user_message(user, self.general, "!ping").unwrap();
        }
    }

    fn slash(&self, user: u64) -> u64 {
        let action = UserAction::SlashCommand { name: "ping".into(), options: vec![] };
        self.emulator.user_interaction(self.shop.application_id, user, self.general, action).unwrap().interaction_id
    }
}

fn count(rows: &[Value], outcome: &str) -> usize {
    rows.iter().filter(|r| r["outcome"] == outcome).count()
}

fn slow_downs(replies: &[String]) -> Vec<&String> {
    replies.iter().filter(|r| r.starts_with("Slow down")).collect()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    a_prefix_flood_gets_one_slow_down_then_silence_and_escalates,
    a_slash_flood_gets_ephemeral_slow_downs,
    anti_spam_settings_are_shown_validated_and_changed,
    the_settings_reach_the_running_bot,
);

async fn a_prefix_flood_gets_one_slow_down_then_silence_and_escalates(w: World) {
    let id = w.add_bot(json!({})).await; // defaults: 5 commands per 10 s, 30 s cooldown
    w.start(id, "start").await;

    w.flood(w.alice, 12);
    let rows = w.rows(w.alice, 12).await;
    assert_eq!((rows.len(), count(&rows, "ok"), count(&rows, "denied")), (12, 5, 7), "{rows:?}");
    let replies = w.bot_replies();
    assert_eq!(replies.iter().filter(|r| r.starts_with("Pong!")).count(), 5, "{replies:?}");
    assert_eq!(slow_downs(&replies), ["Slow down, alice: try again in 30 s."]);
    assert_eq!(replies.len(), 6, "nothing else was sent: {replies:?}");
    let denied: Vec<&Value> = rows.iter().filter(|r| r["outcome"] == "denied").collect();
    let answered: Vec<&&Value> = denied.iter().filter(|r| r["responded_at"].is_string()).collect();
    assert_eq!(answered.len(), 1, "one denied command was answered");
    assert_eq!(answered[0]["response"], "Slow down, alice: try again in 30 s.");
    assert!(denied.iter().all(|r| r["command"] == "ping" && r["kind"] == "prefix" && r["error"].is_string()));
    let (_, page) = w.app.get(&format!("/api/v1/command-logs?outcome=denied&bot_id={id}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 7, "the outcome filter finds them");

    let events = w.wait_cooldowns(1).await;
    let event = &events[0];
    assert_eq!((event.kind.as_str(), event.actor_type.as_str()), ("security", "discord_user"));
    assert_eq!((event.actor_id.clone(), event.actor_name.as_deref()), (Some(w.alice.to_string()), Some("alice")));
    assert_eq!((event.target_type.as_deref(), event.target_id.clone()), (Some("bot"), Some(id.to_string())));
    let detail = event.detail.clone().unwrap();
    assert_eq!(detail["cooldown_seconds"], 30);
    assert_eq!(detail["level"], 1);
    assert_eq!(detail["guild_id"], w.guild.to_string());
    assert_eq!(detail["channel_id"], w.general.to_string());
    assert_eq!(detail["user_id"], w.alice.to_string());

    // Bob is not limited by Alice's flood; Alice, still in her cooldown, gets silence.
    w.emulator.user_message(w.bob, w.general, "!ping").unwrap();
    let bob = w.rows(w.bob, 1).await;
    assert_eq!(bob[0]["outcome"], "ok");
    w.flood(w.alice, 1);
    let rows = w.rows(w.alice, 13).await;
    assert_eq!(rows[0]["outcome"], "denied");
    assert!(rows[0]["error"].as_str().unwrap().contains("s left"), "{}", rows[0]);
    let replies = w.bot_replies();
    assert_eq!((replies.len(), replies[6].starts_with("Pong!")), (7, true), "only Bob was answered: {replies:?}");

    // After the cooldown Alice is answered again; flooding again doubles the cooldown.
    w.clock.advance(Duration::from_secs(31));
    w.flood(w.alice, 1);
    let rows = w.rows(w.alice, 14).await;
    assert_eq!(rows[0]["outcome"], "ok");
    w.flood(w.alice, 12);
    let rows = w.rows(w.alice, 26).await;
    let latest = &rows[..12];
    assert_eq!((count(latest, "ok"), count(latest, "denied")), (4, 8), "{latest:?}");
    let replies = w.bot_replies();
    assert_eq!(slow_downs(&replies), ["Slow down, alice: try again in 30 s.", "Slow down, alice: try again in 60 s."]);
    assert_eq!(replies.iter().filter(|r| r.starts_with("Pong!")).count(), 5 + 1 + 1 + 4);
    let events = w.wait_cooldowns(2).await;
    let detail = events[0].detail.clone().unwrap();
    assert_eq!((detail["cooldown_seconds"].as_u64(), detail["level"].as_u64()), (Some(60), Some(2)));
    assert_eq!(w.cooldowns().await.len(), 2, "one security event per cooldown, not per message");
}

async fn a_slash_flood_gets_ephemeral_slow_downs(w: World) {
    let id = w.add_bot(json!({})).await;
    w.start(id, "start").await;
    until("/ping to be registered", 30, || async {
        w.emulator.state().commands.contains_key(&w.shop.application_id).then_some(())
    })
    .await;

    let ids: Vec<u64> = (0..12).map(|_| w.slash(w.alice)).collect();
    let answers = until("every interaction answered", 30, || async {
        let records: Vec<_> = ids.iter().map(|i| w.emulator.interaction(*i).unwrap()).collect();
        records.iter().all(|r| r.acknowledged).then_some(records)
    })
    .await;
    let mut ephemeral = Vec::new();
    let mut public = Vec::new();
    for record in &answers {
        assert_eq!(record.responses.len(), 1, "answered once: {record:?}");
        let response = &record.responses[0];
        assert_eq!(response.callback_type, Some(4));
        let flags = response.data["flags"].as_u64().unwrap_or(0);
        let content = response.data["content"].as_str().unwrap().to_owned();
        if flags & 64 != 0 {
            ephemeral.push(content)
        } else {
            public.push(content)
        }
    }
    assert_eq!(public.len(), 5, "{public:?}");
    assert!(public.iter().all(|c| c.starts_with("Pong!")), "{public:?}");
    assert_eq!(
        ephemeral,
        vec!["Slow down: try again in 30 s."; 7],
        "every limited slash command is answered privately"
    );

    let rows = w.rows(w.alice, 12).await;
    assert_eq!((count(&rows, "ok"), count(&rows, "denied")), (5, 7));
    assert!(rows
        .iter()
        .filter(|r| r["outcome"] == "denied")
        .all(|r| r["kind"] == "slash" && r["responded_at"].is_string()));
    w.wait_cooldowns(1).await;

    // Bob's /ping is answered as usual, in public.
    let bob = w.slash(w.bob);
    let record = until("Bob's answer", 30, || async {
        let record = w.emulator.interaction(bob).unwrap();
        record.acknowledged.then_some(record)
    })
    .await;
    let data = &record.responses[0].data;
    assert!(data["content"].as_str().unwrap().starts_with("Pong!"), "{data}");
    assert_eq!(data["flags"].as_u64().unwrap_or(0) & 64, 0);
    assert_eq!(w.rows(w.bob, 1).await[0]["outcome"], "ok");
    assert_eq!(w.cooldowns().await.len(), 1, "one security event for the one cooldown");
}

async fn anti_spam_settings_are_shown_validated_and_changed(w: World) {
    let defaults = json!({"enabled": true, "max_commands": 5, "per_seconds": 10, "cooldown_seconds": 30, "max_cooldown_seconds": 600});
    let id = w.add_bot(json!({})).await;
    let (_, bot) = w.app.get(&format!("/api/v1/bots/{id}")).await;
    assert_eq!(bot["anti_spam"], defaults);

    let (status, other) = w
        .app
        .post(
            "/api/v1/bots",
            json!({"name": "Other", "token": common::token("as"), "anti_spam": {"max_commands": 3, "enabled": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_eq!(
        other["anti_spam"],
        json!({"enabled": false, "max_commands": 3, "per_seconds": 10, "cooldown_seconds": 30, "max_cooldown_seconds": 600})
    );

    let bad = json!({"max_commands": 0, "per_seconds": 99999, "cooldown_seconds": 0, "max_cooldown_seconds": -5});
    let (status, body) =
        w.app.post("/api/v1/bots", json!({"name": "Bad", "token": common::token("bd"), "anti_spam": bad})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "anti_spam.max_commands",
            "anti_spam.per_seconds",
            "anti_spam.cooldown_seconds",
            "anti_spam.max_cooldown_seconds"
        ]
    );
    let (status, body) = w
        .app
        .post("/api/v1/bots", json!({"name": "Bad", "token": common::token("bd"), "anti_spam": {"burst": 3}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown fields are refused: {body}");

    // PATCH changes the fields it names and keeps the others.
    let path = format!("/api/v1/bots/{id}");
    let version = bot["version"].as_i64().unwrap();
    let (status, patched) = w
        .app
        .call(Method::PATCH, &path, Some(json!({"version": version, "anti_spam": {"cooldown_seconds": 60}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let mut expected = defaults.clone();
    expected["cooldown_seconds"] = json!(60);
    assert_eq!(patched["anti_spam"], expected);
    assert_eq!(patched["version"], version + 1);

    // Checked against what is stored: 900 s is longer than the stored 600 s maximum.
    let change = json!({"version": version + 1, "anti_spam": {"cooldown_seconds": 900}});
    let (status, body) = w.app.call(Method::PATCH, &path, Some(change)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "anti_spam.max_cooldown_seconds");
    let change = json!({"version": version + 1, "anti_spam": {"cooldown_seconds": 900, "max_cooldown_seconds": 1800}});
    let (status, body) = w.app.call(Method::PATCH, &path, Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, bot) = w.app.get(&path).await;
    assert_eq!(
        (bot["anti_spam"]["cooldown_seconds"].as_u64(), bot["version"].as_i64()),
        (Some(900), Some(version + 2))
    );

    let (_, doc) = w.app.get("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["AntiSpamConfig"]["properties"]["max_cooldown_seconds"].is_object(), "{schemas}");
    assert!(schemas["BotView"]["properties"]["anti_spam"].is_object());
    assert!(schemas["UpdateBot"]["properties"]["anti_spam"].is_object());
}

async fn the_settings_reach_the_running_bot(w: World) {
    let id = w.add_bot(json!({"anti_spam": {"enabled": false}})).await;
    w.start(id, "start").await;
    w.flood(w.alice, 8);
    let rows = w.rows(w.alice, 8).await;
    assert_eq!(count(&rows, "ok"), 8, "anti-spam off: every command answered");

    let (_, bot) = w.app.get(&format!("/api/v1/bots/{id}")).await;
    let change =
        json!({"version": bot["version"], "anti_spam": {"enabled": true, "max_commands": 2, "cooldown_seconds": 5}});
    let (status, body) = w.app.call(Method::PATCH, &format!("/api/v1/bots/{id}"), Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.start(id, "restart").await;
    w.flood(w.alice, 3);
    let rows = w.rows(w.alice, 11).await;
    assert_eq!((count(&rows[..3], "ok"), count(&rows[..3], "denied")), (2, 1));
    let replies = w.bot_replies();
    assert_eq!(slow_downs(&replies), ["Slow down, alice: try again in 5 s."], "the new settings apply");
}
