//! Channel webhooks: created over the control API, executed with their token (`?wait=true`
//! returns the message), dispatched to bots, and told apart from interaction follow-ups that share
//! the path shape.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/raw.rs"]
mod raw;

use common::World;
use discord_emulator::UserAction;
use serde_json::{json, Value};

#[tokio::test]
async fn a_webhook_posts_into_its_channel_and_bots_see_it() {
    let w = World::start().await;
    let mut bot = raw::Raw::hello(w.emulator.gateway_url()).await;
    bot.ready(&w.app.token, 1 | (1 << 9) | (1 << 15)).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/_emulator/channels/{}/webhooks", w.emulator.http_url(), w.general))
        .json(&json!({"name": "Alerts"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!("{}{}", w.emulator.api_url(), created["path"].as_str().unwrap());
    let id = created["id"].as_u64().unwrap().to_string();

    let res = http
        .post(format!("{url}?wait=true"))
        .json(&json!({"content": "bot down", "username": "botfleet"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let message: Value = res.json().await.unwrap();
    assert_eq!(
        (message["webhook_id"].as_str(), message["author"]["username"].as_str()),
        (Some(id.as_str()), Some("botfleet"))
    );
    let seen = bot.dispatch("MESSAGE_CREATE").await;
    assert_eq!(seen["d"]["webhook_id"], id.as_str());
    assert_eq!(seen["d"]["content"], "bot down");

    let res =
        http.post(&url).json(&json!({"embeds": [{"title": "Recovered", "color": 3066993}]})).send().await.unwrap();
    assert_eq!(res.status(), 204, "without wait=true Discord answers 204");
    let stored = w.emulator.messages(w.general).unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].author_name, "botfleet");
    assert_eq!(stored[1].embeds[0]["title"], "Recovered");

    let fetched: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (fetched["name"].as_str(), fetched["channel_id"].as_str()),
        (Some("Alerts"), Some(w.general.to_string().as_str()))
    );
}

#[tokio::test]
async fn webhook_errors_and_interaction_followups_on_the_same_path_shape() {
    let w = World::start().await;
    let http = reqwest::Client::new();
    let hook = w.emulator.create_webhook(w.general, "Alerts").unwrap();
    let api = w.emulator.api_url();
    let post = |url: String, body: Value| {
        let http = http.clone();
        async move {
            let res = http.post(url).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = post(format!("{api}/webhooks/{}/wrong-token", hook.id), json!({"content": "x"})).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(50027)));
    let (status, body) = post(format!("{api}/webhooks/1/whatever"), json!({"content": "x"})).await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(10015)));
    let (status, body) = post(format!("{api}{}", hook.path), json!({"content": ""})).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50006)));
    let (status, body) = post(format!("{api}{}", hook.path), json!({"content": "x".repeat(2001)})).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
    assert!(w.emulator.messages(w.general).unwrap().is_empty(), "refused requests post nothing");
    assert!(w.emulator.create_webhook(w.general, "my discord hook").is_err(), "Discord refuses names with 'discord'");

    // An application id on the same path shape is an interaction follow-up.
    let app = w.app.application_id;
    let res = http
        .put(format!("{api}/applications/{app}/commands"))
        .header("Authorization", format!("Bot {}", w.app.token))
        .json(&json!([{"name": "ping", "description": "Pong"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let started = w
        .emulator
        .user_interaction(app, w.alice, w.general, UserAction::SlashCommand { name: "ping".into(), options: vec![] })
        .unwrap();
    let (status, _) =
        post(format!("{api}/interactions/{}/{}/callback", started.interaction_id, started.token), json!({"type": 5}))
            .await;
    assert_eq!(status, 204);
    let (status, body) = post(format!("{api}/webhooks/{app}/{}", started.token), json!({"content": "follow-up"})).await;
    assert_eq!((status, body["webhook_id"].as_str()), (200, Some(app.to_string().as_str())));
    let record = w.emulator.interaction(started.interaction_id).unwrap();
    assert_eq!(record.responses.last().unwrap().action, "followup");
}
