//! API keys for automation: `bf_` + 256 random bits, shown once at creation and stored as
//! SHA-256; each holds a role or a narrower set of the permission table's actions (scopes), may
//! expire, and can be revoked. `last_used_at` is kept to the minute.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use super::permissions::{Action, Role};
use super::token;
use crate::error::{Error, Result};
use crate::page::{Cursor, Page};
use crate::store::Store;
use crate::time::rfc3339;

/// Every key starts with this, so leaked keys are easy to find (and to grep for in logs).
pub const PREFIX: &str = "bf_";

const COLUMNS: &str =
    "id, name, key_prefix, role, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

/// An API key as the API shows it (never the key itself, after creation).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    /// The key's first characters, to recognise it (`bf_AbCd12`).
    pub key_prefix: String,
    /// The key's role, when it has one.
    pub role: Option<Role>,
    /// The actions the key may perform, when it is scoped instead of having a role.
    pub scopes: Option<Vec<String>>,
    pub created_by: Option<i64>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl KeyView {
    /// What the key may do, as stored.
    pub fn grant(&self) -> Grant {
        match (&self.role, &self.scopes) {
            (Some(role), _) => Grant::Role(*role),
            (None, Some(scopes)) => Grant::Scopes(scopes.iter().filter_map(|s| Action::parse(s)).collect()),
            (None, None) => Grant::Scopes(Vec::new()),
        }
    }
}

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    Role(Role),
    Scopes(Vec<Action>),
}

impl Grant {
    /// Every permission the grant holds, in table order: a role's, or the scopes (`me` always: any
    /// credential may ask who it is).
    pub fn permissions(&self) -> BTreeSet<Action> {
        match self {
            Grant::Role(role) => role.permissions(),
            Grant::Scopes(scopes) => scopes.iter().copied().filter(|a| a.scopable()).chain([Action::Me]).collect(),
        }
    }
}

/// A key that was presented and is valid.
#[derive(Debug, Clone)]
pub struct ValidKey {
    pub id: i64,
    pub name: String,
    pub grant: Grant,
    pub last_used_at: Option<i64>,
    /// The user who created the key still exists and has two-factor enrolled (false for keys made
    /// on the command line or by another key).
    pub creator_has_totp: bool,
    /// When the key stops being valid, if ever (a cached key is checked against it).
    pub expires_at: Option<i64>,
}

impl ValidKey {
    /// The key holds a permission only admins have (managing users, keys or security settings).
    pub fn holds_admin_permissions(&self) -> bool {
        self.grant.permissions().iter().any(|action| !action.allows(Role::Operator))
    }
}

/// Why a presented key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Revoked,
    Expired,
}

fn parse_scopes(text: &str) -> Vec<Action> {
    text.split(',').filter_map(|s| Action::parse(s.trim())).collect()
}

fn view(row: &AnyRow) -> Result<KeyView> {
    let role: Option<String> = row.try_get("role")?;
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(KeyView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        key_prefix: row.try_get("key_prefix")?,
        role: role.as_deref().and_then(Role::parse),
        scopes: scopes.map(|s| parse_scopes(&s).into_iter().map(|a| a.name().to_owned()).collect()),
        created_by: row.try_get("created_by")?,
        created_at: rfc3339(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(rfc3339),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(rfc3339),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(rfc3339),
    })
}

fn not_found(id: i64) -> Error {
    Error::NotFound { what: "API key", id: id.to_string() }
}

/// Creates a key; returns it (the only time it exists in clear) and its view.
pub async fn create(
    store: &Store,
    name: &str,
    grant: &Grant,
    created_by: Option<i64>,
    now: i64,
    expires_at: Option<i64>,
) -> Result<(String, KeyView)> {
    let key = format!("{PREFIX}{}", token::random());
    let (role, scopes) = match grant {
        Grant::Role(r) => (Some(r.as_str().to_owned()), None),
        Grant::Scopes(s) => (None, Some(s.iter().map(|a| a.name()).collect::<Vec<_>>().join(","))),
    };
    let row = sqlx::query(&format!(
        "INSERT INTO api_keys (name, key_prefix, key_hash, role, scopes, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(name.to_owned())
    .bind(key.chars().take(PREFIX.len() + 6).collect::<String>())
    .bind(token::digest(&key))
    .bind(role)
    .bind(scopes)
    .bind(created_by)
    .bind(now)
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?;
    Ok((key, view(&row)?))
}

/// Every key, newest first.
pub async fn list(store: &Store) -> Result<Vec<KeyView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id DESC")).fetch_all(store.pool()).await?;
    rows.iter().map(view).collect()
}

/// A page of keys, newest first, after `after`.
pub async fn page(store: &Store, after: Option<Cursor>, limit: u32) -> Result<Page<KeyView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys WHERE id < $1 ORDER BY id DESC LIMIT $2"))
        .bind(after.map_or(i64::MAX, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(store.pool())
        .await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |k| k.id))
}

/// One key.
pub async fn get(store: &Store, id: i64) -> Result<KeyView> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    view(&row)
}

/// Revokes a key; false when it was already revoked.
pub async fn revoke(store: &Store, id: i64, now: i64) -> Result<bool> {
    get(store, id).await?;
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The key behind a presented `bf_…` string.
pub async fn lookup(store: &Store, presented: &str, now: i64) -> Result<Result<ValidKey, Refused>> {
    if !presented.starts_with(PREFIX) || presented.len() > 128 {
        return Ok(Err(Refused::Unknown));
    }
    let row = sqlx::query(
        "SELECT k.id, k.name, k.role, k.scopes, k.expires_at, k.last_used_at, k.revoked_at, \
                u.totp_confirmed_at AS creator_totp \
         FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.key_hash = $1",
    )
    .bind(token::digest(presented))
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(Err(Refused::Unknown)) };
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(Err(Refused::Revoked));
    }
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    if expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(Refused::Expired));
    }
    let role: Option<String> = row.try_get("role")?;
    let scopes: Option<String> = row.try_get("scopes")?;
    let grant = match (role.as_deref().and_then(Role::parse), scopes) {
        (Some(r), _) => Grant::Role(r),
        (None, Some(s)) => Grant::Scopes(parse_scopes(&s)),
        (None, None) => Grant::Scopes(Vec::new()),
    };
    Ok(Ok(ValidKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        grant,
        last_used_at: row.try_get("last_used_at")?,
        creator_has_totp: row.try_get::<Option<i64>, _>("creator_totp")?.is_some(),
        expires_at,
    }))
}

/// Notes that a key was used (callers do this at most once a minute per key).
pub async fn touch(store: &Store, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(store.pool()).await?;
    Ok(())
}
