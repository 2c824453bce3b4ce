//! Products and stock over the API, on SQLite and PostgreSQL: create with field errors, edits
//! with versions, atomic adjustments under concurrency, "set" with a version, visibility, CSV
//! import (all or nothing, dry run) and export, stock events on the bus, and the low-stock
//! notices a stock change records (once per fall to the threshold, for each bot that wants them).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use botfleet::events::Event;
use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn product(app: &TestApp, sku: &str, stock: i64) -> Value {
    let body =
        json!({"sku": sku, "name": format!("Product {sku}"), "price_minor": 1999, "currency": "eur", "stock": stock});
    let (status, p) = app.post("/api/v1/products", body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

async fn products_are_validated_created_and_edited_with_versions(app: TestApp) {
    let bad = json!({"sku": "bad sku!", "name": "", "price_minor": -1, "currency": "euro", "stock": -5, "low_stock_threshold": 3});
    let (status, errors) = app.post("/api/v1/products", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        errors["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sku", "name", "price_minor", "currency", "stock"]);
    let p = product(&app, "TEE-RED-M", 3).await;
    assert_eq!(
        (p["currency"].as_str(), p["visible"].as_bool(), p["availability"].as_str()),
        (Some("EUR"), Some(true), Some("low"))
    );
    let (status, _) = app
        .post("/api/v1/products", json!({"sku": "TEE-RED-M", "name": "x", "price_minor": 1, "currency": "EUR"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "SKUs are unique");
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/products/{id}");
    let (status, edited) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "price_minor": 2499}))).await;
    assert_eq!(
        (status, edited["price_minor"].as_i64(), edited["version"].as_i64()),
        (StatusCode::OK, Some(2499), Some(2))
    );
    let (status, stale) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "name": "Old view"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, _) = app.call(Method::PATCH, &path, Some(json!({"version": 2, "stock": 9}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "stock has its own route");
    let (status, hidden) = app.call(Method::PUT, &format!("{path}/visible"), Some(json!({"visible": false}))).await;
    assert_eq!((status, hidden["visible"].as_bool()), (StatusCode::OK, Some(false)));
    let (_, list) = app.get("/api/v1/products").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.call(Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.0, StatusCode::NOT_FOUND);
}

async fn fifty_parallel_sales_of_ten_items_sell_exactly_ten(app: TestApp) {
    let p = product(&app, "MUG", 10).await;
    let id = p["id"].as_i64().unwrap();
    let mut events = app.events.subscribe();
    let sales = (0..50).map(|_| {
        let (http, url) = (app.http.clone(), format!("{}/api/v1/products/{id}/stock", app.url));
        tokio::spawn(async move {
            let res = http.post(url).json(&json!({"adjust": -1, "reason": "sold"})).send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        })
    });
    let mut ok = 0;
    let mut refused = 0;
    for sale in sales {
        let (status, body) = sale.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {
                assert!(body["error"]["message"].as_str().unwrap().contains("out of stock"), "{body}");
                refused += 1;
            }
            other => panic!("{other} {body}"),
        }
    }
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.1["stock"], 0);
    let mut stock_events = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, Event::Stock(_)) {
            stock_events += 1;
        }
    }
    assert_eq!(stock_events, 10, "one event per change");
    // "Set" needs the current version: two writers with the same version, one wins.
    let version = app.get(&format!("/api/v1/products/{id}")).await.1["version"].as_i64().unwrap();
    let stock_path = format!("/api/v1/products/{id}/stock");
    let set = |n: i64| app.post(&stock_path, json!({"set": n, "version": version}));
    let (a, b) = tokio::join!(set(5), set(7));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let (status, body) = app.post(&format!("/api/v1/products/{id}/stock"), json!({"adjust": 2})).await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (status, _) = app.post(&format!("/api/v1/products/{id}/stock"), json!({"adjust": 1, "set": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn csv_import_is_all_or_nothing_and_round_trips(app: TestApp) {
    let kept = product(&app, "KEEP", 4).await;
    let csv_text = "sku,name,price_minor,currency,stock,visible\n\
                    KEEP,Kept,1999,EUR,6,true\n\
                    NEW-1,New one,500,EUR,3,yes\n\
                    NEW-2,Broken,abc,EUR,-2,maybe\n";
    let import = |body: &str, dry: bool| {
        app.http
            .post(format!("{}/api/v1/products/import?dry_run={dry}", app.url))
            .header("content-type", "text/csv")
            .body(body.to_owned())
            .send()
    };
    let res = import(csv_text, false).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = res.json().await.unwrap();
    let fields: Vec<&str> =
        errors["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["row 4: price_minor", "row 4: stock", "row 4: visible"]);
    let (_, list) = app.get("/api/v1/products").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "nothing changed");
    assert_eq!(list["items"][0]["stock"], kept["stock"]);

    let good = "sku,name,price_minor,currency,stock,visible\nKEEP,Kept,1999,EUR,6,true\nNEW-1,New one,500,EUR,3,yes\n";
    let report: Value = import(good, true).await.unwrap().json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64(), report["applied"].as_bool()),
        (Some(1), Some(1), Some(false))
    );
    assert_eq!(report["rows"][0]["changes"]["stock"], json!({"old": 4, "new": 6}));
    assert_eq!(app.get("/api/v1/products").await.1["items"].as_array().unwrap().len(), 1, "a dry run changes nothing");
    let report: Value = import(good, false).await.unwrap().json().await.unwrap();
    assert_eq!(report["applied"], true);
    let (_, rows) = app.get("/api/v1/audit-logs?action=products.import").await;
    assert_eq!(rows["items"].as_array().unwrap().len(), 1);

    let exported = app.http.get(format!("{}/api/v1/products/export", app.url)).send().await.unwrap();
    assert!(exported.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = exported.text().await.unwrap();
    assert!(
        text.starts_with("sku,name,description,price_minor,currency,stock,low_stock_threshold,visible,sort_order\n")
    );
    assert!(text.contains("NEW-1,New one,,500,EUR,3,5,true,0"), "{text}");
    let again: Value = import(&text, false).await.unwrap().json().await.unwrap();
    assert_eq!(
        (again["unchanged"].as_u64(), again["created"].as_u64()),
        (Some(2), Some(0)),
        "export → import changes nothing"
    );
}

on_both_backends!(
    products_are_validated_created_and_edited_with_versions,
    fifty_parallel_sales_of_ten_items_sell_exactly_ten,
    csv_import_is_all_or_nothing_and_round_trips,
    low_stock_crossings_are_recorded_once_per_bot_by_every_stock_change,
);

/// The recorded low-stock notices: (bot, product, crossing, content) in order.
async fn crossings(app: &TestApp) -> Vec<(i64, i64, i64, String)> {
    sqlx::query_as("SELECT bot_id, product_id, crossing, content FROM low_stock_notices ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
}

async fn low_stock_crossings_are_recorded_once_per_bot_by_every_stock_change(app: TestApp) {
    let (_, told) = app
        .post(
            "/api/v1/bots",
            json!({"name": "Told", "token": common::token("a"), "low_stock_channel_id": "123456789012345678"}),
        )
        .await;
    let (_, silent) = app.post("/api/v1/bots", json!({"name": "Silent", "token": common::token("b")})).await;
    assert_eq!(silent["low_stock_channel_id"], Value::Null);
    let told = told["id"].as_i64().unwrap();
    let p = product(&app, "TEA", 10).await; // threshold 5
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/products/{id}");
    let (status, edited) = app.call(Method::PATCH, &path, Some(json!({"version": 1, "low_stock_threshold": 12}))).await;
    assert_eq!((status, edited["availability"].as_str()), (StatusCode::OK, Some("low")));
    let (status, _) = app.call(Method::PATCH, &path, Some(json!({"version": 2, "low_stock_threshold": 5}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(crossings(&app).await.is_empty(), "a threshold edit is no fall of the stock");

    let import = |stock: i64| {
        let body = format!("sku,name,price_minor,currency,stock\nTEA,Tea,1999,EUR,{stock}\n");
        app.http
            .post(format!("{}/api/v1/products/import", app.url))
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    assert_eq!(import(4).await.unwrap().status(), StatusCode::OK);
    let recorded = crossings(&app).await;
    assert_eq!(recorded.len(), 1, "one notice, for the bot with a low-stock channel only: {recorded:?}");
    assert_eq!(
        (recorded[0].0, recorded[0].1, recorded[0].3.as_str()),
        (told, id, "Low stock: **Tea** (`TEA`): 4 left (threshold 5)")
    );
    assert_eq!(import(3).await.unwrap().status(), StatusCode::OK);
    assert_eq!(crossings(&app).await.len(), 1, "still low: nothing more");

    let (status, _) = app.post(&format!("{path}/stock"), json!({"adjust": 10, "reason": "delivery"})).await;
    assert_eq!(status, StatusCode::OK);
    let version = app.get(&path).await.1["version"].clone();
    let (status, _) = app.post(&format!("{path}/stock"), json!({"set": 5, "version": version})).await;
    assert_eq!(status, StatusCode::OK);
    let recorded = crossings(&app).await;
    assert_eq!(recorded.len(), 2, "above and down again: one more");
    assert!(recorded[1].2 > recorded[0].2, "each crossing has its own identity");

    // Many sales at once: the one that takes the stock to the threshold records it, once.
    let (status, _) = app.post(&format!("{path}/stock"), json!({"adjust": 15, "reason": "delivery"})).await;
    assert_eq!(status, StatusCode::OK);
    let sales: Vec<_> = (0..25)
        .map(|_| {
            let (http, url) = (app.http.clone(), format!("{}{path}/stock", app.url));
            tokio::spawn(async move {
                http.post(url).json(&json!({"adjust": -1, "reason": "sold"})).send().await.unwrap().status()
            })
        })
        .collect();
    let mut sold = 0;
    for sale in sales {
        sold += usize::from(sale.await.unwrap() == StatusCode::OK);
    }
    assert_eq!(sold, 20);
    assert_eq!(crossings(&app).await.len(), 3);
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/bots/{told}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(crossings(&app).await.is_empty(), "a deleted bot's notices go with it");
}
