//! `discord_bot_logs`: bot-scoped events (connected, resumed, disconnected with a code, failed,
//! command errors, panics).

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::filter::Where;
use super::search::{self, LogPage, Table};
use crate::error::{Error, Result};
use crate::page::{limit, Cursor};
use crate::store::{self, Store};
use crate::time::{parse, rfc3339};

/// One bot log line to record (JSON in the tracking spool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotLogRecord {
    pub bot_id: i64,
    pub at: i64,
    /// `info`, `warn` or `error`.
    pub level: &'static str,
    pub event: String,
    pub message: String,
}

/// A spooled [`BotLogRecord`] as read back: its level owned, until it is matched to one of the
/// three (anything else reads as `info`).
#[derive(Deserialize)]
struct SpooledBotLog {
    bot_id: i64,
    at: i64,
    level: String,
    event: String,
    message: String,
}

// By hand: a derive would borrow the `&'static str` from the input (`'de: 'static`).
impl<'de> Deserialize<'de> for BotLogRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        SpooledBotLog::deserialize(d).map(Self::from)
    }
}

impl From<SpooledBotLog> for BotLogRecord {
    fn from(s: SpooledBotLog) -> Self {
        let level = match s.level.as_str() {
            "warn" => "warn",
            "error" => "error",
            _ => "info",
        };
        Self { bot_id: s.bot_id, at: s.at, level, event: s.event, message: s.message }
    }
}

/// A bot log line as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BotLog {
    pub id: i64,
    pub bot_id: i64,
    pub at: String,
    pub level: String,
    pub event: String,
    pub message: String,
}

/// Filters of `GET /bot-logs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BotLogQuery {
    pub bot_id: Option<i64>,
    /// `info`, `warn` or `error`.
    #[param(pattern = r"^(?:info|warn|error)$")]
    pub level: Option<String>,
    /// `connected`, `resumed`, `disconnected`, `session_lost`, `session_starts_low`, `failed`,
    /// `command_error`, `command_panic`, `panic`, …
    pub event: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Search: terms all of which must be found, each a case-insensitive substring of the event or
    /// the message; `"a phrase"` is one term, `-term` excludes (docs/api.md, "Searching logs").
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<crate::page::Limit>,
}

fn view(row: &AnyRow) -> Result<BotLog> {
    Ok(BotLog {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        at: rfc3339(row.try_get("at")?),
        level: row.try_get("level")?,
        event: row.try_get("event")?,
        message: row.try_get("message")?,
    })
}

/// Inserts many lines at once (`store::insert_rows`: on SQLite one statement).
pub async fn insert_batch(store: &Store, records: &[BotLogRecord]) -> Result<()> {
    let sql = ("INSERT INTO discord_bot_logs (bot_id, at, level, event, message) VALUES ", "(?,?,?,?,?)", "");
    crate::store::insert_rows(store, sql, records, |q, r| {
        q.bind(r.bot_id).bind(r.at).bind(r.level).bind(r.event.as_str()).bind(r.message.as_str())
    })
    .await
}

/// The bot log's search: the event and the message.
pub const SEARCHED: Table =
    Table { name: "discord_bot_logs", fts: "discord_bot_logs_fts", columns: &["event", "message"] };

const SELECT: &str = "t.id, t.bot_id, t.at, t.level, t.event, t.message";

/// A page of bot logs, newest first.
pub async fn list(store: &Store, query: &BotLogQuery) -> Result<LogPage<BotLog>> {
    let (w, cursor, limit) = filters(query)?;
    search::page(store, &SEARCHED, SELECT, w, query.q.as_deref(), cursor, limit, view, |l| l.id).await
}

/// The database's plan for [`list`]'s statements (`search::explain`).
pub async fn explain(store: &Store, conn: &mut sqlx::AnyConnection, query: &BotLogQuery) -> Result<String> {
    let (w, cursor, limit) = filters(query)?;
    search::explain(store.backend(), conn, &SEARCHED, SELECT, w, query.q.as_deref(), cursor, limit).await
}

fn filters(query: &BotLogQuery) -> Result<(Where, Option<Cursor>, u32)> {
    let limit = limit(query.limit, 50, 500)?;
    if let Some(level) = &query.level {
        if !matches!(level.as_str(), "info" | "warn" | "error") {
            return Err(Error::field("level", "must be info, warn or error"));
        }
    }
    let mut w = Where::default();
    w.int("t.bot_id", "=", query.bot_id);
    w.text("level", "t.level", query.level.as_deref());
    w.text("event", "t.event", query.event.as_deref());
    w.int("t.at", ">=", query.since.as_deref().map(|s| parse("since", s)).transpose()?);
    w.int("t.at", "<", query.until.as_deref().map(|s| parse("until", s)).transpose()?);
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok((w, cursor, limit))
}

/// One bot log line.
pub async fn get(store: &Store, id: i64) -> Result<BotLog> {
    store::get_by_id(store, "discord_bot_logs", "id, bot_id, at, level, event, message", "bot log", id, view).await
}

/// Deletes one bot log line.
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    store::delete_by_id(store.pool(), "discord_bot_logs", "bot log", id).await
}
