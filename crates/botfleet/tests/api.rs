//! The admin API against the real service, on SQLite and on PostgreSQL (a fresh database per
//! test): bot CRUD with field errors, optimistic concurrency, tokens kept secret, log filters,
//! `q`, stable cursor pagination, and a clear 4xx that changes nothing for bad input everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::logs::bot_logs::{self, BotLogRecord};
use botfleet::logs::commands::{self, CommandKind, CommandRecord, Outcome};
use common::{token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    bots_are_created_read_listed_updated_and_deleted,
    invalid_fields_are_reported_one_by_one_and_nothing_is_saved,
    a_stale_update_is_refused_with_409,
    the_token_is_replaced_only_through_its_route_and_never_shown,
    command_logs_filter_search_and_page_stably_while_rows_arrive,
    a_command_event_is_stored_once_per_bot_and_found_by_its_id,
    bot_logs_filter_and_page,
    bad_input_on_every_endpoint_gets_a_clear_4xx_and_changes_nothing,
    health_readiness_and_the_openapi_document,
    the_database_holds_tokens_only_encrypted,
    the_same_mistake_gets_the_same_status_on_every_list_route,
    a_whole_number_written_with_a_point_is_taken_in_every_body,
    readiness_checks_are_what_the_document_says,
);

fn new_bot(name: &str) -> Value {
    json!({"name": name, "token": token("a"), "channel_ids": ["123456789012345678"]})
}

async fn bots_are_created_read_listed_updated_and_deleted(app: TestApp) {
    let (status, bot) = app.post("/api/v1/bots", new_bot("Shop Bot")).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    assert_eq!(
        (bot["name"].as_str(), bot["prefix"].as_str(), bot["version"].as_i64()),
        (Some("Shop Bot"), Some("!"), Some(1))
    );
    assert_eq!(bot["intents"], json!(["GUILDS", "GUILD_MESSAGES", "DIRECT_MESSAGES", "MESSAGE_CONTENT"]));
    let id = bot["id"].as_i64().unwrap();
    let (status, got) = app.get(&format!("/api/v1/bots/{id}")).await;
    assert_eq!((status, &got), (StatusCode::OK, &bot));
    app.post("/api/v1/bots", new_bot("Second")).await;
    let (_, list) = app.get("/api/v1/bots").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, page) = app.get("/api/v1/bots?limit=1").await;
    let (_, next) = app.get(&format!("/api/v1/bots?limit=1&cursor={}", page["next_cursor"].as_str().unwrap())).await;
    assert_eq!(next["items"][0]["name"], "Second");
    assert!(next["next_cursor"].is_null());

    let (status, updated) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/bots/{id}"),
            Some(json!({"version": 1, "prefix": "?", "intents": ["GUILDS"], "channel_ids": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!((updated["prefix"].as_str(), updated["version"].as_i64()), (Some("?"), Some(2)));
    assert_eq!((updated["intents"].clone(), updated["channel_ids"].clone()), (json!(["GUILDS"]), json!([])));
    assert_eq!(updated["name"], "Shop Bot", "fields not sent stay as they were");

    let (status, body) = app.post("/api/v1/bots", new_bot("Shop Bot")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/bots/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&format!("/api/v1/bots/{id}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

async fn invalid_fields_are_reported_one_by_one_and_nothing_is_saved(app: TestApp) {
    let bad = json!({"name": "", "token": "nope", "prefix": "far too long", "intents": ["GUILDS", "TELEPATHY"], "channel_ids": ["12", 7]});
    let (status, body) = app.post("/api/v1/bots", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation");
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "token", "prefix", "intents[1]", "channel_ids[0]", "channel_ids[1]"]);
    assert!(body["error"]["fields"].as_array().unwrap().iter().all(|f| !f["message"].as_str().unwrap().is_empty()));
    let (_, list) = app.get("/api/v1/bots").await;
    assert_eq!(list["items"], json!([]));
    let (_, bot) = app.post("/api/v1/bots", new_bot("Good")).await;
    let (status, body) =
        app.call(Method::PATCH, &format!("/api/v1/bots/{}", bot["id"]), Some(json!({"version": 1, "name": " "}))).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let (_, same) = app.get(&format!("/api/v1/bots/{}", bot["id"])).await;
    assert_eq!(same, bot);
}

async fn a_stale_update_is_refused_with_409(app: TestApp) {
    let (_, bot) = app.post("/api/v1/bots", new_bot("Shared")).await;
    let path = format!("/api/v1/bots/{}", bot["id"]);
    let (first, _) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "prefix": "$"}))).await;
    let (second, body) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "prefix": "%"}))).await;
    assert_eq!((first, second), (StatusCode::OK, StatusCode::CONFLICT));
    assert!(body["error"]["message"].as_str().unwrap().contains("current version is 2"), "{body}");
    let (_, now) = app.get(&path).await;
    assert_eq!(
        (now["prefix"].as_str(), now["version"].as_i64()),
        (Some("$"), Some(2)),
        "the second admin overwrote nothing"
    );
}

async fn the_token_is_replaced_only_through_its_route_and_never_shown(app: TestApp) {
    let secret = token("keep");
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Secretive", "token": secret})).await;
    assert!(!bot.to_string().contains(&secret));
    assert_eq!(bot["token_hint"], format!("****{}", &secret[secret.len() - 4..]));
    let path = format!("/api/v1/bots/{}", bot["id"]);
    let (status, body) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "token": token("b")}))).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("token"))
    );
    let fresh = format!("{}WXYZ", token("new"));
    let (status, replaced) = app.call(Method::PUT, &format!("{path}/token"), Some(json!({"token": fresh}))).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!((replaced["token_hint"].as_str(), replaced["version"].as_i64()), (Some("****WXYZ"), Some(2)));
    let (status, _) =
        app.call(Method::PUT, &format!("{path}/token"), Some(json!({"token": token("c"), "version": 1}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, list) = app.get("/api/v1/bots").await;
    assert!(!list.to_string().contains(&fresh) && !list.to_string().contains(&secret));
    let stored = botfleet::bots::repo::token(&app.store, &cipher(&app), bot["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(stored.expose(), fresh);
}

fn cipher(app: &TestApp) -> botfleet::secrets::TokenCipher {
    botfleet::secrets::TokenCipher::load(None, app.dir.path()).unwrap()
}

fn record(i: i64, bot: i64, command: &str, args: &str, outcome: &'static str, at: i64) -> CommandRecord {
    let kind = if i % 2 == 0 { CommandKind::Slash } else { CommandKind::Prefix };
    let mut r = CommandRecord::new(bot, kind, at, command, args.into()).from(
        1_000_000_000_000_000_000 + u64::try_from(i).unwrap(),
        Some(111_111_111_111_111_111 + u64::try_from(i % 2).unwrap()),
        222_222_222_222_222_222 + u64::try_from(i % 3).unwrap(),
        333_333_333_333_333_333 + u64::try_from(i % 4).unwrap(),
        &format!("user{}", i % 4),
    );
    r.responded_at = Some(at + 3);
    r.reply("pong");
    r.latency_us = Some(1500);
    r.outcome = Outcome::parse(outcome).unwrap();
    r.error = (outcome == "error").then(|| "Discord said no".into());
    r
}

async fn collect_pages(app: &TestApp, query: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) = app.get(&format!("/api/v1/command-logs?limit={limit}{query}{c}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        ids.extend(page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

async fn command_logs_filter_search_and_page_stably_while_rows_arrive(app: TestApp) {
    let t0 = 1_800_000_000_000;
    let mut rows: Vec<CommandRecord> = (0..25).map(|i| record(i, 1 + i % 2, "ping", "", "ok", t0 + i * 1000)).collect();
    rows.push(record(25, 1, "stock", "Green Tea 100%", "ok", t0 + 25_000));
    rows.push(record(26, 2, "stock", "green_tea", "error", t0 + 26_000));
    rows.push(record(27, 2, "help", "", "denied", t0 + 27_000));
    commands::insert_batch(&app.store, &rows).await.unwrap();

    // Paging while new rows arrive: every old row exactly once, newest first.
    let (_, first) = app.get("/api/v1/command-logs?limit=10").await;
    let mut seen: Vec<i64> = first["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    commands::insert_batch(
        &app.store,
        &(0..5).map(|i| record(120 + i, 1, "late", "", "ok", t0 + 90_000)).collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();
    loop {
        let (_, page) = app.get(&format!("/api/v1/command-logs?limit=10&cursor={cursor}")).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 28);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "strictly newest first, no repeats");

    let count = |v: Vec<i64>| v.len();
    assert_eq!(count(collect_pages(&app, "&bot_id=2", 7).await), 14);
    assert_eq!(count(collect_pages(&app, "&command=stock", 7).await), 2);
    assert_eq!(count(collect_pages(&app, "&outcome=denied", 7).await), 1);
    assert_eq!(count(collect_pages(&app, "&guild_id=111111111111111112", 50).await), 16);
    assert_eq!(count(collect_pages(&app, "&channel_id=222222222222222222&user_id=333333333333333333", 50).await), 4);
    assert_eq!(count(collect_pages(&app, &format!("&since={}&until={}", t0 + 5000, t0 + 10_000), 50).await), 5);
    assert_eq!(count(collect_pages(&app, "&since=2027-01-15T08:00:00Z", 50).await), 33, "RFC 3339 works too");
    // q: case-insensitive substring of command or arguments; % and _ are literal.
    assert_eq!(count(collect_pages(&app, "&q=GREEN", 50).await), 2);
    assert_eq!(count(collect_pages(&app, "&q=100%25", 50).await), 1);
    assert_eq!(count(collect_pages(&app, "&q=n_t", 50).await), 1);
    assert_eq!(count(collect_pages(&app, "&q=hel", 50).await), 1);
    let (_, one) = app.get("/api/v1/command-logs?command=help").await;
    let item = &one["items"][0];
    assert_eq!(
        (item["outcome"].as_str(), item["kind"].as_str(), item["latency_ms"].as_f64()),
        (Some("denied"), Some("prefix"), Some(1.5))
    );
    let id = item["id"].as_i64().unwrap();
    let (status, got) = app.get(&format!("/api/v1/command-logs/{id}")).await;
    assert_eq!((status, &got), (StatusCode::OK, item));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/command-logs/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/command-logs/{id}")).await.0, StatusCode::NOT_FOUND);
}

/// The event id makes a command row unique per bot: the same record written again (in the same
/// batch or a later one, as when Discord re-delivers an event) is one row; another bot's row for
/// the same event is its own. `?event_id=` finds the row; a malformed one is a field error.
async fn a_command_event_is_stored_once_per_bot_and_found_by_its_id(app: TestApp) {
    let t0 = 1_800_000_000_000;
    let (first, second) = (record(1, 1, "ping", "", "ok", t0), record(2, 1, "stock", "tea", "ok", t0 + 1));
    let event = first.event_id;
    commands::insert_batch(&app.store, &[first.clone(), first.clone(), second]).await.unwrap();
    commands::insert_batch(&app.store, std::slice::from_ref(&first)).await.unwrap();
    let mut other_bot = first.clone();
    other_bot.bot_id = 2;
    commands::insert_batch(&app.store, &[other_bot]).await.unwrap();
    let (_, all) = app.get("/api/v1/command-logs?bot_id=1").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "{all}");

    let (status, page) = app.get(&format!("/api/v1/command-logs?event_id={event}")).await;
    assert_eq!(status, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    let found: Vec<(i64, &str)> =
        items.iter().map(|r| (r["bot_id"].as_i64().unwrap(), r["event_id"].as_str().unwrap())).collect();
    let text = event.to_string();
    assert_eq!(found, [(2, text.as_str()), (1, text.as_str())], "a string, like the other Discord ids");
    let (_, one) = app.get(&format!("/api/v1/command-logs?event_id={event}&bot_id=1")).await;
    assert_eq!(one["items"][0]["command"], "ping");
    let (_, none) = app.get("/api/v1/command-logs?event_id=42").await;
    assert_eq!(none["items"], json!([]));
    for bad in ["abc", "1e5", "99999999999999999999"] {
        let (status, body) = app.get(&format!("/api/v1/command-logs?event_id={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["fields"][0]["field"], "event_id", "{body}");
    }
}

async fn bot_logs_filter_and_page(app: TestApp) {
    let lines: Vec<BotLogRecord> = (0..12)
        .map(|i| BotLogRecord {
            bot_id: 1 + i % 2,
            at: 1_800_000_000_000 + i,
            level: if i == 11 { "error" } else { "info" },
            event: if i == 11 { "failed".into() } else { "connected".into() },
            message: if i == 11 { "Authentication failed (4004)".into() } else { format!("session {i}") },
        })
        .collect();
    bot_logs::insert_batch(&app.store, &lines).await.unwrap();
    let (_, page) = app.get("/api/v1/bot-logs?limit=5&bot_id=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let (_, rest) =
        app.get(&format!("/api/v1/bot-logs?limit=5&bot_id=1&cursor={}", page["next_cursor"].as_str().unwrap())).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let (_, errors) = app.get("/api/v1/bot-logs?level=error&q=4004").await;
    assert_eq!(errors["items"][0]["event"], "failed");
    let id = errors["items"][0]["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v1/bot-logs/{id}")).await.0, StatusCode::OK);
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/bot-logs/{id}"), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/bot-logs/{id}")).await.0, StatusCode::NOT_FOUND);
}

async fn bad_input_on_every_endpoint_gets_a_clear_4xx_and_changes_nothing(app: TestApp) {
    let (_, bot) = app.post("/api/v1/bots", new_bot("Only")).await;
    commands::insert_batch(&app.store, &[record(0, 1, "ping", "", "ok", 1_800_000_000_000)]).await.unwrap();
    let id = bot["id"].as_i64().unwrap();
    let huge = json!({"name": "x".repeat(70_000), "token": token("h")});
    let cases: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::GET, "/api/v1/bots?limit=0".into(), None, 422),
        (Method::GET, "/api/v1/bots?limit=abc".into(), None, 400),
        (Method::GET, "/api/v1/bots?cursor=nope".into(), None, 400),
        (Method::GET, "/api/v1/bots?colour=red".into(), None, 400),
        (Method::POST, "/api/v1/bots".into(), Some(json!({"name": 5, "token": true})), 400),
        (Method::POST, "/api/v1/bots".into(), Some(json!({"name": "x", "token": token("u"), "owner": "me"})), 400),
        (Method::POST, "/api/v1/bots".into(), Some(json!({"name": "x"})), 400),
        (Method::POST, "/api/v1/bots".into(), Some(json!([1, 2])), 400),
        (Method::POST, "/api/v1/bots".into(), Some(huge), 413),
        (Method::GET, "/api/v1/bots/abc".into(), None, 400),
        (Method::GET, "/api/v1/bots/0".into(), None, 400),
        (Method::GET, "/api/v1/bots/999".into(), None, 404),
        (Method::PATCH, "/api/v1/bots/999".into(), Some(json!({"version": 1})), 404),
        (Method::PATCH, format!("/api/v1/bots/{id}"), Some(json!({"prefix": "?"})), 400),
        (Method::PATCH, format!("/api/v1/bots/{id}"), Some(json!({"version": "one"})), 400),
        (Method::PATCH, format!("/api/v1/bots/{id}"), Some(json!({"version": 1, "intents": "GUILDS"})), 400),
        (Method::PUT, format!("/api/v1/bots/{id}/token"), Some(json!({"token": "short"})), 422),
        (Method::PUT, "/api/v1/bots/999/token".into(), Some(json!({"token": token("t")})), 404),
        (Method::DELETE, "/api/v1/bots/999".into(), None, 404),
        (Method::POST, "/api/v1/bots/999/test".into(), None, 404),
        (Method::POST, "/api/v1/bots/test".into(), Some(json!({"token": "bad"})), 422),
        (Method::GET, "/api/v1/command-logs?outcome=meh".into(), None, 422),
        (Method::GET, "/api/v1/command-logs?since=yesterday".into(), None, 422),
        (Method::GET, "/api/v1/command-logs?guild_id=abc".into(), None, 422),
        (Method::GET, "/api/v1/command-logs?cursor=%%%".into(), None, 400),
        (Method::GET, "/api/v1/command-logs?limit=501".into(), None, 422),
        (Method::GET, "/api/v1/command-logs?bot_id=x".into(), None, 400),
        (Method::GET, "/api/v1/command-logs/999".into(), None, 404),
        (Method::GET, "/api/v1/command-logs/abc".into(), None, 400),
        (Method::DELETE, "/api/v1/command-logs/999".into(), None, 404),
        (Method::GET, "/api/v1/bot-logs?level=loud".into(), None, 422),
        (Method::GET, "/api/v1/bot-logs/999".into(), None, 404),
        (Method::DELETE, "/api/v1/bot-logs/abc".into(), None, 400),
        (Method::GET, "/api/v1/nothing-here".into(), None, 404),
        (Method::PUT, "/api/v1/bots".into(), Some(json!({})), 405),
    ];
    for (method, path, body, want) in cases {
        let (status, reply) = app.call(method.clone(), &path, body).await;
        assert_eq!(status.as_u16(), want, "{method} {path}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && reply["error"]["code"].is_string(),
            "{method} {path} needs a clear JSON error: {reply}"
        );
    }
    for raw in [b"{not json".to_vec(), Vec::new(), vec![0xff, 0xfe]] {
        let (status, reply) = app.raw(Method::POST, "/api/v1/bots", raw).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
        let (status, _) = app.raw(Method::PATCH, &format!("/api/v1/bots/{id}"), b"{\"version\":".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (_, now) = app.get(&format!("/api/v1/bots/{id}")).await;
    assert_eq!(now, bot, "nothing changed");
    let (_, list) = app.get("/api/v1/bots").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, logs) = app.get("/api/v1/command-logs").await;
    assert_eq!(logs["items"].as_array().unwrap().len(), 1);
}

async fn health_readiness_and_the_openapi_document(app: TestApp) {
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, ready) = app.get("/api/v1/health/ready").await;
    assert_eq!((status, ready["database"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/bots",
        "/api/v1/bots/{id}",
        "/api/v1/bots/{id}/token",
        "/api/v1/bots/{id}/test",
        "/api/v1/bots/test",
        "/api/v1/command-logs",
        "/api/v1/command-logs/{id}",
        "/api/v1/bot-logs",
        "/api/v1/bot-logs/{id}",
        "/api/v1/health",
        "/api/v1/health/ready",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("BotView").is_some());
    app.store.close().await;
    // Readiness needs a credential; the admin key was checked a moment ago and is in the cache, so
    // readiness itself answers: 503 not_ready, its database check failed.
    let (status, ready) = app.get("/api/v1/health/ready").await;
    assert_eq!((status, ready["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready")), "{ready}");
    let database = ready["checks"].as_array().unwrap().iter().find(|c| c["name"] == "database").unwrap();
    assert_eq!(database["ok"], false, "{ready}");
}

async fn the_database_holds_tokens_only_encrypted(app: TestApp) {
    let secret = token("atrest");
    app.post("/api/v1/bots", json!({"name": "Vault", "token": secret})).await;
    let stored: String =
        sqlx::query_scalar("SELECT token_ciphertext FROM bots").fetch_one(app.store.pool()).await.unwrap();
    assert!(!stored.contains(&secret) && !stored.contains("secretpart"));
    let dump: Vec<String> =
        sqlx::query_scalar("SELECT name || prefix || channel_ids || token_hint || token_ciphertext FROM bots")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert!(dump.iter().all(|row| !row.contains(&secret)));
    if app.backend == common::Backend::Sqlite {
        app.store.close().await;
        for file in ["test.db", "test.db-wal"] {
            let bytes = std::fs::read(app.dir.path().join(file)).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&bytes).contains(&secret), "{file} holds the token in clear");
        }
    }
}

/// `limit` out of range is 422 on every list route, whatever the number (it was 400 for a
/// negative or huge one, and 400 on the incidents route); not a whole number is 400 everywhere.
async fn the_same_mistake_gets_the_same_status_on_every_list_route(app: TestApp) {
    let lists = [
        "/api/v1/bots",
        "/api/v1/command-logs",
        "/api/v1/bot-logs",
        "/api/v1/audit-logs",
        "/api/v1/alerts/incidents",
        "/api/v1/products",
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/alerts/rules",
        "/api/v1/alerts/channels",
        "/api/v1/alerts/maintenance",
    ];
    for list in lists {
        for out in ["0", "-1", "100000", "4294967297", "99999999999999999999999"] {
            let (status, body) = app.get(&format!("{list}?limit={out}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{list}?limit={out}: {body}");
            assert_eq!(body["error"]["fields"][0]["field"], "limit", "{list}: {body}");
        }
        for bad in ["5.0", "ten", ""] {
            let (status, body) = app.get(&format!("{list}?limit={bad}")).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("bad_request")),
                "{list}?limit={bad}"
            );
        }
        let (status, body) = app.get(&format!("{list}?limit=2")).await;
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
    }
    // An unknown enum value in a filter is 422 on every route that has one.
    for filter in [
        "/api/v1/alerts/incidents?state=maybe",
        "/api/v1/command-logs?outcome=maybe",
        "/api/v1/bot-logs?level=maybe",
        "/api/v1/audit-logs?kind=maybe",
    ] {
        let (status, body) = app.get(filter).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{filter}: {body}");
    }
}

/// JSON Schema's `integer` is any number without a fraction: `5.0` is taken wherever a whole
/// number is (it was 400 in most fields and 422 in channel ids); `5.5` is 400.
async fn a_whole_number_written_with_a_point_is_taken_in_every_body(app: TestApp) {
    let product = json!({"sku": "MUG", "name": "Mug", "price_minor": 1999.0, "currency": "EUR", "stock": 3.0, "sort_order": -2.0});
    let (status, made) = app.post("/api/v1/products", product).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["price_minor"].as_i64(), made["stock"].as_i64(), made["sort_order"].as_i64()),
        (Some(1999), Some(3), Some(-2))
    );
    let id = made["id"].as_i64().unwrap();
    let (status, body) = app.post(&format!("/api/v1/products/{id}/stock"), json!({"adjust": 2.5, "reason": "x"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{body}");
    let (status, body) =
        app.post(&format!("/api/v1/products/{id}/stock"), json!({"adjust": 2.0, "reason": "found"})).await;
    assert_eq!((status, body["stock"].as_i64()), (StatusCode::OK, Some(5)), "{body}");
    let bot = json!({"name": "Points", "token": token("p"), "channel_ids": [1_152_921_504_606_846_976.0_f64],
                     "anti_spam": {"max_commands": 4.0, "per_seconds": 10.0}});
    let (status, bot) = app.post("/api/v1/bots", bot).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    assert_eq!(
        (bot["anti_spam"]["max_commands"].as_i64(), bot["channel_ids"][0].as_str()),
        (Some(4), Some("1152921504606846976"))
    );
    let rule =
        json!({"name": "down", "condition": {"kind": "bot_down", "for_seconds": 60.0}, "failures_in_a_row": 2.0});
    let (status, rule) = app.post("/api/v1/alerts/rules", rule).await;
    assert_eq!((status, rule["failures_in_a_row"].as_i64()), (StatusCode::CREATED, Some(2)), "{rule}");
}

/// `/health/ready`'s checks carry the fields the OpenAPI document names (it named the fields of
/// the bot-test report's checks, a different type with the same name).
async fn readiness_checks_are_what_the_document_says(app: TestApp) {
    let (_, doc) = app.get("/api/openapi.json").await;
    let (status, ready) = app.get("/api/v1/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    let item = &doc["components"]["schemas"]["Ready"]["properties"]["checks"]["items"]["$ref"];
    let name = item.as_str().unwrap().rsplit('/').next().unwrap();
    let schema = &doc["components"]["schemas"][name];
    let declared: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    for check in ready["checks"].as_array().unwrap() {
        let sent: Vec<&str> = check.as_object().unwrap().keys().map(String::as_str).collect();
        for field in schema["required"].as_array().unwrap() {
            assert!(sent.contains(&field.as_str().unwrap()), "{check} lacks {field} ({name})");
        }
        for field in &sent {
            assert!(declared.contains(field), "{check} sends {field}, undeclared in {name}");
        }
    }
}
