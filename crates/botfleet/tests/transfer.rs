//! Configuration export and import (`/api/v1/config/*`), on SQLite and PostgreSQL: a
//! configuration with every section moves into an empty botfleet and exports the same again
//! (tokens and webhook secrets carried under a passphrase, the bot started there against the
//! emulator, the webhook delivering signed to a receiver); a dry run shows the diff and changes
//! nothing; a document with one bad item in the middle changes nothing and names the item's path;
//! webhooks are matched by name, their bot filters by bots' names (an unknown one refused), and
//! keep their state when changed; secrets never leave without a passphrase, a wrong one is
//! refused; only admins (with every section's permission) may; an import is one audit row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/receiver.rs"]
mod receiver;

use common::{client_with_key, until, Backend, TestApp};
use discord_emulator::EmulatorConfig;
use receiver::Receiver;
use reqwest::StatusCode;
use serde_json::{json, Value};

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

both!(
    a_whole_configuration_moves_to_an_empty_botfleet_and_exports_the_same,
    a_dry_run_shows_the_diff_and_a_bad_item_changes_nothing,
    secrets_leave_only_sealed_and_only_with_the_right_passphrase,
    only_admins_export_and_import_and_an_import_is_audited,
    a_dry_run_shows_webhooks_made_and_changed_and_an_import_keeps_their_state,
    a_webhook_filter_naming_an_unknown_bot_changes_nothing,
);

const PASSPHRASE: &str = "a long shop passphrase";
const HOOK_URL: &str = "https://ops.example.com/hook?token=hook-secret-123";
const HOOK_SECRET: &str = "signing-secret-0123456789";
const WEBHOOK_URL: &str = "https://events.example.com/in?token=webhook-secret-456";
const WEBHOOK_SECRET: &str = "webhook-signing-secret-9876";

async fn export(app: &TestApp, passphrase: Option<&str>) -> Value {
    let body = passphrase.map_or(json!({}), |p| json!({"passphrase": p}));
    let (status, doc) = app.post("/api/v1/config/export", body).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

async fn import(app: &TestApp, document: &Value, passphrase: Option<&str>, dry_run: bool) -> (StatusCode, Value) {
    let mut body = json!({"document": document, "dry_run": dry_run});
    if let Some(p) = passphrase {
        body["passphrase"] = json!(p);
    }
    app.post("/api/v1/config/import", body).await
}

/// The document without the moment it was made.
fn timeless(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("exported_at");
    doc
}

/// `(section, key) → action` of a report.
fn actions(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        for i in s["items"].as_array().unwrap() {
            out.push((
                s["section"].as_str().unwrap().to_owned(),
                i["key"].as_str().unwrap().to_owned(),
                i["action"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// The webhooks as `GET /api/v1/webhooks` shows them, without what differs between installations
/// (ids, times); each bot of a filter by name.
async fn webhook_views(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/webhooks?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, bots) = app.get("/api/v1/bots").await;
    let name = |id: &Value| {
        bots["items"].as_array().unwrap().iter().find(|b| &b["id"] == id).map(|b| b["name"].clone()).unwrap()
    };
    let mut views = page["items"].as_array().unwrap().clone();
    for v in &mut views {
        let o = v.as_object_mut().unwrap();
        for field in ["id", "created_at", "updated_at"] {
            o.remove(field);
        }
        if let Some(ids) = o["filters"]["bot_ids"].as_array() {
            let names: Vec<Value> = ids.iter().map(name).collect();
            o["filters"]["bot_ids"] = json!(names);
        }
    }
    views.sort_by_key(|v| v["name"].as_str().unwrap().to_owned());
    views
}

fn item_of(report: &Value, section: &str, key: &str) -> Value {
    let s = report["sections"].as_array().unwrap().iter().find(|s| s["section"] == section).unwrap();
    s["items"].as_array().unwrap().iter().find(|i| i["key"] == key).cloned().unwrap_or_else(|| panic!("{key} in {s}"))
}

fn action_of(report: &Value, section: &str, key: &str) -> String {
    actions(report)
        .into_iter()
        .find(|(s, k, _)| s == section && k == key)
        .map(|(_, _, a)| a)
        .unwrap_or_else(|| panic!("{section}/{key} not in {report}"))
}

async fn a_whole_configuration_moves_to_an_empty_botfleet_and_exports_the_same(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::default()).await;
    let Some(a) = TestApp::spawn_with(backend, w.emulator.http_url()).await else { return };
    let general = w.general.to_string();

    // Every section, through the API.
    let (status, bot) = a
        .post(
            "/api/v1/bots",
            json!({"name": "Shop", "token": w.shop.token, "prefix": "?", "channel_ids": [general],
                   "anti_spam": {"max_commands": 3}, "stock_channel_id": general}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let bot_id = bot["id"].as_i64().unwrap();
    let (status, body) = a
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/bots/{bot_id}/server-settings/{}", w.guild),
            Some(json!({"version": 0, "prefix": "$", "anti_spam": {"cooldown_seconds": 60}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (sku, stock) in [("TEE-RED", 12), ("MUG", 0)] {
        let (status, body) = a
            .post("/api/v1/products", json!({"sku": sku, "name": format!("{sku} item"), "price_minor": 1999, "currency": "eur", "stock": stock}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, channel) = a
        .post(
            "/api/v1/alerts/channels",
            json!({"name": "ops", "kind": "http_webhook", "url": HOOK_URL, "secret": HOOK_SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let (status, rule) = a
        .post(
            "/api/v1/alerts/rules",
            json!({"name": "shop down", "condition": {"kind": "bot_down", "for_seconds": 60}, "bot_id": bot_id,
                   "channel_ids": [channel["id"]], "resend_every_seconds": 600}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (status, body) = a
        .post(
            "/api/v1/alerts/maintenance",
            json!({"name": "nightly deploy", "rule_id": rule["id"], "weekly": {"days": ["mon", "thu"], "start": "02:00", "duration_minutes": 30}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = a
        .post(
            "/api/v1/schedules",
            json!({"bot_id": bot_id, "channel_id": general, "message": {"content": "Tees left: {stock:TEE-RED}"},
                   "cron": "0 9 * * 1", "time_zone": "Europe/Berlin", "missed": "skip"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) =
        a.call(reqwest::Method::PUT, "/api/v1/settings/retention", Some(json!({"audit_days": 400}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receiver = Receiver::start(WEBHOOK_SECRET, 0).await;
    let (status, hook) = a
        .post(
            "/api/v1/webhooks",
            json!({"name": "Orders", "kind": "http_webhook", "url": receiver.url, "secret": WEBHOOK_SECRET,
                   "events": ["stock", "command"],
                   "filters": {"bot_ids": [bot_id], "commands": ["ping"], "outcomes": ["ok"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let plain = export(&a, None).await;
    assert_eq!((plain["format"].as_str(), plain["version"].as_u64()), (Some("botfleet-config"), Some(1)));
    for section in [
        "bots",
        "server_settings",
        "products",
        "alert_channels",
        "alert_rules",
        "maintenance_windows",
        "schedules",
        "webhooks",
    ] {
        assert!(plain[section].as_array().map(Vec::len).unwrap_or(0) > 0, "{section} in {plain}");
    }
    assert_eq!(plain["alert_rules"][0]["bot"], "Shop", "references by name, not id");
    assert_eq!(plain["alert_rules"][0]["channels"], json!(["ops"]));
    assert_eq!(plain["webhooks"][0]["filters"]["bots"], json!(["Shop"]), "a webhook's bots by name, not id");
    assert!(plain["webhooks"][0].get("url").is_none() && plain["webhooks"][0].get("secret").is_none(), "{plain}");
    let sealed = export(&a, Some(PASSPHRASE)).await;

    // Into an empty botfleet: the dry run lists everything as new and makes nothing.
    let Some(b) = TestApp::spawn_with(backend, w.emulator.http_url()).await else { return };
    let (status, report) = import(&b, &sealed, Some(PASSPHRASE), true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["dry_run"].as_bool(), report["applied"].as_bool()), (Some(true), Some(false)));
    assert_eq!(
        (report["totals"]["created"].as_u64(), report["totals"]["changed"].as_u64()),
        (Some(9), Some(1)),
        "{report}"
    );
    assert_eq!(action_of(&report, "bots", "Shop"), "create");
    assert_eq!(action_of(&report, "webhooks", "Orders"), "create");
    assert_eq!(b.get("/api/v1/bots").await.1["items"], json!([]), "a dry run makes nothing");

    let (status, report) = import(&b, &sealed, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["applied"].as_bool(), report["totals"]["created"].as_u64()), (Some(true), Some(9)), "{report}");
    assert_eq!(timeless(export(&b, None).await), timeless(plain.clone()), "the same configuration");
    // The webhook is the same there, as the API shows it (its filter naming the same bot).
    assert_eq!(webhook_views(&b).await, webhook_views(&a).await);

    // The token and the channel's URL came too (shown by their hints), and the bot runs there.
    let (_, bots) = b.get("/api/v1/bots").await;
    assert_eq!(bots["items"][0]["token_hint"], bot["token_hint"]);
    let (_, channels) = b.get("/api/v1/alerts/channels").await;
    assert_eq!(channels["items"][0]["target"], channel["target"]);
    assert_eq!(channels["items"][0]["has_secret"], true);
    let new_id = bots["items"][0]["id"].as_i64().unwrap();
    let (status, body) = b.post(&format!("/api/v1/bots/{new_id}/start"), json!({})).await;
    assert!(status.is_success(), "{body}");
    until("the imported bot running", 30, || async {
        (b.get(&format!("/api/v1/bots/{new_id}")).await.1["status"] == "running").then_some(())
    })
    .await;

    // Again: nothing to do.
    let (status, report) = import(&b, &sealed, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["totals"], json!({"created": 0, "changed": 0, "unchanged": 11, "kept": 0}), "{report}");

    // The webhook's URL and secret came too: a test delivery reaches the receiver, signed with the
    // secret (the receiver checks every signature).
    let (_, hooks) = b.get("/api/v1/webhooks").await;
    let hook_id = hooks["items"][0]["id"].as_i64().unwrap();
    let (status, test) = b.post(&format!("/api/v1/webhooks/{hook_id}/test"), json!({})).await;
    assert_eq!((status, test["delivered"].clone(), test["status"].clone()), (StatusCode::OK, json!(true), json!(204)));
    assert!(receiver.kinds().contains(&"test".to_owned()), "{:?}", receiver.kinds());
    // And the running botfleet delivers the imported webhook's events (each try changes the stock
    // again, in case the first change came before the webhook was followed). The import tells the
    // webhooks service at once; it would also read them again by itself within 10 s.
    let (_, products) = b.get("/api/v1/products").await;
    let tee = products["items"].as_array().unwrap().iter().find(|p| p["sku"] == "TEE-RED").unwrap()["id"].clone();
    until("a stock change delivered to the imported webhook", 30, || async {
        let (status, body) =
            b.post(&format!("/api/v1/products/{tee}/stock"), json!({"adjust": 1, "reason": "restocked"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        receiver
            .payloads()
            .iter()
            .any(|p| p["type"] == "stock" && p["data"]["product"]["sku"] == "TEE-RED")
            .then_some(())
    })
    .await;
}

/// A botfleet with two bots and two products, made through the API.
async fn small_shop(app: &TestApp) {
    for name in ["Shop", "Outlet"] {
        let (status, body) = app.post("/api/v1/bots", json!({"name": name, "token": common::token(name)})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for sku in ["TEE", "MUG"] {
        let (status, body) = app
            .post(
                "/api/v1/products",
                json!({"sku": sku, "name": sku, "price_minor": 500, "currency": "EUR", "stock": 4}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

async fn a_dry_run_shows_the_diff_and_a_bad_item_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    small_shop(&app).await;
    let before = export(&app, None).await;

    let mut doc = before.clone();
    doc["bots"][1]["prefix"] = json!("?"); // "Shop" (by name: Outlet, Shop)
    doc["bots"].as_array_mut().unwrap().remove(0); // Outlet left out: kept
    doc["products"][0]["price_minor"] = json!(650);
    doc["products"].as_array_mut().unwrap().push(json!({"sku": "CAP", "name": "Cap", "price_minor": 900,
        "currency": "eur", "stock": 2, "low_stock_threshold": 1, "visible": true}));
    doc.as_object_mut().unwrap().remove("schedules"); // a section left out is not touched

    let (status, report) = import(&app, &doc, None, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(action_of(&report, "bots", "Shop"), "change");
    assert_eq!(action_of(&report, "bots", "Outlet"), "kept");
    assert_eq!(action_of(&report, "products", "CAP"), "create");
    let shop = report["sections"][0]["items"].as_array().unwrap().iter().find(|i| i["key"] == "Shop").unwrap().clone();
    assert_eq!(shop["changes"]["prefix"], json!({"old": "!", "new": "?"}), "{shop}");
    assert!(report["sections"].as_array().unwrap().iter().all(|s| s["section"] != "schedules"));
    assert_eq!(timeless(export(&app, None).await), timeless(before.clone()), "a dry run changes nothing");

    // One bad item in the middle: nothing at all changes, and the item is named by its path.
    let mut bad = doc.clone();
    bad["products"].as_array_mut().unwrap().insert(
        1,
        json!({"sku": "BAD SKU", "name": "x", "price_minor": -1,
        "currency": "EUR", "stock": 1, "low_stock_threshold": 1, "visible": true}),
    );
    let (status, body) = import(&app, &bad, None, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = body.to_string();
    assert!(text.contains("products[1].sku") && text.contains("products[1].price_minor"), "{text}");
    assert_eq!(timeless(export(&app, None).await), timeless(before.clone()), "all or nothing");

    // Not a botfleet document, or a later version: refused with the field named.
    let mut other = doc.clone();
    other["version"] = json!(2);
    let (status, body) = import(&app, &other, None, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("version"), "{body}");
    let mut unknown = doc.clone();
    unknown["bots"][0]["colour"] = json!("red");
    let (status, _) = import(&app, &unknown, None, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown fields are refused");

    // Applied: what the dry run said.
    let (status, report) = import(&app, &doc, None, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["totals"]["created"], 1);
    assert_eq!(report["totals"]["changed"], 2);
    let after = export(&app, None).await;
    let shop = after["bots"].as_array().unwrap().iter().find(|b| b["name"] == "Shop").unwrap();
    assert_eq!(shop["prefix"], "?");
    assert_eq!(after["bots"].as_array().unwrap().len(), 2, "Outlet kept");
    assert_eq!(after["products"].as_array().unwrap().len(), 3);
    let cap = after["products"].as_array().unwrap().iter().find(|p| p["sku"] == "CAP").unwrap();
    assert_eq!(cap["currency"], "EUR", "stored as the API stores it");
}

async fn secrets_leave_only_sealed_and_only_with_the_right_passphrase(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let token = common::token("Sealed");
    let (status, body) = app.post("/api/v1/bots", json!({"name": "Shop", "token": token})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/alerts/channels",
            json!({"name": "ops", "kind": "http_webhook", "url": HOOK_URL, "secret": HOOK_SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, hook) = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "Orders", "kind": "http_webhook", "url": WEBHOOK_URL, "secret": WEBHOOK_SECRET,
                   "events": ["stock"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secrets = [token.as_str(), "hook-secret-123", HOOK_SECRET, "webhook-secret-456", WEBHOOK_SECRET, PASSPHRASE];

    let plain = export(&app, None).await.to_string();
    let sealed = export(&app, Some(PASSPHRASE)).await;
    for text in [plain.as_str(), &sealed.to_string()] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in an export");
        }
    }
    assert!(!plain.contains("\"token\"") && !plain.contains("\"url\""), "{plain}");
    assert!(sealed["bots"][0]["token"].is_string() && sealed["secrets"]["kdf"] == "argon2id");
    let (status, body) = app.post("/api/v1/config/export", json!({"passphrase": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let Some(empty) = TestApp::spawn(backend).await else { return };
    // No token for a bot that does not exist there: refused, naming the bot.
    let (status, body) = import(&empty, &serde_json::from_str(&plain).unwrap(), None, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("bots[0].token") && body.to_string().contains("Shop"), "{body}");
    assert!(body.to_string().contains("webhooks[0].url") && body.to_string().contains("Orders"), "{body}");
    // Sealed: the passphrase is needed, and a wrong one is refused (never garbage).
    let (status, body) = import(&empty, &sealed, None, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("passphrase"), "{body}");
    let (status, body) = import(&empty, &sealed, Some("not the right passphrase"), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("passphrase"), "{body}");
    assert_eq!(empty.get("/api/v1/bots").await.1["items"], json!([]));
    let (status, report) = import(&empty, &sealed, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, bots) = empty.get("/api/v1/bots").await;
    assert_eq!(bots["items"][0]["token_hint"], format!("****{}", &token[token.len() - 4..]));
    let (_, hooks) = empty.get("/api/v1/webhooks").await;
    assert_eq!((&hooks["items"][0]["target"], &hooks["items"][0]["has_secret"]), (&hook["target"], &json!(true)));
    let logs = common::captured_logs();
    for secret in secrets {
        assert!(!logs.contains(secret), "{secret} logged");
    }
}

async fn only_admins_export_and_import_and_an_import_is_audited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    small_shop(&app).await;
    let doc = export(&app, None).await;
    let body = json!({"document": doc, "dry_run": true});
    for role in [botfleet::auth::Role::Viewer, botfleet::auth::Role::Operator] {
        let client = client_with_key(&TestApp::make_key(&app.store, role).await);
        for (path, body) in [("/api/v1/config/export", json!({})), ("/api/v1/config/import", body.clone())] {
            let res = client.post(format!("{}{path}", app.url)).json(&body).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
    }
    // A key scoped to config.import alone may not write what it lacks the permissions for.
    let grant = botfleet::auth::keys::Grant::Scopes(vec![botfleet::auth::Action::ConfigImport]);
    let (key, _) = botfleet::auth::keys::create(&app.store, "importer", &grant, None, botfleet::time::now_ms(), None)
        .await
        .unwrap();
    let res = client_with_key(&key).post(format!("{}/api/v1/config/import", app.url)).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A dry run writes no audit row; an import writes one, with what it changed.
    let mut changed = doc.clone();
    changed["products"][0]["stock"] = json!(99);
    let (status, _) = import(&app, &changed, None, true).await;
    assert_eq!(status, StatusCode::OK);
    let (_, audit) = app.get("/api/v1/audit-logs?action=config.import").await;
    assert_eq!(audit["items"], json!([]), "{audit}");
    let (status, _) = import(&app, &changed, None, false).await;
    assert_eq!(status, StatusCode::OK);
    let (_, audit) = app.get("/api/v1/audit-logs?action=config.import").await;
    let rows = audit["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{audit}");
    assert!(rows[0].to_string().contains("\"stock\""), "{audit}");
    let (_, audit) = app.get("/api/v1/audit-logs?action=config.export").await;
    assert!(!audit["items"].as_array().unwrap().is_empty(), "exports are audited: {audit}");
}

/// `small_shop` with two webhooks: "Orders" (HTTP, signed, commands of the bot "Shop", paused by
/// hand) and "Feed" (Discord, stock changes). The bots' ids by name.
async fn shop_with_webhooks(app: &TestApp) -> (i64, i64) {
    small_shop(app).await;
    let (_, bots) = app.get("/api/v1/bots").await;
    let id = |name: &str| {
        bots["items"].as_array().unwrap().iter().find(|b| b["name"] == name).unwrap()["id"].as_i64().unwrap()
    };
    let (shop, outlet) = (id("Shop"), id("Outlet"));
    let (status, orders) = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "Orders", "kind": "http_webhook", "url": WEBHOOK_URL, "secret": WEBHOOK_SECRET,
                   "events": ["command"], "filters": {"bot_ids": [shop], "outcomes": ["error"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{orders}");
    let (status, body) = app.post(&format!("/api/v1/webhooks/{}/pause", orders["id"]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "Feed", "kind": "discord_webhook", "url": "https://discord.com/api/webhooks/123/feed-token",
                   "events": ["stock"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (shop, outlet)
}

async fn a_dry_run_shows_webhooks_made_and_changed_and_an_import_keeps_their_state(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (shop, outlet) = shop_with_webhooks(&app).await;
    let sealed = export(&app, Some(PASSPHRASE)).await;
    assert_eq!(sealed["webhooks"][0]["name"], "Feed", "by name");
    assert!(sealed["webhooks"][1]["url"].is_string() && sealed["webhooks"][1]["secret"].is_string(), "{sealed}");
    // "Feed" is deleted here: the document makes it again.
    let (_, hooks) = app.get("/api/v1/webhooks").await;
    let feed = hooks["items"].as_array().unwrap().iter().find(|h| h["name"] == "Feed").unwrap()["id"].clone();
    let (status, _) = app.call(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{feed}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = webhook_views(&app).await;

    // "Orders" gets stock changes too, for both bots.
    let mut doc = sealed.clone();
    doc["webhooks"][1]["events"] = json!(["stock", "command"]);
    doc["webhooks"][1]["filters"]["bots"] = json!(["Shop", "Outlet"]);
    let (status, report) = import(&app, &doc, Some(PASSPHRASE), true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(action_of(&report, "webhooks", "Feed"), "create");
    let orders = item_of(&report, "webhooks", "Orders");
    assert_eq!(orders["action"], "change", "{report}");
    assert_eq!(
        orders["changes"],
        json!({"events": {"old": ["command"], "new": ["command", "stock"]},
               "filters": {"old": {"bots": ["Shop"], "commands": null, "outcomes": ["error"]},
                           "new": {"bots": ["Outlet", "Shop"], "commands": null, "outcomes": ["error"]}}}),
        "the same URL and secret are no change: {orders}"
    );
    assert_eq!(webhook_views(&app).await, before, "a dry run changes nothing");

    let (status, report) = import(&app, &doc, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, hooks) = app.get("/api/v1/webhooks").await;
    let hook = |name: &str| hooks["items"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap().clone();
    let orders = hook("Orders");
    assert_eq!(orders["events"], json!(["command", "stock"]));
    assert_eq!(orders["filters"]["bot_ids"], json!([shop.min(outlet), shop.max(outlet)]), "the named bots' ids");
    assert_eq!((orders["version"].as_i64(), orders["state"].as_str()), (Some(2), Some("paused")), "{orders}");
    assert_eq!(orders["paused_reason"], "paused by hand");
    assert_eq!(orders["has_secret"], true);
    let feed = hook("Feed");
    assert_eq!(feed["kind"], "discord_webhook");
    assert_eq!(feed["target"], "https://discord.com/api/webhooks/123/…", "its URL came from the document");
    assert_eq!((feed["state"].as_str(), feed["version"].as_i64()), (Some("active"), Some(1)));

    // Again: nothing to do.
    let (status, report) = import(&app, &doc, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(action_of(&report, "webhooks", "Orders"), "unchanged", "{report}");
    assert_eq!(action_of(&report, "webhooks", "Feed"), "unchanged", "{report}");

    // A new HTTP webhook needs its secret, as `POST /webhooks` does.
    let mut unsigned = doc.clone();
    unsigned["webhooks"][1]["name"] = json!("Orders again");
    unsigned["webhooks"][1].as_object_mut().unwrap().remove("secret");
    let (status, body) = import(&app, &unsigned, Some(PASSPHRASE), true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("webhooks[1].secret"), "{body}");
}

async fn a_webhook_filter_naming_an_unknown_bot_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    shop_with_webhooks(&app).await;
    let before = export(&app, None).await;
    let views = webhook_views(&app).await;

    let mut doc = before.clone();
    doc["webhooks"][1]["filters"]["bots"] = json!(["Shop", "Nobody"]);
    doc["webhooks"][0]["events"] = json!(["stock", "job"]); // a good change beside it
    for dry_run in [true, false] {
        let (status, body) = import(&app, &doc, None, dry_run).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let text = body.to_string();
        assert!(text.contains("webhooks[1].filters.bots[1]") && text.contains("Nobody"), "{text}");
    }
    assert_eq!(timeless(export(&app, None).await), timeless(before.clone()), "all or nothing");
    assert_eq!(webhook_views(&app).await, views);

    // A bot the document brings may be named.
    let mut nobody = before["bots"][0].clone();
    nobody["name"] = json!("Nobody");
    doc["bots"].as_array_mut().unwrap().push(nobody);
    let (status, body) = import(&app, &doc, None, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = body.to_string();
    assert!(!text.contains("webhooks[1]") && text.contains("bots[2].token"), "only the new bot's token: {text}");

    // The OpenAPI document names the document's webhook apart from the API's own schemas (one
    // name for two schemas would replace one of them).
    let (status, api) = app.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let schemas = &api["components"]["schemas"];
    assert_eq!(schemas["Document"]["properties"]["webhooks"].to_string().matches("ConfigWebhook").count(), 1, "{api}");
    assert!(schemas["ConfigWebhookFilters"]["properties"]["bots"].is_object(), "{}", schemas["ConfigWebhookFilters"]);
    assert!(schemas["Filters"]["properties"]["bot_ids"].is_object(), "{}", schemas["Filters"]);
    assert!(schemas["WebhookView"]["properties"]["target"].is_object(), "{}", schemas["WebhookView"]);
}
