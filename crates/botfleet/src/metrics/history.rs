//! `discord_performance_metrics`: every interval the sampler writes, in one transaction, one row
//! per bot that did something or was observed (the difference of its in-memory totals since the
//! last sample: commands, errors, latency, gateway events, REST calls, 429s, ms up and observed —
//! so a running bot that did nothing still has a row and its uptime is known) and one per node
//! (the bots' sums, memory, tracking queue), off the hot path; as rows age they are folded into
//! coarser ones — 10 s rows older than a day into 1 min rows, 1 min rows older than 30 days into
//! 1 h rows — summing the counters, so totals never change. Uptime share over a window is
//! `sum(up_ms) / sum(span_ms)` of its rows (unknown when nothing was observed).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::Totals;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::Clock;

/// (fine resolution, coarse resolution, age after which fine rows are folded), in seconds.
const STEPS: [(i64, i64, i64); 2] = [(10, 60, 86_400), (60, 3_600, 30 * 86_400)];

/// Every resolution rows are written at (the sampler's 10 s and what `STEPS` fold into): the
/// retention sweep deletes per resolution, along the `(resolution_s, at)` index.
pub const RESOLUTIONS: [i64; 3] = [10, 60, 3_600];

/// What the sampler reads: the fleet (which sits above this module) implements it.
pub trait Sampled: Send + Sync + 'static {
    /// Every bot's totals since start, at `now_ms` (see [`super::totals`]).
    fn totals(&self, now_ms: i64) -> BTreeMap<i64, Totals>;
    /// Records waiting for the tracking writer.
    fn tracking_queue_depth(&self) -> usize;
}

/// The node's own figures on its row (none on a bot's row).
#[derive(Debug, Default, Clone, Copy)]
struct NodeColumns {
    rss_bytes: Option<i64>,
    queue_depth: Option<i64>,
    cpu_ms: Option<i64>,
    db_rtt_us: Option<i64>,
    open_sockets: Option<i64>,
}

/// The sampler.
pub struct History {
    store: Store,
    fleet: Box<dyn Sampled>,
    clock: Clock,
    node: String,
    last: Mutex<BTreeMap<i64, Totals>>,
    /// The process's CPU seconds at the last sample.
    cpu: Mutex<Option<f64>>,
}

impl History {
    /// A sampler for this node.
    pub fn new(store: Store, fleet: impl Sampled, clock: Clock) -> Self {
        Self {
            store,
            fleet: Box::new(fleet),
            clock,
            node: super::node::node_name(),
            last: Mutex::new(BTreeMap::new()),
            cpu: Mutex::new(None),
        }
    }

    /// Writes this interval's rows; returns how many.
    pub async fn sample(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        let at = now - now.rem_euclid(10_000);
        let totals = self.fleet.totals(now);
        let deltas: Vec<(i64, Totals)> = {
            let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            totals
                .iter()
                .map(|(bot, t)| (*bot, t.since(last.get(bot).copied().unwrap_or_default())))
                .filter(|(_, d)| *d != Totals::default())
                .collect()
        };
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let all = deltas.iter().fold(Totals::default(), |a, (_, d)| a.plus(*d));
        let node = super::node::read(&self.store).await;
        let cpu_before = *self.cpu.lock().unwrap_or_else(PoisonError::into_inner);
        let cpu_ms = match (node.cpu_seconds, cpu_before) {
            (Some(now), Some(before)) => Some(((now - before).max(0.0) * 1000.0).round() as i64),
            _ => None,
        };
        // One row per bot, then the node's (its bots' sums and its own figures).
        let node_row = NodeColumns {
            rss_bytes: node.rss_bytes.map(n),
            queue_depth: Some(i64::try_from(self.fleet.tracking_queue_depth()).unwrap_or(i64::MAX)),
            cpu_ms,
            db_rtt_us: node.db_round_trip.map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
            open_sockets: node.open_sockets.map(n),
        };
        let rows: Vec<(Option<i64>, &Totals, NodeColumns)> = deltas
            .iter()
            .map(|(bot, d)| (Some(*bot), d, NodeColumns::default()))
            .chain(std::iter::once((None, &all, node_row)))
            .collect();
        // A multi-row INSERT per chunk (a thousand bots: a few statements, not a thousand).
        let mut tx = self.store.begin_write().await?;
        for chunk in crate::store::insert_chunks(&rows) {
            let sql = crate::store::values_sql(
                self.store.backend(),
                "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
                 latency_sum_us, latency_count, events, rest_calls, rate_limited, up_ms, span_ms, rss_bytes, \
                 queue_depth, cpu_ms, db_rtt_us, open_sockets) VALUES ",
                "(?, 10, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(&sql);
            for (bot, d, node) in chunk {
                q = q
                    .bind(at)
                    .bind(self.node.as_str())
                    .bind(*bot)
                    .bind(n(d.commands))
                    .bind(n(d.errors))
                    .bind(n(d.denied))
                    .bind(n(d.latency_sum_us))
                    .bind(n(d.latency_count))
                    .bind(n(d.events))
                    .bind(n(d.rest_calls))
                    .bind(n(d.rate_limited))
                    .bind(n(d.up_ms))
                    .bind(n(d.span_ms))
                    .bind(node.rss_bytes)
                    .bind(node.queue_depth)
                    .bind(node.cpu_ms)
                    .bind(node.db_rtt_us)
                    .bind(node.open_sockets);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // Only now: a failed write leaves the differences for the next sample.
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = totals;
        *self.cpu.lock().unwrap_or_else(PoisonError::into_inner) = node.cpu_seconds;
        Ok(deltas.len() + 1)
    }

    /// Folds aged rows into coarser ones (sums kept); returns how many rows were folded.
    pub async fn downsample(&self) -> Result<u64> {
        let now = self.clock.now_ms();
        let mut folded = 0;
        for (fine, coarse, age) in STEPS {
            let span = coarse * 1000;
            let cutoff = (now - age * 1000).div_euclid(span) * span;
            let mut tx = self.store.pool().begin().await?;
            sqlx::query(&format!(
                "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
                 latency_sum_us, latency_count, events, rest_calls, rate_limited, up_ms, span_ms, rss_bytes, \
                 queue_depth, cpu_ms, db_rtt_us, open_sockets) \
                 SELECT (at / {span}) * {span}, {coarse}, node, bot_id, SUM(commands), SUM(errors), SUM(denied), \
                 SUM(latency_sum_us), SUM(latency_count), SUM(events), SUM(rest_calls), SUM(rate_limited), \
                 SUM(up_ms), SUM(span_ms), MAX(rss_bytes), MAX(queue_depth), SUM(cpu_ms), MAX(db_rtt_us), \
                 MAX(open_sockets) \
                 FROM discord_performance_metrics WHERE resolution_s = {fine} AND at < $1 \
                 GROUP BY (at / {span}) * {span}, node, bot_id"
            ))
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query("DELETE FROM discord_performance_metrics WHERE resolution_s = $1 AND at < $2")
                .bind(fine)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            folded += done.rows_affected();
        }
        Ok(folded)
    }

    /// Samples every `every` and downsamples, until aborted.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = self.sample().await {
                    tracing::warn!(error = %e, "performance sample not written; the next one will include it");
                }
                if let Err(e) = self.downsample().await {
                    tracing::warn!(error = %e, "downsampling failed; will retry");
                }
            }
        })
    }
}

/// One row as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PerformanceRow {
    /// The start of the row's span.
    pub at: String,
    /// 10, 60 or 3600.
    pub resolution_s: i64,
    pub node: String,
    /// Absent for a node's row.
    pub bot_id: Option<i64>,
    pub commands: i64,
    pub errors: i64,
    pub denied: i64,
    /// Mean reply latency over the span's answered commands.
    pub latency_avg_ms: Option<f64>,
    /// Gateway events received in the span.
    pub events: i64,
    /// Calls to Discord's REST API in the span, and the 429s met on them.
    pub rest_calls: i64,
    pub rate_limited: i64,
    /// Milliseconds of the span the bot was `running`.
    pub up_ms: i64,
    /// Milliseconds of the span the bot was observed: meant to run (starting, running,
    /// reconnecting or failed; a bot stopped on purpose is not observed). Uptime share =
    /// `up_ms / span_ms`, unknown when 0. A node's row has its bots' sums.
    pub span_ms: i64,
    pub rss_bytes: Option<i64>,
    pub queue_depth: Option<i64>,
    /// A node's row: CPU time used in the span (ms), the database round trip when it was
    /// written (µs; the maximum over a folded span) and the open sockets then (the maximum).
    pub cpu_ms: Option<i64>,
    pub db_rtt_us: Option<i64>,
    pub open_sockets: Option<i64>,
}

/// Filters of `GET /performance`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PerformanceQuery {
    /// One bot's rows; absent: the node rows.
    pub bot_id: Option<i64>,
    /// Default: an hour before `until`.
    pub since: Option<String>,
    /// Default: now.
    pub until: Option<String>,
    /// Sum the rows into spans of this many seconds (10 to 86,400), for charts over long ranges:
    /// counters summed, memory and queue depth their maximum, `resolution_s` the span (or the
    /// rows' own, when coarser).
    #[param(minimum = 10, maximum = 86_400)]
    pub step_s: Option<i64>,
}

/// Rows in a time range, oldest first (at most 10,000).
pub async fn list(store: &Store, q: &PerformanceQuery, now: i64) -> Result<Vec<PerformanceRow>> {
    let until = q.until.as_deref().map(|t| crate::time::parse("until", t)).transpose()?.unwrap_or(now);
    let since = q.since.as_deref().map(|t| crate::time::parse("since", t)).transpose()?.unwrap_or(until - 3_600_000);
    if since > until {
        return Err(Error::field("since", "must be before until"));
    }
    let bot_filter = if q.bot_id.is_some() { "bot_id = $3" } else { "bot_id IS NULL AND $3 IS NULL" };
    let sql = match q.step_s {
        None => format!(
            "SELECT at, resolution_s, node, bot_id, commands, errors, denied, latency_sum_us, latency_count, events, \
             rest_calls, rate_limited, up_ms, span_ms, rss_bytes, queue_depth, cpu_ms, db_rtt_us, open_sockets \
             FROM discord_performance_metrics WHERE at >= $1 AND at <= $2 AND {bot_filter} ORDER BY at, id LIMIT 10000"
        ),
        Some(step) if (10..=86_400).contains(&step) => {
            // `step` is a checked integer: safe to write into the SQL (as downsampling does).
            let span = step * 1000;
            let sum = |c: &str| format!("CAST(SUM({c}) AS BIGINT) AS {c}");
            const SUMMED: [&str; 10] = [
                "commands",
                "errors",
                "denied",
                "latency_sum_us",
                "latency_count",
                "events",
                "rest_calls",
                "rate_limited",
                "up_ms",
                "span_ms",
            ];
            let sums = SUMMED.iter().map(|c| sum(c)).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT (at / {span}) * {span} AS at, CAST(CASE WHEN MAX(resolution_s) > {step} THEN MAX(resolution_s) \
                 ELSE {step} END AS BIGINT) AS resolution_s, node, bot_id, {sums}, MAX(rss_bytes) AS rss_bytes, \
                 MAX(queue_depth) AS queue_depth, CAST(SUM(cpu_ms) AS BIGINT) AS cpu_ms, MAX(db_rtt_us) AS db_rtt_us, \
                 MAX(open_sockets) AS open_sockets FROM discord_performance_metrics \
                 WHERE at >= $1 AND at <= $2 AND {bot_filter} GROUP BY (at / {span}) * {span}, node, bot_id \
                 ORDER BY 1, 3 LIMIT 10000"
            )
        }
        Some(_) => return Err(Error::field("step_s", "must be 10 to 86400 seconds")),
    };
    let rows = sqlx::query(&sql).bind(since).bind(until).bind(q.bot_id).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            let count: i64 = r.try_get("latency_count")?;
            let sum: i64 = r.try_get("latency_sum_us")?;
            Ok(PerformanceRow {
                at: crate::time::rfc3339(r.try_get("at")?),
                resolution_s: r.try_get("resolution_s")?,
                node: r.try_get("node")?,
                bot_id: r.try_get("bot_id")?,
                commands: r.try_get("commands")?,
                errors: r.try_get("errors")?,
                denied: r.try_get("denied")?,
                latency_avg_ms: (count > 0).then(|| sum as f64 / count as f64 / 1000.0),
                events: r.try_get("events")?,
                rest_calls: r.try_get("rest_calls")?,
                rate_limited: r.try_get("rate_limited")?,
                up_ms: r.try_get("up_ms")?,
                span_ms: r.try_get("span_ms")?,
                rss_bytes: r.try_get("rss_bytes")?,
                queue_depth: r.try_get("queue_depth")?,
                cpu_ms: r.try_get("cpu_ms")?,
                db_rtt_us: r.try_get("db_rtt_us")?,
                open_sockets: r.try_get("open_sockets")?,
            })
        })
        .collect()
}

/// A bot's uptime share (0 to 1) over the last hour, day and week, from its rows; `null` when it
/// was not observed in the window (stopped throughout, before its first row, or botfleet not
/// running).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct UptimeShares {
    #[serde(rename = "1h")]
    pub hour: Option<f64>,
    #[serde(rename = "24h")]
    pub day: Option<f64>,
    #[serde(rename = "7d")]
    pub week: Option<f64>,
}

/// A bot's uptime shares at `now` (rows whose span starts within each window).
pub async fn uptime(store: &Store, bot_id: i64, now: i64) -> Result<UptimeShares> {
    let sum = |column: &str, from: &str| {
        format!("CAST(COALESCE(SUM(CASE WHEN at >= {from} THEN {column} ELSE 0 END), 0) AS BIGINT)")
    };
    let sql = format!(
        "SELECT {} AS up_1h, {} AS span_1h, {} AS up_24h, {} AS span_24h, {} AS up_7d, {} AS span_7d \
         FROM discord_performance_metrics WHERE bot_id = $1 AND at >= $4",
        sum("up_ms", "$2"),
        sum("span_ms", "$2"),
        sum("up_ms", "$3"),
        sum("span_ms", "$3"),
        sum("up_ms", "$4"),
        sum("span_ms", "$4"),
    );
    let row = sqlx::query(&sql)
        .bind(bot_id)
        .bind(now - 3_600_000)
        .bind(now - 86_400_000)
        .bind(now - 7 * 86_400_000)
        .fetch_one(store.pool())
        .await?;
    let share = |window: &str| -> Result<Option<f64>> {
        let up: i64 = row.try_get(format!("up_{window}").as_str())?;
        let span: i64 = row.try_get(format!("span_{window}").as_str())?;
        Ok((span > 0).then(|| (up as f64 / span as f64).clamp(0.0, 1.0)))
    };
    Ok(UptimeShares { hour: share("1h")?, day: share("24h")?, week: share("7d")? })
}

/// Uptime of one bot over one bucket: the sums of its rows whose span starts in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UptimeBucket {
    pub bot_id: i64,
    /// The bucket's start (UTC ms, a multiple of its length).
    pub start: i64,
    pub up_ms: i64,
    pub span_ms: i64,
}

/// The uptime of `bots` in buckets of `bucket_ms` (a multiple of an hour, so no row straddles
/// two) of the rows from `since` to before `until`, summed in the database: one row per bot and
/// bucket that has data.
pub async fn uptime_buckets(
    store: &Store,
    bots: &[i64],
    since: i64,
    until: i64,
    bucket_ms: i64,
) -> Result<Vec<UptimeBucket>> {
    if bots.is_empty() {
        return Ok(Vec::new());
    }
    // Never a bucket shorter than an hour (a caller's slip would otherwise split rows).
    let bucket_ms = bucket_ms.max(3_600_000);
    // The ids and the bucket are integers: safe to write into the SQL (one statement, any backend).
    let ids = bots.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT bot_id, (at / {bucket_ms}) * {bucket_ms} AS bucket, CAST(SUM(up_ms) AS BIGINT) AS up_ms, \
         CAST(SUM(span_ms) AS BIGINT) AS span_ms FROM discord_performance_metrics \
         WHERE bot_id IN ({ids}) AND at >= $1 AND at < $2 GROUP BY bot_id, (at / {bucket_ms}) * {bucket_ms}"
    );
    let rows = sqlx::query(&sql).bind(since).bind(until).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(UptimeBucket {
                bot_id: r.try_get("bot_id")?,
                start: r.try_get("bucket")?,
                up_ms: r.try_get("up_ms")?,
                span_ms: r.try_get("span_ms")?,
            })
        })
        .collect()
}
