//! A bot's settings for one Discord server (`server_settings`), overriding the bot's there: its
//! prefix, the channels its prefix commands are answered in, its anti-spam limits and its stock,
//! back-in-stock and low-stock channels. What a server does not set is the bot's. Saved with optimistic concurrency (`version`, 0 for a server
//! with none yet) and read by a running bot without a restart ([`ServerRules`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::config::AntiSpamConfig;
use super::model::{
    check_anti_spam, check_channel, check_channels, check_cooldowns, check_prefix, AntiSpamChange, AntiSpamRequest,
    ChannelId,
};
use super::repo::{anti_spam_json, channels_json};
use crate::error::{Error, FieldError, Result};
use crate::page::{Cursor, Page};
use crate::store::Store;
use crate::time::{now_ms, rfc3339};

/// `PUT /bots/{id}/server-settings/{guild_id}`: the whole of a server's settings; a field left out
/// (or `null`) is the bot's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutServerSettings {
    /// The `version` this change was made from: 0 for a server with no settings yet; a newer one
    /// in the database means someone else changed them first (409).
    #[schema(minimum = 0)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 5,
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f]+$"
    )]
    pub prefix: Option<String>,
    /// The channels of this server its prefix commands are answered in (`[]`: every channel).
    #[schema(value_type = Option<Vec<ChannelId>>, max_items = 100)]
    pub channel_ids: Option<Vec<Value>>,
    /// This server's anti-spam limits; fields left out take the bot's values when saved.
    pub anti_spam: Option<AntiSpamRequest>,
    /// This server's stock channel: the bot keeps the catalogue there too (in place of its own
    /// stock channel when that is in this server).
    #[schema(value_type = Option<ChannelId>)]
    pub stock_channel_id: Option<Value>,
    /// This server's back-in-stock channel (in place of the bot's when that is in this server).
    #[schema(value_type = Option<ChannelId>)]
    pub back_in_stock_channel_id: Option<Value>,
    /// This server's low-stock channel (in place of the bot's when that is in this server).
    #[schema(value_type = Option<ChannelId>)]
    pub low_stock_channel_id: Option<Value>,
}

/// A server's settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServerSettingsView {
    pub bot_id: i64,
    /// The server's id (a string: Discord ids exceed JavaScript's safe integers).
    pub guild_id: String,
    /// Absent: the bot's.
    pub prefix: Option<String>,
    /// Absent: the bot's.
    pub channel_ids: Option<Vec<String>>,
    /// Absent: the bot's.
    pub anti_spam: Option<AntiSpamConfig>,
    /// Absent: none of its own (the bot's, when that is in this server).
    pub stock_channel_id: Option<String>,
    /// Absent: none of its own.
    pub back_in_stock_channel_id: Option<String>,
    /// Absent: none of its own.
    pub low_stock_channel_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a running bot applies in one server (each `None`: the bot's own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerRules {
    pub prefix: Option<String>,
    pub channel_ids: Option<Vec<u64>>,
    pub anti_spam: Option<AntiSpamConfig>,
    /// The server's own stock, back-in-stock and low-stock channels.
    pub stock: StockChannels,
}

/// A stock, a back-in-stock and a low-stock channel, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StockChannels {
    pub stock: Option<u64>,
    pub back_in_stock: Option<u64>,
    pub low_stock: Option<u64>,
}

impl StockChannels {
    /// Whether none is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Validated settings of a `PUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerChange {
    pub version: i64,
    pub prefix: Option<String>,
    pub channel_ids: Option<Vec<u64>>,
    pub anti_spam: Option<AntiSpamChange>,
    pub stock: StockChannels,
}

/// Checks a `PUT` body (422 naming each bad field).
pub fn validate(req: &PutServerSettings) -> Result<ServerChange> {
    let mut errors: Vec<FieldError> = Vec::new();
    if req.version < 0 {
        errors.push(FieldError::new("version", "must be 0 (no settings yet) or the current version"));
    }
    let change = ServerChange {
        version: req.version,
        prefix: req.prefix.as_deref().map(|p| check_prefix(p, &mut errors)),
        channel_ids: req.channel_ids.as_deref().map(|c| check_channels(c, &mut errors)),
        anti_spam: req.anti_spam.as_ref().map(|a| check_anti_spam(a, &mut errors)),
        stock: StockChannels {
            stock: req.stock_channel_id.as_ref().and_then(|v| check_channel("stock_channel_id", v, &mut errors)),
            back_in_stock: req
                .back_in_stock_channel_id
                .as_ref()
                .and_then(|v| check_channel("back_in_stock_channel_id", v, &mut errors)),
            low_stock: req
                .low_stock_channel_id
                .as_ref()
                .and_then(|v| check_channel("low_stock_channel_id", v, &mut errors)),
        },
    };
    if let Some(AntiSpamChange { cooldown_seconds: Some(first), max_cooldown_seconds: Some(longest), .. }) =
        change.anti_spam
    {
        // Within the request itself; against the bot's values when they fill the rest.
        check_cooldowns(first, longest, &mut errors);
    }
    if errors.is_empty() {
        Ok(change)
    } else {
        Err(Error::Validation(errors))
    }
}

const COLUMNS: &str = "bot_id, guild_id, prefix, channel_ids, anti_spam, stock_channel_id, \
                       back_in_stock_channel_id, low_stock_channel_id, version, created_at, updated_at";

/// A stored channel id (ids are below 2^63: validated when saved).
fn channel(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.and_then(|id| u64::try_from(id).ok()))
}

fn stock_channels(row: &AnyRow) -> Result<StockChannels> {
    Ok(StockChannels {
        stock: channel(row, "stock_channel_id")?,
        back_in_stock: channel(row, "back_in_stock_channel_id")?,
        low_stock: channel(row, "low_stock_channel_id")?,
    })
}

fn stored(id: Option<u64>) -> Option<i64> {
    id.and_then(|id| i64::try_from(id).ok())
}

fn ids(text: Option<String>, bot_id: i64, guild_id: i64) -> Result<Option<Vec<u64>>> {
    let Some(text) = text else { return Ok(None) };
    let unreadable = || {
        Error::Unreadable(format!(
            "bot {bot_id}'s saved channels for server {guild_id} cannot be read ({text:?}); save them again \
             (PUT /api/v1/bots/{bot_id}/server-settings/{guild_id})"
        ))
    };
    let listed: Vec<String> = serde_json::from_str(&text).map_err(|_| unreadable())?;
    listed.iter().map(|c| c.parse().map_err(|_| unreadable())).collect::<Result<Vec<u64>>>().map(Some)
}

fn limits(text: Option<String>, bot_id: i64, guild_id: i64) -> Result<Option<AntiSpamConfig>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|_| {
            Error::Unreadable(format!(
                "bot {bot_id}'s saved anti-spam limits for server {guild_id} cannot be read; save them again \
                 (PUT /api/v1/bots/{bot_id}/server-settings/{guild_id})"
            ))
        })
    })
    .transpose()
}

fn view(row: &AnyRow) -> Result<ServerSettingsView> {
    let (bot_id, guild_id): (i64, i64) = (row.try_get("bot_id")?, row.try_get("guild_id")?);
    let channels = ids(row.try_get("channel_ids")?, bot_id, guild_id)?;
    let stock = stock_channels(row)?;
    Ok(ServerSettingsView {
        bot_id,
        guild_id: guild_id.to_string(),
        prefix: row.try_get("prefix")?,
        channel_ids: channels.map(|c| c.iter().map(ToString::to_string).collect()),
        anti_spam: limits(row.try_get("anti_spam")?, bot_id, guild_id)?,
        stock_channel_id: stock.stock.map(|c| c.to_string()),
        back_in_stock_channel_id: stock.back_in_stock.map(|c| c.to_string()),
        low_stock_channel_id: stock.low_stock.map(|c| c.to_string()),
        version: row.try_get("version")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

fn not_found(bot_id: i64, guild_id: i64) -> Error {
    Error::NotFound { what: "server settings", id: format!("{bot_id}/{guild_id}") }
}

/// One page of a bot's server settings, by server id.
pub async fn list(store: &Store, bot_id: i64, after: Option<Cursor>, limit: u32) -> Result<Page<ServerSettingsView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM server_settings WHERE bot_id = $1 AND guild_id > $2 ORDER BY guild_id LIMIT $3"
    ))
    .bind(bot_id)
    .bind(after.map_or(0, |c| c.0))
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |s| s.guild_id.parse().unwrap_or(0)))
}

/// One server's settings (404 when it has none).
pub async fn get(store: &Store, bot_id: i64, guild_id: i64) -> Result<ServerSettingsView> {
    find(store, bot_id, guild_id).await?.ok_or_else(|| not_found(bot_id, guild_id))
}

async fn find(store: &Store, bot_id: i64, guild_id: i64) -> Result<Option<ServerSettingsView>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM server_settings WHERE bot_id = $1 AND guild_id = $2"))
        .bind(bot_id)
        .bind(guild_id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(view).transpose()
}

fn stale(bot_id: i64, guild_id: i64, sent: i64, current: i64) -> Error {
    Error::Conflict(format!(
        "the settings of bot {bot_id} for server {guild_id} were changed by someone else (you sent version {sent}, \
         the current version is {current}); reload them and apply your change again"
    ))
}

/// Saves a server's settings (made at version 0, replaced at the current version); what was there
/// before, and what is now. The anti-spam fields left out take `bot_limits`.
pub async fn put(
    store: &Store,
    bot_id: i64,
    guild_id: i64,
    change: &ServerChange,
    bot_limits: AntiSpamConfig,
) -> Result<(Option<ServerSettingsView>, ServerSettingsView)> {
    let before = find(store, bot_id, guild_id).await?;
    let current = before.as_ref().map_or(0, |b| b.version);
    if current != change.version {
        return Err(stale(bot_id, guild_id, change.version, current));
    }
    let limits = change.anti_spam.map(|a| a.apply(bot_limits)).transpose()?;
    let (prefix, channels) = (change.prefix.clone(), change.channel_ids.as_deref().map(channels_json));
    let limits = limits.as_ref().map(anti_spam_json).transpose()?;
    let now = now_ms();
    let row = if current == 0 {
        sqlx::query(&format!(
            "INSERT INTO server_settings (bot_id, guild_id, prefix, channel_ids, anti_spam, stock_channel_id, \
             back_in_stock_channel_id, low_stock_channel_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $7, $8, $9, 1, $6, $6) ON CONFLICT (bot_id, guild_id) DO NOTHING \
             RETURNING {COLUMNS}"
        ))
        .bind(bot_id)
        .bind(guild_id)
        .bind(prefix)
        .bind(channels)
        .bind(limits)
        .bind(now)
        .bind(stored(change.stock.stock))
        .bind(stored(change.stock.back_in_stock))
        .bind(stored(change.stock.low_stock))
        .fetch_optional(store.pool())
        .await?
    } else {
        sqlx::query(&format!(
            "UPDATE server_settings SET prefix = $3, channel_ids = $4, anti_spam = $5, stock_channel_id = $8, \
             back_in_stock_channel_id = $9, low_stock_channel_id = $10, version = version + 1, updated_at = $6 \
             WHERE bot_id = $1 AND guild_id = $2 AND version = $7 RETURNING {COLUMNS}"
        ))
        .bind(bot_id)
        .bind(guild_id)
        .bind(prefix)
        .bind(channels)
        .bind(limits)
        .bind(now)
        .bind(current)
        .bind(stored(change.stock.stock))
        .bind(stored(change.stock.back_in_stock))
        .bind(stored(change.stock.low_stock))
        .fetch_optional(store.pool())
        .await?
    };
    match row {
        Some(row) => Ok((before, view(&row)?)),
        // Someone else wrote in between.
        None => {
            let now = find(store, bot_id, guild_id).await?.map_or(0, |s| s.version);
            Err(stale(bot_id, guild_id, change.version, now))
        }
    }
}

/// Every bot's server settings, by bot and server, read on `conn` (a configuration export).
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<ServerSettingsView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM server_settings ORDER BY bot_id, guild_id"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(view).collect()
}

/// Sets a server's settings on `conn` whatever their version (made, or replaced with the version
/// moved on): a configuration import, which reads and writes in one transaction. The anti-spam
/// fields left out take `bot_limits`.
pub async fn replace_in(
    conn: &mut AnyConnection,
    bot_id: i64,
    guild_id: i64,
    change: &ServerChange,
    bot_limits: AntiSpamConfig,
) -> Result<ServerSettingsView> {
    let limits = change.anti_spam.map(|a| a.apply(bot_limits)).transpose()?;
    let limits = limits.as_ref().map(anti_spam_json).transpose()?;
    let channels = change.channel_ids.as_deref().map(channels_json);
    let row = sqlx::query(&format!(
        "INSERT INTO server_settings (bot_id, guild_id, prefix, channel_ids, anti_spam, stock_channel_id, \
         back_in_stock_channel_id, low_stock_channel_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $7, $8, $9, 1, $6, $6) ON CONFLICT (bot_id, guild_id) DO UPDATE SET \
         prefix = $3, channel_ids = $4, anti_spam = $5, stock_channel_id = $7, back_in_stock_channel_id = $8, \
         low_stock_channel_id = $9, version = server_settings.version + 1, updated_at = $6 RETURNING {COLUMNS}"
    ))
    .bind(bot_id)
    .bind(guild_id)
    .bind(change.prefix.clone())
    .bind(channels)
    .bind(limits)
    .bind(now_ms())
    .bind(stored(change.stock.stock))
    .bind(stored(change.stock.back_in_stock))
    .bind(stored(change.stock.low_stock))
    .fetch_one(&mut *conn)
    .await?;
    view(&row)
}

/// Removes a server's settings (the bot's apply there again); what they were.
pub async fn delete(store: &Store, bot_id: i64, guild_id: i64) -> Result<ServerSettingsView> {
    let row =
        sqlx::query(&format!("DELETE FROM server_settings WHERE bot_id = $1 AND guild_id = $2 RETURNING {COLUMNS}"))
            .bind(bot_id)
            .bind(guild_id)
            .fetch_optional(store.pool())
            .await?;
    row.as_ref().map(view).transpose()?.ok_or_else(|| not_found(bot_id, guild_id))
}

/// Every server's rules of a bot, by server id (what a running bot applies).
pub async fn rules(store: &Store, bot_id: i64) -> Result<HashMap<u64, ServerRules>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM server_settings WHERE bot_id = $1"))
        .bind(bot_id)
        .fetch_all(store.pool())
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in &rows {
        let guild_id: i64 = row.try_get("guild_id")?;
        let rules = ServerRules {
            prefix: row.try_get("prefix")?,
            channel_ids: ids(row.try_get("channel_ids")?, bot_id, guild_id)?,
            anti_spam: limits(row.try_get("anti_spam")?, bot_id, guild_id)?,
            stock: stock_channels(row)?,
        };
        out.insert(u64::try_from(guild_id).unwrap_or(0), rules);
    }
    Ok(out)
}
