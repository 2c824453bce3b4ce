//! Retention on SQLite and PostgreSQL: the sweep deletes exactly the rows older than each table's
//! cutoff (in batches, alert history only when resolved and delivered), writes one audit row per
//! run, leaves tables kept forever alone, and never stops commands from being tracked; the
//! settings API round-trips, validates and is admin-only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use botfleet::retention::{self, Report, RetentionSettings};
use botfleet::store::Store;
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn keep_going(_: Report) -> std::future::Ready<ControlFlow<()>> {
    std::future::ready(ControlFlow::Continue(()))
}

async fn ids(store: &Store, sql: &str) -> Vec<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap();
    let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
    ids.sort_unstable();
    ids
}

async fn one_id(store: &Store, sql: &str, binds: &[i64]) -> i64 {
    let q = binds.iter().fold(sqlx::query_as::<_, (i64,)>(sql), |q, b| q.bind(*b));
    q.fetch_one(store.pool()).await.unwrap().0
}

async fn command_log(store: &Store, bot: i64, event: i64, at: i64) -> i64 {
    one_id(
        store,
        "INSERT INTO discord_command_logs (bot_id, event_id, received_at, channel_id, user_id, user_name, command, \
         arguments, kind, response, outcome) VALUES ($1, $2, $3, 1, 2, 'alice', 'ping', '', 'prefix', 'pong', 'ok') \
         RETURNING id",
        &[bot, event, at],
    )
    .await
}

async fn bot_log(store: &Store, at: i64) -> i64 {
    one_id(
        store,
        "INSERT INTO discord_bot_logs (bot_id, at, level, event, message) VALUES (1, $1, 'info', 'ready', 'hi') RETURNING id",
        &[at],
    )
    .await
}

async fn performance(store: &Store, resolution: i64, at: i64) -> i64 {
    one_id(
        store,
        "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
         latency_sum_us, latency_count) VALUES ($1, $2, 'n1', 1, 1, 0, 0, 10, 1) RETURNING id",
        &[at, resolution],
    )
    .await
}

async fn audit_row(store: &Store, at: i64) -> i64 {
    one_id(
        store,
        "INSERT INTO discord_audit_logs (at, kind, action, actor_type) VALUES ($1, 'action', 'test.row', 'system') \
         RETURNING id",
        &[at],
    )
    .await
}

/// An incident (`resolved_at` None: still firing).
async fn incident(store: &Store, started: i64, resolved: Option<i64>) -> i64 {
    let state = if resolved.is_some() { "resolved" } else { "firing" };
    let sql = format!(
        "INSERT INTO alert_incidents (rule_id, rule_name, subject, subject_label, state, detail, started_at, resolved_at) \
         VALUES (1, 'down', 'bot:1', 'Shop', '{state}', 'x', $1, $2) RETURNING id"
    );
    sqlx::query_as::<_, (i64,)>(&sql).bind(started).bind(resolved).fetch_one(store.pool()).await.unwrap().0
}

/// A notification at `at` with one delivery in `delivery` state; (notification, delivery).
async fn notification(store: &Store, incident: Option<i64>, at: i64, delivery: &str) -> (i64, i64) {
    let n = sqlx::query_as::<_, (i64,)>(
        "INSERT INTO alert_notifications (incident_id, kind, at, title, detail, muted) VALUES ($1, 'firing', $2, 't', 'd', 0) \
         RETURNING id",
    )
    .bind(incident)
    .bind(at)
    .fetch_one(store.pool())
    .await
    .unwrap()
    .0;
    let d = sqlx::query_as::<_, (i64,)>(
        "INSERT INTO alert_deliveries (notification_id, channel_id, state, attempts, next_attempt_at) \
         VALUES ($1, 1, $2, 1, $3) RETURNING id",
    )
    .bind(n)
    .bind(delivery.to_owned())
    .bind(at)
    .fetch_one(store.pool())
    .await
    .unwrap()
    .0;
    (n, d)
}

/// Rows on both sides of every cutoff; a sweep with batches of 7 takes exactly the old ones.
async fn the_sweep_deletes_exactly_the_rows_past_each_cutoff(app: TestApp) {
    let store = app.store.clone();
    let now = botfleet::time::now_ms();
    let s = RetentionSettings {
        command_logs_days: 90,
        bot_logs_days: 30,
        performance_days: 60,
        alert_history_days: 180,
        audit_days: 365,
    };
    let cut = |days: i64| now - days * DAY;

    // Per table: 20 rows before the cutoff (the nearest 1 ms past it), 3 from the cutoff on.
    let mut kept = Vec::new();
    for i in 0..20 {
        command_log(&store, 1, -i - 1, cut(90) - 1 - i * DAY).await;
    }
    for i in 0..3 {
        kept.push(command_log(&store, 1, i + 1, cut(90) + i).await);
    }
    let (mut bot_gone, mut bot_kept) = (Vec::new(), Vec::new());
    for i in 0..20 {
        bot_gone.push(bot_log(&store, cut(30) - 1 - i).await);
    }
    for i in 0..3 {
        bot_kept.push(bot_log(&store, cut(30) + i).await);
    }
    let mut perf_kept = Vec::new();
    for resolution in [10, 60, 3_600] {
        for i in 0..9 {
            performance(&store, resolution, cut(60) - 1 - i * 3_600_000).await;
        }
        perf_kept.push(performance(&store, resolution, cut(60)).await);
    }
    let mut audit_kept = Vec::new();
    for i in 0..20 {
        audit_row(&store, cut(365) - 1 - i).await;
    }
    for i in 0..3 {
        audit_kept.push(audit_row(&store, cut(365) + i).await);
    }

    // Alert history, cutoff 180 days.
    let old = cut(180) - 1;
    for _ in 0..10 {
        let i = incident(&store, old - DAY, Some(old)).await;
        for at in [old - DAY, old] {
            notification(&store, Some(i), at, "sent").await;
        }
    }
    // Without an incident (a channel test), delivered or failed: old ones go.
    notification(&store, None, old, "failed").await;
    // Stay: an incident resolved just within the cutoff (with its old firing notification), one
    // still firing since long ago, and an old notification still waiting to be delivered.
    let recent = incident(&store, old - DAY, Some(cut(180))).await;
    let (recent_n, recent_d) = notification(&store, Some(recent), old - DAY, "sent").await;
    let firing = incident(&store, old - 100 * DAY, None).await;
    let (firing_n, firing_d) = notification(&store, Some(firing), old - 100 * DAY, "sent").await;
    let (pending_n, pending_d) = notification(&store, None, old, "pending").await;

    // First with bot logs kept forever: they stay, the rest goes.
    let forever = RetentionSettings { bot_logs_days: 0, ..s };
    let batches = Arc::new(AtomicU64::new(0));
    let counted = batches.clone();
    let report = retention::sweep(&store, &forever, now, 7, move |_| {
        counted.fetch_add(1, Ordering::Relaxed);
        std::future::ready(ControlFlow::Continue(()))
    })
    .await
    .unwrap();
    assert_eq!(report.command_logs, 20);
    assert_eq!(report.bot_logs, 0, "kept forever");
    assert_eq!(report.performance, 27);
    assert_eq!(report.alert_incidents, 10);
    assert_eq!((report.alert_notifications, report.alert_deliveries), (21, 21));
    assert_eq!(report.audit, 20);
    assert!(!report.stopped);
    // 20 rows in batches of 7 are 3 batches; 9 per resolution 2; 21 notifications 3; 10
    // incidents 2; 20 audit rows 3.
    assert_eq!(batches.load(Ordering::Relaxed), 3 + 3 * 2 + 3 + 2 + 3, "deleted in batches of 7");

    assert_eq!(ids(&store, "SELECT id FROM discord_command_logs").await, kept);
    let all_bot_logs: Vec<i64> = bot_gone.iter().chain(&bot_kept).copied().collect();
    assert_eq!(ids(&store, "SELECT id FROM discord_bot_logs").await, all_bot_logs);
    perf_kept.sort_unstable();
    assert_eq!(ids(&store, "SELECT id FROM discord_performance_metrics").await, perf_kept);
    assert_eq!(ids(&store, "SELECT id FROM alert_incidents").await, vec![recent, firing]);
    let mut notes_kept = vec![recent_n, firing_n, pending_n];
    notes_kept.sort_unstable();
    assert_eq!(ids(&store, "SELECT id FROM alert_notifications").await, notes_kept);
    let mut deliveries_kept = vec![recent_d, firing_d, pending_d];
    deliveries_kept.sort_unstable();
    assert_eq!(ids(&store, "SELECT id FROM alert_deliveries").await, deliveries_kept);
    let audit_left = ids(&store, "SELECT id FROM discord_audit_logs WHERE action = 'test.row'").await;
    assert_eq!(audit_left, audit_kept);

    // One audit row for the run, saying what went and where each cutoff was.
    let (status, page) = app.get("/api/v1/audit-logs?action=retention.sweep").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let rows = page["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    let detail = &rows[0]["detail"];
    assert_eq!(rows[0]["actor_type"], "system");
    assert_eq!(detail["deleted"]["discord_command_logs"], 20, "{detail}");
    assert_eq!(detail["deleted"]["discord_performance_metrics"], 27);
    assert_eq!(detail["deleted"]["alert_deliveries"], 21);
    assert_eq!(detail["deleted"]["discord_bot_logs"], 0);
    assert_eq!(detail["total"], report.total());
    assert_eq!(detail["cutoffs"]["command_logs"], botfleet::time::rfc3339(cut(90)));
    assert_eq!(detail["cutoffs"]["bot_logs"], Value::Null, "kept forever");

    // Then with 30 days for bot logs: exactly the old ones go; a second audit row.
    let report = retention::sweep(&store, &s, now, 7, keep_going).await.unwrap();
    assert_eq!((report.bot_logs, report.total()), (20, 20), "{report:?}");
    assert_eq!(ids(&store, "SELECT id FROM discord_bot_logs").await, bot_kept);
    let (_, page) = app.get("/api/v1/audit-logs?action=retention.sweep").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    // Nothing left to do: nothing more goes.
    assert_eq!(retention::sweep(&store, &s, now, 7, keep_going).await.unwrap().total(), 0);

    // `on_progress` stops a sweep between two batches; the run is still audited.
    for i in 0..20 {
        command_log(&store, 1, -100 - i, cut(90) - 1).await;
    }
    let report = retention::sweep(&store, &s, now, 7, |_| std::future::ready(ControlFlow::Break(()))).await.unwrap();
    assert!(report.stopped);
    assert_eq!(report.command_logs, 7, "one batch, then stopped");
    let (_, page) = app.get("/api/v1/audit-logs?action=retention.sweep&limit=1").await;
    assert_eq!(page["items"][0]["detail"]["stopped"], true);
}

/// The settings API: the flags' defaults, overrides stored and audited, validation, admin only.
async fn the_settings_round_trip_are_checked_and_admin_only(app: TestApp) {
    let (status, got) = app.get("/api/v1/settings/retention").await;
    assert_eq!(status, StatusCode::OK, "{got}");
    // `command_logs_days` comes from the flag this test set.
    let defaults = json!({"command_logs_days": 45, "bot_logs_days": 30, "performance_days": 90,
                          "alert_history_days": 180, "audit_days": 365});
    assert_eq!(got, defaults);

    let (status, put) =
        app.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"bot_logs_days": 7, "audit_days": 0}))).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let changed = json!({"command_logs_days": 45, "bot_logs_days": 7, "performance_days": 90,
                         "alert_history_days": 180, "audit_days": 0});
    assert_eq!(put, changed);
    assert_eq!(app.get("/api/v1/settings/retention").await.1, changed);
    // The sweep reads the stored overrides.
    let flags = RetentionSettings { command_logs_days: 45, ..Default::default() };
    let service = retention::Retention::new(app.store.clone(), flags);
    let in_force = service.settings().await.unwrap();
    assert_eq!((in_force.bot_logs_days, in_force.audit_days, in_force.command_logs_days), (7, 0, 45));
    // Audited old → new.
    let (_, page) = app.get("/api/v1/audit-logs?action=settings.retention").await;
    let rows = page["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(
        rows[0]["changes"],
        json!({"bot_logs_days": {"old": 30, "new": 7}, "audit_days": {"old": 365, "new": 0}})
    );

    // A field left out returns to its default.
    let (status, put) = app.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"audit_days": 0}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(put["bot_logs_days"], 30);
    let (status, put) = app.call(Method::PUT, "/api/v1/settings/retention", Some(json!({}))).await;
    assert_eq!((status, &put), (StatusCode::OK, &defaults));
    let (_, page) = app.get("/api/v1/audit-logs?action=settings.retention").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    // Saving what is already in force changes nothing and writes no row.
    app.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"command_logs_days": 45}))).await;
    let (_, page) = app.get("/api/v1/audit-logs?action=settings.retention").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);

    // Validation: unknown fields and wrong types 400, values out of range 422 naming each field.
    for (body, want) in [
        (json!({"command_logs": 7}), StatusCode::BAD_REQUEST),
        (json!({"bot_logs_days": "seven"}), StatusCode::BAD_REQUEST),
        (json!({"bot_logs_days": 1.5}), StatusCode::BAD_REQUEST),
        (json!({"bot_logs_days": 3651}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"bot_logs_days": -1}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, answer) = app.call(Method::PUT, "/api/v1/settings/retention", Some(body.clone())).await;
        assert_eq!(status, want, "{body}: {answer}");
    }
    let (status, answer) = app
        .call(Method::PUT, "/api/v1/settings/retention", Some(json!({"performance_days": 4000, "audit_days": -3})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        answer["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["performance_days", "audit_days"], "{answer}");
    assert_eq!(app.get("/api/v1/settings/retention").await.1, defaults, "nothing changed");

    // settings.manage: admins only.
    for role in [botfleet::auth::Role::Viewer, botfleet::auth::Role::Operator] {
        let client = common::client_with_key(&TestApp::make_key(&app.store, role).await);
        let url = format!("{}/api/v1/settings/retention", app.url);
        assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{role}");
        let put = client.put(&url).json(&json!({"audit_days": 1})).send().await.unwrap();
        assert_eq!(put.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(app.get("/api/v1/settings/retention").await.1, defaults);

    // The document says the same rules (what schema-driven clients and tests read).
    let (_, doc) = app.get("/api/openapi.json").await;
    let body = &doc["components"]["schemas"]["RetentionOverrides"];
    assert_eq!(body["additionalProperties"], false, "{body}");
    assert_eq!(body["properties"]["audit_days"]["maximum"], 3650, "{body}");
    assert_eq!(body["properties"]["audit_days"]["minimum"], 0, "{body}");
}

/// 20,000 old command rows deleted in batches while a bot answers commands: every command is
/// tracked, including one sent and stored between two batches of the sweep.
async fn commands_keep_being_tracked_while_a_sweep_runs(backend: Backend) {
    let emulator = Arc::new(Emulator::start(EmulatorConfig::default()).await.unwrap());
    let shop = emulator.create_application(ApplicationSpec { name: "Shop".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    let channels: Vec<u64> = (0..4).map(|i| emulator.create_channel(guild, &format!("c{i}")).unwrap()).collect();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let Some(app) = TestApp::spawn_configured(backend, emulator.http_url(), |c| c.monitoring = false).await else {
        return;
    };
    let (status, bot) =
        app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.token, "anti_spam": {"enabled": false}})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
    until("the bot to run", 30, || async {
        (app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
    })
    .await;

    // 20,000 rows 100 days old, for this bot, in one statement.
    let now = botfleet::time::now_ms();
    let old = now - 100 * DAY;
    sqlx::query(
        "INSERT INTO discord_command_logs (bot_id, event_id, received_at, channel_id, user_id, user_name, command, \
         arguments, kind, response, outcome) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
         SELECT $1, -i, $2 + i, 1, 2, 'old', 'ping', '', 'prefix', 'pong', 'ok' FROM n",
    )
    .bind(id)
    .bind(old)
    .execute(app.store.pool())
    .await
    .unwrap();

    let tracked = move |store: Store, arguments: String| async move {
        let n: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM discord_command_logs WHERE bot_id = $1 AND arguments = $2")
                .bind(id)
                .bind(arguments)
                .fetch_one(store.pool())
                .await
                .ok()?;
        Some(n.0)
    };

    // A burst as the sweep starts, and one command sent and waited for after every 5,000 rows.
    let sweep = {
        let (store, emulator, channels) = (app.store.clone(), emulator.clone(), channels.clone());
        let checkpoint = Arc::new(AtomicU64::new(0));
        tokio::spawn(async move {
            let (settings, target) = (RetentionSettings::default(), store.clone());
            retention::sweep(&target, &settings, now, 500, move |report: Report| {
                let (store, emulator, channels) = (store.clone(), emulator.clone(), channels.clone());
                let checkpoint = checkpoint.clone();
                async move {
                    let k = report.command_logs / 5_000;
                    if k > checkpoint.swap(k, Ordering::Relaxed) {
                        let channel = channels[usize::try_from(k).unwrap() % channels.len()];
                        emulator.user_message(alice, channel, &format!("!ping mid{k}")).unwrap();
                        until("a command sent mid-sweep to be tracked", 60, || {
                            tracked(store.clone(), format!("mid{k}"))
                        })
                        .await;
                    }
                    ControlFlow::Continue(())
                }
            })
            .await
        })
    };
    for i in 0..12 {
        emulator.user_message(alice, channels[i % channels.len()], &format!("!ping burst{i}")).unwrap();
    }
    let report = sweep.await.unwrap().unwrap();
    assert_eq!(report.command_logs, 20_000, "{report:?}");

    let mut expected: Vec<String> = (0..12).map(|i| format!("burst{i}")).collect();
    expected.extend((1..=4).map(|k| format!("mid{k}")));
    for arguments in &expected {
        let n = until(&format!("{arguments} to be tracked"), 60, || async {
            tracked(app.store.clone(), arguments.clone()).await.filter(|n| *n > 0)
        })
        .await;
        assert_eq!(n, 1, "{arguments} tracked once");
    }
    let old_left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM discord_command_logs WHERE received_at < $1")
        .bind(now - 90 * DAY)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(old_left.0, 0);
    let metrics = app.http.get(format!("{}/metrics", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("botfleet_tracking_records_dropped_total 0"), "nothing dropped");
    let replies: usize =
        channels.iter().map(|c| emulator.messages(*c).unwrap().into_iter().filter(|m| m.author_is_bot).count()).sum();
    assert_eq!(replies, expected.len(), "every command answered");
    app.stop().await;
}

/// A flag default for the settings test.
async fn with_flag(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_configured(backend, "http://127.0.0.1:9", |c| c.retention.command_logs_days = 45).await
}

/// No sampler or alert engine writing into the tables under test.
async fn quiet(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_configured(backend, "http://127.0.0.1:9", |c| c.monitoring = false).await
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sweep_deletes_exactly_the_rows_past_each_cutoff() {
        if let Some(app) = quiet(Backend::Sqlite).await {
            super::the_sweep_deletes_exactly_the_rows_past_each_cutoff(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_settings_round_trip_are_checked_and_admin_only() {
        if let Some(app) = with_flag(Backend::Sqlite).await {
            super::the_settings_round_trip_are_checked_and_admin_only(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commands_keep_being_tracked_while_a_sweep_runs() {
        super::commands_keep_being_tracked_while_a_sweep_runs(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sweep_deletes_exactly_the_rows_past_each_cutoff() {
        if let Some(app) = quiet(Backend::Postgres).await {
            super::the_sweep_deletes_exactly_the_rows_past_each_cutoff(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_settings_round_trip_are_checked_and_admin_only() {
        if let Some(app) = with_flag(Backend::Postgres).await {
            super::the_settings_round_trip_are_checked_and_admin_only(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commands_keep_being_tracked_while_a_sweep_runs() {
        super::commands_keep_being_tracked_while_a_sweep_runs(Backend::Postgres).await;
    }
}
