//! Configuration export and import (`/api/v1/config/*`), on SQLite and PostgreSQL: a
//! configuration with every section moves into an empty botfleet and exports the same again
//! (tokens carried under a passphrase, the bot started there against the emulator); a dry run
//! shows the diff and changes nothing; a document with one bad item in the middle changes nothing
//! and names the item's path; secrets never leave without a passphrase, a wrong one is refused;
//! only admins (with every section's permission) may; an import is one audit row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{client_with_key, until, Backend, TestApp};
use discord_emulator::EmulatorConfig;
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
);

const PASSPHRASE: &str = "a long shop passphrase";
const HOOK_URL: &str = "https://ops.example.com/hook?token=hook-secret-123";
const HOOK_SECRET: &str = "signing-secret-0123456789";

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
    let plain = export(&a, None).await;
    assert_eq!((plain["format"].as_str(), plain["version"].as_u64()), (Some("botfleet-config"), Some(1)));
    for section in
        ["bots", "server_settings", "products", "alert_channels", "alert_rules", "maintenance_windows", "schedules"]
    {
        assert!(plain[section].as_array().map(Vec::len).unwrap_or(0) > 0, "{section} in {plain}");
    }
    assert_eq!(plain["alert_rules"][0]["bot"], "Shop", "references by name, not id");
    assert_eq!(plain["alert_rules"][0]["channels"], json!(["ops"]));
    let sealed = export(&a, Some(PASSPHRASE)).await;

    // Into an empty botfleet: the dry run lists everything as new and makes nothing.
    let Some(b) = TestApp::spawn_with(backend, w.emulator.http_url()).await else { return };
    let (status, report) = import(&b, &sealed, Some(PASSPHRASE), true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["dry_run"].as_bool(), report["applied"].as_bool()), (Some(true), Some(false)));
    assert_eq!(
        (report["totals"]["created"].as_u64(), report["totals"]["changed"].as_u64()),
        (Some(8), Some(1)),
        "{report}"
    );
    assert_eq!(action_of(&report, "bots", "Shop"), "create");
    assert_eq!(b.get("/api/v1/bots").await.1["items"], json!([]), "a dry run makes nothing");

    let (status, report) = import(&b, &sealed, Some(PASSPHRASE), false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["applied"].as_bool(), report["totals"]["created"].as_u64()), (Some(true), Some(8)), "{report}");
    assert_eq!(timeless(export(&b, None).await), timeless(plain.clone()), "the same configuration");

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
    assert_eq!(report["totals"], json!({"created": 0, "changed": 0, "unchanged": 10, "kept": 0}), "{report}");
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

    let plain = export(&app, None).await.to_string();
    let sealed = export(&app, Some(PASSPHRASE)).await;
    for text in [plain.as_str(), &sealed.to_string()] {
        for secret in [token.as_str(), "hook-secret-123", HOOK_SECRET, PASSPHRASE] {
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
    let logs = common::captured_logs();
    for secret in [token.as_str(), "hook-secret-123", HOOK_SECRET, PASSPHRASE] {
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
