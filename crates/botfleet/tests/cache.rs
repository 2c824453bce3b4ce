//! The caches (`DISCORD_CACHE_ENABLED`), on SQLite and PostgreSQL: with them on and off the API
//! answers alike, and a revoked key, a demoted user and a hidden product are refused or gone at
//! once on the node that changed them. On PostgreSQL, a second node sharing the database sees the
//! same changes once the notification has arrived — through LISTEN/NOTIFY, and through Redis —
//! with cache entries that would otherwise live an hour; with Redis going away, a node keeps
//! serving from the database, says `degraded`, and after Redis is back it hears changes again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{until, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

/// A stock change an operator may make (404: no such product) and a viewer may not (403).
const NO_PRODUCT: &str = "/api/v1/products/999999/visible";

fn visible() -> Option<Value> {
    Some(json!({"visible": true}))
}

/// Calls `path` with a bearer key or a session cookie.
async fn call(app: &TestApp, cred: &Cred, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.url));
    req = match cred {
        Cred::Key(key) => req.bearer_auth(key),
        Cred::Cookie(pair) => req.header("cookie", pair).header("origin", &app.url),
    };
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

enum Cred {
    Key(String),
    Cookie(String),
}

async fn new_key(app: &TestApp, role: &str) -> (i64, Cred) {
    let (status, created) = app.post("/api/v1/api-keys", json!({"name": format!("{role} key"), "role": role})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["api_key"]["id"].as_i64().unwrap(), Cred::Key(created["key"].as_str().unwrap().to_owned()))
}

async fn new_user(app: &TestApp, name: &str, role: &str) -> (i64, Cred) {
    let (status, user) = app.post("/api/v1/users", json!({"username": name, "password": PASSWORD, "role": role})).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().trim().to_owned();
    (user["id"].as_i64().unwrap(), Cred::Cookie(cookie))
}

async fn new_product(app: &TestApp, sku: &str) -> i64 {
    let body = json!({"sku": sku, "name": format!("Product {sku}"), "price_minor": 100, "currency": "EUR", "stock": 5});
    let (status, p) = app.post("/api/v1/products", body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn visible_skus(app: &TestApp) -> Vec<String> {
    app.stock.visible().await.unwrap().iter().map(|p| p.sku.clone()).collect()
}

async fn hide(app: &TestApp, id: i64) {
    let (status, body) =
        app.call(Method::PUT, &format!("/api/v1/products/{id}/visible"), Some(json!({"visible": false}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Each step's status, as one node answers it: read twice (the second from the cache when it is
/// on), change, read again at once.
async fn changes_apply_at_once(app: &TestApp) -> Vec<(&'static str, u16)> {
    let mut seen = Vec::new();
    let (key_id, key) = new_key(app, "operator").await;
    let (user_id, session) = new_user(app, "olga", "operator").await;
    for _ in 0..2 {
        seen.push(("key reads", call(app, &key, Method::GET, "/api/v1/bots", None).await.0.as_u16()));
        seen.push(("session writes", call(app, &session, Method::PUT, NO_PRODUCT, visible()).await.0.as_u16()));
        seen.push(("session reads", call(app, &session, Method::GET, "/api/v1/bots", None).await.0.as_u16()));
    }
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), None).await;
    seen.push(("revoke", status.as_u16()));
    seen.push(("revoked key", call(app, &key, Method::GET, "/api/v1/bots", None).await.0.as_u16()));
    let (status, _) =
        app.call(Method::PATCH, &format!("/api/v1/users/{user_id}"), Some(json!({"role": "viewer"}))).await;
    seen.push(("demote", status.as_u16()));
    seen.push(("demoted session", call(app, &session, Method::PUT, NO_PRODUCT, visible()).await.0.as_u16()));
    seen.push(("demoted session reads", call(app, &session, Method::GET, "/api/v1/bots", None).await.0.as_u16()));

    let tea = new_product(app, "TEA").await;
    new_product(app, "COCOA").await;
    assert_eq!(visible_skus(app).await, ["COCOA", "TEA"]);
    assert_eq!(visible_skus(app).await, ["COCOA", "TEA"], "read again (from the cache when on)");
    hide(app, tea).await;
    assert_eq!(visible_skus(app).await, ["COCOA"], "a hidden product is gone at once");
    seen
}

/// The cache counts on /metrics.
async fn cache_hits(app: &TestApp, cache: &str) -> u64 {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", app.url))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("botfleet_cache_hits_total{{cache=\"{cache}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(line.as_str())).map_or(0, |n| n.parse().unwrap())
}

const EXPECTED: [(&str, u16); 11] = [
    ("key reads", 200),
    ("session writes", 404),
    ("session reads", 200),
    ("key reads", 200),
    ("session writes", 404),
    ("session reads", 200),
    ("revoke", 204),
    ("revoked key", 401),
    ("demote", 200),
    ("demoted session", 403),
    ("demoted session reads", 200),
];

async fn both_paths(backend: Backend) {
    let Some(on) = TestApp::spawn(backend).await else { return };
    let answers_on = changes_apply_at_once(&on).await;
    assert!(cache_hits(&on, "api_keys").await > 0, "the key was read from the cache");
    assert!(cache_hits(&on, "sessions").await > 0, "the session was read from the cache");
    assert!(cache_hits(&on, "catalogue").await > 0, "the catalogue was read from the cache");
    on.stop().await;
    let off = TestApp::spawn_configured(backend, "http://127.0.0.1:9", |c| c.cache.enabled = false).await.unwrap();
    let answers_off = changes_apply_at_once(&off).await;
    assert_eq!(cache_hits(&off, "api_keys").await, 0, "off: nothing is cached");
    off.stop().await;
    assert_eq!(answers_on, answers_off, "the cache changes no answer");
    assert_eq!(answers_on, EXPECTED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_and_off_answer_alike_and_changes_apply_at_once_sqlite() {
    both_paths(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_and_off_answer_alike_and_changes_apply_at_once_postgres() {
    both_paths(Backend::Postgres).await;
}

/// Entries that live an hour: only a notification can clear them within the test.
/// Long-lived cache entries, on a node that may share its database with others.
fn long_lived(c: &mut botfleet::config::ServeConfig) {
    c.cache.cache_ttl_seconds = 3600;
    c.several_nodes = true;
}

/// Node `b` has `key`, a session and the catalogue in its caches; node `a` revokes, demotes and
/// hides; `b` refuses and forgets each once its notification has arrived.
async fn a_second_node_follows(a: &TestApp, b: &TestApp) {
    let (key_id, key) = new_key(a, "operator").await;
    let (user_id, session) = new_user(a, "nina", "operator").await;
    let tea = new_product(a, "TEA").await;
    for _ in 0..2 {
        assert_eq!(call(b, &key, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
        assert_eq!(call(b, &session, Method::PUT, NO_PRODUCT, visible()).await.0, 404, "may change stock");
    }
    assert_eq!(visible_skus(b).await, ["TEA"]);

    let before = b.caching.bus.received();
    let (status, _) = a.call(Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    until("node b to hear of the revoked key", 20, || async { (b.caching.bus.received() > before).then_some(()) })
        .await;
    assert_eq!(call(b, &key, Method::GET, "/api/v1/bots", None).await.0, StatusCode::UNAUTHORIZED);

    let before = b.caching.bus.received();
    let (status, _) = a.call(Method::PATCH, &format!("/api/v1/users/{user_id}"), Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, StatusCode::OK);
    until("node b to hear of the demotion", 20, || async { (b.caching.bus.received() > before).then_some(()) }).await;
    assert_eq!(call(b, &session, Method::PUT, NO_PRODUCT, visible()).await.0, StatusCode::FORBIDDEN);

    let before = b.caching.bus.received();
    hide(a, tea).await;
    until("node b to hear of the hidden product", 20, || async { (b.caching.bus.received() > before).then_some(()) })
        .await;
    assert_eq!(visible_skus(b).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_follows_through_postgres_notifications() {
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", long_lived).await else { return };
    let b = a.spawn_beside(|_| {}).await;
    until("node b to listen", 20, || async { (b.caching.bus.connections() > 0).then_some(()) }).await;
    a_second_node_follows(&a, &b).await;
    b.stop().await;
    a.stop().await;
}

/// The test Redis's `host:port` (`BOTFLEET_TEST_REDIS_ADDR`, default the machine's).
fn redis_addr() -> String {
    std::env::var("BOTFLEET_TEST_REDIS_ADDR").unwrap_or_else(|_| "127.0.0.1:6379".to_owned())
}

fn redis_url() -> String {
    format!("redis://{}/", redis_addr())
}

/// Whether Redis answers (a test needing it is skipped without it, unless every suite is required).
async fn redis_here() -> bool {
    let reachable = tokio::net::TcpStream::connect(redis_addr()).await.is_ok();
    if !reachable {
        assert!(std::env::var("BOTFLEET_TEST_REQUIRE_ALL").is_err(), "Redis is required but not reachable");
        eprintln!("SKIPPED: Redis not reachable at {} (set BOTFLEET_TEST_REDIS_ADDR)", redis_addr());
    }
    reachable
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_follows_through_redis() {
    if !redis_here().await {
        return;
    }
    let with_redis = |c: &mut botfleet::config::ServeConfig| {
        long_lived(c);
        c.cache.redis_url = Some(botfleet::secrets::Secret::new(redis_url()));
    };
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", with_redis).await else { return };
    let b = a.spawn_beside(|_| {}).await;
    for node in [&a, &b] {
        until("the nodes to subscribe", 20, || async { (node.caching.bus.connections() > 0).then_some(()) }).await;
    }
    a_second_node_follows(&a, &b).await;
    b.stop().await;
    a.stop().await;
}

/// A TCP proxy to Redis that can be cut (every connection closed, new ones refused) and restored.
struct Proxy {
    url: String,
    open: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}/", listener.local_addr().unwrap());
        let (open, cut) = (Arc::new(AtomicBool::new(true)), Arc::new(tokio::sync::Notify::new()));
        let (is_open, cuts) = (open.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !is_open.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let cuts = cuts.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(redis_addr()).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cuts.notified() => {}
                    }
                });
            }
        });
        Self { url, open, cut }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

async fn ready(app: &TestApp) -> (StatusCode, Value) {
    app.get("/api/v1/health/ready").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_node_serves_says_degraded_and_reconnects() {
    if !redis_here().await {
        return;
    }
    let proxy = Proxy::start().await;
    let through_proxy = |c: &mut botfleet::config::ServeConfig| {
        long_lived(c);
        c.cache.redis_url = Some(botfleet::secrets::Secret::new(proxy.url.clone()));
    };
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", |c| {
        long_lived(c);
        c.cache.redis_url = Some(botfleet::secrets::Secret::new(redis_url()));
    })
    .await
    else {
        return;
    };
    let b = a.spawn_beside(through_proxy).await;
    until("node b ready with Redis", 20, || async {
        let (status, body) = ready(&b).await;
        (status == StatusCode::OK && body["status"] == "ready").then_some(())
    })
    .await;
    let (_, body) = ready(&b).await;
    assert!(body["checks"].as_array().unwrap().iter().any(|c| c["name"] == "redis" && c["ok"] == true), "{body}");

    proxy.cut();
    let body = until("node b to say Redis is unreachable", 20, || async {
        let (status, body) = ready(&b).await;
        (status == StatusCode::OK && body["status"] == "degraded").then_some(body)
    })
    .await;
    let redis = body["checks"].as_array().unwrap().iter().find(|c| c["name"] == "redis").cloned().unwrap();
    assert!(redis["detail"].as_str().unwrap().contains("Redis is unreachable"), "{redis}");
    // It keeps serving from the database.
    let (_, key) = new_key(&a, "operator").await;
    assert_eq!(call(&b, &key, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);

    let connections = b.caching.bus.connections();
    proxy.restore();
    until("node b to reconnect to Redis", 30, || async {
        let (status, body) = ready(&b).await;
        (status == StatusCode::OK && body["status"] == "ready" && b.caching.bus.connections() > connections)
            .then_some(())
    })
    .await;
    // And hears changes again.
    a_second_node_follows(&a, &b).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_url_that_cannot_be_read_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = botfleet::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let refused = botfleet::cache::invalidate::Invalidations::new(&store, &url, Some("http://not-redis:6379"))
        .await
        .expect_err("an http URL is not Redis");
    let message = refused.to_string();
    assert!(message.contains("BOTFLEET_REDIS_URL") && message.contains("redis://"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_counted_across_nodes_through_redis() {
    if !redis_here().await {
        return;
    }
    let with_redis = |c: &mut botfleet::config::ServeConfig| {
        c.cache.redis_url = Some(botfleet::secrets::Secret::new(redis_url()));
        c.auth.requests_per_minute = 20;
        c.several_nodes = true;
    };
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", with_redis).await else { return };
    let b = a.spawn_beside(|_| {}).await;
    let (_, key) = new_key(&a, "viewer").await;
    // The shared count is per minute: the requests below are made within one.
    until("a minute with room ahead", 70, || async {
        (botfleet::time::now_ms().rem_euclid(60_000) < 45_000).then_some(())
    })
    .await;
    // 15 requests on each node: within each node's own limit of 20, but 30 together are not.
    let mut refused = 0;
    for _ in 0..15 {
        for node in [&a, &b] {
            let (status, body) = call(node, &key, Method::GET, "/api/v1/bots", None).await;
            match status {
                StatusCode::OK => {}
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                    refused += 1;
                }
                other => panic!("{other}: {body}"),
            }
        }
    }
    assert_eq!(refused, 10, "the 21st request and after, whichever node they reach");
    b.stop().await;
    a.stop().await;
}
