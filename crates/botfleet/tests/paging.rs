//! Every list that was not paged before (products, users, API keys, alert rules, channels,
//! maintenance windows, incidents) pages with `cursor` and `limit`, on SQLite and PostgreSQL:
//! paged through a few rows at a time while rows are inserted between pages, no row comes twice,
//! none that existed when paging began is skipped, the order is the list's own (display order for
//! products, names for users, rules and channels), and the last page has no `next_cursor`. A
//! forged cursor (or one of another list) is 400; a limit out of range is 422.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::HashSet;
use std::future::Future;

use botfleet::alerts::engine::Subject;
use botfleet::alerts::model::Rule;
use botfleet::alerts::repo as alerts_repo;
use botfleet::auth::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    products_page_in_display_order_while_products_are_added,
    users_page_by_name_while_users_are_added,
    api_keys_page_newest_first_while_keys_are_added,
    alert_rules_and_channels_page_by_name_while_more_are_added,
    maintenance_windows_page_in_order_while_more_are_added,
    incidents_page_newest_first_with_their_filter_and_before_id_still_works,
    every_newly_paged_list_refuses_forged_cursors_and_out_of_range_limits,
);

/// Pages through `path` (which may carry filters) `limit` at a time, calling `between(page)` after
/// each page but the last; returns every item seen, in order. The last page has no next cursor.
async fn page_through<F, Fut>(app: &TestApp, path: &str, limit: u32, mut between: F) -> Vec<Value>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let join = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for n in 0.. {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) = app.get(&format!("{path}{join}limit={limit}{c}")).await;
        assert_eq!(status, StatusCode::OK, "{path} page {n}: {page}");
        let items = page["items"].as_array().unwrap_or_else(|| panic!("{path}: not a page: {page}"));
        assert!(items.len() <= limit as usize, "{path}: more than the limit");
        seen.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit as usize, "{path}: a page before the last is full");
                cursor = Some(next.to_owned());
                between(n).await;
            }
            None => {
                assert!(page.get("next_cursor").is_some(), "{path}: next_cursor is there, null on the last page");
                return seen;
            }
        }
        assert!(n < 1000, "{path}: paging does not end");
    }
    unreachable!()
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// No id twice; every id of `before` (the rows when paging began) seen; the ids seen in the same
/// order as `all` (the whole list read afterwards, in one page).
fn assert_stable(what: &str, before: &[i64], seen: &[i64], all: &[i64]) {
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "{what}: a row came twice: {seen:?}");
    let missing: Vec<i64> = before.iter().copied().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "{what}: rows skipped: {missing:?} (seen {seen:?})");
    let mut rest = all.iter();
    for id in seen {
        assert!(rest.any(|a| a == id), "{what}: {seen:?} is not in the list's order {all:?}");
    }
}

/// The whole list in one page (fewer rows than `limit`).
async fn whole(app: &TestApp, path: &str, limit: u32) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let (status, page) = app.get(&format!("{path}{join}limit={limit}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["next_cursor"].is_null(), "{path}: all in one page");
    page["items"].as_array().unwrap().clone()
}

async fn add_product(app: &TestApp, sku: &str, name: &str, sort_order: i64) -> i64 {
    let body =
        json!({"sku": sku, "name": name, "price_minor": 100, "currency": "EUR", "stock": 1, "sort_order": sort_order});
    let (status, p) = app.post("/api/v1/products", body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn products_page_in_display_order_while_products_are_added(app: TestApp) {
    // Sort orders with ties, names with ties (the id decides), lower-case ASCII so that both
    // databases' collations agree.
    let names =
        ["pear", "apple", "fig", "apple", "kiwi", "date", "fig", "plum", "lime", "apple", "cherry", "mango", "fig"];
    for (i, name) in names.iter().enumerate() {
        add_product(&app, &format!("P{i}"), name, [2, 0, 1, 2, 0][i % 5]).await;
    }
    let before = ids(&whole(&app, "/api/v1/products", 500).await);
    assert_eq!(before.len(), names.len());

    let app_ref = &app;
    let seen = page_through(&app, "/api/v1/products", 3, |n| async move {
        // One before every position (sort order -1), one among them, one after all.
        for (tag, order) in [("a", -1), ("b", 1), ("c", 9)] {
            add_product(app_ref, &format!("NEW-{n}-{tag}"), "banana", order).await;
        }
    })
    .await;
    let all = whole(&app, "/api/v1/products", 500).await;
    assert_stable("products", &before, &ids(&seen), &ids(&all));

    // The order people see is unchanged: sort order, then name, then id.
    let key = |p: &Value| {
        (p["sort_order"].as_i64().unwrap(), p["name"].as_str().unwrap().to_owned(), p["id"].as_i64().unwrap())
    };
    let keys: Vec<_> = all.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "display order");
    assert!(ids(&seen).len() > before.len(), "rows added after the cursor's position are seen too");

    // Up to 500 in a page for products.
    assert_eq!(app.get("/api/v1/products?limit=500").await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/products?limit=501").await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn add_user(app: &TestApp, name: &str) -> i64 {
    let now = botfleet::time::now_ms();
    botfleet::auth::users::insert(&app.store, name, "not-a-hash", Role::Viewer, now).await.unwrap().id
}

async fn users_page_by_name_while_users_are_added(app: TestApp) {
    for name in ["mia", "bob", "zoe", "ann", "kim", "lee", "eve", "ian", "dan", "max", "sam"] {
        add_user(&app, name).await;
    }
    let before = ids(&whole(&app, "/api/v1/users", 200).await);
    let app_ref = &app;
    let seen = page_through(&app, "/api/v1/users", 4, |n| async move {
        add_user(app_ref, &format!("aaa{n}")).await;
        add_user(app_ref, &format!("zzz{n}")).await;
    })
    .await;
    let all = whole(&app, "/api/v1/users", 200).await;
    assert_stable("users", &before, &ids(&seen), &ids(&all));
    let names: Vec<&str> = all.iter().map(|u| u["username"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by name");
}

async fn api_keys_page_newest_first_while_keys_are_added(app: TestApp) {
    for _ in 0..10 {
        TestApp::make_key(&app.store, Role::Viewer).await;
    }
    let before = ids(&whole(&app, "/api/v1/api-keys", 200).await);
    assert_eq!(before.len(), 11, "ten and the test's admin key");
    let store = app.store.clone();
    let seen = page_through(&app, "/api/v1/api-keys", 3, |_| {
        let store = store.clone();
        async move {
            TestApp::make_key(&store, Role::Operator).await;
        }
    })
    .await;
    let all = whole(&app, "/api/v1/api-keys", 200).await;
    assert_stable("api keys", &before, &ids(&seen), &ids(&all));
    assert!(ids(&all).windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(!seen.iter().any(|k| k.get("key").is_some()), "never the key itself");
}

async fn add_rule(app: &TestApp, name: &str) -> i64 {
    let (status, r) = app
        .post("/api/v1/alerts/rules", json!({"name": name, "condition": {"kind": "bot_down", "for_seconds": 30}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["id"].as_i64().unwrap()
}

async fn add_channel(app: &TestApp, name: &str) {
    let body = json!({"name": name, "kind": "discord_webhook", "url": "https://discord.com/api/webhooks/1/abc"});
    let (status, c) = app.post("/api/v1/alerts/channels", body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
}

async fn alert_rules_and_channels_page_by_name_while_more_are_added(app: TestApp) {
    let names = ["ops", "night", "botdown", "cpu", "shop", "latency", "backup", "queue", "disk"];
    for name in names {
        add_rule(&app, name).await;
        add_channel(&app, name).await;
    }
    let app_ref = &app;
    for (path, what) in [("/api/v1/alerts/rules", "rule"), ("/api/v1/alerts/channels", "channel")] {
        let before = ids(&whole(&app, path, 200).await);
        assert_eq!(before.len(), names.len());
        let seen = page_through(&app, path, 2, |n| async move {
            for name in [format!("a{n}"), format!("m{n}"), format!("z{n}")] {
                if what == "rule" {
                    add_rule(app_ref, &name).await;
                } else {
                    add_channel(app_ref, &name).await;
                }
            }
        })
        .await;
        let all = whole(&app, path, 200).await;
        assert_stable(path, &before, &ids(&seen), &ids(&all));
        let listed: Vec<&str> = all.iter().map(|r| r["name"].as_str().unwrap()).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(listed, sorted, "{path}: by name");
    }
}

async fn add_window(app: &TestApp, name: &str) {
    let body = json!({"name": name, "once": {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}});
    let (status, w) = app.post("/api/v1/alerts/maintenance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
}

async fn maintenance_windows_page_in_order_while_more_are_added(app: TestApp) {
    for i in 0..8 {
        add_window(&app, &format!("window {i}")).await;
    }
    let before = ids(&whole(&app, "/api/v1/alerts/maintenance", 200).await);
    let app_ref = &app;
    let seen = page_through(&app, "/api/v1/alerts/maintenance", 3, |n| async move {
        add_window(app_ref, &format!("later {n}")).await;
    })
    .await;
    let all = whole(&app, "/api/v1/alerts/maintenance", 200).await;
    assert_stable("maintenance", &before, &ids(&seen), &ids(&all));
    assert!(ids(&all).windows(2).all(|w| w[0] < w[1]), "in the order they were added");
    assert_eq!(seen.len(), all.len(), "windows added meanwhile come on the later pages");
    assert!(seen.iter().all(|w| w["active_now"].is_boolean()), "each says whether it mutes now");
}

async fn open_incidents(app: &TestApp, rule: &Rule, count: usize, from: usize) -> Vec<i64> {
    let mut opened = Vec::new();
    let mut db = app.store.pool().acquire().await.unwrap();
    for i in from..from + count {
        let subject = Subject { key: format!("node:n{i}"), label: format!("node n{i}"), bot_id: None };
        let now = botfleet::time::now_ms();
        match alerts_repo::open_incident(&mut db, rule, &subject, "down", now).await.unwrap() {
            alerts_repo::Opened::New(incident) => opened.push(incident.id),
            taken => panic!("each subject is new: {taken:?}"),
        }
    }
    opened
}

async fn incidents_page_newest_first_with_their_filter_and_before_id_still_works(app: TestApp) {
    let rule_id = add_rule(&app, "node down").await;
    let rule = alerts_repo::get_rule(&app.store, rule_id).await.unwrap();
    open_incidents(&app, &rule, 12, 0).await;
    // Every third one resolved, to page through a filter.
    sqlx::query("UPDATE alert_incidents SET state = 'resolved', resolved_at = started_at WHERE id % 3 = 0")
        .execute(app.store.pool())
        .await
        .unwrap();

    let path = "/api/v1/alerts/incidents";
    for (filter, state) in [(path.to_owned(), None), (format!("{path}?state=resolved"), Some("resolved"))] {
        let before = ids(&whole(&app, &filter, 200).await);
        let app_ref = &app;
        let rule_ref = &rule;
        let from = if state.is_some() { 200 } else { 100 };
        let seen = page_through(&app, &filter, 2, |n| async move {
            open_incidents(app_ref, rule_ref, 1, from + n).await;
        })
        .await;
        let all = whole(&app, &filter, 200).await;
        assert_stable(&filter, &before, &ids(&seen), &ids(&all));
        assert!(ids(&all).windows(2).all(|w| w[0] > w[1]), "newest first");
        if let Some(state) = state {
            assert!(seen.iter().all(|i| i["state"] == state), "{filter}: the filter holds on every page");
            assert_eq!(seen.len(), 4);
        }
    }

    // `before_id` (deprecated) still pages, and says `next_before_id` as before.
    let newest = ids(&whole(&app, path, 200).await);
    let (status, page) = app.get(&format!("{path}?limit=3&before_id={}", newest[0])).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(page["items"].as_array().unwrap()), newest[1..4].to_vec());
    assert_eq!(page["next_before_id"].as_i64(), Some(newest[3]));
    assert!(page["next_cursor"].is_string());
    let (status, last) = app.get(&format!("{path}?limit=3&before_id={}", newest[newest.len() - 2])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(last["items"].as_array().unwrap()), vec![newest[newest.len() - 1]]);
    assert!(last["next_before_id"].is_null() && last["next_cursor"].is_null(), "{last}");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (status, both) = app.get(&format!("{path}?before_id=5&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{both}");
    assert_eq!(both["error"]["fields"][0]["field"], "before_id");
}

async fn every_newly_paged_list_refuses_forged_cursors_and_out_of_range_limits(app: TestApp) {
    // Two rows in each list, so that a first page of one has a cursor.
    let mut rule_id = 0;
    for i in 0..2 {
        add_product(&app, &format!("S{i}"), "tea", 0).await;
        add_user(&app, &format!("user{i}")).await;
        TestApp::make_key(&app.store, Role::Viewer).await;
        rule_id = add_rule(&app, &format!("rule{i}")).await;
        add_channel(&app, &format!("channel{i}")).await;
        add_window(&app, &format!("window{i}")).await;
    }
    let rule = alerts_repo::get_rule(&app.store, rule_id).await.unwrap();
    open_incidents(&app, &rule, 2, 0).await;

    let lists = [
        ("/api/v1/products", 500),
        ("/api/v1/users", 200),
        ("/api/v1/api-keys", 200),
        ("/api/v1/alerts/rules", 200),
        ("/api/v1/alerts/channels", 200),
        ("/api/v1/alerts/maintenance", 200),
        ("/api/v1/alerts/incidents", 200),
    ];
    let mut cursors = Vec::new();
    for (list, _) in lists {
        let (status, page) = app.get(&format!("{list}?limit=1")).await;
        assert_eq!(status, StatusCode::OK, "{list}: {page}");
        cursors.push(page["next_cursor"].as_str().unwrap_or_else(|| panic!("{list}: {page}")).to_owned());
    }
    // "nope", an id cursor of a negative id, a keyed cursor of the wrong shape, text.
    let forged = ["bm9wZQ", "YzE6LTU", "azE6W1sxXV0", "not a cursor", "azE6W1siYSJdLDFd!"];
    for (i, (list, max)) in lists.iter().enumerate() {
        for bad in forged {
            let (status, body) = app.get(&format!("{list}?cursor={}", urlencode(bad))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{list}?cursor={bad}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("cursor"), "{body}");
        }
        // A cursor of a list of another shape (by id / by name / by sort order and name).
        for (j, (other, _)) in lists.iter().enumerate() {
            let same_shape = |k: usize| match k {
                0 => 0,
                1 | 3 | 4 => 1,
                _ => 2,
            };
            if same_shape(i) == same_shape(j) {
                continue;
            }
            let (status, body) = app.get(&format!("{list}?cursor={}", cursors[j])).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{other}'s cursor on {list}: {body}");
        }
        let (status, body) = app.get(&format!("{list}?cursor={}", cursors[i])).await;
        assert_eq!(status, StatusCode::OK, "its own cursor: {body}");
        for out in ["0".to_owned(), (max + 1).to_string(), "-1".to_owned()] {
            let (status, body) = app.get(&format!("{list}?limit={out}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{list}?limit={out}: {body}");
            assert_eq!(body["error"]["fields"][0]["field"], "limit");
        }
        let (status, body) = app.get(&format!("{list}?offset=10")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "unknown parameters are refused: {body}");
    }
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "%20").replace('!', "%21")
}
