//! Channels by name, on SQLite and PostgreSQL: `GET /bots/{id}/guilds` lists the servers a bot is
//! in, each with the channels it sees and whether it may post there (Discord's permission
//! calculation: roles and overwrites), paged with a cursor; a channel made or changed while the bot
//! runs shows at once (the gateway's `CHANNEL_*` drops what was kept); bad paging and unknown bots
//! are clear errors. Per-server settings (`/bots/{id}/server-settings`): a server's own prefix,
//! channels and anti-spam limits override the bot's there and a running bot applies a change at
//! once; versions, validation, audit rows and removal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{until, Backend, TestApp};
use discord_emulator::{EmulatorConfig, Overwrite};
use reqwest::StatusCode;
use serde_json::{json, Value};

const VIEW_CHANNEL: u64 = 1 << 10;
const SEND_MESSAGES: u64 = 1 << 11;

/// `(name, type, can_post)` of a listed server's channels.
fn channels(server: &Value) -> Vec<(String, String, bool)> {
    server["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["name"].as_str().unwrap().to_owned(), c["type"].as_str().unwrap().to_owned(), c["can_post"] == true)
        })
        .collect()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

both!(
    a_bots_servers_are_listed_with_the_channels_it_may_post_in,
    per_server_settings_override_the_bots_and_a_running_bot_applies_them_at_once
);

async fn a_bots_servers_are_listed_with_the_channels_it_may_post_in(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::default()).await;
    let e = &w.emulator;
    // In the shop's server: a read-only announcements channel, a staff channel the bot cannot see,
    // and a channel only the bot's role may post in.
    let news = e.create_channel(w.guild, "news").unwrap();
    e.set_overwrite(news, Overwrite { id: w.guild, kind: 0, allow: 0, deny: SEND_MESSAGES }).unwrap();
    let staff = e.create_channel(w.guild, "staff").unwrap();
    e.set_overwrite(staff, Overwrite { id: w.guild, kind: 0, allow: 0, deny: VIEW_CHANNEL }).unwrap();
    let wholesale = e.create_guild("Wholesale", w.alice).unwrap();
    let role = e.create_role(wholesale, "Bots", 0).unwrap();
    let orders = e.create_channel(wholesale, "orders").unwrap();
    e.set_overwrite(orders, Overwrite { id: wholesale, kind: 0, allow: 0, deny: SEND_MESSAGES }).unwrap();
    e.set_overwrite(orders, Overwrite { id: role, kind: 0, allow: SEND_MESSAGES, deny: 0 }).unwrap();
    e.add_member(wholesale, w.shop.bot_user_id, vec![role]).unwrap();
    // A server the bot is not in.
    e.create_guild("Elsewhere", w.alice).unwrap();

    let Some(app) = TestApp::spawn_with(backend, e.http_url()).await else { return };
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": w.shop.token})).await;
    let id = bot["id"].as_i64().unwrap();
    let (status, page) = app.get(&format!("/api/v1/bots/{id}/guilds")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let servers = page["items"].as_array().unwrap();
    let names: Vec<&str> = servers.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Shop", "Wholesale"], "{page}");
    assert_eq!(servers[0]["id"], w.guild.to_string());
    let t = |n: &str, post: bool| (n.to_owned(), "text".to_owned(), post);
    assert_eq!(channels(&servers[0]), [t("general", true), t("news", false)], "staff is hidden");
    assert_eq!(channels(&servers[1]), [t("orders", true)], "the bot's role may post");
    assert_eq!(servers[0]["channels"][0]["id"], w.general.to_string());
    assert!(page["next_cursor"].is_null());

    // A bot being added (not saved): the same list, by its token; nothing is stored.
    let (status, unsaved) = app.post("/api/v1/bots/guilds", json!({"token": w.shop.token})).await;
    assert_eq!(status, StatusCode::OK, "{unsaved}");
    assert_eq!(unsaved["items"], page["items"]);
    let (status, _) = app.post("/api/v1/bots/guilds", json!({"token": "not a token"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = "MTIzNDU2Nzg5MDEyMzQ1Njc4.AbCdEf.thisIsNotAValidTokenForAnyBotAtAll1234";
    let (status, refused) = app.post("/api/v1/bots/guilds", json!({"token": wrong})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("discord")),
        "{refused}"
    );
    assert!(refused["error"]["message"].as_str().unwrap().contains("401"), "{refused}");
    assert!(!refused.to_string().contains(wrong), "the token is not echoed");

    // Paged: one server per page.
    let (_, first) = app.get(&format!("/api/v1/bots/{id}/guilds?limit=1")).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app.get(&format!("/api/v1/bots/{id}/guilds?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["name"], "Wholesale");
    assert!(second["next_cursor"].is_null());

    // While the bot runs, a channel made or opened to it shows at once (not after a minute).
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    until("the bot running", 30, || async {
        (app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
    })
    .await;
    e.create_channel(wholesale, "restocks").unwrap();
    e.set_overwrite(staff, Overwrite { id: w.shop.bot_user_id, kind: 1, allow: VIEW_CHANNEL, deny: 0 }).unwrap();
    until("the new and the opened channel listed", 30, || async {
        let (_, page) = app.get(&format!("/api/v1/bots/{id}/guilds")).await;
        let servers = page["items"].as_array()?;
        let shop = channels(&servers[0]);
        let wholesale = channels(&servers[1]);
        (shop.contains(&t("staff", true)) && wholesale.contains(&t("restocks", true))).then_some(())
    })
    .await;

    // Bad paging and unknown bots.
    let (status, body) = app.get(&format!("/api/v1/bots/{id}/guilds?limit=0")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.get(&format!("/api/v1/bots/{id}/guilds?cursor=forged")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app.get("/api/v1/bots/999999/guilds").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

/// Waits for the bot's first reply to a message.
async fn answer(e: &discord_emulator::Emulator, channel: u64, message: u64) -> String {
    until("the command answered", 30, || async { replies(e, channel, message).first().cloned() }).await
}

/// The bot's replies to a message (a reply's nonce is the id of the message it answers).
fn replies(e: &discord_emulator::Emulator, channel: u64, message: u64) -> Vec<String> {
    let nonce = message.to_string();
    e.messages(channel)
        .unwrap()
        .into_iter()
        .filter(|m| m.author_is_bot && m.nonce.as_deref() == Some(nonce.as_str()))
        .map(|m| m.content)
        .collect()
}

async fn per_server_settings_override_the_bots_and_a_running_bot_applies_them_at_once(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::default()).await;
    let e = &w.emulator;
    let wholesale = e.create_guild("Wholesale", w.alice).unwrap();
    let orders = e.create_channel(wholesale, "orders").unwrap();
    let chat = e.create_channel(wholesale, "chat").unwrap();
    e.add_member(wholesale, w.shop.bot_user_id, vec![]).unwrap();
    let Some(app) = TestApp::spawn_with(backend, e.http_url()).await else { return };
    let body = json!({"name": "Shop", "token": w.shop.token, "anti_spam": {"enabled": false}});
    let (_, bot) = app.post("/api/v1/bots", body).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    until("the bot running", 30, || async {
        (app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
    })
    .await;
    let settings = format!("/api/v1/bots/{id}/server-settings/{wholesale}");
    let (status, none) = app.get(&settings).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{none}");

    // Wholesale gets its own prefix, one channel and a strict limit; the running bot applies them.
    let put = json!({"version": 0, "prefix": "?", "channel_ids": [orders.to_string()],
        "anti_spam": {"enabled": true, "max_commands": 1, "per_seconds": 60}});
    let (status, saved) = app.call(reqwest::Method::PUT, &settings, Some(put.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!((saved["version"].as_i64(), saved["prefix"].as_str()), (Some(1), Some("?")));
    assert_eq!(saved["channel_ids"], json!([orders.to_string()]));
    // Left out: the bot's values when saved.
    assert_eq!(saved["anti_spam"]["cooldown_seconds"], 30, "{saved}");
    let ask = |channel: u64, text: &str| e.user_message(w.alice, channel, text).unwrap();
    let there = ask(orders, "?ping");
    assert!(answer(e, orders, there).await.to_lowercase().contains("pong"));
    // The second command within the minute is limited in Wholesale, not in the shop's server.
    let again = ask(orders, "?ping");
    assert!(answer(e, orders, again).await.contains("Slow down"), "the server's own limit");
    let home = ask(w.general, "!ping");
    let home2 = ask(w.general, "!ping");
    assert!(answer(e, w.general, home).await.to_lowercase().contains("pong"));
    assert!(answer(e, w.general, home2).await.to_lowercase().contains("pong"), "the bot's own limits: off");
    // The bot's prefix in Wholesale, and the server's prefix in another channel or server: ignored.
    let ignored = [ask(orders, "!ping"), ask(chat, "?ping"), ask(w.general, "?ping")];
    let last = ask(w.general, "!ping");
    answer(e, w.general, last).await;
    assert!(replies(e, orders, ignored[0]).is_empty() && replies(e, chat, ignored[1]).is_empty());
    assert!(replies(e, w.general, ignored[2]).is_empty());

    // Versions, validation, listing and the audit trail.
    let (status, stale) = app.call(reqwest::Method::PUT, &settings, Some(put.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let bad = json!({"version": 1, "prefix": "far too long", "low_stock_channel_id": "42",
        "anti_spam": {"cooldown_seconds": 600, "max_cooldown_seconds": 60}});
    let (status, refused) = app.call(reqwest::Method::PUT, &settings, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"prefix") && fields.contains(&"anti_spam.max_cooldown_seconds"), "{refused}");
    assert!(fields.contains(&"low_stock_channel_id"), "{refused}");
    let (_, listed) = app.get(&format!("/api/v1/bots/{id}/server-settings")).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["guild_id"], wholesale.to_string());
    let (_, one) = app.get(&settings).await;
    assert_eq!(one, saved);
    let (_, audit) = app.get("/api/v1/audit-logs?action=bots.server_settings").await;
    let row = &audit["items"][0];
    assert_eq!(row["changes"]["prefix"], json!({"old": null, "new": "?"}), "{audit}");
    assert_eq!(row["changes"]["guild_id"], wholesale.to_string());

    // Removed: the bot's prefix and channels apply in Wholesale again, at once.
    let (status, _) = app.call(reqwest::Method::DELETE, &settings, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let back = ask(chat, "!ping");
    assert!(answer(e, chat, back).await.to_lowercase().contains("pong"));
    let (status, _) = app.call(reqwest::Method::DELETE, &settings, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/bots/999999/server-settings").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
