//! Who may hand out what, on SQLite and PostgreSQL: a credential grants only permissions it holds
//! (a `keys.manage` key makes no admin key; a `users.manage` key manages no user; an
//! operator-level key manages viewers and operators but no admin), an admin still does
//! everything, refusals change nothing and write no action row; and the last admin survives two
//! removals (deletions or demotions) racing each other.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::auth::{Action, Role};
use common::{client_with_key, until, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

on_both_backends!(
    a_key_grants_only_permissions_it_holds,
    a_credential_manages_only_users_whose_permissions_it_holds,
    two_admins_deleted_at_once_leave_one,
    two_admins_demoted_at_once_leave_one,
);

const PASSWORD: &str = "correct horse battery";
const WHY: &str = "a credential grants only permissions it holds";

async fn send(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = client_with_key(key).request(method, format!("{}{path}", app.url));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
}

/// A key made by the test's admin key; returns the key itself.
async fn key(app: &TestApp, body: Value) -> String {
    let (status, created) = app.post("/api/v1/api-keys", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["key"].as_str().unwrap().to_owned()
}

/// Every permission `role` holds that a key can be scoped to, plus `extra`.
fn scopes_of(role: Role, extra: &[&str]) -> Vec<String> {
    let mut scopes: Vec<String> =
        Action::all().filter(|a| a.scopable() && a.allows(role)).map(|a| a.name().to_owned()).collect();
    scopes.extend(extra.iter().map(|s| (*s).to_owned()));
    scopes
}

/// The answer is the 403 for a permission the caller lacks, naming every one of `missing` and
/// none of `held`.
fn refused(answer: &(StatusCode, Value), missing: &[&str], held: &[&str]) {
    let (status, body) = answer;
    assert_eq!(*status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(WHY), "{message}");
    for m in missing {
        assert!(message.contains(m), "{message} does not name {m}");
    }
    for h in held {
        assert!(!message.contains(&format!(" {h}")), "{message} names {h}, which the caller holds");
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(app.store.pool()).await.unwrap().try_get("n").unwrap()
}

async fn action_rows(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM discord_audit_logs WHERE kind = 'action'").await
}

async fn a_key_grants_only_permissions_it_holds(app: TestApp) {
    let keys_only = key(&app, json!({"name": "keys", "scopes": ["keys.manage"]})).await;
    let (keys_before, rows_before) = (count(&app, "SELECT COUNT(*) AS n FROM api_keys").await, action_rows(&app).await);
    let post = |body: Value| send(&app, &keys_only, Method::POST, "/api/v1/api-keys", Some(body));
    refused(&post(json!({"name": "x", "role": "admin"})).await, &["users.manage", "bots.delete"], &["keys.manage"]);
    refused(&post(json!({"name": "x", "role": "operator"})).await, &["bots.operate", "bots.read"], &["keys.manage"]);
    refused(&post(json!({"name": "x", "role": "viewer"})).await, &["bots.read", "logs.read"], &["keys.manage"]);
    refused(
        &post(json!({"name": "x", "scopes": ["keys.manage", "bots.delete"]})).await,
        &["bots.delete"],
        &["keys.manage"],
    );
    refused(&post(json!({"name": "x", "scopes": ["users.manage"]})).await, &["users.manage"], &[]);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM api_keys").await, keys_before, "a refusal made no key");
    assert_eq!(action_rows(&app).await, rows_before, "a refusal wrote no action row");

    // A subset of its own is fine, and the new key is no stronger than its maker.
    let (status, created) = post(json!({"name": "sub", "scopes": ["keys.manage"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["api_key"]["scopes"], json!(["keys.manage"]));
    let sub = created["key"].as_str().unwrap().to_owned();
    let made_admin = send(&app, &sub, Method::POST, "/api/v1/api-keys", Some(json!({"name": "y", "role": "admin"})));
    refused(&made_admin.await, &["users.manage"], &[]);
    assert_eq!(action_rows(&app).await, rows_before + 1, "the created key has its one action row");

    // A key holding every viewer permission (and keys.manage) may make a viewer key, not an
    // operator's.
    let broad = key(&app, json!({"name": "broad", "scopes": scopes_of(Role::Viewer, &["keys.manage"])})).await;
    let post = |body: Value| send(&app, &broad, Method::POST, "/api/v1/api-keys", Some(body));
    let (status, created) = post(json!({"name": "viewer", "role": "viewer"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let viewer = created["key"].as_str().unwrap().to_owned();
    assert_eq!(send(&app, &viewer, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
    let (status, created) = post(json!({"name": "two", "scopes": ["bots.read", "logs.read"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    refused(&post(json!({"name": "x", "role": "operator"})).await, &["bots.operate", "stock.change"], &["bots.read"]);

    // An admin still grants anything.
    let (status, created) = app.post("/api/v1/api-keys", json!({"name": "root", "role": "admin"})).await;
    assert_eq!((status, created["api_key"]["role"].as_str()), (StatusCode::CREATED, Some("admin")), "{created}");
    let all: Vec<&str> = Action::all().filter(|a| a.scopable()).map(|a| a.name()).collect();
    let (status, created) = app.post("/api/v1/api-keys", json!({"name": "all", "scopes": all})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

async fn user(app: &TestApp, name: &str, role: &str) -> i64 {
    let (status, user) = app.post("/api/v1/users", json!({"username": name, "password": PASSWORD, "role": role})).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    user["id"].as_i64().unwrap()
}

async fn role_of(app: &TestApp, id: i64) -> String {
    let (status, user) = app.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["role"].as_str().unwrap().to_owned()
}

async fn signs_in(app: &TestApp, name: &str, password: &str) -> bool {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap();
    res.status() == StatusCode::OK
}

async fn a_credential_manages_only_users_whose_permissions_it_holds(app: TestApp) {
    let ann = user(&app, "ann", "admin").await;
    let otto = user(&app, "otto", "operator").await;
    let vic = user(&app, "vic", "viewer").await;
    let users_only = key(&app, json!({"name": "users", "scopes": ["users.manage"]})).await;
    let rows_before = action_rows(&app).await;

    // A users.manage key holds no role's permissions, so it manages nobody, and says so.
    let call = |method: Method, path: String, body: Option<Value>| {
        let (app, key) = (&app, users_only.clone());
        async move { send(app, &key, method, &path, body).await }
    };
    for (role, missing) in [("admin", "bots.token"), ("operator", "bots.operate"), ("viewer", "bots.read")] {
        let body = json!({"username": format!("new-{role}"), "password": PASSWORD, "role": role});
        refused(&call(Method::POST, "/api/v1/users".into(), Some(body)).await, &[missing], &["users.manage"]);
    }
    let u = |id: i64| format!("/api/v1/users/{id}");
    refused(&call(Method::PATCH, u(vic), Some(json!({"role": "admin"}))).await, &["bots.read"], &[]);
    refused(&call(Method::PATCH, u(otto), Some(json!({"role": "admin"}))).await, &["bots.operate"], &[]);
    refused(&call(Method::PATCH, u(ann), Some(json!({"role": "viewer"}))).await, &["bots.token"], &[]);
    for id in [ann, vic] {
        let reset = call(Method::PUT, format!("{}/password", u(id)), Some(json!({"password": "taken over!!"})));
        refused(&reset.await, &["bots.read"], &[]);
        refused(&call(Method::DELETE, format!("{}/sessions", u(id)), None).await, &["bots.read"], &[]);
        refused(&call(Method::DELETE, u(id), None).await, &["bots.read"], &[]);
    }
    assert_eq!(call(Method::GET, "/api/v1/users".into(), None).await.0, StatusCode::OK, "reading is not managing");
    assert_eq!(
        (role_of(&app, ann).await, role_of(&app, otto).await, role_of(&app, vic).await),
        ("admin".into(), "operator".into(), "viewer".into())
    );
    assert!(signs_in(&app, "ann", PASSWORD).await && !signs_in(&app, "ann", "taken over!!").await);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM users").await, 3, "a refusal made no user");
    assert_eq!(action_rows(&app).await, rows_before, "a refusal wrote no action row");

    // A key with an operator's permissions (and users.manage) manages viewers and operators only.
    let op = key(&app, json!({"name": "op", "scopes": scopes_of(Role::Operator, &["users.manage"])})).await;
    let call = |method: Method, path: String, body: Option<Value>| {
        let (app, key) = (&app, op.clone());
        async move { send(app, &key, method, &path, body).await }
    };
    let body = |name: &str, role: &str| Some(json!({"username": name, "password": PASSWORD, "role": role}));
    let (status, vera) = call(Method::POST, "/api/v1/users".into(), body("vera", "viewer")).await;
    assert_eq!(status, StatusCode::CREATED, "{vera}");
    let vera = vera["id"].as_i64().unwrap();
    let (status, olga) = call(Method::POST, "/api/v1/users".into(), body("olga", "operator")).await;
    assert_eq!(status, StatusCode::CREATED, "{olga}");
    let admin_missing = ["bots.token", "users.manage", "keys.manage"];
    let held = ["bots.operate", "bots.read"];
    refused(&call(Method::POST, "/api/v1/users".into(), body("adam", "admin")).await, &admin_missing[..1], &held);
    let (status, promoted) = call(Method::PATCH, u(vera), Some(json!({"role": "operator"}))).await;
    assert_eq!((status, promoted["role"].as_str()), (StatusCode::OK, Some("operator")), "{promoted}");
    let (_, page) = app.get("/api/v1/audit-logs?kind=action&action=users.update").await;
    assert_eq!(page["items"][0]["changes"], json!({"role": {"old": "viewer", "new": "operator"}}), "{page}");
    assert_eq!(page["items"][0]["actor_type"], "api_key");
    refused(&call(Method::PATCH, u(vera), Some(json!({"role": "admin"}))).await, &["bots.token"], &held);
    refused(&call(Method::PATCH, u(ann), Some(json!({"role": "viewer"}))).await, &["bots.token"], &held);
    refused(
        &call(Method::PUT, format!("{}/password", u(ann)), Some(json!({"password": "taken over!!"}))).await,
        &["bots.token"],
        &held,
    );
    refused(&call(Method::DELETE, u(ann), None).await, &["bots.token"], &held);
    let (status, ended) =
        call(Method::PUT, format!("{}/password", u(vera)), Some(json!({"password": "a new one!!"}))).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert!(signs_in(&app, "vera", "a new one!!").await);
    assert_eq!(call(Method::DELETE, format!("{}/sessions", u(vera)), None).await.0, StatusCode::OK);
    assert_eq!(call(Method::DELETE, u(vera), None).await.0, StatusCode::NO_CONTENT);
    assert!(signs_in(&app, "ann", PASSWORD).await);
    assert_eq!(role_of(&app, ann).await, "admin");

    // An admin (key or signed-in user) still does everything.
    let adele = user(&app, "adele", "admin").await;
    let (status, otto_now) = app.call(Method::PATCH, &u(otto), Some(json!({"role": "admin"}))).await;
    assert_eq!((status, otto_now["role"].as_str()), (StatusCode::OK, Some("admin")), "{otto_now}");
    let (status, _) =
        app.call(Method::PUT, &format!("{}/password", u(ann)), Some(json!({"password": "ann's new one"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(signs_in(&app, "ann", "ann's new one").await);
    assert_eq!(app.call(Method::DELETE, &u(adele), None).await.0, StatusCode::NO_CONTENT);
    let (status, made) = app.post("/api/v1/api-keys", json!({"name": "root", "role": "admin"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
}

/// How a racing request takes an admin away.
#[derive(Clone, Copy, Debug)]
enum Removal {
    Delete,
    Demote,
}

async fn remove(app: &TestApp, id: i64, how: Removal) -> (StatusCode, Value) {
    let path = format!("/api/v1/users/{id}");
    match how {
        Removal::Delete => app.call(Method::DELETE, &path, None).await,
        Removal::Demote => app.call(Method::PATCH, &path, Some(json!({"role": "viewer"}))).await,
    }
}

async fn admins(app: &TestApp) -> Vec<i64> {
    let rows =
        sqlx::query("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetch_all(app.store.pool()).await.unwrap();
    rows.iter().map(|r| r.try_get("id").unwrap()).collect()
}

/// Thirty rounds: two admins (and no other), both removed at the same moment. Exactly one
/// request wins each round; the other is a 409 saying an admin must remain.
async fn race(app: TestApp, how: Removal) {
    let mut survivor: Option<i64> = None;
    let mut removed = 0;
    for round in 0..30 {
        // Made straight in the store: the racing requests are what this test is about.
        let now = botfleet::time::now_ms();
        let mut pair = Vec::new();
        for side in ["a", "b"] {
            let name = format!("admin-{round}-{side}");
            pair.push(botfleet::auth::users::insert(&app.store, &name, "unused", Role::Admin, now).await.unwrap().id);
        }
        if let Some(old) = survivor.take() {
            let (status, body) = remove(&app, old, how).await;
            assert!(status.is_success(), "round {round}: removing one of three admins: {status} {body}");
            removed += 1;
        }
        assert_eq!(admins(&app).await, pair, "round {round} starts with exactly the new pair");

        let (a, b) = tokio::join!(remove(&app, pair[0], how), remove(&app, pair[1], how));
        let left = admins(&app).await;
        assert!(!left.is_empty(), "round {round}: no admin is left (answers {a:?} and {b:?})");
        let (won, lost) = match (a.0.is_success(), b.0.is_success()) {
            (true, false) => (pair[0], (pair[1], b)),
            (false, true) => (pair[1], (pair[0], a)),
            _ => panic!("round {round}: exactly one removal must win: {a:?} and {b:?}"),
        };
        let (kept, (status, body)) = lost;
        assert_eq!(status, StatusCode::CONFLICT, "round {round}: {body}");
        assert_eq!(body["error"]["code"], "conflict");
        assert!(body["error"]["message"].as_str().unwrap().contains("an admin must remain"), "{body}");
        assert_eq!(left, vec![kept], "round {round}: {won} was removed, {kept} is the admin left");
        removed += 1;
        survivor = Some(kept);
    }
    // Every removal that won left its one action row (old → new). A row the database refuses at
    // once (busy) goes to the tracking writer's batches: wait for the last ones, then check there
    // is none extra.
    let action = match how {
        Removal::Delete => "users.delete",
        Removal::Demote => "users.update",
    };
    let sql = format!("SELECT COUNT(*) AS n FROM discord_audit_logs WHERE kind = 'action' AND action = '{action}'");
    let rows = until("every winning removal's audit row", 30, || async {
        let n = count(&app, &sql).await;
        (n >= removed).then_some(n)
    })
    .await;
    assert_eq!(rows, removed);
}

async fn two_admins_deleted_at_once_leave_one(app: TestApp) {
    race(app, Removal::Delete).await;
}

async fn two_admins_demoted_at_once_leave_one(app: TestApp) {
    race(app, Removal::Demote).await;
}
