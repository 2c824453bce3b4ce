//! Exports, on SQLite and PostgreSQL: an export's file holds exactly what the list endpoint shows
//! for the same filter (CSV with RFC 4180 quoting and the formula guard, JSON Lines with the list's
//! items), served gzip when accepted and plain otherwise; starting and downloading need the
//! permission that reads the source; a bad filter is a 422 that makes no job; a file expires after
//! its time by the service's clock and the sweep deletes it; a file past the size cap fails the
//! item with a message that says to narrow the filter.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::Read;
use std::time::Duration;

use botfleet::logs::bot_logs::BotLogRecord;
use botfleet::logs::commands::{CommandKind, CommandRecord, Outcome};
use botfleet::time::Clock;
use common::{until, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const HOUR: i64 = 3_600_000;

fn quiet(c: &mut botfleet::config::ServeConfig) {
    c.monitoring = false;
    c.auth.requests_per_minute = 1_000_000;
}

async fn finished(app: &TestApp, id: i64) -> Value {
    until("the export to end", 60, || async {
        let (_, job) = app.get(&format!("/api/v1/jobs/{id}")).await;
        job["state"].as_str().is_some_and(|s| !matches!(s, "queued" | "running")).then_some(job)
    })
    .await
}

/// Starts an export as admin, waits for it to succeed; the job.
async fn export(app: &TestApp, what: &str, body: Value) -> Value {
    let (status, job) = app.post(&format!("/api/v1/{what}/export"), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "export");
    let job = finished(app, job["id"].as_i64().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    job
}

/// Every item the list endpoint gives for `query`, page after page.
async fn listed(app: &TestApp, what: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app.get(&format!("/api/v1/{what}?{query}&limit=500{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return all,
        }
    }
}

/// Downloads a job's file; (status, headers, body as sent).
async fn download(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    encoding: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = client
        .get(format!("{}/api/v1/jobs/{id}/file", app.url))
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    text
}

/// A list item's field as the CSV holds it: text as is (a formula-like one after a `'`), numbers
/// written out, objects as JSON, null empty.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() => {
            format!("'{s}")
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

/// Command logs of two bots with every outcome, some with text that needs quoting or the formula
/// guard.
async fn command_logs(app: &TestApp, now: i64) {
    let tricky =
        ["a, b", "say \"hi\"", "two\nlines", "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "-5", "plain"];
    let mut records = Vec::new();
    for i in 0..1_100i64 {
        let bot = 1 + i % 2;
        let outcome = [Outcome::Ok, Outcome::Error, Outcome::Denied][(i % 3) as usize];
        let args = tricky[(i % tricky.len() as i64) as usize].to_owned();
        let mut r = CommandRecord::new(bot, CommandKind::Prefix, now - (1_100 - i) * 1000, "ping", args).from(
            10_000 + i as u64,
            Some(77),
            88,
            99,
            "alice, \"the\" admin",
        );
        r.outcome = outcome;
        r.reply("pong");
        r.responded_at = Some(r.received_at + 5);
        r.latency_us = Some(5_000 + i);
        if outcome == Outcome::Error {
            r.error = Some(format!("=cmd|' /C calc'!A{i}"));
        }
        records.push(r);
    }
    botfleet::logs::commands::insert_batch(&app.store, &records).await.unwrap();
}

async fn an_export_s_file_matches_the_filter(app: TestApp) {
    let now = botfleet::time::now_ms();
    command_logs(&app, now).await;
    let since = botfleet::time::rfc3339(now - 1_050_000);

    // CSV: the 525 rows of bot 1 since then, more than one page of the list.
    let filter = json!({"bot_id": 1, "since": since, "q": "ping"});
    let query = format!("bot_id=1&since={since}&q=ping");
    let expected = listed(&app, "command-logs", &query).await;
    assert!(expected.len() > 500 && expected.len() < 1_100, "{}", expected.len());
    let job = export(&app, "command-logs", json!({"format": "csv", "filter": filter})).await;
    assert_eq!(job["params"], json!({"source": "command_logs", "format": "csv", "filter": filter}));
    let id = job["id"].as_i64().unwrap();
    let detail = &job["items"]["items"][0]["detail"];
    assert_eq!(detail["rows"], expected.len(), "{job}");

    let (status, headers, body) = download(&app.http, &app, id, "gzip, deflate").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let day: String = botfleet::time::rfc3339(now).chars().take(10).collect();
    assert_eq!(headers["content-disposition"], format!("attachment; filename=\"command-logs-{day}.csv\""));
    assert_eq!(detail["bytes"], body.len(), "the detail gives the compressed size");
    let (header, rows) = csv_rows(&gunzip(&body));
    let columns: Vec<String> = expected[0].as_object().unwrap().keys().cloned().collect();
    let mut header_sorted = header.clone();
    header_sorted.sort();
    assert_eq!(header_sorted, columns, "one column per field of the list's items");
    assert_eq!(header[0], "id");
    assert_eq!(rows.len(), expected.len());
    for (row, item) in rows.iter().zip(&expected) {
        let want: Vec<String> = header.iter().map(|c| csv_cell(&item[c])).collect();
        assert_eq!(row, &want);
    }
    // The guard, by example, and the quoting round-trips text with commas, quotes and newlines.
    let all: Vec<&String> = rows.iter().flatten().collect();
    assert!(all.iter().any(|c| c.as_str() == "'=HYPERLINK(\"http://x\")"));
    assert!(all.iter().any(|c| c.as_str() == "'-2+3"));
    assert!(all.iter().any(|c| c.as_str() == "-5"), "a plain number is left alone");
    assert!(all.iter().any(|c| c.as_str() == "two\nlines"));
    assert!(all.iter().any(|c| c.as_str() == "alice, \"the\" admin"));
    assert!(!all.iter().any(|c| c.starts_with("=cmd")));

    // Without gzip in Accept-Encoding: the same file, plain.
    let (status, headers, plain) = download(&app.http, &app, id, "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(String::from_utf8(plain).unwrap(), gunzip(&body));

    // JSON Lines: the list's items, as they are; an outcome filter.
    let expected = listed(&app, "command-logs", "outcome=error&bot_id=2").await;
    let job =
        export(&app, "command-logs", json!({"format": "jsonl", "filter": {"outcome": "error", "bot_id": 2}})).await;
    let (_, headers, body) = download(&app.http, &app, job["id"].as_i64().unwrap(), "identity").await;
    assert_eq!(headers["content-type"], "application/x-ndjson");
    assert!(headers["content-disposition"].to_str().unwrap().ends_with(".jsonl\""));
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines, expected);
    assert!(!lines.is_empty() && lines.iter().all(|l| l["outcome"] == "error" && l["bot_id"] == 2));

    // Bot logs and audit rows, the same way; no filter is every row.
    let lines: Vec<BotLogRecord> = (0..40)
        .map(|i| BotLogRecord {
            bot_id: 1,
            at: now - i * 1000,
            level: if i % 4 == 0 { "warn" } else { "info" },
            event: "connected".into(),
            message: format!("line {i}, \"quoted\""),
        })
        .collect();
    botfleet::logs::bot_logs::insert_batch(&app.store, &lines).await.unwrap();
    let expected = listed(&app, "bot-logs", "level=warn").await;
    let job = export(&app, "bot-logs", json!({"format": "jsonl", "filter": {"level": "warn"}})).await;
    let (_, _, body) = download(&app.http, &app, job["id"].as_i64().unwrap(), "identity").await;
    let got: Vec<Value> = String::from_utf8(body).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((got.len(), &got), (10, &expected));

    // Up to a moment before this export is asked for: its own audit row, written as its request
    // ends while the job may already be reading, is left out whatever the timing.
    let until = botfleet::time::now_ms() + 1;
    while botfleet::time::now_ms() < until {
        tokio::task::yield_now().await;
    }
    let filter = json!({"action": "logs.export", "until": until.to_string()});
    let job = export(&app, "audit-logs", json!({"filter": filter})).await;
    let expected = listed(&app, "audit-logs", &format!("action=logs.export&until={until}")).await;
    assert_eq!(expected.len(), 3, "one audit row per export started before this one");
    let (_, headers, body) = download(&app.http, &app, job["id"].as_i64().unwrap(), "identity").await;
    assert!(headers["content-disposition"].to_str().unwrap().contains("audit-logs-"));
    let (header, rows) = csv_rows(&String::from_utf8(body).unwrap());
    assert_eq!(rows.len(), 3, "csv is the default format");
    for (row, item) in rows.iter().zip(&expected) {
        let want: Vec<String> = header.iter().map(|c| csv_cell(&item[c])).collect();
        assert_eq!(row, &want);
    }
    assert_eq!(expected[0]["changes"]["source"], "bot_logs", "the newest before this one: {}", expected[0]);

    // The item run again (after a crash) keeps one file, the job's.
    let params = serde_json::from_value(job["params"].clone()).unwrap();
    let clock = Clock::system();
    let limits = botfleet::jobs::exports::ExportLimits::DEFAULT;
    let id = job["id"].as_i64().unwrap();
    for _ in 0..2 {
        botfleet::jobs::exports::run_item(&app.store, &clock, limits, id, &params).await.unwrap();
    }
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_files WHERE job_id = $1")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(n.0, 1);
    app.stop().await;
}

async fn exports_need_the_permission_that_reads_their_source(app: TestApp) {
    command_logs(&app, botfleet::time::now_ms()).await;
    let viewer = common::client_with_key(&TestApp::make_key(&app.store, botfleet::auth::Role::Viewer).await);
    let operator = common::client_with_key(&TestApp::make_key(&app.store, botfleet::auth::Role::Operator).await);
    let post = |client: &reqwest::Client, path: &str, body: Value| {
        client.post(format!("{}{path}", app.url)).json(&body).send()
    };

    // A viewer may not export the audit log (audit.read), nor download, cancel or retry an export of it.
    let r = post(&viewer, "/api/v1/audit-logs/export", json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, jobs) = app.get("/api/v1/jobs?kind=export").await;
    assert_eq!(jobs["items"], json!([]), "no job");
    let audit = export(&app, "audit-logs", json!({"format": "jsonl"})).await;
    let audit_id = audit["id"].as_i64().unwrap();
    let (status, _, body) = download(&viewer, &app, audit_id, "identity").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));
    for action in ["cancel", "retry"] {
        let r = post(&viewer, &format!("/api/v1/jobs/{audit_id}/{action}"), json!({})).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(download(&app.http, &app, audit_id, "identity").await.0, StatusCode::OK);

    // An operator (logs.read) exports command logs and downloads the file; so may a viewer.
    let r = post(&operator, "/api/v1/command-logs/export", json!({"format": "csv", "filter": {"bot_id": 1}}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let job: Value = r.json().await.unwrap();
    assert!(job["created_by"].as_str().unwrap().starts_with("key "), "{job}");
    let id = job["id"].as_i64().unwrap();
    assert_eq!(finished(&app, id).await["state"], "succeeded");
    for client in [&operator, &viewer] {
        let (status, _, body) = download(client, &app, id, "identity").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(csv_rows(&String::from_utf8(body).unwrap()).1.len(), 550);
    }
    // The operator's export has its audit row; another job's file is not a file.
    let (_, page) = app.get(&format!("/api/v1/audit-logs?action=logs.export&target_id={id}")).await;
    assert_eq!(page["items"][0]["changes"]["source"], "command_logs", "{page}");
    assert_eq!(page["items"][0]["changes"]["filter"], json!({"bot_id": 1}));
    let (status, retention) = app.post("/api/v1/settings/retention/run", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _, _) = download(&app.http, &app, retention["id"].as_i64().unwrap(), "identity").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(download(&app.http, &app, 999_999, "identity").await.0, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn a_bad_filter_is_refused_and_makes_no_job(app: TestApp) {
    let cases = [
        ("command-logs", json!({"filter": {"outcome": "nope"}}), "filter.outcome"),
        ("command-logs", json!({"filter": {"since": "yesterday"}}), "filter.since"),
        ("command-logs", json!({"filter": {"guild_id": "abc"}}), "filter.guild_id"),
        ("command-logs", json!({"filter": {"cursor": "x"}}), "filter.cursor"),
        ("command-logs", json!({"filter": {"limit": 10}}), "filter.limit"),
        ("command-logs", json!({"filter": {"colour": "red"}}), "filter"),
        ("command-logs", json!({"filter": {"bot_id": "one"}}), "filter"),
        ("command-logs", json!({"filter": [1]}), "filter"),
        ("command-logs", json!({"format": "xml"}), "format"),
        ("bot-logs", json!({"filter": {"level": "loud"}}), "filter.level"),
        ("bot-logs", json!({"filter": {"q": "a\u{0}b"}}), "filter.q"),
        ("audit-logs", json!({"filter": {"kind": "other"}}), "filter.kind"),
    ];
    for (what, body, field) in cases {
        let (status, error) = app.post(&format!("/api/v1/{what}/export"), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what} {body}: {error}");
        assert_eq!(error["error"]["fields"][0]["field"], field, "{what} {body}: {error}");
    }
    let (status, _) = app.post("/api/v1/command-logs/export", json!({"filter": {}, "extra": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown field of the body");
    let (_, jobs) = app.get("/api/v1/jobs?kind=export").await;
    assert_eq!(jobs["items"], json!([]), "no job");
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(n.0, 0);
    let (_, page) = app.get("/api/v1/audit-logs?action=logs.export").await;
    assert_eq!(page["items"], json!([]), "no audit row");
    app.stop().await;
}

async fn files_expire_by_the_service_s_clock(backend: Backend) {
    let start = botfleet::time::now_ms();
    let clock = Clock::manual(start);
    let shared = clock.clone();
    let Some(app) = TestApp::spawn_configured(backend, "http://127.0.0.1:9", |c| {
        quiet(c);
        c.clock = shared;
        c.exports.export_ttl_hours = 2;
    })
    .await
    else {
        return;
    };
    command_logs(&app, start).await;
    let job = export(&app, "command-logs", json!({"format": "jsonl", "filter": {"bot_id": 2}})).await;
    let id = job["id"].as_i64().unwrap();
    let expires_at = job["items"]["items"][0]["detail"]["expires_at"].as_str().unwrap().to_owned();
    assert_eq!(expires_at, botfleet::time::rfc3339(start + 2 * HOUR), "{job}");

    clock.advance(Duration::from_millis((2 * HOUR - 1) as u64));
    assert_eq!(download(&app.http, &app, id, "gzip").await.0, StatusCode::OK, "not yet");
    clock.advance(Duration::from_millis(1));
    let (status, _, body) = download(&app.http, &app, id, "gzip").await;
    assert_eq!(status, StatusCode::GONE);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "gone", "{error}");

    // The sweep (the runner's, as the clock moves) deletes the expired file; still 410.
    clock.advance(Duration::from_secs(600));
    until("the sweep to delete the file", 30, || async {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_files").fetch_one(app.store.pool()).await.unwrap();
        (n.0 == 0).then_some(())
    })
    .await;
    assert_eq!(download(&app.http, &app, id, "identity").await.0, StatusCode::GONE);
    app.stop().await;
}

async fn a_file_past_the_cap_fails_the_item_saying_to_narrow_the_filter(backend: Backend) {
    let Some(app) = TestApp::spawn_configured(backend, "http://127.0.0.1:9", |c| {
        quiet(c);
        c.exports.export_max_kib = 4;
    })
    .await
    else {
        return;
    };
    let now = botfleet::time::now_ms();
    // Text that does not compress: 600 lines of 40 pseudo-random hex digits are ~ 12 KiB gzipped.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let lines: Vec<BotLogRecord> = (0..600)
        .map(|i| {
            let message: String = (0..5)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("{x:08x}")
                })
                .collect();
            BotLogRecord { bot_id: 1, at: now - i, level: "info", event: "connected".into(), message }
        })
        .collect();
    botfleet::logs::bot_logs::insert_batch(&app.store, &lines).await.unwrap();
    let (status, job) = app.post("/api/v1/bot-logs/export", json!({"format": "csv"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let job = finished(&app, id).await;
    assert_eq!(job["state"], "failed", "{job}");
    let error = job["items"]["items"][0]["error"].as_str().unwrap();
    assert!(error.contains("4 KiB cap") && error.contains("narrow the filter"), "{error}");
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_files").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(n.0, 0, "no file kept");
    assert_eq!(download(&app.http, &app, id, "gzip").await.0, StatusCode::NOT_FOUND);

    // A narrower filter fits.
    let since = botfleet::time::rfc3339(now - 49);
    let job = export(&app, "bot-logs", json!({"filter": {"since": since}})).await;
    assert_eq!(job["items"]["items"][0]["detail"]["rows"], 50, "{job}");
    app.stop().await;
}

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_configured(backend, "http://127.0.0.1:9", quiet).await
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_export_s_file_matches_the_filter() {
        if let Some(app) = spawn(Backend::Sqlite).await {
            super::an_export_s_file_matches_the_filter(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exports_need_the_permission_that_reads_their_source() {
        if let Some(app) = spawn(Backend::Sqlite).await {
            super::exports_need_the_permission_that_reads_their_source(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bad_filter_is_refused_and_makes_no_job() {
        if let Some(app) = spawn(Backend::Sqlite).await {
            super::a_bad_filter_is_refused_and_makes_no_job(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn files_expire_by_the_service_s_clock() {
        super::files_expire_by_the_service_s_clock(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_past_the_cap_fails_the_item_saying_to_narrow_the_filter() {
        super::a_file_past_the_cap_fails_the_item_saying_to_narrow_the_filter(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_export_s_file_matches_the_filter() {
        if let Some(app) = spawn(Backend::Postgres).await {
            super::an_export_s_file_matches_the_filter(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exports_need_the_permission_that_reads_their_source() {
        if let Some(app) = spawn(Backend::Postgres).await {
            super::exports_need_the_permission_that_reads_their_source(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bad_filter_is_refused_and_makes_no_job() {
        if let Some(app) = spawn(Backend::Postgres).await {
            super::a_bad_filter_is_refused_and_makes_no_job(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn files_expire_by_the_service_s_clock() {
        super::files_expire_by_the_service_s_clock(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_past_the_cap_fails_the_item_saying_to_narrow_the_filter() {
        super::a_file_past_the_cap_fails_the_item_saying_to_narrow_the_filter(Backend::Postgres).await;
    }
}
