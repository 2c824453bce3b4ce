//! `discord_performance_metrics`: every interval the sampler writes one row per bot that did
//! something (the difference of its in-memory totals since the last sample) and one per node
//! (memory, tracking queue), off the hot path; as rows age they are folded into coarser ones —
//! 10 s rows older than a day into 1 min rows, 1 min rows older than 30 days into 1 h rows —
//! summing the counters, so totals never change.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::Totals;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::store::Store;

/// (fine resolution, coarse resolution, age after which fine rows are folded), in seconds.
const STEPS: [(i64, i64, i64); 2] = [(10, 60, 86_400), (60, 3_600, 30 * 86_400)];

/// The sampler.
pub struct History {
    store: Store,
    fleet: Fleet,
    clock: Clock,
    node: String,
    last: Mutex<BTreeMap<i64, Totals>>,
}

/// This node's name in the rows: `BOTFLEET_NODE_NAME`, else the host name.
pub fn node_name() -> String {
    std::env::var("BOTFLEET_NODE_NAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "local".into())
}

impl History {
    /// A sampler for this node.
    pub fn new(store: Store, fleet: Fleet, clock: Clock) -> Self {
        Self { store, fleet, clock, node: node_name(), last: Mutex::new(BTreeMap::new()) }
    }

    /// Writes this interval's rows; returns how many.
    pub async fn sample(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        let at = now - now.rem_euclid(10_000);
        let totals = self.fleet.metrics().totals();
        let deltas: Vec<(i64, Totals)> = {
            let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            totals
                .iter()
                .map(|(bot, t)| (*bot, t.since(last.get(bot).copied().unwrap_or_default())))
                .filter(|(_, d)| *d != Totals::default())
                .collect()
        };
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut tx = self.store.pool().begin().await?;
        for (bot, d) in &deltas {
            sqlx::query(
                "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
                 latency_sum_us, latency_count) VALUES ($1, 10, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(at)
            .bind(self.node.clone())
            .bind(*bot)
            .bind(n(d.commands))
            .bind(n(d.errors))
            .bind(n(d.denied))
            .bind(n(d.latency_sum_us))
            .bind(n(d.latency_count))
            .execute(&mut *tx)
            .await?;
        }
        let all = deltas.iter().fold(Totals::default(), |a, (_, d)| Totals {
            commands: a.commands + d.commands,
            errors: a.errors + d.errors,
            denied: a.denied + d.denied,
            latency_sum_us: a.latency_sum_us + d.latency_sum_us,
            latency_count: a.latency_count + d.latency_count,
        });
        sqlx::query(
            "INSERT INTO discord_performance_metrics (at, resolution_s, node, bot_id, commands, errors, denied, \
             latency_sum_us, latency_count, rss_bytes, queue_depth) VALUES ($1, 10, $2, NULL, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(at)
        .bind(self.node.clone())
        .bind(n(all.commands))
        .bind(n(all.errors))
        .bind(n(all.denied))
        .bind(n(all.latency_sum_us))
        .bind(n(all.latency_count))
        .bind(crate::live::rss_bytes().map(n))
        .bind(i64::try_from(self.fleet.tracking_queue_depth()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // Only now: a failed write leaves the differences for the next sample.
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = totals;
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
                 latency_sum_us, latency_count, rss_bytes, queue_depth) \
                 SELECT (at / {span}) * {span}, {coarse}, node, bot_id, SUM(commands), SUM(errors), SUM(denied), \
                 SUM(latency_sum_us), SUM(latency_count), MAX(rss_bytes), MAX(queue_depth) \
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
    pub rss_bytes: Option<i64>,
    pub queue_depth: Option<i64>,
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
}

/// Rows in a time range, oldest first (at most 10,000).
pub async fn list(store: &Store, q: &PerformanceQuery, now: i64) -> Result<Vec<PerformanceRow>> {
    let until = q.until.as_deref().map(|t| crate::time::parse("until", t)).transpose()?.unwrap_or(now);
    let since = q.since.as_deref().map(|t| crate::time::parse("since", t)).transpose()?.unwrap_or(until - 3_600_000);
    if since > until {
        return Err(Error::field("since", "must be before until"));
    }
    let bot_filter = if q.bot_id.is_some() { "bot_id = $3" } else { "bot_id IS NULL AND $3 IS NULL" };
    let rows = sqlx::query(&format!(
        "SELECT at, resolution_s, node, bot_id, commands, errors, denied, latency_sum_us, latency_count, rss_bytes, \
         queue_depth FROM discord_performance_metrics WHERE at >= $1 AND at <= $2 AND {bot_filter} ORDER BY at, id LIMIT 10000"
    ))
    .bind(since)
    .bind(until)
    .bind(q.bot_id)
    .fetch_all(store.pool())
    .await?;
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
                rss_bytes: r.try_get("rss_bytes")?,
                queue_depth: r.try_get("queue_depth")?,
            })
        })
        .collect()
}
