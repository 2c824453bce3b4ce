//! Input at the edge, on SQLite and PostgreSQL: stock amounts at the ends of i64, control
//! characters in every name and text field (one rule, a 422 naming the field, nothing stored),
//! bodies taken only with their own media type (415), path ids written exactly, `no-store` on
//! answers that carry a secret, `nosniff` on every answer, and every error in the JSON shape
//! (404, 405, 413 ×2, 414, 415, axum's own 400s).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

on_both_backends!(
    a_body_must_be_a_json_object,
    stock_amounts_at_the_ends_of_i64_are_refused,
    control_characters_are_refused_in_every_text_field,
    a_body_is_read_only_with_its_own_media_type,
    path_ids_are_exact,
    secrets_are_not_stored_and_nothing_is_sniffed,
    every_error_has_the_json_shape,
);

async fn product(app: &TestApp, sku: &str, stock: i64) -> Value {
    let body =
        json!({"sku": sku, "name": format!("Product {sku}"), "price_minor": 1999, "currency": "EUR", "stock": stock});
    let (status, p) = app.post("/api/v1/products", body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(app.store.pool()).await.unwrap();
    row.try_get("n").unwrap()
}

/// The error's code and the fields it names.
fn fields(reply: &Value) -> Vec<String> {
    reply["error"]["fields"]
        .as_array()
        .map(|f| f.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

async fn stock_amounts_at_the_ends_of_i64_are_refused(app: TestApp) {
    let p = product(&app, "EDGE", 5).await;
    let path = format!("/api/v1/products/{}/stock", p["id"]);
    for by in [i64::MIN, i64::MIN + 1, i64::MAX, 1_000_000_001, -1_000_000_001] {
        let (status, reply) = app.post(&path, json!({"adjust": by, "reason": "edge"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "adjust {by}: {reply}");
        assert_eq!(fields(&reply), ["adjust"], "adjust {by}");
    }
    for to in [i64::MIN, -1, i64::MAX, 1_000_000_001] {
        let (status, reply) = app.post(&path, json!({"set": to, "version": p["version"]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "set {to}: {reply}");
        assert_eq!(fields(&reply), ["set"], "set {to}");
    }
    for price in [i64::MIN, i64::MAX] {
        let body = json!({"sku": "EDGE-2", "name": "x", "price_minor": price, "currency": "EUR", "stock": i64::MAX});
        let (status, reply) = app.post("/api/v1/products", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
        assert_eq!(fields(&reply), ["price_minor", "stock"]);
        let edit = json!({"version": p["version"], "price_minor": price, "low_stock_threshold": price});
        let (status, reply) = app.call(Method::PATCH, &format!("/api/v1/products/{}", p["id"]), Some(edit)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    }
    let csv = format!("sku,name,price_minor,currency,stock\nEDGE,x,{},EUR,{}\n", i64::MAX, i64::MIN);
    let res = app
        .http
        .post(format!("{}/api/v1/products/import", app.url))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The largest adjustment is taken, but not past the largest stock a product may hold.
    let (status, full) = app.post(&path, json!({"adjust": 999_999_995, "reason": "delivery"})).await;
    assert_eq!((status, full["stock"].as_i64()), (StatusCode::OK, Some(1_000_000_000)), "{full}");
    let (status, reply) = app.post(&path, json!({"adjust": 1, "reason": "one more"})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{reply}");
    let (_, now) = app.get(&format!("/api/v1/products/{}", p["id"])).await;
    assert_eq!(now["stock"], 1_000_000_000);
}

async fn control_characters_are_refused_in_every_text_field(app: TestApp) {
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Bot", "token": token("c")})).await;
    let bot_path = format!("/api/v1/bots/{}", bot["id"]);
    let p = product(&app, "CTRL", 3).await;
    let product_path = format!("/api/v1/products/{}", p["id"]);
    let (status, ch) = app
        .post(
            "/api/v1/alerts/channels",
            json!({"name": "Ops", "kind": "discord_webhook", "url": "https://discord.com/api/webhooks/1/abc"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ch}");
    let (status, rule) = app
        .post("/api/v1/alerts/rules", json!({"name": "Down", "condition": {"kind": "bot_down", "for_seconds": 30}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (nul, esc) = ("a\u{0}b", "a\u{1b}[31mb");
    let rule_body = |name: &str| json!({"name": name, "condition": {"kind": "bot_down", "for_seconds": 30}});
    let window = |name: &str| json!({"name": name, "once": {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}});
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (Method::POST, "/api/v1/bots".into(), json!({"name": nul, "token": token("n")}), "name"),
        (Method::POST, "/api/v1/bots".into(), json!({"name": "Tab\tbot", "token": token("n")}), "name"),
        (Method::POST, "/api/v1/bots".into(), json!({"name": "B", "token": token("n"), "prefix": "\u{0}"}), "prefix"),
        (Method::PATCH, bot_path.clone(), json!({"version": bot["version"], "name": nul}), "name"),
        (Method::PATCH, bot_path.clone(), json!({"version": bot["version"], "prefix": esc}), "prefix"),
        (
            Method::POST,
            "/api/v1/products".into(),
            json!({"sku": "N1", "name": nul, "price_minor": 1, "currency": "EUR"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/products".into(),
            json!({"sku": "N2", "name": "ok", "description": "line\u{0}", "price_minor": 1, "currency": "EUR"}),
            "description",
        ),
        (
            Method::POST,
            "/api/v1/products".into(),
            json!({"sku": "N\u{0}", "name": "ok", "price_minor": 1, "currency": "EUR"}),
            "sku",
        ),
        (
            Method::POST,
            "/api/v1/products".into(),
            json!({"sku": "N3", "name": "ok", "price_minor": 1, "currency": "E\u{0}R"}),
            "currency",
        ),
        (Method::PATCH, product_path.clone(), json!({"version": p["version"], "name": esc}), "name"),
        (Method::PATCH, product_path.clone(), json!({"version": p["version"], "description": "\u{7}"}), "description"),
        (Method::POST, format!("{product_path}/stock"), json!({"adjust": 1, "reason": nul}), "reason"),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"username": "bo\u{0}b", "password": "a long password 1", "role": "viewer"}),
            "username",
        ),
        (Method::POST, "/api/v1/api-keys".into(), json!({"name": nul, "role": "viewer"}), "name"),
        (Method::POST, "/api/v1/alerts/rules".into(), rule_body(nul), "name"),
        (Method::PUT, format!("/api/v1/alerts/rules/{}", rule["id"]), rule_body(esc), "name"),
        (
            Method::POST,
            "/api/v1/alerts/channels".into(),
            json!({"name": nul, "kind": "discord_webhook", "url": "https://discord.com/api/webhooks/1/abc"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/alerts/channels".into(),
            json!({"name": "x", "kind": "http_webhook", "url": "https://example.com/\u{0}", "secret": "0123456789abcdef"}),
            "url",
        ),
        (
            Method::POST,
            "/api/v1/alerts/channels".into(),
            json!({"name": "x", "kind": "http_webhook", "url": "https://example.com/", "secret": "0123456789abcdef\u{0}"}),
            "secret",
        ),
        (Method::PATCH, format!("/api/v1/alerts/channels/{}", ch["id"]), json!({"name": esc}), "name"),
        (Method::POST, "/api/v1/alerts/maintenance".into(), window(nul), "name"),
        (
            Method::POST,
            format!("{bot_path}/send-message"),
            json!({"channel_id": "123456789012345678", "content": nul}),
            "content",
        ),
        (Method::POST, "/api/v1/auth/login".into(), json!({"username": nul, "password": "whatever it is"}), "username"),
    ];
    let tables = ["bots", "products", "users", "api_keys", "alert_rules", "alert_channels", "alert_maintenance"];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&app, t).await);
    }
    let audit_before = count(&app, "discord_audit_logs").await;
    for (method, path, body, field) in cases {
        let (status, reply) = app.call(method.clone(), &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path} {body}: {reply}");
        assert_eq!(reply["error"]["code"], "validation", "{method} {path}: {reply}");
        assert!(fields(&reply).iter().any(|f| f == field), "{method} {path} names {field}: {reply}");
    }
    // A CSV row is held to the same rule, under its line.
    let res = app
        .http
        .post(format!("{}/api/v1/products/import", app.url))
        .header("content-type", "text/csv")
        .body("sku,name,description,price_minor,currency\nCSV-1,Nul\u{0}name,ok,100,EUR\nCSV-2,ok,\"bell\u{7}\",100,EUR\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reply: Value = res.json().await.unwrap();
    assert_eq!(fields(&reply), ["row 2: name", "row 3: description"], "{reply}");
    // Search and filter text too (PostgreSQL would refuse the NUL: a 422, not a 500).
    for query in [
        "/api/v1/command-logs?q=%00",
        "/api/v1/bot-logs?event=a%00",
        "/api/v1/audit-logs?q=%1B",
        "/api/v1/audit-logs?action=a%00",
    ] {
        let (status, reply) = app.get(query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {reply}");
    }
    // Nothing was stored, and nothing was audited.
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count(&app, t).await, n, "{t}");
    }
    assert_eq!(count(&app, "discord_audit_logs").await, audit_before);
    // Multi-line fields take line breaks and tabs.
    let edit = json!({"version": p["version"], "description": "Soft cotton.\r\nMachine wash\t40°"});
    let (status, edited) = app.call(Method::PATCH, &product_path, Some(edit)).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["description"], "Soft cotton.\r\nMachine wash\t40°");
}

/// Signs in a fresh admin; the `name=value` cookie.
async fn session(app: &TestApp) -> String {
    let body = json!({"username": "carol", "password": "a long password 1", "role": "admin"});
    let (status, user) = app.post("/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "carol", "password": "a long password 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    cookie
}

async fn a_body_is_read_only_with_its_own_media_type(app: TestApp) {
    let cookie = session(&app).await;
    let body = json!({"name": "Sneaky", "token": token("s")}).to_string();
    let bots = format!("{}/api/v1/bots", app.url);
    let send = |content_type: Option<&str>, body: String| {
        let mut req =
            reqwest::Client::new().post(&bots).header("cookie", &cookie).header("origin", &app.url).body(body);
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        req.send()
    };
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json; charset=latin1"),
        Some("application/jsonp"),
        None,
    ] {
        let res = send(content_type, body.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        let reply: Value = res.json().await.unwrap();
        assert_eq!(reply["error"]["code"], "unsupported_media_type", "{content_type:?}");
    }
    assert_eq!(count(&app, "bots").await, 0, "nothing was created");
    for content_type in ["application/json", "Application/JSON; charset=utf-8", "application/json;charset=\"UTF-8\""] {
        let body = json!({"name": format!("Bot {}", content_type.len()), "token": token("j")}).to_string();
        let res = send(Some(content_type), body).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{content_type}");
    }
    // An API key caller too; and the CSV import takes text/csv only.
    let res = app.http.post(&bots).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let import = format!("{}/api/v1/products/import", app.url);
    let csv = "sku,name,price_minor,currency\nCSV-1,One,100,EUR\n";
    for content_type in ["application/json", "text/plain", "application/x-www-form-urlencoded"] {
        let res = app.http.post(&import).header("content-type", content_type).body(csv).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    assert_eq!(count(&app, "products").await, 0);
    let res = app.http.post(&import).header("content-type", "text/csv; charset=utf-8").body(csv).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A body is a JSON object: serde would otherwise read a struct from an array (`[null, null]` as
/// its first fields) and a settings route would take it as "no overrides".
async fn a_body_must_be_a_json_object(app: TestApp) {
    for (path, body) in [("/api/v1/settings/retention", "[null, null]"), ("/api/v1/bots", "[\"Shop\", \"token\"]")] {
        let method = if path.contains("settings") { Method::PUT } else { Method::POST };
        let (status, answer) = app.raw(method, path, body.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("JSON object"), "{answer}");
    }
    let audit = app.get("/api/v1/audit-logs?action=settings.retention").await.1;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(0), "nothing changed: {audit}");
}

async fn path_ids_are_exact(app: TestApp) {
    for name in ["One", "Two"] {
        let (status, _) = app.post("/api/v1/bots", json!({"name": name, "token": token("p")})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let too_big = format!("{}0", i64::MAX);
    for id in ["+2", "01", "-1", "0", "00", " 1", "1 ", "1e0", "0x1", "١", too_big.as_str(), "9223372036854775808"] {
        let path = format!("/api/v1/bots/{}", id.replace(' ', "%20"));
        let (status, reply) = app.get(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "GET {path}: {reply}");
        assert_eq!(reply["error"]["code"], "bad_request");
        let (status, _) = app.call(Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "DELETE {path}");
    }
    assert_eq!(count(&app, "bots").await, 2, "nothing was deleted");
    assert_eq!(app.get("/api/v1/bots/2").await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/bots/{}", i64::MAX)).await.0, StatusCode::NOT_FOUND);
}

async fn secrets_are_not_stored_and_nothing_is_sniffed(app: TestApp) {
    let cookie = session(&app).await;
    let post = |path: &str, body: Option<Value>| {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", app.url))
            .header("cookie", &cookie)
            .header("origin", &app.url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let no_store = |res: &reqwest::Response, what: &str| {
        assert_eq!(res.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{what}");
    };
    let res = post("/api/v1/api-keys", Some(json!({"name": "ci", "role": "viewer"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    no_store(&res, "a new API key");
    let res = post("/api/v1/auth/totp", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    no_store(&res, "TOTP enrolment");
    let enrolment: Value = res.json().await.unwrap();
    let code = botfleet::auth::totp::code_at(enrolment["secret"].as_str().unwrap(), botfleet::time::now_ms()).unwrap();
    let res = post("/api/v1/auth/totp/confirm", Some(json!({"code": code}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    no_store(&res, "recovery codes");
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "carol", "password": "a long password 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    no_store(&res, "sign-in (a TOTP challenge)");
    let res = app
        .http
        .post(format!("{}/api/v1/users", app.url))
        .json(&json!({"username": "dave", "password": "a long password 1", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "dave", "password": "a long password 1"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("set-cookie"));
    no_store(&res, "sign-in (a session cookie)");
    // nosniff on everything: success, errors, the fallback, assets, /metrics.
    for path in [
        "/api/v1/bots",
        "/api/v1/bots/999",
        "/nothing",
        "/",
        "/assets/app.js",
        "/assets/none.js",
        "/metrics",
        "/api/v1/health",
    ] {
        let res = app.http.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
    }
}

async fn every_error_has_the_json_shape(app: TestApp) {
    // Every way a response can miss the shape, collected so a failure lists every case at once.
    let json_error = |status: StatusCode, headers: &reqwest::header::HeaderMap, text: &str, want: (u16, &str)| {
        let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let mut wrong = Vec::new();
        if status.as_u16() != want.0 {
            wrong.push(format!("status {status}"));
        }
        if !content_type.starts_with("application/json") || body["error"]["code"] != want.1 {
            wrong.push(format!("body {content_type:?} {text:?}"));
        }
        if body["error"]["message"].as_str().is_none_or(str::is_empty) {
            wrong.push("no message".into());
        }
        if headers.get("x-content-type-options").is_none_or(|v| v != "nosniff") {
            wrong.push("no nosniff".into());
        }
        wrong
    };
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    };
    let url = |path: &str| format!("{}{path}", app.url);
    // No pooled connections: after an early 413 the server closes the connection it did not read.
    let mut auth = reqwest::header::HeaderMap::new();
    auth.insert("authorization", format!("Bearer {}", app.admin_key).parse().unwrap());
    let http = reqwest::Client::builder().default_headers(auth).pool_max_idle_per_host(0).build().unwrap();
    let cases: Vec<(reqwest::RequestBuilder, (u16, &str))> = vec![
        (http.get(url("/api/v1/nothing")), (404, "not_found")),
        (http.get(url("/nothing/at/all")), (404, "not_found")),
        (http.put(url("/api/v1/health")), (405, "method_not_allowed")),
        (http.post(url("/api/v1/bots")).json(&json!({"name": "x".repeat(70_000)})), (413, "payload_too_large")),
        (
            http.post(url("/api/v1/products/import"))
                .header("content-type", "text/csv")
                .body(vec![b'a'; (2 << 20) + 1]),
            (413, "payload_too_large"),
        ),
        (http.get(url(&format!("/api/v1/bots?cursor={}", "a".repeat(9000)))), (414, "uri_too_long")),
        (
            http.post(url("/api/v1/bots")).header("content-type", "text/plain").body("{}"),
            (415, "unsupported_media_type"),
        ),
        (http.get(url("/api/v1/bots?limit=abc")), (400, "bad_request")),
        (http.get(url("/api/v1/bots/abc")), (400, "bad_request")),
        (http.get(url("/api/v1/bots/%FF")), (400, "bad_request")),
        (http.get(url("/assets/%FF")), (400, "bad_request")),
        (http.get(url("/api/v1/live")), (400, "bad_request")),
    ];
    let mut failures = Vec::new();
    for (i, (req, want)) in cases.into_iter().enumerate() {
        let (status, headers, text) = send(req).await;
        let wrong = json_error(status, &headers, &text, want);
        if !wrong.is_empty() {
            failures.push(format!("case {i} {want:?}: {}", wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "not the JSON error shape:\n{}", failures.join("\n"));
}
