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
