//! The stored first answers of requests sent with an `Idempotency-Key` (table `idempotency_keys`),
//! per credential: a client that retries after a timeout must get the first answer, not a second
//! restart of the fleet. The HTTP side (`api::idempotency`) decides what to store; this file is
//! the SQL, kept with the credentials it is keyed by and the housekeeping that sweeps it.

use sqlx::Row;

use crate::error::Result;
use crate::store::Store;

/// How long a key is remembered: the same key within this time replays the first answer.
pub const KEEP_MS: i64 = 24 * 60 * 60_000;

/// A reservation still unanswered after this long was left by a process that died mid-request
/// (a handler's own answer never takes this long: a stop waits 10 s per bot): a retry takes it
/// over rather than being told "still being processed" for a day.
pub const ABANDONED_MS: i64 = 30 * 60_000;

/// Rows the housekeeping deletes per statement, so no sweep holds a long lock.
const SWEEP_BATCH: i64 = 500;

/// Statements per sweep; what is left goes at the next one.
const SWEEP_ROUNDS: usize = 20;

/// One request sent with a key, as compared with the one that used it first.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Who sent it (`Principal::limit_key`: `key:ID`, `user:ID`).
    pub credential: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    pub method: String,
    /// The request's path (with its ids, not the route's pattern).
    pub path: String,
    /// SHA-256 of the body's bytes, hex.
    pub body_hash: String,
}

/// A first answer, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or was forgotten): the request acts; its answer goes to this row.
    Reserved(i64),
    /// The same request was answered before: this is its answer.
    Answered(Answer),
    /// The same request is being handled now.
    InProgress,
    /// The key was used for another request (another method, path or body).
    OtherRequest,
}

/// Claims `attempt.key` for `attempt.credential` at `now` (ms): reserves it when unused, or says
/// what the request that used it first became.
pub async fn claim(store: &Store, attempt: &Attempt, now: i64) -> Result<Claim> {
    // A stale row is deleted and the insert tried again; a second race for it loses to the winner.
    for _ in 0..3 {
        let reserved: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO idempotency_keys (credential, idem_key, method, path, body_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential, idem_key) DO NOTHING RETURNING id",
        )
        .bind(&attempt.credential)
        .bind(&attempt.key)
        .bind(&attempt.method)
        .bind(&attempt.path)
        .bind(&attempt.body_hash)
        .bind(now)
        .fetch_optional(store.pool())
        .await?;
        if let Some((id,)) = reserved {
            return Ok(Claim::Reserved(id));
        }
        let row = sqlx::query(
            "SELECT id, method, path, body_hash, status, content_type, body, created_at FROM idempotency_keys \
             WHERE credential = $1 AND idem_key = $2",
        )
        .bind(&attempt.credential)
        .bind(&attempt.key)
        .fetch_optional(store.pool())
        .await?;
        let Some(row) = row else { continue };
        let id: i64 = row.try_get("id")?;
        let created_at: i64 = row.try_get("created_at")?;
        let status: Option<i64> = row.try_get("status")?;
        let abandoned = status.is_none() && created_at <= now - ABANDONED_MS;
        if created_at <= now - KEEP_MS || abandoned {
            sqlx::query("DELETE FROM idempotency_keys WHERE id = $1").bind(id).execute(store.pool()).await?;
            continue;
        }
        let same = row.try_get::<String, _>("method")? == attempt.method
            && row.try_get::<String, _>("path")? == attempt.path
            && row.try_get::<String, _>("body_hash")? == attempt.body_hash;
        if !same {
            return Ok(Claim::OtherRequest);
        }
        let Some(status) = status else { return Ok(Claim::InProgress) };
        return Ok(Claim::Answered(Answer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: row.try_get("content_type")?,
            body: row.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
        }));
    }
    // Three rounds of deleting a stale row that came back each time: someone else is winning.
    Ok(Claim::InProgress)
}

/// Stores the answer of the request that reserved row `id`.
pub async fn settle(store: &Store, id: i64, answer: &Answer) -> Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE id = $4")
        .bind(i64::from(answer.status))
        .bind(answer.content_type.clone())
        .bind(&answer.body)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Removes the reservation `id` (its request failed with a 5xx or panicked): a retry acts.
pub async fn release(store: &Store, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE id = $1 AND status IS NULL").bind(id).execute(store.pool()).await?;
    Ok(())
}

/// Deletes the rows made before `before_ms`, in small batches; returns how many went.
pub async fn sweep(store: &Store, before_ms: i64) -> Result<u64> {
    let mut total = 0;
    for _ in 0..SWEEP_ROUNDS {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE id IN \
             (SELECT id FROM idempotency_keys WHERE created_at < $1 ORDER BY id LIMIT $2)",
        )
        .bind(before_ms)
        .bind(SWEEP_BATCH)
        .execute(store.pool())
        .await?;
        total += done.rows_affected();
        if done.rows_affected() < u64::try_from(SWEEP_BATCH).unwrap_or(u64::MAX) {
            break;
        }
    }
    Ok(total)
}
