//! The `jobs` and `job_items` tables: create, claim (one node at a time, by lease), record each
//! item's result, cancel, retry, and read them back a page at a time.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::model::{ItemState, Job, JobItem, JobKind, JobState, Outcome};
use crate::error::{Error, Result};
use crate::page::{Cursor, Page};
use crate::store::{Backend, Store};
use crate::time::rfc3339;

const COLUMNS: &str =
    "id, kind, params, state, total, done, failed, attempts, created_by, created_at, started_at, finished_at, cancel_requested";

fn not_found(id: i64) -> Error {
    Error::NotFound { what: "job", id: id.to_string() }
}

fn view(row: &AnyRow) -> Result<Job> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let params: String = row.try_get("params")?;
    let id: i64 = row.try_get("id")?;
    let unreadable = |what: &str| Error::Unreadable(format!("job {id} has an unreadable {what}"));
    Ok(Job {
        id,
        kind: JobKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
        params: serde_json::from_str(&params).map_err(|_| unreadable("parameter set"))?,
        state: JobState::parse(&state).ok_or_else(|| unreadable("state"))?,
        total: row.try_get("total")?,
        done: row.try_get("done")?,
        failed: row.try_get("failed")?,
        attempts: row.try_get("attempts")?,
        created_by: row.try_get("created_by")?,
        created_at: rfc3339(row.try_get("created_at")?),
        started_at: row.try_get::<Option<i64>, _>("started_at")?.map(rfc3339),
        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(rfc3339),
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
    })
}

/// Stores a queued job with one pending item per target. With a `unique_key`, a job stored before
/// under the same key is returned instead (whichever node submits first makes it).
pub async fn create(
    store: &Store,
    kind: JobKind,
    params: &Value,
    targets: &[String],
    created_by: &str,
    now: i64,
    unique_key: Option<&str>,
) -> Result<Job> {
    let mut tx = store.pool().begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO jobs (kind, params, state, total, done, failed, attempts, created_by, created_at, cancel_requested, unique_key) \
         VALUES ($1, $2, 'queued', $3, 0, 0, 1, $4, $5, 0, $6) ON CONFLICT (unique_key) DO NOTHING RETURNING id",
    )
    .bind(kind.as_str())
    .bind(params.to_string())
    .bind(i64::try_from(targets.len()).unwrap_or(i64::MAX))
    .bind(created_by)
    .bind(now)
    .bind(unique_key)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        drop(tx);
        let existing: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE unique_key = $1")
            .bind(unique_key)
            .fetch_one(store.pool())
            .await?;
        return get(store, existing).await;
    };
    // 5 columns per row; well under SQLite's bound-parameter limit.
    for (chunk_no, chunk) in targets.chunks(1000).enumerate() {
        let sql = crate::store::values_sql(
            store.backend(),
            "INSERT INTO job_items (job_id, seq, target, state, attempts) VALUES ",
            "(?, ?, ?, 'pending', 0)",
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for (i, target) in chunk.iter().enumerate() {
            let seq = i64::try_from(chunk_no * 1000 + i + 1).unwrap_or(i64::MAX);
            q = q.bind(id).bind(seq).bind(target.clone());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    get(store, id).await
}

/// One job.
pub async fn get(store: &Store, id: i64) -> Result<Job> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    view(&row)
}

/// Filters for the job list.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub created_by: Option<String>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// Jobs, newest first, a page at a time.
pub async fn list(store: &Store, q: &JobQuery) -> Result<Page<Job>> {
    let mut sql = format!("SELECT {COLUMNS} FROM jobs WHERE id < $1");
    let mut n = 1;
    for (column, present) in
        [("kind", q.kind.is_some()), ("state", q.state.is_some()), ("created_by", q.created_by.is_some())]
    {
        if present {
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
        }
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", n + 1));
    let mut query = sqlx::query(&sql).bind(q.after.map_or(i64::MAX, |c| c.0));
    if let Some(kind) = q.kind {
        query = query.bind(kind.as_str());
    }
    if let Some(state) = q.state {
        query = query.bind(state.as_str());
    }
    if let Some(who) = &q.created_by {
        query = query.bind(who.clone());
    }
    let rows = query.bind(i64::from(q.limit) + 1).fetch_all(store.pool()).await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, q.limit, |j| j.id))
}

/// A job's items in order, a page at a time.
pub async fn items(store: &Store, id: i64, after: Option<Cursor>, limit: u32) -> Result<Page<JobItem>> {
    let rows = sqlx::query(
        "SELECT seq, target, state, error, attempts, finished_at, detail FROM job_items WHERE job_id = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3",
    )
    .bind(id)
    .bind(after.map_or(0, |c| c.0))
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows
        .iter()
        .map(|row| {
            let state: String = row.try_get("state")?;
            Ok(JobItem {
                seq: row.try_get("seq")?,
                target: row.try_get("target")?,
                state: ItemState::parse(&state)
                    .ok_or_else(|| Error::Unreadable(format!("job {id} has an item in an unknown state")))?,
                error: row.try_get("error")?,
                attempts: row.try_get("attempts")?,
                finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(rfc3339),
                detail: row
                    .try_get::<Option<String>, _>("detail")?
                    .map(|d| serde_json::from_str(&d))
                    .transpose()
                    .map_err(|_| Error::Unreadable(format!("job {id} has an item with an unreadable detail")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |i| i.seq))
}

/// A job a node took.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub kind: JobKind,
    pub params: Value,
}

/// Takes the oldest job of `kind` that is queued, or running on a node whose lease ran out: one
/// node gets it (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time).
pub async fn claim(store: &Store, kind: JobKind, node: &str, now: i64, lease_until: i64) -> Result<Option<Claimed>> {
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', claimed_by = $1, lease_until = $2, started_at = COALESCE(started_at, $3) \
         WHERE id = (SELECT id FROM jobs WHERE kind = $4 AND (state = 'queued' OR (state = 'running' AND lease_until < $3)) \
         ORDER BY id LIMIT 1{lock}) RETURNING id, params"
    );
    let row = sqlx::query(&sql)
        .bind(node)
        .bind(lease_until)
        .bind(now)
        .bind(kind.as_str())
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let params: String = row.try_get("params")?;
    let params = serde_json::from_str(&params)
        .map_err(|_| Error::Unreadable(format!("job {id} has an unreadable parameter set")))?;
    Ok(Some(Claimed { id, kind, params }))
}

/// Makes the jobs this node held before it stopped (a crash, kill -9) claimable at once.
pub async fn release(store: &Store, node: &str) -> Result<u64> {
    let done = sqlx::query("UPDATE jobs SET lease_until = 0 WHERE state = 'running' AND claimed_by = $1")
        .bind(node)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// The items still to run, in order.
pub async fn pending(store: &Store, id: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT seq, target FROM job_items WHERE job_id = $1 AND state = 'pending' ORDER BY seq")
        .bind(id)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("target")?))).collect()
}

/// What became of an item's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now; the job's counter moved.
    Now,
    /// The item had a result already (it ran twice): nothing moved.
    Before,
    /// The job is no longer this node's (its lease ran out and another node took it).
    NotOurs,
}

/// Records an item's result and renews the node's lease, in one transaction.
pub async fn finish_item(
    store: &Store,
    id: i64,
    seq: i64,
    result: &Outcome,
    node: &str,
    now: i64,
    lease_until: i64,
) -> Result<Recorded> {
    let mut tx = store.pool().begin().await?;
    let counter = if result.is_ok() { "done" } else { "failed" };
    let ours = sqlx::query(&format!(
        "UPDATE jobs SET {counter} = {counter} + 1, lease_until = $1 WHERE id = $2 AND claimed_by = $3 AND state = 'running'"
    ))
    .bind(lease_until)
    .bind(id)
    .bind(node)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !ours {
        return Ok(Recorded::NotOurs);
    }
    // A failure keeps what the item recorded while it ran (a message's "about to be sent").
    let (state, error, detail) = match result {
        Outcome::Ok(detail) => (ItemState::Ok, None, detail.as_ref().map(Value::to_string)),
        Outcome::Failed(e) => (ItemState::Failed, Some(e.clone()), None),
        Outcome::Unknown(e) => (ItemState::Unknown, Some(e.clone()), None),
    };
    let changed = sqlx::query(
        "UPDATE job_items SET state = $1, error = $2, detail = COALESCE($6, detail), attempts = attempts + 1, \
         finished_at = $3 WHERE job_id = $4 AND seq = $5 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(seq)
    .bind(detail)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        // Recorded before (a second run of the same item): the counter must not move twice.
        return Ok(Recorded::Before);
    }
    tx.commit().await?;
    Ok(Recorded::Now)
}

/// What a pending item recorded while it ran before (a message's "about to be sent"), if anything.
pub async fn item_detail(store: &Store, id: i64, seq: i64) -> Result<Option<Value>> {
    let detail: Option<Option<String>> =
        sqlx::query_scalar("SELECT detail FROM job_items WHERE job_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(store.pool())
            .await?;
    Ok(detail.flatten().and_then(|d| serde_json::from_str(&d).ok()))
}

/// Records on a pending item what it is about to do (kept if it is cut short).
pub async fn mark_item(store: &Store, id: i64, seq: i64, detail: &Value) -> Result<()> {
    sqlx::query("UPDATE job_items SET detail = $1 WHERE job_id = $2 AND seq = $3 AND state = 'pending'")
        .bind(detail.to_string())
        .bind(id)
        .bind(seq)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// A person's decision that a failed item, or one whose outcome is unknown, of an ended job is not
/// to run: it becomes `skipped` and no longer counts as failed (a job whose only failures were
/// skipped has succeeded). Anything else is refused (409).
pub async fn skip(store: &Store, id: i64, seq: i64) -> Result<Job> {
    let job = get(store, id).await?;
    if !job.state.is_finished() {
        return Err(Error::Conflict(format!(
            "job {id} is still {}; skip its items once it has ended",
            job.state.as_str()
        )));
    }
    let mut tx = store.pool().begin().await?;
    let skipped = sqlx::query(
        "UPDATE job_items SET state = 'skipped' WHERE job_id = $1 AND seq = $2 AND state IN ('failed', 'unknown')",
    )
    .bind(id)
    .bind(seq)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if skipped != 1 {
        let exists: Option<String> = sqlx::query_scalar("SELECT state FROM job_items WHERE job_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match exists {
            None => Error::NotFound { what: "job item", id: format!("{id}/{seq}") },
            Some(state) => Error::Conflict(format!(
                "item {seq} of job {id} is {state}: only a failed or unknown item can be skipped"
            )),
        });
    }
    sqlx::query(
        "UPDATE jobs SET failed = failed - 1, state = CASE WHEN state = 'cancelled' THEN state \
         WHEN failed - 1 = 0 THEN 'succeeded' ELSE state END WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Whether a person asked to cancel the job.
pub async fn cancel_requested(store: &Store, id: i64) -> Result<bool> {
    let flag: Option<i64> = sqlx::query_scalar("SELECT cancel_requested FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(flag.unwrap_or(1) != 0)
}

/// Ends a running job held by `node`: its state from its items (items not run are `cancelled`
/// when it was cancelled). One statement decides the state (SQLite: no read-then-write upgrade
/// that another writer could refuse). The job as it ends.
pub async fn finish(store: &Store, id: i64, node: &str, now: i64) -> Result<Job> {
    sqlx::query(
        "UPDATE jobs SET state = CASE WHEN cancel_requested <> 0 THEN 'cancelled' WHEN failed = 0 THEN 'succeeded' \
         WHEN done = 0 THEN 'failed' ELSE 'partial' END, finished_at = $1, claimed_by = NULL, lease_until = NULL \
         WHERE id = $2 AND claimed_by = $3 AND state = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(node)
    .execute(store.pool())
    .await?;
    sqlx::query(
        "UPDATE job_items SET state = 'cancelled' WHERE job_id = $1 AND state = 'pending' \
         AND EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND state = 'cancelled')",
    )
    .bind(id)
    .execute(store.pool())
    .await?;
    get(store, id).await
}

/// Asks a job to stop: a queued one is cancelled at once; a running one stops after the items
/// running now. A finished job is refused (409).
pub async fn request_cancel(store: &Store, id: i64, now: i64) -> Result<Job> {
    let job = get(store, id).await?;
    if job.state.is_finished() {
        return Err(Error::Conflict(format!("job {id} has already ended ({})", job.state.as_str())));
    }
    // The flag first: a job a node claims meanwhile sees it before its first item.
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND state IN ('queued', 'running')")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let was_queued =
        sqlx::query("UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state = 'queued'")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    if was_queued {
        sqlx::query("UPDATE job_items SET state = 'cancelled' WHERE job_id = $1 AND state = 'pending'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    get(store, id).await
}

/// Runs a finished job's failed, unknown and cancelled items again (the ones that succeeded or
/// were skipped stay so). What they recorded while they ran goes: a retried message is sent anew.
/// A job still queued or running, or with nothing to run again, is refused (409).
pub async fn retry(store: &Store, id: i64) -> Result<Job> {
    let job = get(store, id).await?;
    if !job.state.is_finished() {
        return Err(Error::Conflict(format!("job {id} is still {}; retry it once it has ended", job.state.as_str())));
    }
    if job.state == JobState::Succeeded {
        return Err(Error::Conflict(format!("every item of job {id} succeeded: nothing to retry")));
    }
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE job_items SET state = 'pending', error = NULL, detail = NULL WHERE job_id = $1 \
         AND state IN ('failed', 'unknown', 'cancelled')",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE jobs SET state = 'queued', failed = 0, attempts = attempts + 1, cancel_requested = 0, finished_at = NULL, \
         claimed_by = NULL, lease_until = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(store, id).await
}
