//! Fills a botfleet database with command-log and bot-log rows shaped like a shop fleet's
//! (`bench::logs`): migrates it first, then writes through botfleet's own batch inserts — the
//! tracking writer's SQL, so the search triggers and indexes are kept as they are in production.
//!
//!   logs-gen --database-url sqlite:///var/tmp/logs.db?mode=rwc --rows 1000000
//!   logs-gen --database-url postgres://postgres@127.0.0.1/logs --rows 1000000 --days 30
//!
//! `--bulk` fills faster for the benchmarks at 10 M rows: the log tables' secondary indexes and
//! search triggers are dropped first and built again at the end (SQLite's FTS5 tables rebuilt
//! from their content), so the result is the same database; it is not what the writer does, which
//! `search-bench` measures on its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use bench::logs::{Rng, Shape};
use botfleet::logs::{bot_logs, commands};
use botfleet::store::Store;
use clap::Parser;
use tokio::time::Instant;

#[derive(Parser)]
struct Args {
    /// The database (sqlite:… or postgres://…); created and migrated if new.
    #[arg(long)]
    database_url: String,
    /// Command-log rows to add.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Bot-log rows to add (default: as many as command rows).
    #[arg(long)]
    bot_rows: Option<u64>,
    /// Days the rows cover.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Rows per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Drops the log tables' secondary indexes and triggers while filling, and builds them again
    /// at the end.
    #[arg(long)]
    bulk: bool,
}

const TABLES: [&str; 2] = ["discord_command_logs", "discord_bot_logs"];

/// The log tables' secondary indexes (not the unique ones, which the inserts' ON CONFLICT needs)
/// and triggers, as the statements that create them.
async fn definitions(store: &Store) -> Vec<(String, String)> {
    let pool = store.pool();
    if store.backend() == botfleet::store::Backend::Postgres {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT 'INDEX ' || indexname, indexdef FROM pg_indexes WHERE tablename IN ($1, $2) \
             AND indexname NOT IN (SELECT conname FROM pg_constraint) AND indexdef NOT LIKE 'CREATE UNIQUE%'",
        )
        .bind(TABLES[0])
        .bind(TABLES[1])
        .fetch_all(pool)
        .await
        .unwrap();
        rows
    } else {
        sqlx::query_as(
            "SELECT upper(type) || ' ' || name, sql FROM sqlite_master WHERE tbl_name IN (?, ?) \
             AND type IN ('index', 'trigger') AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
        )
        .bind(TABLES[0])
        .bind(TABLES[1])
        .fetch_all(pool)
        .await
        .unwrap()
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let store = Store::connect(&args.database_url).await.unwrap();
    store.migrate().await.unwrap();
    let kept = if args.bulk { definitions(&store).await } else { Vec::new() };
    for (what, _) in &kept {
        let (kind, name) = what.split_once(' ').unwrap();
        eprintln!("dropping {} {name} while filling", kind.to_lowercase());
        sqlx::raw_sql(&format!("DROP {kind} {name}")).execute(store.pool()).await.unwrap();
    }
    let shape = Shape::new();
    let mut rng = Rng::new(args.seed);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(args.batch);
    for i in 0..args.rows {
        batch.push(shape.command(&mut rng, i, args.rows, args.days));
        if batch.len() == args.batch || i + 1 == args.rows {
            commands::insert_batch(&store, &batch).await.unwrap();
            batch.clear();
            if (i + 1) % 1_000_000 == 0 {
                eprintln!("{} command rows, {:.0}/s", i + 1, (i + 1) as f64 / started.elapsed().as_secs_f64());
            }
        }
    }
    let command_secs = started.elapsed().as_secs_f64();
    let bot_rows = args.bot_rows.unwrap_or(args.rows);
    let started = Instant::now();
    let mut lines = Vec::with_capacity(args.batch);
    for i in 0..bot_rows {
        lines.push(shape.bot_log(&mut rng, i, bot_rows, args.days));
        if lines.len() == args.batch || i + 1 == bot_rows {
            bot_logs::insert_batch(&store, &lines).await.unwrap();
            lines.clear();
        }
    }
    let bot_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for (what, sql) in &kept {
        eprintln!("building {what}");
        sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
    }
    if args.bulk && store.backend() == botfleet::store::Backend::Sqlite {
        for table in TABLES {
            eprintln!("rebuilding {table}_fts");
            sqlx::raw_sql(&format!("INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')"))
                .execute(store.pool())
                .await
                .unwrap();
        }
    }
    let build_secs = started.elapsed().as_secs_f64();
    if store.backend() == botfleet::store::Backend::Postgres {
        sqlx::raw_sql("ANALYZE discord_command_logs; ANALYZE discord_bot_logs").execute(store.pool()).await.unwrap();
    } else {
        sqlx::raw_sql("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
    }
    println!(
        "{}",
        serde_json::json!({
            "command_rows": args.rows,
            "command_rows_per_s": (args.rows as f64 / command_secs).round(),
            "bot_rows": bot_rows,
            "bot_rows_per_s": (bot_rows as f64 / bot_secs).round(),
            "bulk_build_s": args.bulk.then_some(build_secs.round()),
        })
    );
}
