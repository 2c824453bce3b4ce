//! The public status page (`/status`, `/status.json`), on SQLite and PostgreSQL: off (404) until an
//! admin turns it on; then, without any credential, the chosen bots only, under their public
//! labels, with their state now (running = up, failed = down, stopped on purpose = paused), uptime
//! bars from the performance rows, current and recent incidents in generic words, and nothing
//! secret (no id, token, hint, failure reason, rule name or incident detail). Cached: `ETag`,
//! `If-None-Match` → 304, `Cache-Control`, and many requests at once make one computation. The
//! settings route is admin only, versioned and audited; a deleted bot leaves the page; with two
//! nodes, a change saved through one clears the page the other keeps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{until, Backend, TestApp};
use discord_emulator::EmulatorConfig;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

both!(
    the_page_shows_the_chosen_bots_states_bars_and_incidents_to_anyone_and_nothing_secret,
    the_settings_are_admin_only_versioned_checked_and_audited
);

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A client with no credential at all.
fn anonymous() -> reqwest::Client {
    reqwest::Client::new()
}

/// Every object key anywhere in `v`.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

/// `botfleet_cache_misses_total{cache="status_page"}`: the page's computations on this node.
async fn computations(app: &TestApp) -> u64 {
    let text = app.http.get(format!("{}/metrics", app.url)).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("botfleet_cache_misses_total{cache=\"status_page\"}")).unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

async fn create_bot(app: &TestApp, name: &str, token: &str) -> i64 {
    let (status, bot) = app.post("/api/v1/bots", json!({"name": name, "token": token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    bot["id"].as_i64().unwrap()
}

async fn status_of(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/bots/{id}")).await.1["status"].clone()
}

/// Inserts one performance row of `resolution_s` for a bot.
async fn uptime_row(app: &TestApp, bot: i64, at: i64, resolution_s: i64, up_ms: i64, span_ms: i64) {
    sqlx::query(
        "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
         latency_sum_us, latency_count, up_ms, span_ms) VALUES ($1, $2, 'test', $3, 0, 0, 0, 0, 0, $4, $5)",
    )
    .bind(at)
    .bind(resolution_s)
    .bind(bot)
    .bind(up_ms)
    .bind(span_ms)
    .execute(app.store.pool())
    .await
    .unwrap();
}

/// A resolved incident of a rule that no longer exists (what the page may say of it: degraded).
async fn resolved_incident(app: &TestApp, bot: i64, started_at: i64, resolved_at: i64) {
    sqlx::query(
        "INSERT INTO alert_incidents (rule_id, rule_name, subject, subject_label, bot_id, state, detail, started_at, \
         resolved_at) VALUES (999999, 'SECRET-OLD-RULE', $1, 'internal label', $2, 'resolved', \
         'SECRET-INCIDENT-DETAIL p99 4711 ms', $3, $4)",
    )
    .bind(format!("bot:{bot}"))
    .bind(bot)
    .bind(started_at)
    .bind(resolved_at)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn the_page_shows_the_chosen_bots_states_bars_and_incidents_to_anyone_and_nothing_secret(backend: Backend) {
    let w = common::shop_world(EmulatorConfig::default()).await;
    let Some(app) = TestApp::spawn_with(backend, w.emulator.http_url()).await else { return };
    let public = anonymous();
    let get = |path: &'static str| {
        let (public, url) = (public.clone(), app.url.clone());
        async move { public.get(format!("{url}{path}")).send().await.unwrap() }
    };

    // Off by default: nothing there, to anyone.
    for path in ["/status", "/status.json"] {
        let res = get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // Four bots: one running, one failing (a token Discord does not know), one never started, and
    // one running that the page does not show.
    let broken_token = common::token("broken");
    let shop = create_bot(&app, "shop-internal-name", &w.shop.token).await;
    let broken = create_bot(&app, "Broken", &broken_token).await;
    let weekend = create_bot(&app, "weekend-internal", &common::token("weekend")).await;
    let hidden = create_bot(&app, "HIDDEN-BOT-NAME", &common::token("hidden")).await;
    for id in [shop, broken] {
        let (status, body) = app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
        assert!(status.is_success(), "{body}");
    }
    until("the shop bot running", 30, || async { (status_of(&app, shop).await == "running").then_some(()) }).await;
    until("the broken bot failed", 30, || async { (status_of(&app, broken).await == "failed").then_some(()) }).await;
    let (_, broken_view) = app.get(&format!("/api/v1/bots/{broken}")).await;
    let reason = broken_view["status_reason"].as_str().unwrap_or_default().to_owned();
    let hint = broken_view["token_hint"].as_str().unwrap().to_owned();

    // An incident now (the broken bot is down) and recent ones: the shop bot's, the hidden bot's.
    let (status, rule) = app
        .post(
            "/api/v1/alerts/rules",
            json!({"name": "SECRET-RULE-NAME", "condition": {"kind": "bot_down", "for_seconds": 0},
                   "bot_id": broken, "failures_in_a_row": 1, "resend_every_seconds": 0, "channel_ids": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    until("the broken bot's incident", 30, || async {
        let (_, page) = app.get("/api/v1/alerts/incidents?state=firing").await;
        page["items"].as_array().unwrap().iter().any(|i| i["bot_id"] == broken).then_some(())
    })
    .await;
    let now = botfleet::time::now_ms();
    resolved_incident(&app, shop, now - 2 * DAY, now - 2 * DAY + HOUR).await;
    resolved_incident(&app, hidden, now - DAY, now - DAY + HOUR).await;
    resolved_incident(&app, shop, now - 9 * DAY, now - 8 * DAY).await; // too old to list

    // Uptime history of the shop bot: all up two hours ago; half up three days ago (minute rows);
    // a third up 40 days ago (an hourly row).
    let this_hour = now - now.rem_euclid(HOUR);
    let today = now - now.rem_euclid(DAY);
    uptime_row(&app, shop, this_hour - 2 * HOUR, 3_600, HOUR, HOUR).await;
    for minute in 0..60 {
        let at = today - 3 * DAY + 12 * HOUR + minute * 60_000;
        uptime_row(&app, shop, at, 60, if minute < 30 { 60_000 } else { 0 }, 60_000).await;
    }
    uptime_row(&app, shop, today - 40 * DAY, 3_600, 1_200_000, HOUR).await;
    // The weekend bot (stopped now, so the sampler writes nothing for it) ran half of a recent
    // 10 s: a row of today's, summed into today's daily bar from its 6-hour bar.
    let recent = now - now.rem_euclid(10_000) - 20_000;
    uptime_row(&app, weekend, recent, 10, 5_000, 10_000).await;

    // An admin turns it on with three of the bots, two under public labels.
    let (status, settings) = app.get("/api/v1/status-page").await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["enabled"], false);
    let version = settings["version"].as_i64().unwrap();
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": "Acme <status>", "version": version, "bots": [
                {"bot_id": shop, "label": "Orders bot"}, {"bot_id": broken}, {"bot_id": weekend, "label": "Weekend bot"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let shown: Vec<&str> = saved["bots"].as_array().unwrap().iter().map(|b| b["shown_as"].as_str().unwrap()).collect();
    assert_eq!(shown, ["Orders bot", "Broken", "Weekend bot"]);

    // The JSON, to anyone.
    let res = get("/status.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=30");
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let etag = res.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "a strong tag: {etag}");
    let text = res.text().await.unwrap();
    let page: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["title"], "Acme <status>");
    assert_eq!(page["state"], "degraded", "one of the bots meant to run is down: {page}");
    let bots = page["bots"].as_array().unwrap();
    let labels: Vec<&str> = bots.iter().map(|b| b["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Orders bot", "Broken", "Weekend bot"]);
    let states: Vec<&str> = bots.iter().map(|b| b["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["up", "down", "paused"]);
    for (window, bars) in [("24h", 24), ("7d", 28), ("90d", 90)] {
        for b in bots {
            assert_eq!(b["uptime"][window]["bars"].as_array().unwrap().len(), bars, "{window}");
        }
    }
    // Bars found by their start (the page's clock and the test's may sit either side of an hour).
    let orders = &bots[0]["uptime"];
    let bar = |window: &str, start: i64| {
        let bars = orders[window]["bars"].as_array().unwrap();
        let wanted = botfleet::time::rfc3339(start);
        bars.iter().find(|b| b["start"] == wanted.as_str()).unwrap_or_else(|| panic!("no {window} bar at {wanted}"))
            ["uptime"]
            .clone()
    };
    assert_eq!(bar("24h", this_hour - 2 * HOUR), 1.0, "two hours ago: all up");
    assert!(orders["24h"]["bars"][0]["uptime"].is_null(), "no data 23 hours ago");
    assert_eq!(bar("90d", today - 3 * DAY), 0.5, "three days ago: half up");
    assert_eq!(bar("7d", today - 3 * DAY + 12 * HOUR), 0.5, "the same hour in its 6-hour bar");
    let forty = bar("90d", today - 40 * DAY).as_f64().unwrap();
    assert!((forty - 1.0 / 3.0).abs() < 1e-9, "40 days ago: {forty}");
    let quarter = orders["90d"]["uptime"].as_f64().unwrap();
    assert!(quarter > 0.5 && quarter < 1.0, "{quarter}");
    let weekend_bars = |window: &str| bots[2]["uptime"][window]["bars"].as_array().unwrap().clone();
    for (window, bar_ms) in [("24h", HOUR), ("7d", 6 * HOUR), ("90d", DAY)] {
        let start = botfleet::time::rfc3339(recent - recent.rem_euclid(bar_ms));
        for b in weekend_bars(window) {
            let want = if b["start"] == start.as_str() { json!(0.5) } else { Value::Null };
            assert_eq!(b["uptime"], want, "{window} {b}: only its one row, nothing else observed");
        }
        assert_eq!(bots[2]["uptime"][window]["uptime"], 0.5, "{window}");
    }

    let current = page["incidents"]["current"].as_array().unwrap();
    assert_eq!(current.len(), 1, "{page}");
    assert_eq!(current[0]["title"], "Broken is down");
    assert!(current[0]["resolved_at"].is_null());
    let recent = page["incidents"]["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 1, "the shop bot's within 7 days; not the hidden bot's: {page}");
    assert_eq!(recent[0]["title"], "Orders bot is degraded");
    assert_eq!(recent[0]["resolved_at"], botfleet::time::rfc3339(now - 2 * DAY + HOUR));

    // Nothing secret, in the JSON or the HTML.
    let mut names = Vec::new();
    keys(&page, &mut names);
    names.sort();
    names.dedup();
    assert!(!names.iter().any(|k| k == "id" || k.ends_with("_id") || k == "name"), "no ids: {names:?}");
    let html_res = get("/status").await;
    assert_eq!(html_res.status(), StatusCode::OK);
    assert!(html_res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert_eq!(html_res.headers()[header::CACHE_CONTROL], "public, max-age=30");
    let csp = html_res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'none'"), "{csp}");
    let html_etag = html_res.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(html_etag, etag);
    let html = html_res.text().await.unwrap();
    assert!(html.contains("<title>Acme &lt;status&gt;</title>"), "escaped title");
    assert!(html.contains("<h1>Acme &lt;status&gt;</h1>"));
    for words in ["Orders bot", "Operational", "Broken", "Down", "Weekend bot", "Paused", "Broken is down"] {
        assert!(html.contains(words), "{words} missing from the page");
    }
    assert!(!html.contains("<script"), "no JavaScript");
    let secrets = [
        w.shop.token.as_str(),
        broken_token.as_str(),
        hint.as_str(),
        "shop-internal-name",
        "weekend-internal",
        "HIDDEN-BOT-NAME",
        "SECRET-RULE-NAME",
        "SECRET-OLD-RULE",
        "SECRET-INCIDENT-DETAIL",
        "internal label",
        &w.shop.application_id.to_string(),
        &w.shop.bot_user_id.to_string(),
        &w.guild.to_string(),
    ];
    for body in [&text, &html] {
        for secret in secrets {
            assert!(!body.contains(secret), "{secret:?} is on the public page");
        }
        if !reason.is_empty() {
            assert!(!body.contains(&reason), "the failure reason {reason:?} is on the public page");
        }
        for id in [shop, broken, weekend, hidden] {
            assert!(!body.contains(&format!("\"{id}\"")) && !body.contains(&format!("bot:{id}")));
        }
    }

    // A copy still current: 304 with the same tag; another tag: the body again.
    let res = public.get(format!("{}/status.json", app.url)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()[header::ETAG], etag.as_str());
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=30");
    assert!(res.bytes().await.unwrap().is_empty());
    let res = public
        .get(format!("{}/status", app.url))
        .header(header::IF_NONE_MATCH, format!("\"other\", {html_etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "one of the listed tags is current");
    let res =
        public.get(format!("{}/status", app.url)).header(header::IF_NONE_MATCH, "\"other\"").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Many requests at once after a change: one computation.
    let (_, settings) = app.get("/api/v1/status-page").await;
    let version = settings["version"].as_i64().unwrap();
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": "Acme", "version": version, "bots": [{"bot_id": shop}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = computations(&app).await;
    let many = (0..40).map(|_| get("/status.json"));
    let answers = futures_util::future::join_all(many).await;
    let mut bodies = std::collections::HashSet::new();
    for res in answers {
        assert_eq!(res.status(), StatusCode::OK);
        bodies.insert(res.text().await.unwrap());
    }
    assert_eq!(bodies.len(), 1, "every request got the same page");
    assert_eq!(computations(&app).await - before, 1, "forty requests, one computation");
    let page: Value = serde_json::from_str(bodies.iter().next().unwrap()).unwrap();
    assert_eq!(page["title"], "Acme");
    assert_eq!(page["state"], "up");
    assert_eq!(page["bots"][0]["label"], "shop-internal-name", "no label: the bot's name");

    // Off again: gone at once.
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": false, "title": "Acme", "version": version + 1, "bots": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/status", "/status.json"] {
        assert_eq!(get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

async fn the_settings_are_admin_only_versioned_checked_and_audited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let one = create_bot(&app, "One", &common::token("one")).await;
    let two = create_bot(&app, "Two", &common::token("two")).await;
    let (status, settings) = app.get("/api/v1/status-page").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({"enabled": false, "title": "Service status", "bots": [], "version": 1, "updated_at": null})
    );

    // Viewers and operators may neither read nor change it; nor may anyone without a credential.
    let change = json!({"enabled": true, "title": "Shop", "version": 1, "bots": [{"bot_id": one}]});
    for role in [botfleet::auth::Role::Viewer, botfleet::auth::Role::Operator] {
        let client = common::client_with_key(&TestApp::make_key(&app.store, role).await);
        let url = format!("{}/api/v1/status-page", app.url);
        assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{role}");
        assert_eq!(client.put(&url).json(&change).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{role}");
    }
    let url = format!("{}/api/v1/status-page", app.url);
    assert_eq!(anonymous().put(&url).json(&change).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // Every broken rule named; an unknown bot; nothing saved.
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": " ", "version": 1,
                        "bots": [{"bot_id": one}, {"bot_id": one, "label": "x".repeat(101)}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "bots[1].bot_id", "bots[1].label"], "{body}");
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": "Shop", "version": 1, "bots": [{"bot_id": 999999}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "bots[0].bot_id");
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": "Shop", "version": 1, "bots": [], "extra": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Saved at its version; a change from the old version is refused.
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/status-page",
            Some(json!({"enabled": true, "title": "Shop", "version": 1,
                        "bots": [{"bot_id": two, "label": "Second"}, {"bot_id": one, "label": " "}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert!(saved["updated_at"].is_string());
    assert_eq!(
        saved["bots"],
        json!([{"bot_id": two, "name": "Two", "label": "Second", "shown_as": "Second"},
               {"bot_id": one, "name": "One", "label": null, "shown_as": "One"}])
    );
    let (status, body) = app.call(Method::PUT, "/api/v1/status-page", Some(change.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.get("/api/v1/status-page").await.1, saved);

    // One audit row, old → new.
    let (_, rows) = app.get("/api/v1/audit-logs?action=status_page.update").await;
    let rows = rows["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["changes"]["enabled"], json!({"old": false, "new": true}));
    assert_eq!(rows[0]["changes"]["title"], json!({"old": "Service status", "new": "Shop"}));
    assert_eq!(rows[0]["changes"]["bots"]["new"][0], json!({"bot_id": two, "label": "Second"}));

    // A deleted bot leaves the page.
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/bots/{two}"), None).await;
    assert!(status.is_success());
    let (_, now) = app.get("/api/v1/status-page").await;
    assert_eq!(now["bots"], json!([{"bot_id": one, "name": "One", "label": null, "shown_as": "One"}]));
    let res = anonymous().get(format!("{}/status.json", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["bots"].as_array().unwrap().len(), 1);
    assert_eq!(page["bots"][0]["state"], "paused", "never started: stopped on purpose");
    assert_eq!(page["state"], "paused");
}

/// Two nodes on one PostgreSQL database: a change saved through one clears the page the other
/// keeps (through the cache bus), so the other shows it at once rather than after 30 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_node_clears_the_page_on_the_other() {
    let several = |c: &mut botfleet::config::ServeConfig| c.several_nodes = true;
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", several).await else { return };
    let b = a.spawn_beside(|_| {}).await;
    until("node b to listen", 20, || async { (b.caching.bus.connections() > 0).then_some(()) }).await;
    let bot = create_bot(&a, "Shop", &common::token("nodes")).await;
    let change = |title: &str, version: i64| json!({"enabled": true, "title": title, "version": version, "bots": [{"bot_id": bot}]});
    let (status, _) = a.call(Method::PUT, "/api/v1/status-page", Some(change("First", 1))).await;
    assert_eq!(status, StatusCode::OK);
    let title = |node: &TestApp| {
        let url = format!("{}/status.json", node.url);
        async move { anonymous().get(url).send().await.unwrap().json::<Value>().await.unwrap()["title"].clone() }
    };
    assert_eq!(title(&b).await, "First", "node b computes and keeps its page");
    let before = b.caching.bus.received();
    let (status, _) = a.call(Method::PUT, "/api/v1/status-page", Some(change("Second", 2))).await;
    assert_eq!(status, StatusCode::OK);
    until("node b to hear of the change", 20, || async { (b.caching.bus.received() > before).then_some(()) }).await;
    assert_eq!(title(&b).await, "Second", "node b dropped its page");
    // Dropped, not stopped: a clean stop of each of several nodes takes some 30 s here, and is not
    // what this test is about.
    drop(b);
}
