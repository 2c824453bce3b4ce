//! Retention: every table that grows (command logs, bot logs, performance rows, alert history, the
//! audit log) keeps its rows a set number of days, then a daily sweep deletes them in short
//! batches so that neither the tracking writer nor anything else waits on it. The days come from
//! flags (`RetentionConfig`) and can be overridden at run time (`/api/v1/settings/retention`,
//! stored in the `settings` table as `retention`).

mod sweep;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::config::RetentionConfig;
use crate::error::{Error, FieldError, Result};
use crate::store::Store;

pub use sweep::{record_run, sweep, sweep_table, Report, Table};

/// Rows deleted per statement by the daily sweep: large enough to finish millions of rows in
/// minutes, small enough that each statement holds SQLite's write lock for milliseconds.
pub const BATCH: usize = 5_000;

/// The first daily run after start waits this long, so that start-up (and a crash loop) is not
/// slowed by it.
pub const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(5 * 60);

/// Then a run is due this often (one per UTC day across every node: see the jobs module).
pub const SWEEP_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

const DAY_MS: i64 = 86_400_000;

/// How many days each table keeps its rows; 0 keeps them forever.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RetentionSettings {
    /// `discord_command_logs`.
    pub command_logs_days: u32,
    /// `discord_bot_logs`.
    pub bot_logs_days: u32,
    /// `discord_performance_metrics`, every resolution.
    pub performance_days: u32,
    /// Resolved alert incidents, alert notifications and their deliveries (open incidents and
    /// what still waits to be delivered stay).
    pub alert_history_days: u32,
    /// Ended jobs with their items and files, and finished low-stock notices (jobs still queued or
    /// running, and notices still to send, stay).
    pub job_history_days: u32,
    /// `discord_audit_logs`.
    pub audit_days: u32,
}

impl From<&RetentionConfig> for RetentionSettings {
    fn from(c: &RetentionConfig) -> Self {
        Self {
            command_logs_days: c.command_logs_days,
            bot_logs_days: c.bot_logs_days,
            performance_days: c.performance_days,
            alert_history_days: c.alert_history_days,
            job_history_days: c.job_history_days,
            audit_days: c.audit_days,
        }
    }
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self::from(&RetentionConfig::DEFAULT)
    }
}

impl RetentionSettings {
    /// The days `table` keeps its rows.
    pub fn days(&self, table: Table) -> u32 {
        match table {
            Table::CommandLogs => self.command_logs_days,
            Table::BotLogs => self.bot_logs_days,
            Table::Performance => self.performance_days,
            Table::AlertHistory => self.alert_history_days,
            Table::JobHistory => self.job_history_days,
            Table::Audit => self.audit_days,
        }
    }

    /// Rows of `table` older than this (UTC ms) are past retention at `now_ms`; `None`: kept
    /// forever.
    pub fn cutoff(&self, table: Table, now_ms: i64) -> Option<i64> {
        match self.days(table) {
            0 => None,
            days => Some(now_ms.saturating_sub(i64::from(days) * DAY_MS)),
        }
    }
}

/// The overrides an admin sets (`PUT /api/v1/settings/retention`, stored as given): each field
/// given replaces its flag's default; a field left out follows the flag. Days from 1 to 3650, or 0
/// to keep forever.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RetentionOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub command_logs_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub bot_logs_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub performance_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub alert_history_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub job_history_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub audit_days: Option<i64>,
}

impl RetentionOverrides {
    fn fields(&self) -> [(&'static str, Option<i64>); 6] {
        [
            ("command_logs_days", self.command_logs_days),
            ("bot_logs_days", self.bot_logs_days),
            ("performance_days", self.performance_days),
            ("alert_history_days", self.alert_history_days),
            ("job_history_days", self.job_history_days),
            ("audit_days", self.audit_days),
        ]
    }

    /// Every field out of range, named (422).
    pub fn validate(&self) -> Result<()> {
        let max = i64::from(RetentionConfig::MAX_DAYS);
        let wrong: Vec<FieldError> = self
            .fields()
            .into_iter()
            .filter(|(_, v)| v.is_some_and(|d| !(0..=max).contains(&d)))
            .map(|(name, _)| FieldError::new(name, format!("must be from 1 to {max} days, or 0 to keep forever")))
            .collect();
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(wrong))
        }
    }

    /// `defaults` with these overrides applied (a stored value out of range is ignored).
    pub fn apply(&self, defaults: RetentionSettings) -> RetentionSettings {
        let pick = |o: Option<i64>, d: u32| {
            o.and_then(|v| u32::try_from(v).ok()).filter(|v| *v <= RetentionConfig::MAX_DAYS).unwrap_or(d)
        };
        RetentionSettings {
            command_logs_days: pick(self.command_logs_days, defaults.command_logs_days),
            bot_logs_days: pick(self.bot_logs_days, defaults.bot_logs_days),
            performance_days: pick(self.performance_days, defaults.performance_days),
            alert_history_days: pick(self.alert_history_days, defaults.alert_history_days),
            job_history_days: pick(self.job_history_days, defaults.job_history_days),
            audit_days: pick(self.audit_days, defaults.audit_days),
        }
    }
}

/// Reads the stored overrides (none when never set).
pub async fn load_overrides(store: &Store) -> Result<RetentionOverrides> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'retention'").fetch_optional(store.pool()).await?;
    match row {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("value")?).map_err(|e| {
            Error::Unreadable(format!("the stored retention settings cannot be read ({e}); save them again"))
        }),
        None => Ok(RetentionOverrides::default()),
    }
}

async fn save_overrides(store: &Store, overrides: &RetentionOverrides) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    save_overrides_in(&mut tx, overrides).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the stored overrides on `conn` (inside the caller's transaction; validated by the caller).
pub async fn save_overrides_in(conn: &mut sqlx::AnyConnection, overrides: &RetentionOverrides) -> Result<()> {
    let value = serde_json::to_string(overrides).unwrap_or_else(|_| "{}".into());
    sqlx::query("DELETE FROM settings WHERE name = 'retention'").execute(&mut *conn).await?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('retention', $1)").bind(value).execute(&mut *conn).await?;
    Ok(())
}

/// Reads the stored overrides on `conn` (none when never set).
pub async fn load_overrides_in(conn: &mut sqlx::AnyConnection) -> Result<RetentionOverrides> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = 'retention'").fetch_optional(&mut *conn).await?;
    match value {
        Some(v) => serde_json::from_str(&v).map_err(|e| {
            Error::Unreadable(format!("the stored retention settings cannot be read ({e}); save them again"))
        }),
        None => Ok(RetentionOverrides::default()),
    }
}

/// Retention for the running service: the flags' defaults and the database; cloning shares it.
#[derive(Debug, Clone)]
pub struct Retention {
    store: Store,
    defaults: RetentionSettings,
}

impl Retention {
    /// Retention with these defaults (from the flags).
    pub fn new(store: Store, defaults: RetentionSettings) -> Self {
        Self { store, defaults }
    }

    /// The flags' defaults.
    pub fn defaults(&self) -> RetentionSettings {
        self.defaults
    }

    /// The settings in force: the defaults with the stored overrides applied (read each time, so
    /// a change made through another node applies to the next sweep here too).
    pub async fn settings(&self) -> Result<RetentionSettings> {
        Ok(load_overrides(&self.store).await?.apply(self.defaults))
    }

    /// Validates and stores new overrides (replacing the old ones: a field left out returns to its
    /// default); returns the settings in force before and after.
    pub async fn save(&self, overrides: &RetentionOverrides) -> Result<(RetentionSettings, RetentionSettings)> {
        overrides.validate()?;
        let old = self.settings().await?;
        save_overrides(&self.store, overrides).await?;
        Ok((old, overrides.apply(self.defaults)))
    }

    /// One sweep with the settings in force at `now_ms` (see [`sweep`]).
    pub async fn run<F, Fut>(&self, now_ms: i64, batch: usize, on_progress: F) -> Result<Report>
    where
        F: FnMut(Report) -> Fut,
        Fut: std::future::Future<Output = std::ops::ControlFlow<()>>,
    {
        let settings = self.settings().await?;
        sweep(&self.store, &settings, now_ms, batch, on_progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name_and_are_checked() {
        let o = RetentionOverrides { bot_logs_days: Some(0), audit_days: Some(400), ..Default::default() };
        let s = o.apply(RetentionSettings::default());
        assert_eq!((s.command_logs_days, s.bot_logs_days, s.audit_days), (90, 0, 400));
        assert!(o.validate().is_ok());
        let bad =
            RetentionOverrides { command_logs_days: Some(-1), performance_days: Some(3651), ..Default::default() };
        match bad.validate() {
            Err(Error::Validation(f)) => {
                assert_eq!(
                    f.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                    ["command_logs_days", "performance_days"]
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(RetentionSettings::default().cutoff(Table::Audit, 400 * DAY_MS), Some(35 * DAY_MS));
        assert_eq!(s.cutoff(Table::BotLogs, 400 * DAY_MS), None);
    }
}
