//! Retention on SQLite and PostgreSQL: the sweep deletes exactly the rows older than each table's
//! cutoff (in batches, alert history only when resolved and delivered), writes one audit row per
//! run, leaves tables kept forever alone, takes ended jobs whole (items and files with them), and
//! never stops commands from being tracked; the
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
        "INSERT INTO webhook_deliveries (notification_id, channel_id, event_type, event_id, payload, state, attempts, \
         next_attempt_at, created_at) VALUES ($1, 1, 'firing', $2, '{}', $3, 1, $4, $4) RETURNING id",
    )
    .bind(n)
    .bind(format!("alert-notification:{n}"))
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
        job_history_days: 90,
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
    // On the one delivery queue: alert channels' rows go with their notifications only.
    assert_eq!(ids(&store, "SELECT id FROM webhook_deliveries WHERE channel_id IS NOT NULL").await, deliveries_kept);
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
                          "alert_history_days": 180, "job_history_days": 90, "audit_days": 365});
    assert_eq!(got, defaults);

    let (status, put) =
        app.call(Method::PUT, "/api/v1/settings/retention", Some(json!({"bot_logs_days": 7, "audit_days": 0}))).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let changed = json!({"command_logs_days": 45, "bot_logs_days": 7, "performance_days": 90,
                         "alert_history_days": 180, "job_history_days": 90, "audit_days": 0});
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

/// Retention as a job (`POST /settings/retention/run`, and the daily run): one item per table,
/// each with what it deleted; exactly the old rows go; the run writes one `retention.sweep` audit
/// row naming its job; the daily key makes one job a day whichever node submits; admin only.
async fn retention_runs_as_a_job_with_one_item_per_table(app: TestApp) {
    let store = app.store.clone();
    let now = botfleet::time::now_ms();
    let mut kept_commands = Vec::new();
    for i in 0..30 {
        command_log(&store, 1, 10_000 + i, now - 91 * DAY - i).await;
    }
    for i in 0..3 {
        kept_commands.push(command_log(&store, 1, 20_000 + i, now - 89 * DAY + i).await);
    }
    for i in 0..8 {
        bot_log(&store, now - 31 * DAY - i).await;
    }
    let kept_bot_log = bot_log(&store, now - DAY).await;
    for i in 0..4 {
        audit_row(&store, now - 366 * DAY - i).await;
    }

    for role in [botfleet::auth::Role::Viewer, botfleet::auth::Role::Operator] {
        let client = common::client_with_key(&TestApp::make_key(&app.store, role).await);
        let r = client.post(format!("{}/api/v1/settings/retention/run", app.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
    let (status, job) = app.post("/api/v1/settings/retention/run", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "retention");
    assert_eq!(job["total"], 6);
    assert_eq!(job["params"]["days"]["command_logs_days"], 90);
    let id = job["id"].as_i64().unwrap();
    let job = until("the retention job to end", 60, || async {
        let (_, job) = app.get(&format!("/api/v1/jobs/{id}")).await;
        (job["state"] != "queued" && job["state"] != "running").then_some(job)
    })
    .await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let items = job["items"]["items"].as_array().unwrap();
    let deleted: Vec<(&str, i64)> =
        items.iter().map(|i| (i["target"].as_str().unwrap(), i["detail"]["deleted"].as_i64().unwrap())).collect();
    assert_eq!(
        deleted,
        [
            ("command_logs", 30),
            ("bot_logs", 8),
            ("performance", 0),
            ("alert_history", 0),
            ("job_history", 0),
            ("audit", 4)
        ],
        "{job}"
    );
    assert!(items[0]["detail"]["cutoff"].as_str().is_some_and(|c| c.starts_with('2')), "{job}");

    let commands_left = ids(&store, "SELECT id FROM discord_command_logs").await;
    assert_eq!(commands_left, kept_commands);
    assert_eq!(ids(&store, "SELECT id FROM discord_bot_logs").await, [kept_bot_log]);
    assert!(ids(&store, "SELECT id FROM discord_audit_logs WHERE action = 'test.row'").await.is_empty());

    // One audit row for the run, naming its job, once the job has ended (written just after it
    // ends: waited for); and one for starting it.
    let page = until("the run's audit row", 30, || async {
        let (_, page) = app.get("/api/v1/audit-logs?action=retention.sweep").await;
        (!page["items"].as_array()?.is_empty()).then_some(page)
    })
    .await;
    let rows = page["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["detail"]["job_id"], id);
    assert_eq!(rows[0]["detail"]["total"], 42);
    assert_eq!(rows[0]["detail"]["deleted"]["discord_command_logs"], 30);
    let (_, page) = app.get("/api/v1/audit-logs?action=retention.run").await;
    assert_eq!(page["items"][0]["target_id"], id.to_string(), "{page}");

    // The jobs list filters by the kind.
    let (status, page) = app.get("/api/v1/jobs?kind=retention").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // The daily run's key: a second node submitting the same day gets the same job.
    let key = botfleet::jobs::retention::daily_key(now);
    let kind = botfleet::jobs::model::JobKind::Retention;
    let params = json!({"now_ms": now, "days": RetentionSettings::default()});
    let targets = botfleet::jobs::retention::targets();
    let first = botfleet::jobs::repo::create(&store, kind, &params, &targets, "system", now, Some(&key)).await.unwrap();
    let again = botfleet::jobs::repo::create(&store, kind, &params, &targets, "system", now, Some(&key)).await.unwrap();
    assert_eq!(first.id, again.id);
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_items WHERE job_id = $1")
        .bind(first.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n.0, 6, "the second submission added no items");
    app.stop().await;
}

/// A job of `state` that ended (or not) at `finished`, with 3 items and, when `file`, a file.
async fn job(store: &Store, state: &str, finished: Option<i64>, file: bool) -> i64 {
    use botfleet::jobs::{model::JobKind, repo};
    let targets: Vec<String> = (1..=3).map(|i| i.to_string()).collect();
    let id = repo::create(store, JobKind::BotsBulk, &json!({"action": "start"}), &targets, "test", 0, None)
        .await
        .unwrap()
        .id;
    sqlx::query("UPDATE jobs SET state = $1, finished_at = $2 WHERE id = $3")
        .bind(state.to_owned())
        .bind(finished)
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    if file {
        sqlx::query(
            "INSERT INTO job_files (job_id, name, content_type, bytes, size, row_count, created_at, expires_at) \
             VALUES ($1, 'f.csv.gz', 'text/csv', $2, 1, 1, 0, $3)",
        )
        .bind(id)
        .bind(vec![1u8])
        .bind(i64::MAX)
        .execute(store.pool())
        .await
        .unwrap();
    }
    id
}

async fn low_stock_notice(store: &Store, product: i64, state: &str, updated: i64) -> i64 {
    sqlx::query_as::<_, (i64,)>(
        "INSERT INTO low_stock_notices (bot_id, product_id, crossing, content, state, created_at, updated_at) \
         VALUES (1, $1, 1, 'low', $2, $3, $3) RETURNING id",
    )
    .bind(product)
    .bind(state.to_owned())
    .bind(updated)
    .fetch_one(store.pool())
    .await
    .unwrap()
    .0
}

/// Job history: ended jobs older than the cutoff go whole (items, file, job), in batches; a job
/// still running or queued stays however old, and so does a recent one; finished low-stock
/// notices, scheduled runs and webhook deliveries go, one still to send stays.
async fn ended_jobs_and_finished_notices_go_after_their_days(app: TestApp) {
    let store = app.store.clone();
    let now = botfleet::time::now_ms();
    let cutoff = now - 90 * DAY;
    let mut gone = Vec::new();
    for (i, state) in ["succeeded", "failed", "partial", "cancelled", "succeeded"].into_iter().enumerate() {
        gone.push(job(&store, state, Some(cutoff - 1 - i as i64 * DAY), i == 0).await);
    }
    let running = job(&store, "running", None, false).await;
    let queued = job(&store, "queued", None, false).await;
    let recent = job(&store, "succeeded", Some(cutoff + 1), true).await;
    let old_sent = low_stock_notice(&store, 1, "sent", cutoff - 1).await;
    let old_unknown = low_stock_notice(&store, 2, "unknown", cutoff - DAY).await;
    let old_pending = low_stock_notice(&store, 3, "pending", cutoff - DAY).await;
    let recent_sent = low_stock_notice(&store, 4, "sent", cutoff + 1).await;
    for (at, state) in [(cutoff - 1, "sent"), (cutoff - 2, "skipped"), (cutoff - 3, "queued"), (cutoff + 1, "sent")] {
        sqlx::query("INSERT INTO schedule_runs (schedule_id, at, state, late, recorded_at) VALUES (1, $1, $2, 0, $1)")
            .bind(at)
            .bind(state.to_owned())
            .execute(store.pool())
            .await
            .unwrap();
    }

    // Webhook deliveries: those sent or given up go; one still to try stays however old.
    sqlx::query(
        "INSERT INTO webhooks (name, kind, url_sealed, url_hint, events, state, failures_in_a_row, version, created_at, \
         updated_at) VALUES ('w', 'http_webhook', 'x', 'http://x/', '[\"job\"]', 'active', 0, 1, 1, 1)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    for (i, (at, state)) in
        [(cutoff - 1, "sent"), (cutoff - 2, "failed"), (cutoff - 3, "pending"), (cutoff + 1, "sent")]
            .into_iter()
            .enumerate()
    {
        sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, state, attempts, \
             next_attempt_at, created_at) SELECT id, 'job', $1, '{}', $2, 1, $3, $3 FROM webhooks",
        )
        .bind(format!("job:{i}"))
        .bind(state.to_owned())
        .bind(at)
        .execute(store.pool())
        .await
        .unwrap();
    }

    let mut report = Report::default();
    let mut go_on = keep_going;
    let flow =
        retention::sweep_table(&store, retention::Table::JobHistory, cutoff, 2, &mut report, &mut go_on).await.unwrap();
    assert!(flow.is_continue());
    assert_eq!(
        (report.jobs, report.job_items, report.job_files, report.low_stock_notices),
        (5, 15, 1, 2),
        "{report:?}"
    );
    let mut kept = vec![running, queued, recent];
    kept.sort_unstable();
    assert_eq!(ids(&store, "SELECT id FROM jobs").await, kept);
    let items_left = ids(&store, "SELECT DISTINCT job_id FROM job_items").await;
    assert_eq!(items_left, kept, "the items of the jobs that went went with them");
    assert_eq!(ids(&store, "SELECT job_id FROM job_files").await, [recent]);
    let mut notices = vec![old_pending, recent_sent];
    notices.sort_unstable();
    assert_eq!(ids(&store, "SELECT id FROM low_stock_notices").await, notices);
    assert!(!notices.contains(&old_sent) && !notices.contains(&old_unknown));
    assert_eq!(report.webhook_deliveries, 2, "{report:?}");
    let left: Vec<(String, i64)> = sqlx::query_as("SELECT state, created_at FROM webhook_deliveries ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(left, [("pending".to_owned(), cutoff - 3), ("sent".to_owned(), cutoff + 1)]);
    assert!(gone.iter().all(|id| !kept.contains(id)));
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_runs_as_a_job_with_one_item_per_table() {
        if let Some(app) = quiet(Backend::Sqlite).await {
            super::retention_runs_as_a_job_with_one_item_per_table(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ended_jobs_and_finished_notices_go_after_their_days() {
        if let Some(app) = quiet(Backend::Sqlite).await {
            super::ended_jobs_and_finished_notices_go_after_their_days(app).await;
        }
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_runs_as_a_job_with_one_item_per_table() {
        if let Some(app) = quiet(Backend::Postgres).await {
            super::retention_runs_as_a_job_with_one_item_per_table(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ended_jobs_and_finished_notices_go_after_their_days() {
        if let Some(app) = quiet(Backend::Postgres).await {
            super::ended_jobs_and_finished_notices_go_after_their_days(app).await;
        }
    }
}
