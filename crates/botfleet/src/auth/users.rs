//! The `users` table: accounts with a role, an argon2id hash, optional TOTP, and the failure
//! counters that drive lockout. Hashes and TOTP secrets are read only by `auth`, never shown.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use super::permissions::Role;
use crate::error::{Error, Result};
use crate::page::{KeyCursor, Page};
use crate::store::{self, is_unique_violation, Store};
use crate::time::rfc3339;

const COLUMNS: &str = "id, username, role, totp_confirmed_at, locked_until, created_at, updated_at";

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// Two-factor (TOTP) is enrolled and confirmed.
    pub totp_enabled: bool,
    /// Set while sign-in is locked after repeated failures.
    pub locked_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub password_hash: String,
    /// Sealed TOTP secret (pending or confirmed).
    pub totp_secret: Option<String>,
    pub totp_confirmed: bool,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub lockouts: i64,
    pub locked_until: Option<i64>,
}

fn role(row: &AnyRow) -> Result<Role> {
    let text: String = row.try_get("role")?;
    Role::parse(&text).ok_or_else(|| Error::Config(format!("unknown role {text:?} in the users table")))
}

fn view(row: &AnyRow) -> Result<UserView> {
    Ok(UserView {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: role(row)?,
        totp_enabled: row.try_get::<Option<i64>, _>("totp_confirmed_at")?.is_some(),
        locked_until: row.try_get::<Option<i64>, _>("locked_until")?.map(rfc3339),
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

fn account(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: role(row)?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_confirmed: row.try_get::<Option<i64>, _>("totp_confirmed_at")?.is_some(),
        totp_last_step: row.try_get("totp_last_step")?,
        failed_logins: row.try_get("failed_logins")?,
        lockouts: row.try_get("lockouts")?,
        locked_until: row.try_get("locked_until")?,
    })
}

/// A user name as stored: trimmed, lower case; 3 to 64 of `a-z 0-9 . _ - @`.
pub fn normalize_username(field: &str, name: &str) -> Result<String> {
    let name = name.trim().to_lowercase();
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !(3..=64).contains(&name.chars().count()) || !ok_chars {
        return Err(Error::field(field, "must be 3 to 64 letters, digits, '.', '_', '-' or '@'"));
    }
    Ok(name)
}

/// Columns holding a secret sealed with the token cipher (re-sealed when the key rotates).
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("users", "totp_secret")];

pub(crate) fn not_found(id: i64) -> Error {
    Error::NotFound { what: "user", id: id.to_string() }
}

/// Saves a new user.
pub async fn insert(store: &Store, username: &str, password_hash: &str, role: Role, now: i64) -> Result<UserView> {
    let row = sqlx::query(&format!(
        "INSERT INTO users (username, password_hash, role, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4, $4) RETURNING {COLUMNS}"
    ))
    .bind(username.to_owned())
    .bind(password_hash.to_owned())
    .bind(role.as_str())
    .bind(now)
    .fetch_one(store.pool())
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict(format!("a user named {username:?} already exists"))
        } else {
            e.into()
        }
    })?;
    view(&row)
}

/// One user.
pub async fn get(store: &Store, id: i64) -> Result<UserView> {
    store::get_by_id(store, "users", COLUMNS, "user", id, view).await
}

/// A page of users by name (then id), after `after`.
pub async fn list(store: &Store, after: Option<&KeyCursor<(String,)>>, limit: u32) -> Result<Page<UserView>> {
    let first = format!("SELECT {COLUMNS} FROM users ORDER BY username, id LIMIT $1");
    let next = format!("SELECT {COLUMNS} FROM users WHERE (username, id) > ($1, $2) ORDER BY username, id LIMIT $3");
    let rows = match after {
        None => sqlx::query(&first),
        Some(c) => sqlx::query(&next).bind(c.key.0.clone()).bind(c.id),
    }
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch_keyed(items, limit, |u: &UserView| KeyCursor { key: (u.username.clone(),), id: u.id }))
}

/// The account named `username` (already normalised), for sign-in.
pub async fn account_by_name(store: &Store, username: &str) -> Result<Option<Account>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username.to_owned())
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(account).transpose()
}

/// The account with `id`.
pub async fn account_by_id(store: &Store, id: i64) -> Result<Account> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    account(&row)
}

/// Counts a failed sign-in; at `threshold` failures in a row the account locks until
/// `lock_until(lockouts)` and the counter restarts. Returns the lock's end when one started.
pub async fn record_failure(
    store: &Store,
    account: &Account,
    threshold: i64,
    lock_until: impl Fn(i64) -> i64,
) -> Result<Option<i64>> {
    let failures = account.failed_logins + 1;
    if failures >= threshold {
        let until = lock_until(account.lockouts);
        sqlx::query("UPDATE users SET failed_logins = 0, lockouts = lockouts + 1, locked_until = $1 WHERE id = $2")
            .bind(until)
            .bind(account.id)
            .execute(store.pool())
            .await?;
        Ok(Some(until))
    } else {
        sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1")
            .bind(account.id)
            .execute(store.pool())
            .await?;
        Ok(None)
    }
}

/// A successful sign-in clears the failure counters and any lock.
pub async fn clear_failures(store: &Store, id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Lifts a sign-in lock (an admin's unlock): the failure counters and `locked_until` cleared.
/// Returns the user as they were before, so the caller can say whether they were locked.
pub async fn unlock(store: &Store, id: i64) -> Result<UserView> {
    let before = get(store, id).await?;
    clear_failures(store, id).await?;
    Ok(before)
}

/// The lock ([`Store::begin_serialized`]) every change of a user's role or existence takes, and a
/// password reset, so a check of the user as they are and of how many admins remain is one step
/// with the change it allows (`bfusers` in ASCII).
const USERS_LOCK: i64 = 0x0062_6675_7365_7273;

/// The answer when a change would leave no admin.
const LAST_ADMIN: &str = "an admin must remain: this is the last one; make another user admin first";

/// The user `id` inside a transaction.
async fn get_in(tx: &mut sqlx::AnyConnection, id: i64) -> Result<UserView> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found(id))?;
    view(&row)
}

/// Refuses (409) when taking the admin role from `user` would leave no admin.
async fn an_admin_remains(tx: &mut sqlx::AnyConnection, user: &UserView) -> Result<()> {
    if user.role != Role::Admin {
        return Ok(());
    }
    let admins: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'").fetch_one(&mut *tx).await?.try_get("n")?;
    if admins <= 1 {
        return Err(Error::Conflict(LAST_ADMIN.into()));
    }
    Ok(())
}

/// Ends a transaction begun with [`USERS_LOCK`]: commits when its step succeeded, else rolls
/// back at once (so the lock is released before the refusal is answered).
async fn finish<T>(tx: sqlx::Transaction<'static, sqlx::Any>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a refused user change failed");
            }
            Err(e)
        }
    }
}

/// Changes a user's role as one step with its checks: `allow` judges the user as they are now
/// (nobody else changes a role meanwhile) and may refuse; the last admin stays an admin (409).
/// Returns the user before and after.
pub async fn set_role(
    store: &Store,
    id: i64,
    role: Role,
    now: i64,
    allow: impl FnOnce(&UserView) -> Result<()>,
) -> Result<(UserView, UserView)> {
    let mut tx = store.begin_serialized(USERS_LOCK).await?;
    let result = async {
        let old = get_in(&mut tx, id).await?;
        allow(&old)?;
        if role != Role::Admin {
            an_admin_remains(&mut tx, &old).await?;
        }
        let row =
            sqlx::query(&format!("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}"))
                .bind(role.as_str())
                .bind(now)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        Ok((old, view(&row)?))
    }
    .await;
    finish(tx, result).await
}

/// Deletes a user with their sessions, sign-in challenges and recovery codes, as one step with its
/// checks: `allow` judges the user as they are now and may refuse; the last admin stays (409).
/// Returns the user as they were.
pub async fn delete(store: &Store, id: i64, allow: impl FnOnce(&UserView) -> Result<()>) -> Result<UserView> {
    let mut tx = store.begin_serialized(USERS_LOCK).await?;
    let result = async {
        let old = get_in(&mut tx, id).await?;
        allow(&old)?;
        an_admin_remains(&mut tx, &old).await?;
        store::delete_by_id(&mut *tx, "users", "user", id).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM login_challenges WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        Ok(old)
    }
    .await;
    finish(tx, result).await
}

/// Replaces a user's password hash (a reset by someone else) when `allow`, judging the user as
/// they are now (their role cannot change meanwhile), accepts. Returns the user.
pub async fn reset_password(
    store: &Store,
    id: i64,
    password_hash: &str,
    now: i64,
    allow: impl FnOnce(&UserView) -> Result<()>,
) -> Result<UserView> {
    let mut tx = store.begin_serialized(USERS_LOCK).await?;
    let result = async {
        let user = get_in(&mut tx, id).await?;
        allow(&user)?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2, failed_logins = 0, \
             locked_until = NULL WHERE id = $3",
        )
        .bind(password_hash.to_owned())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Ok(user)
    }
    .await;
    finish(tx, result).await
}

/// Replaces the password hash.
pub async fn set_password(store: &Store, id: i64, password_hash: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2, failed_logins = 0, \
         locked_until = NULL WHERE id = $3",
    )
    .bind(password_hash.to_owned())
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// How many users there are.
pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(store.pool()).await?.try_get("n")?)
}

/// Stores a new (pending, unconfirmed) TOTP secret, sealed.
pub async fn set_pending_totp(store: &Store, id: i64, sealed: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = $2 WHERE id = $3")
        .bind(sealed.to_owned())
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Confirms TOTP and replaces the recovery codes (stored hashed) in one transaction.
pub async fn confirm_totp(store: &Store, id: i64, step: i64, code_hashes: &[String], now: i64) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE users SET totp_confirmed_at = $1, totp_last_step = $2, updated_at = $1 WHERE id = $3")
        .bind(now)
        .bind(step)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    for h in code_hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(h.clone())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Turns TOTP off and drops the recovery codes.
pub async fn disable_totp(store: &Store, id: i64, now: i64) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Records the time step of an accepted code, if it is newer than the last one (a code is good
/// once). Returns false when the step was already used.
pub async fn use_totp_step(store: &Store, id: i64, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an unused recovery code used; false when there is no such unused code.
pub async fn use_recovery_code(store: &Store, id: i64, code_hash: &str, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(code_hash.to_owned())
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(store: &Store, id: i64) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(id)
        .fetch_one(store.pool())
        .await?
        .try_get("n")?)
}
