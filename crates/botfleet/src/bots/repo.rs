//! Bot configurations in the `bots` table: insert, read, list, update with optimistic
//! concurrency, replace the token, delete. Tokens go in and out only through the cipher.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::config::{AntiSpamConfig, BotConfig};
use super::model::{intent_names, token_hint, BotView, Settings, Token};
use super::status::{DesiredState, Status};
use crate::error::{Error, Result};
use crate::page::{Cursor, Page};
use crate::secrets::{Secret, TokenCipher};
use crate::store::{self, is_unique_violation, Store};
use crate::time::now_ms;
use crate::time::rfc3339;

/// Columns holding a secret sealed with the token cipher (re-sealed when the key rotates).
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("bots", "token_ciphertext")];

const COLUMNS: &str =
    "id, name, prefix, intents, channel_ids, anti_spam, token_hint, version, created_at, updated_at, \
                       desired_state, stock_channel_id, back_in_stock_channel_id, low_stock_channel_id";

/// An optional channel id column.
fn channel(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.and_then(|id| u64::try_from(id).ok()))
}

/// A channel id as stored (ids are validated to fit in 63 bits).
fn stored(id: Option<u64>) -> Option<i64> {
    id.and_then(|id| i64::try_from(id).ok())
}

/// The stored `anti_spam` JSON; missing fields take their defaults, unreadable JSON (never written
/// by us) means the defaults.
fn anti_spam(row: &AnyRow) -> Result<AntiSpamConfig> {
    let text: String = row.try_get("anti_spam")?;
    Ok(serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "stored anti_spam settings are unreadable; using the defaults");
        AntiSpamConfig::default()
    }))
}

pub(super) fn anti_spam_json(config: &AntiSpamConfig) -> Result<String> {
    serde_json::to_string(config).map_err(|e| Error::Config(format!("anti_spam settings: {e}")))
}

fn view(row: &AnyRow) -> Result<BotView> {
    let channels: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("channel_ids")?).unwrap_or_else(|e| {
        // Shown as none here so the bot can still be read and repaired; starting it refuses.
        tracing::warn!(error = %e, "a bot's saved channel list cannot be read");
        Vec::new()
    });
    Ok(BotView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        intents: intent_names(u64::try_from(row.try_get::<i64, _>("intents")?).unwrap_or(0)),
        channel_ids: channels,
        anti_spam: anti_spam(row)?,
        stock_channel_id: channel(row, "stock_channel_id")?.map(|id| id.to_string()),
        back_in_stock_channel_id: channel(row, "back_in_stock_channel_id")?.map(|id| id.to_string()),
        low_stock_channel_id: channel(row, "low_stock_channel_id")?.map(|id| id.to_string()),
        token_hint: row.try_get("token_hint")?,
        version: row.try_get("version")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
        desired_state: desired(row.try_get("id")?, &row.try_get::<String, _>("desired_state")?)?,
        status: Status::Stopped,
        status_reason: None,
    })
}

/// The stored `channel_ids` of bot `id`: a JSON list of ids as strings, as `channels_json` writes
/// it. Anything else is a fault to repair, never "no channels" (which means every channel).
fn channel_ids(row: &AnyRow, id: i64) -> Result<Vec<u64>> {
    let text: String = row.try_get("channel_ids")?;
    let unreadable = || {
        Error::Unreadable(format!(
            "bot {id}'s saved channel list cannot be read ({text:?}); save its channels again \
             (PATCH /api/v1/bots/{id} with channel_ids) before starting it"
        ))
    };
    let listed: Vec<String> = serde_json::from_str(&text).map_err(|_| unreadable())?;
    listed.iter().map(|c| c.parse().map_err(|_| unreadable())).collect()
}

pub(super) fn channels_json(ids: &[u64]) -> String {
    serde_json::to_string(&ids.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

fn not_found(id: i64) -> Error {
    Error::NotFound { what: "bot", id: id.to_string() }
}

fn name_taken(e: sqlx::Error, name: Option<&str>) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict(format!("a bot named {:?} already exists", name.unwrap_or_default()))
    } else {
        e.into()
    }
}

/// Saves a new bot.
pub async fn insert(store: &Store, cipher: &TokenCipher, s: &Settings, token: &Token) -> Result<BotView> {
    insert_in(&mut *store.pool().acquire().await?, cipher, s, token).await
}

/// Saves a new bot on `conn` (inside the caller's transaction, for a configuration import).
pub async fn insert_in(conn: &mut AnyConnection, cipher: &TokenCipher, s: &Settings, token: &Token) -> Result<BotView> {
    let now = now_ms();
    let sealed = cipher.seal(&token.0)?;
    let anti_spam = s.anti_spam.unwrap_or_default().apply(AntiSpamConfig::default())?;
    let row = sqlx::query(&format!(
        "INSERT INTO bots (name, prefix, intents, channel_ids, token_ciphertext, token_hint, version, created_at, \
         updated_at, anti_spam, stock_channel_id, back_in_stock_channel_id, low_stock_channel_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
    ))
    .bind(s.name.clone().unwrap_or_default())
    .bind(s.prefix.clone().unwrap_or_default())
    .bind(i64::try_from(s.intents.unwrap_or(0)).unwrap_or(0))
    .bind(channels_json(s.channel_ids.as_deref().unwrap_or_default()))
    .bind(sealed)
    .bind(token_hint(&token.0))
    .bind(now)
    .bind(anti_spam_json(&anti_spam)?)
    .bind(stored(s.stock_channel_id.flatten()))
    .bind(stored(s.back_in_stock_channel_id.flatten()))
    .bind(stored(s.low_stock_channel_id.flatten()))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| name_taken(e, s.name.as_deref()))?;
    view(&row)
}

/// Replaces every setting of bot `id` with `s` (a whole configuration: anti-spam fields left out
/// take their defaults), on `conn`, whatever its version (a configuration import, which reads and
/// writes in one transaction).
pub async fn replace_in(conn: &mut AnyConnection, id: i64, s: &Settings) -> Result<BotView> {
    let anti_spam = s.anti_spam.unwrap_or_default().apply(AntiSpamConfig::default())?;
    let row = sqlx::query(&format!(
        "UPDATE bots SET name = $1, prefix = $2, intents = $3, channel_ids = $4, anti_spam = $5, \
         stock_channel_id = $6, back_in_stock_channel_id = $7, low_stock_channel_id = $8, version = version + 1, \
         updated_at = $9 WHERE id = $10 RETURNING {COLUMNS}"
    ))
    .bind(s.name.clone().unwrap_or_default())
    .bind(s.prefix.clone().unwrap_or_default())
    .bind(i64::try_from(s.intents.unwrap_or(0)).unwrap_or(0))
    .bind(channels_json(s.channel_ids.as_deref().unwrap_or_default()))
    .bind(anti_spam_json(&anti_spam)?)
    .bind(stored(s.stock_channel_id.flatten()))
    .bind(stored(s.back_in_stock_channel_id.flatten()))
    .bind(stored(s.low_stock_channel_id.flatten()))
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| name_taken(e, s.name.as_deref()))?
    .ok_or_else(|| not_found(id))?;
    view(&row)
}

/// Replaces bot `id`'s token on `conn` (a configuration import), bumping its version.
pub async fn set_token_in(conn: &mut AnyConnection, cipher: &TokenCipher, id: i64, token: &Token) -> Result<()> {
    let done = sqlx::query(
        "UPDATE bots SET token_ciphertext = $1, token_hint = $2, version = version + 1, updated_at = $3 WHERE id = $4",
    )
    .bind(cipher.seal(&token.0)?)
    .bind(token_hint(&token.0))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Every bot in id order, read on `conn` (a configuration export's one consistent read).
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<BotView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM bots ORDER BY id")).fetch_all(&mut *conn).await?;
    rows.iter().map(view).collect()
}

/// Bot `id`'s decrypted token, read on `conn`.
pub async fn token_in(conn: &mut AnyConnection, cipher: &TokenCipher, id: i64) -> Result<Secret> {
    let sealed: String = sqlx::query_scalar("SELECT token_ciphertext FROM bots WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    cipher.open(&sealed)
}

/// One bot.
pub async fn get(store: &Store, id: i64) -> Result<BotView> {
    store::get_by_id(store, "bots", COLUMNS, "bot", id, view).await
}

/// Bots in id order, a page at a time.
pub async fn list(store: &Store, after: Option<Cursor>, limit: u32) -> Result<Page<BotView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM bots WHERE id > $1 ORDER BY id LIMIT $2"))
        .bind(after.map_or(0, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(store.pool())
        .await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |b| b.id))
}

/// Applies a validated change if the bot is still at `version`.
pub async fn update(store: &Store, id: i64, version: i64, s: &Settings) -> Result<BotView> {
    let current = get(store, id).await?;
    if current.version != version {
        return Err(stale(id, version, current.version));
    }
    // Applied to what is stored at `version`: the UPDATE below only lands on that version.
    let anti_spam = s.anti_spam.map(|change| change.apply(current.anti_spam)).transpose()?;
    let row = sqlx::query(&format!(
        "UPDATE bots SET name = COALESCE($1, name), prefix = COALESCE($2, prefix), intents = COALESCE($3, intents), \
         channel_ids = COALESCE($4, channel_ids), anti_spam = COALESCE($8, anti_spam), \
         stock_channel_id = CASE WHEN $9 = 1 THEN $10 ELSE stock_channel_id END, \
         back_in_stock_channel_id = CASE WHEN $11 = 1 THEN $12 ELSE back_in_stock_channel_id END, \
         low_stock_channel_id = CASE WHEN $13 = 1 THEN $14 ELSE low_stock_channel_id END, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7 RETURNING {COLUMNS}"
    ))
    .bind(s.name.clone())
    .bind(s.prefix.clone())
    .bind(s.intents.map(|i| i64::try_from(i).unwrap_or(0)))
    .bind(s.channel_ids.as_deref().map(channels_json))
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .bind(anti_spam.as_ref().map(anti_spam_json).transpose()?)
    .bind(i64::from(s.stock_channel_id.is_some()))
    .bind(stored(s.stock_channel_id.flatten()))
    .bind(i64::from(s.back_in_stock_channel_id.is_some()))
    .bind(stored(s.back_in_stock_channel_id.flatten()))
    .bind(i64::from(s.low_stock_channel_id.is_some()))
    .bind(stored(s.low_stock_channel_id.flatten()))
    .fetch_optional(store.pool())
    .await
    .map_err(|e| name_taken(e, s.name.as_deref()))?;
    match row {
        Some(row) => view(&row),
        // Someone changed it between our read and our write.
        None => Err(stale(id, version, get(store, id).await?.version)),
    }
}

fn stale(id: i64, sent: i64, current: i64) -> Error {
    Error::Conflict(format!(
        "bot {id} was changed by someone else (you sent version {sent}, the current version is {current}); reload it and apply your change again"
    ))
}

/// Replaces the token (and bumps the version).
pub async fn set_token(
    store: &Store,
    cipher: &TokenCipher,
    id: i64,
    token: &Token,
    version: Option<i64>,
) -> Result<BotView> {
    let current = get(store, id).await?;
    let expected = version.unwrap_or(current.version);
    if expected != current.version {
        return Err(stale(id, expected, current.version));
    }
    let row = sqlx::query(&format!(
        "UPDATE bots SET token_ciphertext = $1, token_hint = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5 RETURNING {COLUMNS}"
    ))
    .bind(cipher.seal(&token.0)?)
    .bind(token_hint(&token.0))
    .bind(now_ms())
    .bind(id)
    .bind(expected)
    .fetch_optional(store.pool())
    .await?;
    match row {
        Some(row) => view(&row),
        None => Err(stale(id, expected, get(store, id).await?.version)),
    }
}

/// Deletes a bot.
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    store::delete_by_id(&mut *tx, "bots", "bot", id).await?;
    sqlx::query("DELETE FROM stock_messages WHERE bot_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM low_stock_notices WHERE bot_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A bot's decrypted token, for the one place that sends it to Discord.
pub async fn token(store: &Store, cipher: &TokenCipher, id: i64) -> Result<Secret> {
    let sealed: String = sqlx::query_scalar("SELECT token_ciphertext FROM bots WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    cipher.open(&sealed)
}

/// A bot's intents bits and channel ids, for testing its saved configuration.
pub async fn gateway_settings(store: &Store, id: i64) -> Result<(u64, Vec<u64>)> {
    let row = sqlx::query("SELECT intents, channel_ids FROM bots WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok((u64::try_from(row.try_get::<i64, _>("intents")?).unwrap_or(0), channel_ids(&row, id)?))
}

/// What an admin wants of a bot (`NotFound` when there is no such bot).
pub async fn desired_state(store: &Store, id: i64) -> Result<DesiredState> {
    let text: String = sqlx::query_scalar("SELECT desired_state FROM bots WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    desired(id, &text)
}

/// A stored desired state, read strictly.
fn desired(id: i64, text: &str) -> Result<DesiredState> {
    DesiredState::parse(text).ok_or_else(|| {
        Error::Unreadable(format!(
            "bot {id}'s saved desired state is {text:?}, not running or stopped; start or stop it to set it again"
        ))
    })
}

/// Records whether a bot should run.
pub async fn set_desired(store: &Store, id: i64, state: DesiredState) -> Result<()> {
    let done = sqlx::query("UPDATE bots SET desired_state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Bots an admin wants running.
pub async fn desired_running(store: &Store) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM bots WHERE desired_state = $1 ORDER BY id")
        .bind(DesiredState::Running.as_str())
        .fetch_all(store.pool())
        .await?)
}

/// Every bot's id and name, in id order.
pub async fn names(store: &Store) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, name FROM bots ORDER BY id").fetch_all(store.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
}

/// Every bot id.
pub async fn all_ids(store: &Store) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM bots ORDER BY id").fetch_all(store.pool()).await?)
}

/// What a bot runs with, token decrypted, and what an admin last wanted of it.
pub async fn runtime_config(store: &Store, cipher: &TokenCipher, id: i64) -> Result<(BotConfig, DesiredState)> {
    let row = sqlx::query(
        "SELECT prefix, intents, channel_ids, anti_spam, token_ciphertext, stock_channel_id, back_in_stock_channel_id, \
         low_stock_channel_id, desired_state FROM bots WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| not_found(id))?;
    let config = BotConfig {
        id,
        prefix: row.try_get("prefix")?,
        intents: u64::try_from(row.try_get::<i64, _>("intents")?).unwrap_or(0),
        channel_ids: channel_ids(&row, id)?,
        anti_spam: anti_spam(&row)?,
        stock_channel_id: channel(&row, "stock_channel_id")?,
        back_in_stock_channel_id: channel(&row, "back_in_stock_channel_id")?,
        low_stock_channel_id: channel(&row, "low_stock_channel_id")?,
        token: cipher.open(&row.try_get::<String, _>("token_ciphertext")?)?,
    };
    Ok((config, desired(id, &row.try_get::<String, _>("desired_state")?)?))
}
