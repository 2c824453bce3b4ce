//! Log search at scale: the fixed queries run through botfleet's own list functions (what
//! `GET /command-logs` and `GET /bot-logs` call) against a database `logs-gen` filled, p50 / p95
//! per query; the size on disk; then the tracking writer's sustained records/s with the search
//! triggers and indexes in place. Prints one JSON document.
//!
//!   search-bench --database-url sqlite:///var/tmp/logs.db --iterations 40 --write-secs 20

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::time::Duration;

use bench::logs::{Rng, Shape, COMMON, DAY_MS, MIDDLING, RARE, START_MS};
use botfleet::logs::bot_logs::{self, BotLogQuery};
use botfleet::logs::commands::{self, CommandLogQuery};
use botfleet::store::{Backend, Store};
use botfleet::tracking::Tracker;
use clap::Parser;
use serde_json::{json, Value};
use sqlx::Row;
use tokio::time::Instant;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    /// Timed runs per query (after 3 untimed ones).
    #[arg(long, default_value_t = 40)]
    iterations: usize,
    /// The days logs-gen spread the rows over.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// How long the writer is offered records at --write-rate.
    #[arg(long, default_value_t = 20)]
    write_secs: u64,
    /// Records per second offered to the writer in the paced run.
    #[arg(long, default_value_t = 5_000)]
    write_rate: u64,
    /// Records offered at once in the unpaced run.
    #[arg(long, default_value_t = 100_000)]
    burst: u64,
    /// Print each query's plan (once) too.
    #[arg(long)]
    plans: bool,
}

enum Query {
    Commands(CommandLogQuery),
    BotLogs(BotLogQuery),
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let store = Store::connect(&args.database_url).await.unwrap();
    let rows: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM discord_command_logs").fetch_one(store.pool()).await.unwrap().get("n");
    let bot_rows: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM discord_bot_logs").fetch_one(store.pool()).await.unwrap().get("n");
    let shape = Shape::new();
    let mut rng = Rng::new(99);

    // A cursor deep into a common word's matches: 10,000 rows in (found untimed).
    let mut deep =
        CommandLogQuery { q: Some(COMMON.into()), limit: Some(botfleet::page::Limit(500)), ..Default::default() };
    for _ in 0..20 {
        let page = commands::list(&store, &deep).await.unwrap();
        match page.next_cursor {
            Some(c) => deep.cursor = Some(c),
            None => break,
        }
    }
    let deep_cursor = deep.cursor.clone();

    type Make = Box<dyn Fn(&mut Rng) -> Query>;
    let days = args.days;
    let day = move |rng: &mut Rng| START_MS + rng.below(days as usize) as i64 * DAY_MS;
    let s = std::sync::Arc::new(shape);
    let (s1, s2, s3) = (s.clone(), s.clone(), s.clone());
    let queries: Vec<(&str, &str, Make)> = vec![
        (
            "bot_and_day",
            "bot_id=B&since=D&until=D+1 day (B drawn as the rows are: busy bots more often)",
            Box::new(move |rng| {
                let since = day(rng);
                Query::Commands(CommandLogQuery {
                    bot_id: Some(s1.bot(rng)),
                    since: Some(since.to_string()),
                    until: Some((since + DAY_MS).to_string()),
                    ..Default::default()
                })
            }),
        ),
        (
            "one_user",
            "user_id=U (U drawn from the users' long tail)",
            Box::new(move |rng| {
                Query::Commands(CommandLogQuery { user_id: Some(s2.user(rng).to_string()), ..Default::default() })
            }),
        ),
        (
            "command_and_outcome",
            "command=C&outcome=error",
            Box::new(|rng| {
                let command = ["stock", "price", "order", "refund"][rng.below(4)];
                Query::Commands(CommandLogQuery {
                    command: Some(command.into()),
                    outcome: Some("error".into()),
                    ..Default::default()
                })
            }),
        ),
        (
            "rare_word",
            "q=zanzibar (about 1 row in 100,000)",
            Box::new(|_| Query::Commands(CommandLogQuery { q: Some(RARE.into()), ..Default::default() })),
        ),
        (
            "common_word",
            "q=tea (about 1 row in 4)",
            Box::new(|_| Query::Commands(CommandLogQuery { q: Some(COMMON.into()), ..Default::default() })),
        ),
        (
            "word_in_bot",
            "q=matcha&bot_id=B",
            Box::new(move |rng| {
                Query::Commands(CommandLogQuery {
                    q: Some(MIDDLING.into()),
                    bot_id: Some(s3.bot(rng)),
                    ..Default::default()
                })
            }),
        ),
        (
            "deep_page",
            "q=tea&cursor=(10,000 rows in)",
            Box::new(move |_| {
                Query::Commands(CommandLogQuery {
                    q: Some(COMMON.into()),
                    cursor: deep_cursor.clone(),
                    ..Default::default()
                })
            }),
        ),
        (
            "two_terms_and_exclusion",
            "q=green tea -matcha",
            Box::new(|_| {
                Query::Commands(CommandLogQuery { q: Some("green tea -matcha".into()), ..Default::default() })
            }),
        ),
        (
            "short_term_scan",
            "q=ka (two characters: the bounded scan)",
            Box::new(|_| Query::Commands(CommandLogQuery { q: Some("ka".into()), ..Default::default() })),
        ),
        (
            "bot_log_event_and_word",
            "bot-logs event=command_error&q=timed out",
            Box::new(|_| {
                Query::BotLogs(BotLogQuery {
                    event: Some("command_error".into()),
                    q: Some("\"timed out\"".into()),
                    ..Default::default()
                })
            }),
        ),
    ];

    let mut results = Vec::new();
    for (name, what, make) in &queries {
        let mut times = Vec::new();
        let mut found = 0;
        let mut mode = Value::Null;
        for i in 0..args.iterations + 3 {
            let query = make(&mut rng);
            let started = Instant::now();
            let (n, search) = match &query {
                Query::Commands(q) => {
                    let page = commands::list(&store, q).await.unwrap();
                    (page.items.len(), page.search)
                }
                Query::BotLogs(q) => {
                    let page = bot_logs::list(&store, q).await.unwrap();
                    (page.items.len(), page.search)
                }
            };
            let took = started.elapsed();
            if i >= 3 {
                times.push(ms(took));
                found += n;
            }
            if i == 0 {
                mode = search.map(|s| json!(s.mode)).unwrap_or(Value::Null);
                if args.plans {
                    let mut conn = store.pool().acquire().await.unwrap();
                    let plan = match &query {
                        Query::Commands(q) => commands::explain(&store, &mut conn, q).await.unwrap(),
                        Query::BotLogs(q) => bot_logs::explain(&store, &mut conn, q).await.unwrap(),
                    };
                    eprintln!("--- {name}\n{plan}");
                }
            }
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let row = json!({
            "query": name,
            "what": what,
            "p50_ms": percentile(&times, 0.5),
            "p95_ms": percentile(&times, 0.95),
            "max_ms": times.last(),
            "mean_items": found as f64 / times.len() as f64,
            "search_mode": mode,
        });
        eprintln!("{row}");
        results.push(row);
    }

    let size = size_on_disk(&store, &args.database_url).await;
    eprintln!("size: {size}");
    let writer = writer(&store, &args, &s).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "backend": format!("{:?}", store.backend()),
            "command_rows": rows,
            "bot_log_rows": bot_rows,
            "iterations": args.iterations,
            "queries": results,
            "size_on_disk": size,
            "writer": writer,
        }))
        .unwrap()
    );
}

async fn size_on_disk(store: &Store, url: &str) -> Value {
    match store.backend() {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            let file = |p: String| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            let (db, wal) = (file(path.to_owned()), file(format!("{path}-wal")));
            // dbstat is compiled into the bundled SQLite when available; without it, the file only.
            let per: Vec<Value> =
                sqlx::query("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 20")
                    .fetch_all(store.pool())
                    .await
                    .map(|rows| {
                        rows.iter()
                    .map(|r| json!({"name": r.get::<String, _>("name"), "mib": r.get::<i64, _>("bytes") / 1_048_576}))
                    .collect()
                    })
                    .unwrap_or_default();
            json!({"file_mib": db / 1_048_576, "wal_mib": wal / 1_048_576, "objects": per})
        }
        Backend::Postgres => {
            let total: i64 = sqlx::query("SELECT pg_database_size(current_database()) AS n")
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get("n");
            let per: Vec<Value> = sqlx::query(
                "SELECT c.relname::text AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') \
                 AND c.relname LIKE 'discord_%logs%' ORDER BY bytes DESC",
            )
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| json!({"name": r.get::<String, _>("name"), "mib": r.get::<i64, _>("bytes") / 1_048_576}))
            .collect();
            json!({"database_mib": total / 1_048_576, "objects": per})
        }
    }
}

/// The tracking writer, as botfleet runs it, offered command records: first at `write_rate` for
/// `write_secs` (does it keep up without spilling to its spool?), then `burst` at once (how fast
/// does it drain?). Records count when committed: the writer task ends once it wrote them all.
async fn writer(store: &Store, args: &Args, shape: &Shape) -> Value {
    let mut rng = Rng::new(12345);
    let spool = tempfile_dir();
    let base = 5_000_000_000_000_000_000u64;
    let mut n = 0u64;
    // Paced.
    let (tracker, handle) = Tracker::start(store.clone(), true, 10_000, spool.join("paced")).unwrap();
    let total = args.write_rate * args.write_secs;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let per_tick = args.write_rate / 100;
    while n < total {
        tick.tick().await;
        for _ in 0..per_tick {
            let mut r = shape.command(&mut rng, n, total, 1);
            r.event_id = base + n;
            tracker.command(r).await;
            n += 1;
        }
    }
    let offered_secs = started.elapsed().as_secs_f64();
    let spooled = tracker.spooled();
    drop(tracker);
    handle.await.unwrap();
    let paced_secs = started.elapsed().as_secs_f64();
    // Burst.
    let (tracker, handle) = Tracker::start(store.clone(), true, 10_000, spool.join("burst")).unwrap();
    let started = Instant::now();
    for i in 0..args.burst {
        let mut r = shape.command(&mut rng, i, args.burst, 1);
        r.event_id = base + total + i;
        tracker.command(r).await;
    }
    drop(tracker);
    handle.await.unwrap();
    let burst_secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&spool);
    json!({
        "paced": {
            "offered_per_s": args.write_rate,
            "records": total,
            "offered_secs": (offered_secs * 10.0).round() / 10.0,
            "all_committed_after_secs": (paced_secs * 10.0).round() / 10.0,
            "spooled_records": spooled.records,
        },
        "burst": {
            "records": args.burst,
            "all_committed_after_secs": (burst_secs * 10.0).round() / 10.0,
            "records_per_s": (args.burst as f64 / burst_secs).round(),
        },
    })
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("search-bench-spool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
