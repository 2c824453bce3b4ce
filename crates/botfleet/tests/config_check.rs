//! "Test this config" against the Discord emulator: a good config passes every check (the
//! application's verdict says whether botfleet's slash commands are registered yet); a bad token, a
//! privileged intent the application lacks and unknown or unreachable channels each fail their own
//! check with a clear reason. Also: no token ever reaches a log line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{captured_logs, Backend, TestApp};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Discord {
    emulator: Emulator,
    good: discord_emulator::ApplicationInfo,
    no_content: discord_emulator::ApplicationInfo,
    general: u64,
    elsewhere: u64,
}

async fn discord() -> Discord {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let good = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let no_content = emulator
        .create_application(ApplicationSpec {
            name: "Plain Bot".into(),
            message_content_intent: false,
            ..Default::default()
        })
        .unwrap();
    let owner = emulator.create_user("owner").unwrap();
    let guild = emulator.create_guild("Shop", owner).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, good.bot_user_id, vec![]).unwrap();
    emulator.add_member(guild, no_content.bot_user_id, vec![]).unwrap();
    let other = emulator.create_guild("Someone else's server", owner).unwrap();
    let elsewhere = emulator.create_channel(other, "private").unwrap();
    Discord { emulator, good, no_content, general, elsewhere }
}

fn checks(report: &Value) -> Vec<(String, bool, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["ok"].as_bool().unwrap(),
                c["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_config_passes_every_check_saved_or_not() {
    let d = discord().await;
    let app = TestApp::spawn_with(Backend::Sqlite, d.emulator.http_url()).await.unwrap();
    let config = json!({"token": d.good.token, "channel_ids": [d.general.to_string()]});
    let (status, report) = app.post("/api/v1/bots/test", config).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    let c = checks(&report);
    assert_eq!(
        c.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["token", "application", "intents", &format!("channel {}", d.general)]
    );
    assert!(c[0].2.contains("Shop Bot"));
    // Before the bot ever started, its slash commands are not registered yet: said, not failed.
    assert!(c[1].2.contains("slash commands managed") && c[1].2.contains("when the bot starts"), "{c:?}");
    assert!(c[3].2.contains("#general"));

    let (_, bot) = app
        .post("/api/v1/bots", json!({"name": "Shop", "token": d.good.token, "channel_ids": [d.general.to_string()]}))
        .await;
    let (status, saved) = app.post(&format!("/api/v1/bots/{}/test", bot["id"]), json!({})).await;
    assert_eq!((status, saved["ok"].as_bool()), (StatusCode::OK, Some(true)), "{saved}");
    // Once it has run, every slash command is registered.
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let registered = common::until("the bot's slash commands registered", 30, || async {
        let (_, report) = app.post(&format!("/api/v1/bots/{id}/test"), json!({})).await;
        let application = checks(&report)[1].clone();
        // "0 of botfleet's 4 … are registered (… when the bot starts)" comes first: wait for all.
        (application.2.contains(": botfleet's") && application.2.ends_with("are registered")).then_some(application)
    })
    .await;
    assert!(
        registered.1 && registered.2.contains(": botfleet's") && registered.2.ends_with("are registered"),
        "{registered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_part_fails_its_own_check_with_a_reason() {
    let d = discord().await;
    let app = TestApp::spawn_with(Backend::Sqlite, d.emulator.http_url()).await.unwrap();

    let wrong = "MTIzNDU2Nzg5MDEyMzQ1Njc4.AbCdEf.thisIsNotAValidTokenForAnyBotAtAll1234";
    let (_, report) =
        app.post("/api/v1/bots/test", json!({"token": wrong, "channel_ids": [d.general.to_string()]})).await;
    let c = checks(&report);
    assert_eq!(report["ok"], false);
    assert!(!c[0].1 && c[0].2.contains("rejected the token"), "{c:?}");
    assert!(c[1..].iter().all(|c| !c.1 && c.2.starts_with("skipped")), "{c:?}");
    assert!(!report.to_string().contains(wrong), "the token is not echoed");

    let (_, report) = app
        .post(
            "/api/v1/bots/test",
            json!({"token": d.no_content.token, "intents": ["GUILDS", "GUILD_MESSAGES", "MESSAGE_CONTENT"]}),
        )
        .await;
    let c = checks(&report);
    assert!(c[0].1, "{c:?}");
    assert!(c[1].1, "{c:?}");
    assert!(!c[2].1 && c[2].2.contains("MESSAGE_CONTENT") && c[2].2.contains("developer portal"), "{c:?}");

    let unknown = "123456789012345678";
    let (_, report) = app
        .post(
            "/api/v1/bots/test",
            json!({"token": d.good.token, "channel_ids": [unknown, d.elsewhere.to_string(), d.general.to_string()]}),
        )
        .await;
    let c = checks(&report);
    assert_eq!(report["ok"], false);
    assert!(c[0].1 && c[1].1 && c[2].1, "{c:?}");
    assert!(!c[3].1 && c[3].2.contains("does not exist"), "{c:?}");
    assert!(!c[4].1 && c[4].2.contains("cannot see it"), "{c:?}");
    assert!(c[5].1, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_unreachable_is_reported_not_crashed() {
    let app = TestApp::spawn_with(Backend::Sqlite, "http://127.0.0.1:9").await.unwrap();
    let (status, report) =
        app.post("/api/v1/bots/test", json!({"token": "MTIz.AbCdEf.thisIsNotAValidTokenForAnyBotAtAll1234"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(checks(&report)[0].2.contains("could not check the token"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_appears_in_any_log_line() {
    let d = discord().await;
    let app = TestApp::spawn_with(Backend::Sqlite, d.emulator.http_url()).await.unwrap();
    let (_, bot) = app
        .post("/api/v1/bots", json!({"name": "Logged", "token": d.good.token, "channel_ids": [d.general.to_string()]}))
        .await;
    app.post(&format!("/api/v1/bots/{}/test", bot["id"]), json!({})).await;
    app.post("/api/v1/bots/test", json!({"token": d.no_content.token})).await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/bots/{}/token", bot["id"]),
        Some(json!({"token": d.no_content.token})),
    )
    .await;
    app.post("/api/v1/bots", json!({"name": "Logged", "token": d.good.token})).await; // 409
    app.post("/api/v1/bots", json!({"name": "", "token": d.good.token})).await; // 422
    let logs = captured_logs();
    assert!(logs.contains("bot created"), "logging was captured");
    for token in [&d.good.token, &d.no_content.token] {
        assert!(!logs.contains(token.as_str()), "a token reached the logs");
        let secret_part = token.rsplit('.').next().unwrap();
        assert!(!logs.contains(secret_part), "part of a token reached the logs");
    }
}
