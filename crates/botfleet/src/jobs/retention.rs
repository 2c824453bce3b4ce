//! The retention job: deletes the rows past retention, one item per table (command logs, bot logs,
//! performance, alert history, audit), each in short batches (`retention::sweep_table`), with
//! cancel between batches. Its cutoffs are fixed when it is submitted, so an item run again (after
//! a restart, or a retry) deletes exactly what the first run would have. When the job ends it
//! writes the run's one `retention.sweep` audit row. Submitted daily by every node under the key
//! `retention:<UTC day>` (so one run a day, whichever node submits first), or by an admin.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{ItemResult, Job, JobState};
use super::repo;
use crate::error::Result;
use crate::retention::{self, Report, RetentionSettings, Table};
use crate::store::Store;

/// The retention job's parameters: when it was asked for and the days in force then.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RetentionParams {
    /// The time the cutoffs count back from (UTC ms).
    pub now_ms: i64,
    pub days: RetentionSettings,
}

/// What one item stores as its detail.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TableDetail {
    /// Rows deleted (of every table the setting covers).
    deleted: u64,
    /// Rows older than this went; absent when the table keeps its rows forever.
    cutoff: Option<String>,
    days: u32,
    /// The split per table, for the run's audit row.
    report: Report,
}

/// One item per table, in the sweep's order (the audit log last).
pub fn targets() -> Vec<String> {
    Table::ALL.into_iter().map(|t| t.name().to_owned()).collect()
}

/// The key of the daily run of the UTC day holding `now_ms`.
pub fn daily_key(now_ms: i64) -> String {
    let day: String = crate::time::rfc3339(now_ms).chars().take(10).collect();
    format!("retention:{day}")
}

/// Sweeps one table (`target`, a [`Table::name`]), checking between batches whether the job was
/// cancelled.
pub async fn run_item(store: &Store, job_id: i64, params: &RetentionParams, target: &str) -> ItemResult {
    let table = Table::parse(target).ok_or_else(|| format!("{target} is not a table retention covers"))?;
    let days = params.days.days(table);
    let Some(cutoff) = params.days.cutoff(table, params.now_ms) else {
        let detail = TableDetail { deleted: 0, cutoff: None, days, report: Report::default() };
        return Ok(Some(json!(detail)));
    };
    let mut report = Report::default();
    let mut cancelled = |_: Report| async move {
        match repo::cancel_requested(store, job_id).await {
            Ok(true) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    };
    let flow = retention::sweep_table(store, table, cutoff, retention::BATCH, &mut report, &mut cancelled)
        .await
        .map_err(|e| format!("deleting from {target} failed after {} rows: {e}", report.total()))?;
    if flow.is_break() {
        return Err(format!(
            "cancelled after deleting {} rows; a retry deletes the rest older than {}",
            report.total(),
            crate::time::rfc3339(cutoff)
        ));
    }
    let detail = TableDetail { deleted: report.total(), cutoff: Some(crate::time::rfc3339(cutoff)), days, report };
    Ok(Some(json!(detail)))
}

/// Writes the run's one audit row once the job has ended: what its items deleted in all.
pub async fn record(store: &Store, job: &Job, params: &RetentionParams) -> Result<()> {
    let job_id = job.id;
    let mut report = Report { stopped: job.state == JobState::Cancelled, ..Report::default() };
    let mut failures = Vec::new();
    let mut after = None;
    loop {
        let page = repo::items(store, job_id, after, 1000).await?;
        for item in &page.items {
            if let Some(detail) = item.detail.clone().and_then(|d| serde_json::from_value::<TableDetail>(d).ok()) {
                report.merge(&detail.report);
            }
            if let Some(error) = &item.error {
                failures.push(format!("{}: {error}", item.target));
            }
        }
        match page.next_cursor.as_deref() {
            Some(c) => after = Some(crate::page::Cursor::decode(c)?),
            None => break,
        }
    }
    let error = (!failures.is_empty()).then(|| failures.join("; "));
    retention::record_run(store, &params.days, params.now_ms, retention::BATCH, &report, error.as_deref(), Some(job_id))
        .await
}
