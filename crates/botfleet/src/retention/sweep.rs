//! The sweep: rows past retention deleted a batch at a time, each batch one short statement on its
//! table's time index (`DELETE … WHERE id IN (SELECT id … WHERE at < cutoff ORDER BY at LIMIT n)`),
//! with a pause after each as long as it took. So the sweep never holds a lock for long: on SQLite
//! (one writer at a time) the tracking writer's next transaction gets the lock within one batch,
//! and PostgreSQL only ever locks the rows being deleted.

use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::RetentionSettings;
use crate::audit::{self, Actor, Entry};
use crate::error::Result;
use crate::store::Store;

/// A batch larger than this is lowered to it: a bigger statement would hold the lock too long (and
/// pass SQLite's limit of bound values in the notifications pass).
const MAX_BATCH: usize = 10_000;

/// The longest pause between two batches.
const MAX_PAUSE: Duration = Duration::from_millis(500);

/// What a retention setting covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    CommandLogs,
    BotLogs,
    Performance,
    AlertHistory,
    JobHistory,
    Audit,
}

impl Table {
    /// Every table, in the order a sweep takes them (the audit log last: the sweep's own row
    /// follows it).
    pub const ALL: [Table; 6] =
        [Table::CommandLogs, Table::BotLogs, Table::Performance, Table::AlertHistory, Table::JobHistory, Table::Audit];

    /// The setting's name without `_days` (`command_logs`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CommandLogs => "command_logs",
            Self::BotLogs => "bot_logs",
            Self::Performance => "performance",
            Self::AlertHistory => "alert_history",
            Self::JobHistory => "job_history",
            Self::Audit => "audit",
        }
    }

    /// The table named by [`Table::name`].
    pub fn parse(name: &str) -> Option<Table> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    fn passes(self) -> Vec<Pass> {
        match self {
            Self::CommandLogs => vec![Pass::Rows { table: "discord_command_logs", time: "received_at" }],
            Self::BotLogs => vec![Pass::Rows { table: "discord_bot_logs", time: "at" }],
            Self::Audit => vec![Pass::Rows { table: "discord_audit_logs", time: "at" }],
            // One pass per resolution: the index is (resolution_s, at).
            Self::Performance => crate::metrics::history::RESOLUTIONS
                .into_iter()
                .map(|resolution| Pass::Performance { resolution })
                .collect(),
            // Notifications (with their deliveries) first: an incident goes once nothing refers to it.
            Self::AlertHistory => vec![Pass::Notifications, Pass::Incidents],
            Self::JobHistory => vec![
                Pass::Jobs,
                // One still to send stays.
                Pass::Finished {
                    table: "low_stock_notices",
                    time: "updated_at",
                    states: "'sent', 'skipped', 'failed', 'unknown'",
                    only: "TRUE",
                },
                // Their schedule has moved past them; one still queued stays.
                Pass::Finished {
                    table: "schedule_runs",
                    time: "at",
                    states: "'sent', 'failed', 'skipped'",
                    only: "TRUE",
                },
                // Webhook deliveries sent or given up (one still to try stays); alert channels'
                // go with their notifications.
                Pass::Finished {
                    table: "webhook_deliveries",
                    time: "created_at",
                    states: "'sent', 'failed'",
                    only: "webhook_id IS NOT NULL",
                },
            ],
        }
    }
}

/// Rows deleted so far, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Report {
    pub command_logs: u64,
    pub bot_logs: u64,
    pub performance: u64,
    /// Resolved incidents.
    pub alert_incidents: u64,
    pub alert_notifications: u64,
    pub alert_deliveries: u64,
    /// Ended jobs, with their items and files.
    pub jobs: u64,
    pub job_items: u64,
    pub job_files: u64,
    /// Low-stock notices no longer waiting to be sent.
    pub low_stock_notices: u64,
    /// Scheduled runs that were sent, failed or skipped.
    pub schedule_runs: u64,
    /// Webhook deliveries sent or given up.
    pub webhook_deliveries: u64,
    pub audit: u64,
    /// `on_progress` asked to stop before every table was swept.
    pub stopped: bool,
}

impl Report {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.command_logs
            + self.bot_logs
            + self.performance
            + self.alert_incidents
            + self.alert_notifications
            + self.alert_deliveries
            + self.jobs
            + self.job_items
            + self.job_files
            + self.low_stock_notices
            + self.schedule_runs
            + self.webhook_deliveries
            + self.audit
    }

    /// Adds what another part of the same run deleted.
    pub fn merge(&mut self, other: &Report) {
        self.command_logs += other.command_logs;
        self.bot_logs += other.bot_logs;
        self.performance += other.performance;
        self.alert_incidents += other.alert_incidents;
        self.alert_notifications += other.alert_notifications;
        self.alert_deliveries += other.alert_deliveries;
        self.jobs += other.jobs;
        self.job_items += other.job_items;
        self.job_files += other.job_files;
        self.low_stock_notices += other.low_stock_notices;
        self.schedule_runs += other.schedule_runs;
        self.webhook_deliveries += other.webhook_deliveries;
        self.audit += other.audit;
        self.stopped |= other.stopped;
    }

    fn deleted(&self) -> serde_json::Value {
        json!({
            "discord_command_logs": self.command_logs,
            "discord_bot_logs": self.bot_logs,
            "discord_performance_metrics": self.performance,
            "alert_incidents": self.alert_incidents,
            "alert_notifications": self.alert_notifications,
            "alert_deliveries": self.alert_deliveries,
            "jobs": self.jobs,
            "job_items": self.job_items,
            "job_files": self.job_files,
            "low_stock_notices": self.low_stock_notices,
            "schedule_runs": self.schedule_runs,
            "webhook_deliveries": self.webhook_deliveries,
            "discord_audit_logs": self.audit,
        })
    }
}

/// One kind of batch.
#[derive(Debug, Clone, Copy)]
enum Pass {
    /// A table whose rows go by their time column alone.
    Rows { table: &'static str, time: &'static str },
    /// Performance rows of one resolution.
    Performance { resolution: i64 },
    /// Notifications with nothing left to deliver, with their deliveries: those of an incident
    /// once the incident itself is past retention (an incident's history goes whole), the others
    /// (channel tests) by their own time.
    Notifications,
    /// Resolved incidents no notification refers to any more.
    Incidents,
    /// Jobs that ended before the cutoff, with their items and files (a job queued or running,
    /// even an old one, stays).
    Jobs,
    /// Rows of a table whose `state` is one of `states` (finished), whose time column is before
    /// the cutoff and that match `only`.
    Finished { table: &'static str, time: &'static str, states: &'static str, only: &'static str },
}

/// Deletes one batch of `pass` older than `cutoff`; returns how many rows of the pass's own table
/// went (fewer than `batch`: nothing is left) and adds every deletion to `report`.
async fn one_batch(store: &Store, pass: Pass, cutoff: i64, batch: i64, report: &mut Report) -> Result<u64> {
    let pool = store.pool();
    match pass {
        Pass::Rows { table, time } => {
            // `table` and `time` are this file's constants, never input.
            let sql = format!(
                "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {time} < $1 ORDER BY {time} LIMIT $2)"
            );
            let n = sqlx::query(&sql).bind(cutoff).bind(batch).execute(pool).await?.rows_affected();
            match table {
                "discord_command_logs" => report.command_logs += n,
                "discord_bot_logs" => report.bot_logs += n,
                _ => report.audit += n,
            }
            Ok(n)
        }
        Pass::Performance { resolution } => {
            let n = sqlx::query(
                "DELETE FROM discord_performance_metrics WHERE id IN (SELECT id FROM discord_performance_metrics \
                 WHERE resolution_s = $3 AND at < $1 ORDER BY at LIMIT $2)",
            )
            .bind(cutoff)
            .bind(batch)
            .bind(resolution)
            .execute(pool)
            .await?
            .rows_affected();
            report.performance += n;
            Ok(n)
        }
        Pass::Notifications => {
            // No transaction: were the process to stop between the two deletes, the next sweep
            // takes the notifications that are left.
            let ids: Vec<(i64,)> = sqlx::query_as(
                "SELECT n.id FROM alert_notifications n WHERE n.at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM alert_incidents i WHERE i.id = n.incident_id \
                                 AND NOT (i.state = 'resolved' AND i.resolved_at < $1)) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.notification_id = n.id AND d.state = 'pending') \
                 ORDER BY n.id LIMIT $2",
            )
            .bind(cutoff)
            .bind(batch)
            .fetch_all(pool)
            .await?;
            if ids.is_empty() {
                return Ok(0);
            }
            let slots = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let mut counts = [0; 2];
            for (i, sql) in [
                format!("DELETE FROM webhook_deliveries WHERE notification_id IN ({slots})"),
                format!("DELETE FROM alert_notifications WHERE id IN ({slots})"),
            ]
            .iter()
            .enumerate()
            {
                let q = ids.iter().fold(sqlx::query(sql), |q, (id,)| q.bind(*id));
                counts[i] = q.execute(pool).await?.rows_affected();
            }
            report.alert_deliveries += counts[0];
            report.alert_notifications += counts[1];
            Ok(counts[1])
        }
        Pass::Incidents => {
            let n = sqlx::query(
                "DELETE FROM alert_incidents WHERE id IN (SELECT i.id FROM alert_incidents i \
                 WHERE i.state = 'resolved' AND i.resolved_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM alert_notifications n WHERE n.incident_id = i.id) \
                 ORDER BY i.id LIMIT $2)",
            )
            .bind(cutoff)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected();
            report.alert_incidents += n;
            Ok(n)
        }
        Pass::Jobs => {
            let ids: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'partial', 'cancelled') \
                 AND finished_at < $1 ORDER BY id LIMIT $2",
            )
            .bind(cutoff)
            .bind(batch)
            .fetch_all(pool)
            .await?;
            if ids.is_empty() {
                return Ok(0);
            }
            let slots = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            // Items and files first, the job last: a sweep cut short leaves whole jobs, and the
            // next one takes what is left. Still ended (a retry meanwhile keeps the job).
            let mut tx = pool.begin().await?;
            let mut counts = [0; 3];
            for (i, sql) in [
                format!(
                    "DELETE FROM job_items WHERE job_id IN (SELECT id FROM jobs WHERE id IN ({slots}) \
                     AND state IN ('succeeded', 'failed', 'partial', 'cancelled'))"
                ),
                format!(
                    "DELETE FROM job_files WHERE job_id IN (SELECT id FROM jobs WHERE id IN ({slots}) \
                     AND state IN ('succeeded', 'failed', 'partial', 'cancelled'))"
                ),
                format!("DELETE FROM jobs WHERE id IN ({slots}) AND state IN ('succeeded', 'failed', 'partial', 'cancelled')"),
            ]
            .iter()
            .enumerate()
            {
                let q = ids.iter().fold(sqlx::query(sql), |q, (id,)| q.bind(*id));
                counts[i] = q.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            report.job_items += counts[0];
            report.job_files += counts[1];
            report.jobs += counts[2];
            // Fewer jobs than the batch means none are left; count what was found, not deleted.
            Ok(u64::try_from(ids.len()).unwrap_or(0))
        }
        Pass::Finished { table, time, states, only } => {
            // `table`, `time`, `states` and `only` are this file's constants, never input.
            let sql = format!(
                "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE state IN ({states}) AND {time} < $1 \
                 AND {only} ORDER BY id LIMIT $2)"
            );
            let n = sqlx::query(&sql).bind(cutoff).bind(batch).execute(pool).await?.rows_affected();
            match table {
                "low_stock_notices" => report.low_stock_notices += n,
                "webhook_deliveries" => report.webhook_deliveries += n,
                _ => report.schedule_runs += n,
            }
            Ok(n)
        }
    }
}

/// Deletes the rows of `table` older than `cutoff` (UTC ms), `batch` at a time, adding to
/// `report` and calling `on_progress` after each batch; `Break` when `on_progress` asked to stop.
pub async fn sweep_table<F, Fut>(
    store: &Store,
    table: Table,
    cutoff: i64,
    batch: usize,
    report: &mut Report,
    on_progress: &mut F,
) -> Result<ControlFlow<()>>
where
    F: FnMut(Report) -> Fut,
    Fut: Future<Output = ControlFlow<()>>,
{
    let batch = i64::try_from(batch.clamp(1, MAX_BATCH)).unwrap_or(1);
    for pass in table.passes() {
        loop {
            let started = tokio::time::Instant::now();
            let n = one_batch(store, pass, cutoff, batch, report).await?;
            let took = started.elapsed();
            if n > 0 && on_progress(*report).await.is_break() {
                return Ok(ControlFlow::Break(()));
            }
            if n < u64::try_from(batch).unwrap_or(u64::MAX) {
                break;
            }
            // As long as the batch took: whoever waited for the lock meanwhile gets it now.
            tokio::time::sleep(took.min(MAX_PAUSE)).await;
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Deletes every table's rows older than its retention at `now_ms` (a table kept forever is
/// skipped), `batch` rows per statement, calling `on_progress` with the running report after each
/// batch (it may persist progress; `Break` stops the sweep there). Writes one audit row,
/// `retention.sweep`, with the rows deleted per table and each cutoff, also when stopped or failed.
pub async fn sweep<F, Fut>(
    store: &Store,
    settings: &RetentionSettings,
    now_ms: i64,
    batch: usize,
    mut on_progress: F,
) -> Result<Report>
where
    F: FnMut(Report) -> Fut,
    Fut: Future<Output = ControlFlow<()>>,
{
    let mut report = Report::default();
    let mut outcome = Ok(());
    for table in Table::ALL {
        let Some(cutoff) = settings.cutoff(table, now_ms) else { continue };
        match sweep_table(store, table, cutoff, batch, &mut report, &mut on_progress).await {
            Ok(ControlFlow::Continue(())) => {}
            Ok(ControlFlow::Break(())) => {
                report.stopped = true;
                break;
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    let error = outcome.as_ref().err().map(ToString::to_string);
    record_run(store, settings, now_ms, batch, &report, error.as_deref(), None).await?;
    outcome.map(|()| report)
}

/// Writes the one audit row of a retention run, `retention.sweep`: the rows deleted per table, in
/// all, each cutoff and the days in force, the batch size, and whether it stopped early or failed
/// (and the job that ran it, if one did).
pub async fn record_run(
    store: &Store,
    settings: &RetentionSettings,
    now_ms: i64,
    batch: usize,
    report: &Report,
    error: Option<&str>,
    job_id: Option<i64>,
) -> Result<()> {
    let cutoffs: serde_json::Map<String, serde_json::Value> = Table::ALL
        .into_iter()
        .map(|t| (t.name().to_owned(), settings.cutoff(t, now_ms).map(crate::time::rfc3339).into()))
        .collect();
    let mut detail = json!({
        "deleted": report.deleted(),
        "total": report.total(),
        "cutoffs": cutoffs,
        "days": settings,
        "batch": batch,
    });
    if report.stopped {
        detail["stopped"] = json!(true);
    }
    if let Some(e) = error {
        detail["error"] = json!(e);
    }
    if let Some(id) = job_id {
        detail["job_id"] = json!(id);
    }
    let entry = Entry::action("retention.sweep", Actor::System, now_ms).target("settings", "retention").detail(detail);
    audit::insert(store, &[entry]).await
}
