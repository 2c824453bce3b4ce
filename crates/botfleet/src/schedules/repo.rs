//! The `schedules` and `schedule_runs` tables: store and read schedules, find the due ones, and
//! record a round's runs together with moving the schedule on (only if no other node moved it
//! first), then each run's job and its outcome.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{Missed, Run, RunState, Settings};
use crate::error::{Error, Result};
use crate::page::{Cursor, Page};
use crate::store::Store;
use crate::time::rfc3339;

const COLUMNS: &str = "id, bot_id, channel_id, message, once_at, cron, time_zone, enabled, missed, created_by, \
                       created_at, updated_at, next_run_at, last_run_at";

/// A schedule as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub settings: Settings,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The next instant to send; None when disabled or a one-off is done.
    pub next_run_at: Option<i64>,
    pub last_run_at: Option<i64>,
}

fn not_found(id: i64) -> Error {
    Error::NotFound { what: "schedule", id: id.to_string() }
}

fn read(row: &AnyRow) -> Result<Stored> {
    let id: i64 = row.try_get("id")?;
    let unreadable =
        |what: &str| Error::Unreadable(format!("schedule {id} has an unreadable {what}; delete it and make it again"));
    let message: String = row.try_get("message")?;
    let missed: String = row.try_get("missed")?;
    Ok(Stored {
        id,
        settings: Settings {
            bot_id: row.try_get("bot_id")?,
            channel_id: row.try_get("channel_id")?,
            message: serde_json::from_str(&message).map_err(|_| unreadable("message"))?,
            once: row.try_get("once_at")?,
            cron: row.try_get("cron")?,
            time_zone: row.try_get("time_zone")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            missed: Missed::parse(&missed).ok_or_else(|| unreadable("missed-run policy"))?,
        },
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        next_run_at: row.try_get("next_run_at")?,
        last_run_at: row.try_get("last_run_at")?,
    })
}

fn message_json(settings: &Settings) -> Result<String> {
    serde_json::to_string(&settings.message)
        .map_err(|e| Error::BadRequest(format!("the message cannot be stored: {e}")))
}

/// Stores a new schedule whose first instant is `next_run_at`.
pub async fn insert(
    store: &Store,
    settings: &Settings,
    next_run_at: Option<i64>,
    created_by: &str,
    now: i64,
) -> Result<Stored> {
    let id = insert_in(&mut *store.pool().acquire().await?, settings, next_run_at, created_by, now).await?;
    get(store, id).await
}

/// Stores a new schedule on `conn` (inside a configuration import's transaction); its id.
pub async fn insert_in(
    conn: &mut AnyConnection,
    settings: &Settings,
    next_run_at: Option<i64>,
    created_by: &str,
    now: i64,
) -> Result<i64> {
    let insert = sqlx::query(
        "INSERT INTO schedules (bot_id, channel_id, message, once_at, cron, time_zone, enabled, missed, created_by, \
         created_at, updated_at, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
    );
    Ok(bind_settings(insert, settings)?
        .bind(created_by)
        .bind(now)
        .bind(next_run_at)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?)
}

/// Every schedule in id order, read on `conn` (a configuration export).
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<Stored>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM schedules ORDER BY id")).fetch_all(&mut *conn).await?;
    rows.iter().map(read).collect()
}

/// Turns schedule `id` on or off and sets its missed-run policy and next instant, on `conn` (a
/// configuration import: what identifies a schedule there is everything else).
pub async fn set_state_in(
    conn: &mut AnyConnection,
    id: i64,
    enabled: bool,
    missed: super::model::Missed,
    next_run_at: Option<i64>,
    now: i64,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE schedules SET enabled = $1, missed = $2, next_run_at = $3, updated_at = $4 WHERE id = $5")
            .bind(i64::from(enabled))
            .bind(missed.as_str())
            .bind(next_run_at)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Binds a schedule's settings as `$1`–`$8` (bot, channel, message, once, cron, zone, enabled,
/// missed), the columns an insert and an update write alike.
fn bind_settings<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    settings: &'q Settings,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>> {
    Ok(query
        .bind(settings.bot_id)
        .bind(settings.channel_id)
        .bind(message_json(settings)?)
        .bind(settings.once)
        .bind(settings.cron.clone())
        .bind(settings.time_zone.clone())
        .bind(i64::from(settings.enabled))
        .bind(settings.missed.as_str()))
}

/// One schedule.
pub async fn get(store: &Store, id: i64) -> Result<Stored> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM schedules WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    read(&row)
}

/// Schedules, newest first, a page at a time; only one bot's with `bot_id`.
pub async fn list(store: &Store, bot_id: Option<i64>, after: Option<Cursor>, limit: u32) -> Result<Page<Stored>> {
    let filter = if bot_id.is_some() { " AND bot_id = $3" } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE id < $1{filter} ORDER BY id DESC LIMIT $2");
    let mut query = sqlx::query(&sql).bind(after.map_or(i64::MAX, |c| c.0)).bind(i64::from(limit) + 1);
    if let Some(bot) = bot_id {
        query = query.bind(bot);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let items = rows.iter().map(read).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |s| s.id))
}

/// Replaces a schedule's settings and its next instant.
pub async fn update(store: &Store, id: i64, settings: &Settings, next_run_at: Option<i64>, now: i64) -> Result<Stored> {
    let update = sqlx::query(
        "UPDATE schedules SET bot_id = $1, channel_id = $2, message = $3, once_at = $4, cron = $5, time_zone = $6, \
         enabled = $7, missed = $8, updated_at = $9, next_run_at = $10 WHERE id = $11",
    );
    let changed = bind_settings(update, settings)?
        .bind(now)
        .bind(next_run_at)
        .bind(id)
        .execute(store.pool())
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(not_found(id));
    }
    get(store, id).await
}

/// Deletes a schedule and its runs (their jobs stay, with their own history).
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("DELETE FROM schedule_runs WHERE schedule_id = $1").bind(id).execute(&mut *tx).await?;
    let gone = sqlx::query("DELETE FROM schedules WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
    if gone == 0 {
        return Err(not_found(id));
    }
    tx.commit().await?;
    Ok(())
}

fn read_run(row: &AnyRow) -> Result<Run> {
    let id: i64 = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    Ok(Run {
        id,
        at: rfc3339(row.try_get("at")?),
        state: RunState::parse(&state)
            .ok_or_else(|| Error::Unreadable(format!("schedule run {id} is in an unknown state")))?,
        late: row.try_get::<i64, _>("late")? != 0,
        job_id: row.try_get("job_id")?,
        recorded_at: rfc3339(row.try_get("recorded_at")?),
    })
}

const RUN_COLUMNS: &str = "id, schedule_id, at, state, late, job_id, recorded_at";

/// A schedule's runs, newest first, a page at a time.
pub async fn runs(store: &Store, id: i64, after: Option<Cursor>, limit: u32) -> Result<Page<Run>> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM schedule_runs WHERE schedule_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(id)
    .bind(after.map_or(i64::MAX, |c| c.0))
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(read_run).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |r| r.id))
}

/// The latest run of each of `ids` that has one.
pub async fn last_runs(store: &Store, ids: &[i64]) -> Result<HashMap<i64, Run>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM schedule_runs WHERE id IN \
         (SELECT MAX(id) FROM schedule_runs WHERE schedule_id IN ({marks}) GROUP BY schedule_id)"
    );
    let rows = ids.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id)).fetch_all(store.pool()).await?;
    rows.iter().map(|row| Ok((row.try_get::<i64, _>("schedule_id")?, read_run(row)?))).collect()
}

/// Enabled schedules whose next instant is at or before `now`, soonest first.
pub async fn due(store: &Store, now: i64, limit: u32) -> Result<Vec<Stored>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM schedules WHERE enabled = 1 AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2"
    ))
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    // One unreadable schedule must not stop the others: it is logged and left.
    Ok(rows
        .iter()
        .filter_map(|row| read(row).map_err(|e| tracing::warn!(error = %e, "a due schedule cannot be read")).ok())
        .collect())
}

/// The soonest next instant of any enabled schedule.
pub async fn next_due(store: &Store) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(next_run_at) FROM schedules WHERE enabled = 1").fetch_one(store.pool()).await?)
}

/// A round's outcome for one schedule, recorded in one transaction.
#[derive(Debug, Clone)]
pub struct Round {
    pub id: i64,
    /// The next instant this round read; the round applies only if it is still the stored one.
    pub expected_next: i64,
    /// The next instant after the round (None: a one-off that is done).
    pub next_run_at: Option<i64>,
    /// The run to send (instant, late).
    pub send: Option<(i64, bool)>,
    /// Instants recorded skipped.
    pub skip: Vec<i64>,
}

/// Records a round: moves the schedule to its next instant (a done one-off is disabled) and
/// stores its runs, only if the schedule's next instant is still `expected_next` — else another
/// node (or an edit) was first, nothing is written, and false is returned.
pub async fn record_round(store: &Store, round: &Round, now: i64) -> Result<bool> {
    let mut tx = store.pool().begin().await?;
    let moved = sqlx::query(
        "UPDATE schedules SET next_run_at = $1, enabled = CASE WHEN $1 IS NULL THEN 0 ELSE enabled END, \
         last_run_at = COALESCE($2, last_run_at) WHERE id = $3 AND enabled = 1 AND next_run_at = $4",
    )
    .bind(round.next_run_at)
    .bind(round.send.map(|(at, _)| at))
    .bind(round.id)
    .bind(round.expected_next)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Ok(false);
    }
    let mut runs: Vec<(i64, RunState, bool)> = round.skip.iter().map(|at| (*at, RunState::Skipped, true)).collect();
    runs.extend(round.send.map(|(at, late)| (at, RunState::Queued, late)));
    runs.sort_by_key(|(at, _, _)| *at);
    for (at, state, late) in runs {
        sqlx::query(
            "INSERT INTO schedule_runs (schedule_id, at, state, late, recorded_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (schedule_id, at) DO NOTHING",
        )
        .bind(round.id)
        .bind(at)
        .bind(state.as_str())
        .bind(i64::from(late))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A run recorded `queued` whose job is not yet known (the node stopped between recording it and
/// submitting its job, or is submitting it now): (run id, instant, its schedule).
pub async fn unsubmitted(store: &Store) -> Result<Vec<(i64, i64, Stored)>> {
    let rows = sqlx::query(
        "SELECT r.id AS run_id, r.at AS run_at, s.id, s.bot_id, s.channel_id, s.message, s.once_at, s.cron, s.time_zone, \
         s.enabled, s.missed, s.created_by, s.created_at, s.updated_at, s.next_run_at, s.last_run_at \
         FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id \
         WHERE r.state = 'queued' AND r.job_id IS NULL ORDER BY r.id LIMIT 100",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|row| Ok((row.try_get("run_id")?, row.try_get("run_at")?, read(row)?))).collect()
}

/// Notes a run's job.
pub async fn set_job(store: &Store, run_id: i64, job_id: i64) -> Result<()> {
    sqlx::query("UPDATE schedule_runs SET job_id = $1 WHERE id = $2 AND job_id IS NULL")
        .bind(job_id)
        .bind(run_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Marks a run whose job cannot be made (its bot is gone, say) failed.
pub async fn fail_unsubmitted(store: &Store, run_id: i64) -> Result<()> {
    sqlx::query("UPDATE schedule_runs SET state = 'failed' WHERE id = $1 AND job_id IS NULL")
        .bind(run_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Runs follow their job's end: `sent` when it succeeded, `failed` when it failed, partly failed
/// or was cancelled (and `sent` again if a retry then succeeds). The runs changed.
pub async fn settle(store: &Store) -> Result<u64> {
    let outcome = "CASE WHEN j.state = 'succeeded' THEN 'sent' ELSE 'failed' END";
    let done = sqlx::query(&format!(
        "UPDATE schedule_runs SET state = (SELECT {outcome} FROM jobs j WHERE j.id = schedule_runs.job_id) \
         WHERE state IN ('queued', 'failed') AND job_id IS NOT NULL AND EXISTS (SELECT 1 FROM jobs j \
         WHERE j.id = schedule_runs.job_id AND j.state IN ('succeeded', 'failed', 'partial', 'cancelled') \
         AND {outcome} <> schedule_runs.state)"
    ))
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}
