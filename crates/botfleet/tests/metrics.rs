//! `GET /metrics`: Prometheus text that a Prometheus parser reads, whose command counts agree with
//! the tracked rows and whose per-bot REST, 429 and gateway figures agree with the bot's health
//! figures and the emulator, readable with a key holding the `metrics.read` scope and no other.
//! The performance history: rows whose sums (commands, REST calls, 429s, uptime) survive both
//! downsampling folds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{client_with_key, until, Backend, TestApp};
use discord_emulator::{EmulatorConfig, FaultAction, FaultSpec, Scope, UserAction};
use serde_json::json;

async fn scrape(app: &TestApp, key: &str) -> (u16, String) {
    let res = client_with_key(key).get(format!("{}/metrics", app.url)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

fn sum(scrape: &prometheus_parse::Scrape, name: &str, filter: impl Fn(&prometheus_parse::Sample) -> bool) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && filter(s))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn metrics_agree_with_the_tracked_rows(backend: Backend) {
    let common::ShopWorld { emulator, shop, alice, general, .. } = common::shop_world(EmulatorConfig::default()).await;
    let Some(app) = TestApp::spawn_with(backend, emulator.http_url()).await else { return };
    // Anti-spam stays on (5 commands per 10 s): of these seven, two are denied, and counted so.
    let (_, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token})).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.get(&format!("/api/v1/bots/{id}")).await.1["status"] != "running" {
        assert!(tokio::time::Instant::now() < deadline, "the bot never ran");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Slash commands are registered once the bot runs; wait for /ping to exist.
    let slash = || UserAction::SlashCommand { name: "ping".into(), options: vec![] };
    while emulator.user_interaction(shop.application_id, alice, general, slash()).is_err() {
        assert!(tokio::time::Instant::now() < deadline, "/ping was never registered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Two 429s on the way (twilight-http retries them by itself).
    let limited = emulator.counters().counters.rate_limited;
    let fault = FaultAction::RestRateLimit {
        scope: Scope::User,
        retry_after_ms: 50,
        route: None,
        times: Some(2),
        for_ms: None,
    };
    emulator.inject(FaultSpec::now(fault).for_application(shop.application_id)).unwrap();
    for i in 0..6 {
        emulator.user_message(alice, general, &format!("!ping {i}")).unwrap();
    }
    let total = 7;
    let rows = loop {
        let (_, page) = app.get(&format!("/api/v1/command-logs?bot_id={id}&limit=500")).await;
        let rows = page["items"].as_array().unwrap().clone();
        if rows.len() >= total {
            break rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {} of {total} commands tracked", rows.len());
        tokio::time::sleep(Duration::from_millis(25)).await;
    };

    let (_, created) = app.post("/api/v1/api-keys", json!({"name": "prometheus", "scopes": ["metrics.read"]})).await;
    let key = created["key"].as_str().unwrap();
    let (status, text) = scrape(&app, key).await;
    assert_eq!(status, 200, "{text}");
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let bot = id.to_string();
    let of_bot = |s: &prometheus_parse::Sample| s.labels.get("bot_id") == Some(bot.as_str());
    assert_eq!(sum(&parsed, "botfleet_commands_total", of_bot) as usize, rows.len());
    for outcome in ["ok", "error", "denied"] {
        let tracked = rows.iter().filter(|r| r["outcome"] == outcome).count();
        let counted =
            sum(&parsed, "botfleet_commands_total", |s| of_bot(s) && s.labels.get("outcome") == Some(outcome));
        assert_eq!(counted as usize, tracked, "{outcome}");
    }
    assert!(sum(&parsed, "botfleet_commands_total", |s| s.labels.get("kind") == Some("slash")) >= 1.0);
    let answered = rows.iter().filter(|r| r["outcome"] == "ok").count();
    let histogram = parsed.samples.iter().find(|s| s.metric == "botfleet_reply_latency_seconds" && of_bot(s)).unwrap();
    match &histogram.value {
        prometheus_parse::Value::Histogram(buckets) => {
            let all = buckets.iter().find(|b| b.less_than.is_infinite()).unwrap();
            assert_eq!(all.count as usize, answered);
        }
        other => panic!("not a histogram: {other:?}"),
    }
    assert_eq!(sum(&parsed, "botfleet_bots", |s| s.labels.get("status") == Some("running")), 1.0);

    // Per bot: REST calls and 429s as the health figures say, and as the emulator counted.
    let (_, health) = app.get(&format!("/api/v1/bots/{id}/health")).await;
    let figures = &health["figures"];
    let calls = sum(&parsed, "botfleet_discord_rest_calls_total", of_bot);
    assert_eq!(calls as u64, figures["rest_calls"].as_u64().unwrap(), "{figures}");
    // Three start-up calls, then a reply to each of the seven (denied ones get one "slow down").
    assert!(calls >= 3.0 + answered as f64, "{calls}");
    assert_eq!(sum(&parsed, "botfleet_discord_rate_limited_total", of_bot), 2.0);
    let emulator_limited = until("the emulator to count its 429s", 30, || async {
        let n = emulator.counters().counters.rate_limited - limited;
        (n >= 2).then_some(n)
    })
    .await;
    assert_eq!(emulator_limited, 2);
    // Six messages (and the bot's own six replies) and an interaction, at least.
    assert!(sum(&parsed, "botfleet_gateway_events_total", of_bot) >= 13.0);
    assert_eq!(sum(&parsed, "botfleet_gateway_reconnects_total", of_bot), 0.0);
    for name in [
        "botfleet_discord_rest_calls_total",
        "botfleet_discord_rate_limited_total",
        "botfleet_gateway_events_total",
        "botfleet_gateway_reconnects_total",
    ] {
        let sample = parsed.samples.iter().find(|s| s.metric == name && of_bot(s)).unwrap();
        assert!(matches!(sample.value, prometheus_parse::Value::Counter(_)), "{name} is a counter");
    }
    // The heartbeat latency is a gauge in seconds, there once a heartbeat was acknowledged.
    let heartbeat = parsed.samples.iter().find(|s| s.metric == "botfleet_gateway_heartbeat_latency_seconds");
    match (figures["heartbeat_latency_ms"].as_f64(), heartbeat) {
        (Some(_), Some(h)) => assert!(matches!(h.value, prometheus_parse::Value::Gauge(v) if (0.0..10.0).contains(&v))),
        (None, None) => assert!(text.contains("# TYPE botfleet_gateway_heartbeat_latency_seconds gauge")),
        (ms, h) => panic!("figures say {ms:?}, the scrape {h:?}"),
    }
    assert!(sum(&parsed, "botfleet_resident_memory_bytes", |_| true) > 1e6);
    // The node: CPU time, sockets (at least the API listener and the gateway), the database.
    assert!(sum(&parsed, "botfleet_process_cpu_seconds_total", |_| true) > 0.0);
    assert!(sum(&parsed, "botfleet_open_sockets", |_| true) >= 2.0);
    assert_eq!(sum(&parsed, "botfleet_database_up", |_| true), 1.0);
    let rtt = sum(&parsed, "botfleet_database_round_trip_seconds", |_| true);
    assert!(rtt > 0.0 && rtt < 3.0, "{rtt}");
    assert_eq!(sum(&parsed, "botfleet_tracking_records_dropped_total", |_| true), 0.0);

    // Another scope is not enough; a viewer may read them.
    let (_, other) = app.post("/api/v1/api-keys", json!({"name": "logs", "scopes": ["logs.read"]})).await;
    assert_eq!(scrape(&app, other["key"].as_str().unwrap()).await.0, 403);
    assert_eq!(reqwest::get(format!("{}/metrics", app.url)).await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_metrics_agree_with_the_tracked_rows() {
    metrics_agree_with_the_tracked_rows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_metrics_agree_with_the_tracked_rows() {
    metrics_agree_with_the_tracked_rows(Backend::Postgres).await;
}

async fn sum_commands(app: &TestApp, resolution: Option<i64>) -> (i64, i64) {
    sum_column(app, "commands", resolution).await
}

/// The sum of a column over the bot rows (of one resolution), and how many rows.
async fn sum_column(app: &TestApp, column: &str, resolution: Option<i64>) -> (i64, i64) {
    use sqlx::Row;
    let filter = resolution.map(|r| format!(" AND resolution_s = {r}")).unwrap_or_default();
    let row = sqlx::query(&format!(
        "SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS n, COUNT(*) AS rows FROM discord_performance_metrics WHERE bot_id IS NOT NULL{filter}"
    ))
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    (row.try_get("n").unwrap(), row.try_get("rows").unwrap())
}

async fn performance_rows_keep_their_totals_as_they_are_downsampled(backend: Backend) {
    let common::ShopWorld { emulator, shop, alice, general, .. } = common::shop_world(EmulatorConfig::default()).await;
    let clock = botfleet::time::Clock::manual(1_800_000_000_000);
    let c = clock.clone();
    let Some(app) = TestApp::spawn_configured(backend, emulator.http_url(), move |config| {
        config.clock = c;
        config.metrics_interval_seconds = 1;
    })
    .await
    else {
        return;
    };
    let body = json!({"name": "Shop", "token": shop.token, "anti_spam": {"enabled": false}});
    let id = app.post("/api/v1/bots", body).await.1["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while app.get(&format!("/api/v1/bots/{id}")).await.1["status"] != "running" {
        assert!(tokio::time::Instant::now() < deadline, "the bot never ran");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for i in 0..8 {
        emulator.user_message(alice, general, &format!("!ping {i}")).unwrap();
    }
    let tracked = loop {
        let n = app.get(&format!("/api/v1/command-logs?bot_id={id}")).await.1["items"].as_array().unwrap().len();
        if n == 8 {
            break 8;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {n} tracked");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    // Rows of 10 s arrive every second here; their sum reaches the tracked count.
    while sum_commands(&app, Some(10)).await.0 != tracked {
        assert!(tokio::time::Instant::now() < deadline, "the samples never added up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // REST calls (three at start-up, eight replies) reach the rows too, all of them by now.
    let rest_calls = app.get(&format!("/api/v1/bots/{id}/health")).await.1["figures"]["rest_calls"].as_i64().unwrap();
    assert!(rest_calls >= 11, "{rest_calls}");
    while sum_column(&app, "rest_calls", Some(10)).await.0 != rest_calls {
        assert!(tokio::time::Instant::now() < deadline, "the REST calls never added up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The API shows them: the bot's rows add up; the node's rows carry memory.
    let (status, rows) = app.get(&format!("/api/v1/performance?bot_id={id}")).await;
    assert_eq!(status, 200, "{rows}");
    let shown: i64 = rows["items"].as_array().unwrap().iter().map(|r| r["commands"].as_i64().unwrap()).sum();
    assert_eq!(shown, tracked);
    assert!(rows["items"][0]["latency_avg_ms"].as_f64().unwrap() > 0.0);
    let shown_calls: i64 = rows["items"].as_array().unwrap().iter().map(|r| r["rest_calls"].as_i64().unwrap()).sum();
    assert_eq!(shown_calls, rest_calls);
    for key in ["events", "rate_limited", "up_ms", "span_ms"] {
        assert!(rows["items"][0][key].is_i64(), "{key} in {rows}");
    }
    let (_, node) = app.get("/api/v1/performance").await;
    assert!(
        node["items"][0]["bot_id"].is_null() && node["items"][0]["rss_bytes"].as_i64().unwrap() > 1_000_000,
        "{node}"
    );
    // …and the node's own figures: the database round trip and sockets on every row, CPU time
    // from the second row on (a difference between two samples).
    let node_rows = node["items"].as_array().unwrap();
    assert!(node_rows.iter().all(|r| r["db_rtt_us"].as_i64().unwrap() > 0 && r["open_sockets"].as_i64().unwrap() >= 2));
    assert!(node_rows[1..].iter().all(|r| r["cpu_ms"].as_i64().unwrap() >= 0), "{node}");
    let node_calls: i64 = node["items"].as_array().unwrap().iter().map(|r| r["rest_calls"].as_i64().unwrap()).sum();
    assert_eq!(node_calls, rest_calls, "the node's rows sum its bots'");
    let (status, _) = app.get("/api/v1/performance?since=2030-01-01T00:00:00Z&until=2029-01-01T00:00:00Z").await;
    assert_eq!(status, 422);
    // Summed into spans for a chart: one row per minute here, the same totals.
    let (status, grouped) = app.get(&format!("/api/v1/performance?bot_id={id}&step_s=60")).await;
    assert_eq!(status, 200, "{grouped}");
    let grouped = grouped["items"].as_array().unwrap();
    assert!(grouped.iter().all(|r| r["resolution_s"] == 60), "{grouped:?}");
    let total = |rows: &[serde_json::Value], k: &str| rows.iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
    let fine = rows["items"].as_array().unwrap();
    // (Not events: a heartbeat ACK may arrive between the two reads.)
    for k in ["commands", "rest_calls", "span_ms"] {
        assert_eq!(total(grouped, k), total(fine, k), "{k}");
    }
    assert!(grouped.len() <= fine.len() && grouped[0]["latency_avg_ms"].as_f64().unwrap() > 0.0);
    let (_, node) = app.get("/api/v1/performance?step_s=60").await;
    assert!(node["items"][0]["rss_bytes"].as_i64().unwrap() > 1_000_000, "{node}");
    assert_eq!(app.get("/api/v1/performance?step_s=5").await.0, 422);
    // Five minutes up, then stopped: the uptime sums are exact (the manual clock moves only when
    // told) and stand still from then on, as do the REST calls.
    clock.advance(Duration::from_secs(300));
    app.post(&format!("/api/v1/bots/{id}/stop"), json!({})).await;
    let calls = app.get(&format!("/api/v1/bots/{id}/health")).await.1["figures"]["rest_calls"].as_i64().unwrap();
    let (up, span) = (300_000, 300_000);
    loop {
        let sums = (
            sum_column(&app, "rest_calls", None).await.0,
            sum_column(&app, "up_ms", None).await.0,
            sum_column(&app, "span_ms", None).await.0,
        );
        if sums == (calls, up, span) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the rows never held the calls and uptime: {sums:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Two days on, the 10 s rows become 1 min rows; 31 more days, 1 h rows. The sums stay.
    for (days, resolution) in [(2, 60), (31, 3_600)] {
        clock.advance(Duration::from_secs(days * 86_400));
        loop {
            let (all, _) = sum_commands(&app, None).await;
            let (coarse, rows) = sum_commands(&app, Some(resolution)).await;
            if rows > 0 && coarse == all {
                assert_eq!(all, tracked, "downsampling kept the total");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "rows were not folded into {resolution} s rows");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for (column, total) in [("rest_calls", calls), ("up_ms", up), ("span_ms", span)] {
            let (coarse, _) = sum_column(&app, column, Some(resolution)).await;
            let (all, _) = sum_column(&app, column, None).await;
            assert_eq!((coarse, all), (total, total), "{column} kept through the {resolution} s fold");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_performance_rows_keep_their_totals_as_they_are_downsampled() {
    performance_rows_keep_their_totals_as_they_are_downsampled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_performance_rows_keep_their_totals_as_they_are_downsampled() {
    performance_rows_keep_their_totals_as_they_are_downsampled(Backend::Postgres).await;
}
