//! Migrations over existing data, on SQLite and on PostgreSQL: a database migrated up to an older
//! version, filled the way that version wrote rows, then migrated to the newest.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::Path;

use botfleet::logs::commands::{self, CommandKind, CommandRecord};
use botfleet::store::Store;
use common::Backend;
use sqlx::Connection;

/// A fresh, empty database (`None` when PostgreSQL is wanted but absent and not required).
async fn empty_database(backend: Backend, dir: &Path) -> Option<(Store, Option<String>)> {
    let url = match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.join("old.db").display()), None),
        Backend::Postgres => {
            let admin = common::postgres_admin_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) if std::env::var("BOTFLEET_TEST_REQUIRE_ALL").as_deref() != Ok("1") => {
                    eprintln!("SKIPPED: PostgreSQL not reachable at {admin} ({e})");
                    return None;
                }
                Err(e) => panic!("PostgreSQL is required but {admin} is not reachable: {e}"),
            };
            let name = format!("botfleet_migrate_{:x}{:x}", rand::random::<u64>(), std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
            let base = admin.rsplit_once('/').map_or(admin.clone(), |(b, _)| b.to_owned());
            (format!("{base}/{name}"), Some(name))
        }
    };
    Some((Store::connect(&url.0).await.unwrap(), url.1))
}

/// Applies the backend's migrations numbered below `before`, as an older release did.
async fn migrate_before(store: &Store, backend: Backend, before: u32, dir: &Path) {
    let folder = if backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(folder);
    let old = dir.join(format!("migrations-{folder}"));
    std::fs::create_dir_all(&old).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let version: u32 = name.split('_').next().unwrap().parse().unwrap();
        if version < before {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(old.as_path()).await.unwrap().run(store.pool()).await.unwrap();
}

/// Rows tracked before event ids were kept each get a distinct negative event id (the negated row
/// id), so none collides with another or with a real event; the row id counter carries on past
/// deleted rows; new rows name their event and a repeated event is one row.
async fn command_rows_from_before_event_ids_get_distinct_ids_that_no_event_has(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((store, pg_database)) = empty_database(backend, dir.path()).await else {
        return;
    };
    migrate_before(&store, backend, 11, dir.path()).await;
    for (bot, command) in [(1_i64, "ping"), (1, "ping"), (2, "stock"), (1, "help"), (2, "gone")] {
        sqlx::query(
            "INSERT INTO discord_command_logs (bot_id, received_at, guild_id, channel_id, user_id, user_name, command, \
             arguments, kind, response, outcome) VALUES ($1, 1800000000000, 5, 6, 7, 'alice', $2, '', 'prefix', 'pong', 'ok')",
        )
        .bind(bot)
        .bind(command)
        .execute(store.pool())
        .await
        .unwrap();
    }
    sqlx::query("DELETE FROM discord_command_logs WHERE command = 'gone'").execute(store.pool()).await.unwrap();

    store.migrate().await.unwrap();
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, event_id FROM discord_command_logs ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, [(1, -1), (2, -2), (3, -3), (4, -4)]);

    let mut record = CommandRecord::new(1, CommandKind::Slash, 1_800_000_001_000, "ping", String::new()).from(
        1_300_000_000_000_000_000,
        Some(5),
        6,
        7,
        "alice",
    );
    record.reply("pong");
    commands::insert_batch(&store, &[record.clone()]).await.unwrap();
    commands::insert_batch(&store, &[record]).await.unwrap();
    let new: Vec<(i64, i64)> = sqlx::query_as("SELECT id, event_id FROM discord_command_logs WHERE event_id > 0")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(new, [(6, 1_300_000_000_000_000_000)], "one row, after the deleted row 5");
    let null = sqlx::query(
        "INSERT INTO discord_command_logs (bot_id, received_at, channel_id, user_id, user_name, command, \
         arguments, kind, response, outcome) VALUES (1, 1, 6, 7, 'a', 'ping', '', 'prefix', '', 'ok')",
    )
    .execute(store.pool())
    .await;
    assert!(null.is_err(), "a row must name its event");
    store.close().await;
    if let Some(name) = pg_database {
        let mut admin = sqlx::PgConnection::connect(&common::postgres_admin_url()).await.unwrap();
        // FORCE: a pooled connection may still be closing; the test's verdict is above.
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    }
}

#[tokio::test]
async fn sqlite_command_rows_from_before_event_ids_get_distinct_ids_that_no_event_has() {
    command_rows_from_before_event_ids_get_distinct_ids_that_no_event_has(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_command_rows_from_before_event_ids_get_distinct_ids_that_no_event_has() {
    command_rows_from_before_event_ids_get_distinct_ids_that_no_event_has(Backend::Postgres).await;
}

/// Per-server stock channels (0027): stock messages and low-stock notices are kept per channel.
/// Rows written before keep their messages; a notice waiting then is for its bot's low-stock
/// channel of the moment (0 for a bot with none); a crossing is then one notice per channel.
async fn stock_rows_from_before_per_server_channels_keep_their_channel(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((store, pg_database)) = empty_database(backend, dir.path()).await else {
        return;
    };
    migrate_before(&store, backend, 27, dir.path()).await;
    let now = 1_800_000_000_000_i64;
    for (id, low) in [(1_i64, Some(1_300_000_000_000_000_001_i64)), (2, None)] {
        sqlx::query(
            "INSERT INTO bots (id, name, token_ciphertext, token_hint, prefix, intents, channel_ids, version, created_at, \
             updated_at, low_stock_channel_id) VALUES ($1, $2, 'x', '****abcd', '!', 0, '[]', 1, $3, $3, $4)",
        )
        .bind(id)
        .bind(format!("bot {id}"))
        .bind(now)
        .bind(low)
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO low_stock_notices (bot_id, product_id, crossing, content, state, created_at, updated_at) \
             VALUES ($1, 7, 3, 'Low stock', 'pending', $2, $2)",
        )
        .bind(id)
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    }
    for position in 0..2_i64 {
        sqlx::query(
            "INSERT INTO stock_messages (bot_id, position, channel_id, message_id, content_hash, updated_at) \
             VALUES (1, $1, 55, $2, 'h', $3)",
        )
        .bind(position)
        .bind(900 + position)
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    }

    store.migrate().await.unwrap();
    let notices: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, bot_id, channel_id FROM low_stock_notices ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(notices, [(1, 1, 1_300_000_000_000_000_001), (2, 2, 0)]);
    let messages: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT channel_id, position, message_id FROM stock_messages ORDER BY position")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(messages, [(55, 0, 900), (55, 1, 901)]);
    // The same position in another channel is another message now.
    let other = "INSERT INTO stock_messages (bot_id, position, channel_id, message_id, content_hash, updated_at) \
                 VALUES (1, 0, 66, 990, 'h', 1)";
    sqlx::query(other).execute(store.pool()).await.unwrap();
    // A crossing for another channel of bot 1 is a second notice; the same channel's is refused.
    let insert = "INSERT INTO low_stock_notices (bot_id, channel_id, product_id, crossing, content, state, \
                  created_at, updated_at) VALUES (1, $1, 7, 3, 'Low stock', 'pending', 1, 1)";
    sqlx::query(insert).bind(66_i64).execute(store.pool()).await.unwrap();
    let twice = sqlx::query(insert).bind(1_300_000_000_000_000_001_i64).execute(store.pool()).await;
    assert!(twice.is_err(), "one notice per (bot, channel, product, crossing)");
    let next: i64 = sqlx::query_scalar("SELECT MAX(id) FROM low_stock_notices").fetch_one(store.pool()).await.unwrap();
    assert_eq!(next, 3, "ids carry on");
    store.close().await;
    if let Some(name) = pg_database {
        let mut admin = sqlx::PgConnection::connect(&common::postgres_admin_url()).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    }
}

#[tokio::test]
async fn sqlite_stock_rows_from_before_per_server_channels_keep_their_channel() {
    stock_rows_from_before_per_server_channels_keep_their_channel(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_stock_rows_from_before_per_server_channels_keep_their_channel() {
    stock_rows_from_before_per_server_channels_keep_their_channel(Backend::Postgres).await;
}

/// One delivery queue (0030): alert deliveries made before move onto the webhooks' queue. Their
/// history stays (read through the incident's notifications); one still waiting keeps its
/// attempts, is rendered at start (the message with its incident) and is then claimed like any
/// delivery, to its alert channel; webhook deliveries keep their ids.
async fn alert_deliveries_from_before_the_one_queue_move_onto_it(backend: Backend) {
    use botfleet::webhooks::repo::{claim_due, Recipient};
    let dir = tempfile::tempdir().unwrap();
    let Some((store, pg_database)) = empty_database(backend, dir.path()).await else {
        return;
    };
    migrate_before(&store, backend, 30, dir.path()).await;
    let now = 1_800_000_000_000_i64;
    let pool = store.pool();
    sqlx::query(
        "INSERT INTO alert_incidents (rule_id, rule_name, subject, subject_label, bot_id, state, detail, started_at) \
         VALUES (3, 'Shop down', 'bot:1', 'Shop', 1, 'firing', 'gateway closed', $1)",
    )
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO alert_notifications (incident_id, kind, at, title, detail, muted) \
         VALUES (1, 'firing', $1, 'Shop is down', 'gateway closed', 0)",
    )
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    for (channel, state, attempts) in [(7_i64, "sent", 1_i64), (8, "pending", 2)] {
        sqlx::query(
            "INSERT INTO alert_deliveries (notification_id, channel_id, state, attempts, next_attempt_at, last_error, \
             sent_at) VALUES (1, $1, $2, $3, $4, NULL, NULL)",
        )
        .bind(channel)
        .bind(state)
        .bind(attempts)
        .bind(now + 5_000)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO webhooks (name, kind, url_sealed, url_hint, events, state, failures_in_a_row, version, created_at, \
         updated_at) VALUES ('w', 'http_webhook', 'x', 'http://x/', '[\"job\"]', 'paused', 0, 1, 1, 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_type, event_id, payload, state, attempts, \
         next_attempt_at, created_at) VALUES (41, 1, 'job', 'job:1', '{}', 'pending', 0, 1, 1)",
    )
    .execute(pool)
    .await
    .unwrap();

    store.migrate().await.unwrap();
    type Row = (i64, Option<i64>, Option<i64>, String, i64, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, webhook_id, channel_id, state, attempts, payload FROM webhook_deliveries ORDER BY channel_id, id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let summary: Vec<_> = rows.iter().map(|r| (r.1, r.2, r.3.as_str(), r.4, r.5.is_some())).collect();
    let mut expected = vec![(None, Some(7), "sent", 1, false), (None, Some(8), "pending", 2, false)];
    let webhook_row = (Some(1), None, "pending", 0, true);
    if backend == Backend::Sqlite {
        expected.insert(0, webhook_row); // NULLs sort first on SQLite, last on PostgreSQL
    } else {
        expected.push(webhook_row);
    }
    assert_eq!(summary, expected);
    assert!(rows.iter().any(|r| r.0 == 41 && r.1 == Some(1)), "a webhook delivery keeps its id");
    let history = botfleet::alerts::repo::notifications(&store, 1).await.unwrap();
    let states: Vec<_> = history[0].deliveries.iter().map(|d| (d.channel_id, d.state.as_str(), d.attempts)).collect();
    assert_eq!(states, [(7, "sent", 1), (8, "pending", 2)]);

    assert!(claim_due(&store, now + 10_000, 10).await.unwrap().is_empty(), "not claimed before it is rendered");
    assert_eq!(botfleet::alerts::repo::render_waiting(&store).await.unwrap(), 1);
    assert_eq!(botfleet::alerts::repo::render_waiting(&store).await.unwrap(), 0, "rendered once");
    assert!(claim_due(&store, now, 10).await.unwrap().is_empty(), "still due when it was");
    let due = claim_due(&store, now + 10_000, 10).await.unwrap();
    assert_eq!(due.len(), 1, "the paused webhook's delivery waits: {due:?}");
    assert_eq!((due[0].to, due[0].attempts, due[0].event_type.as_str()), (Recipient::AlertChannel(8), 2, "firing"));
    let message: serde_json::Value = serde_json::from_str(&due[0].payload).unwrap();
    assert_eq!(message["type"], "firing");
    assert_eq!(message["delivery_id"], due[0].id);
    assert_eq!(message["title"], "Shop is down");
    assert_eq!(message["incident"]["rule_name"], "Shop down");
    let embed: serde_json::Value = serde_json::from_str(due[0].discord.as_deref().unwrap()).unwrap();
    assert_eq!(embed["embeds"][0]["title"], "Shop is down");

    let orphan = sqlx::query(
        "INSERT INTO webhook_deliveries (event_type, event_id, payload, state, attempts, next_attempt_at, created_at) \
         VALUES ('job', 'x', '{}', 'pending', 0, 1, 1)",
    )
    .execute(pool)
    .await;
    assert!(orphan.is_err(), "a delivery goes to a webhook or to a channel");
    store.close().await;
    if let Some(name) = pg_database {
        let mut admin = sqlx::PgConnection::connect(&common::postgres_admin_url()).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    }
}

#[tokio::test]
async fn sqlite_alert_deliveries_from_before_the_one_queue_move_onto_it() {
    alert_deliveries_from_before_the_one_queue_move_onto_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_alert_deliveries_from_before_the_one_queue_move_onto_it() {
    alert_deliveries_from_before_the_one_queue_move_onto_it(Backend::Postgres).await;
}
