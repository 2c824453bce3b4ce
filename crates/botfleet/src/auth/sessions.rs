//! Browser sessions and TOTP login challenges: random ids handed to the client once, stored only
//! as SHA-256. A session ends when idle too long, at its absolute lifetime, on sign-out, on a
//! password change, or when an admin ends it.

use sqlx::Row;

use super::permissions::Role;
use super::token;
use crate::error::{Error, Result};
use crate::store::Store;

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id_hash: String,
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub totp_enabled: bool,
    /// When the session was last seen, as stored now (this request, when it refreshed it).
    pub last_seen_at: i64,
    /// When the session ends however active (a cached session is checked against it).
    pub expires_at: i64,
}

/// Why a session id was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Unknown (never issued, signed out, or ended).
    Unknown,
    /// Idle or past its absolute lifetime.
    Expired,
}

/// Starts a session; returns the id to put in the cookie (the only time it exists in clear).
pub async fn create(
    store: &Store,
    user_id: i64,
    now: i64,
    absolute_ms: i64,
    ip: &str,
    user_agent: &str,
) -> Result<String> {
    let id = token::random();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(token::digest(&id))
    .bind(user_id)
    .bind(now)
    .bind(now.saturating_add(absolute_ms))
    .bind(ip.to_owned())
    .bind(user_agent.chars().take(512).collect::<String>())
    .execute(store.pool())
    .await?;
    Ok(id)
}

/// The session behind a cookie value, if it is live; an expired one is deleted. `last_seen_at` is
/// refreshed at most once a minute (one write per active minute, not per request).
pub async fn lookup(store: &Store, id: &str, now: i64, idle_ms: i64) -> Result<Result<SessionUser, Rejected>> {
    let id_hash = token::digest(id);
    let row = sqlx::query(
        "SELECT s.user_id, s.last_seen_at, s.expires_at, u.username, u.role, u.totp_confirmed_at \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash.clone())
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(Err(Rejected::Unknown)) };
    let last_seen: i64 = row.try_get("last_seen_at")?;
    let expires: i64 = row.try_get("expires_at")?;
    if now >= expires || now - last_seen >= idle_ms {
        end(store, &id_hash).await?;
        return Ok(Err(Rejected::Expired));
    }
    let mut last_seen_at = last_seen;
    if now - last_seen >= 60_000 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash.clone())
            .execute(store.pool())
            .await?;
        last_seen_at = now;
    }
    let role: String = row.try_get("role")?;
    Ok(Ok(SessionUser {
        id_hash,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        role: Role::parse(&role).ok_or_else(|| Error::Config(format!("unknown role {role:?}")))?,
        totp_enabled: row.try_get::<Option<i64>, _>("totp_confirmed_at")?.is_some(),
        last_seen_at,
        expires_at: expires,
    }))
}

/// Ends one session (by its stored hash).
pub async fn end(store: &Store, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash.to_owned()).execute(store.pool()).await?;
    Ok(())
}

/// Ends every session of a user except `keep` (a hash); returns how many ended.
pub async fn end_all(store: &Store, user_id: i64, keep: Option<&str>) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or("").to_owned())
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Deletes expired sessions and challenges (housekeeping).
pub async fn sweep(store: &Store, now: i64, idle_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now.saturating_sub(idle_ms))
        .execute(store.pool())
        .await?;
    sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1").bind(now).execute(store.pool()).await?;
    Ok(())
}

/// A password was right and TOTP is next: a short-lived challenge id for the second step.
pub async fn create_challenge(store: &Store, user_id: i64, expires_at: i64) -> Result<String> {
    let id = token::random();
    sqlx::query("INSERT INTO login_challenges (id_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token::digest(&id))
        .bind(user_id)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(id)
}

/// The user a live challenge belongs to.
pub async fn challenge_user(store: &Store, id: &str, now: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT user_id, expires_at FROM login_challenges WHERE id_hash = $1")
        .bind(token::digest(id))
        .fetch_optional(store.pool())
        .await?;
    match row {
        Some(r) if r.try_get::<i64, _>("expires_at")? > now => Ok(Some(r.try_get("user_id")?)),
        _ => Ok(None),
    }
}

/// Consumes a challenge.
pub async fn end_challenge(store: &Store, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_challenges WHERE id_hash = $1")
        .bind(token::digest(id))
        .execute(store.pool())
        .await?;
    Ok(())
}
