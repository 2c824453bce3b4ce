//! `discord_command_logs`: one row per command invocation, whatever its outcome.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::filter::Where;
use crate::error::{Error, Result};
use crate::page::{limit, Cursor, Page};
use crate::store::Store;
use crate::time::{parse, rfc3339};

/// One invocation to record (the tracking writer's input).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRecord {
    pub bot_id: i64,
    pub received_at: i64,
    pub responded_at: Option<i64>,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub user_id: u64,
    pub user_name: String,
    pub command: String,
    pub arguments: String,
    /// `slash` or `prefix`.
    pub kind: &'static str,
    pub response: String,
    pub latency_us: Option<i64>,
    /// `ok`, `error` or `denied`.
    pub outcome: &'static str,
    pub error: Option<String>,
}

/// A command log row as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommandLog {
    pub id: i64,
    pub bot_id: i64,
    pub received_at: String,
    pub responded_at: Option<String>,
    pub guild_id: Option<String>,
    pub channel_id: String,
    pub user_id: String,
    pub user_name: String,
    pub command: String,
    pub arguments: String,
    pub kind: String,
    pub response: String,
    /// Milliseconds from the event arriving to the reply being accepted by Discord.
    pub latency_ms: Option<f64>,
    pub outcome: String,
    pub error: Option<String>,
}

/// Filters of `GET /command-logs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommandLogQuery {
    pub bot_id: Option<i64>,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    /// Exact command name (`ping`, `stock`).
    pub command: Option<String>,
    /// `ok`, `error` or `denied`.
    pub outcome: Option<String>,
    /// Received at or after (RFC 3339 or epoch milliseconds).
    pub since: Option<String>,
    /// Received before (RFC 3339 or epoch milliseconds).
    pub until: Option<String>,
    /// Case-insensitive substring of the command or its arguments.
    pub q: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 500, default 50.
    pub limit: Option<u32>,
}

const COLUMNS: &str = "id, bot_id, received_at, responded_at, guild_id, channel_id, user_id, user_name, command, \
                       arguments, kind, response, latency_us, outcome, error";

fn id_filter(field: &str, value: Option<&String>) -> Result<Option<i64>> {
    value
        .map(|v| v.trim().parse::<i64>().map_err(|_| Error::field(field, "must be a Discord id (digits only)")))
        .transpose()
}

fn view(row: &AnyRow) -> Result<CommandLog> {
    let id_text =
        |col: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<i64>, _>(col)?.map(|v| v.to_string())) };
    Ok(CommandLog {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        received_at: rfc3339(row.try_get("received_at")?),
        responded_at: row.try_get::<Option<i64>, _>("responded_at")?.map(rfc3339),
        guild_id: id_text("guild_id")?,
        channel_id: id_text("channel_id")?.unwrap_or_default(),
        user_id: id_text("user_id")?.unwrap_or_default(),
        user_name: row.try_get("user_name")?,
        command: row.try_get("command")?,
        arguments: row.try_get("arguments")?,
        kind: row.try_get("kind")?,
        response: row.try_get("response")?,
        latency_ms: row.try_get::<Option<i64>, _>("latency_us")?.map(|us| us as f64 / 1000.0),
        outcome: row.try_get("outcome")?,
        error: row.try_get("error")?,
    })
}

fn as_i64(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// Inserts many records in one transaction, a multi-row INSERT per chunk.
pub async fn insert_batch(store: &Store, records: &[CommandRecord]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    // 15 columns per row; stay well under SQLite's 32,766 bound parameters.
    for chunk in records.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO discord_command_logs (bot_id, received_at, responded_at, guild_id, channel_id, user_id, user_name, \
             command, arguments, kind, response, latency_us, outcome, error) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 14;
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&(1..=14).map(|k| format!("${}", b + k)).collect::<Vec<_>>().join(","));
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.bot_id)
                .bind(r.received_at)
                .bind(r.responded_at)
                .bind(r.guild_id.map(as_i64))
                .bind(as_i64(r.channel_id))
                .bind(as_i64(r.user_id))
                .bind(r.user_name.clone())
                .bind(r.command.clone())
                .bind(r.arguments.clone())
                .bind(r.kind)
                .bind(r.response.clone())
                .bind(r.latency_us)
                .bind(r.outcome)
                .bind(r.error.clone());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A page of command logs, newest first.
pub async fn list(store: &Store, query: &CommandLogQuery) -> Result<Page<CommandLog>> {
    let limit = limit(query.limit, 50, 500)?;
    if let Some(outcome) = &query.outcome {
        if !matches!(outcome.as_str(), "ok" | "error" | "denied") {
            return Err(Error::field("outcome", "must be ok, error or denied"));
        }
    }
    let mut w = Where::default();
    w.int("bot_id", "=", query.bot_id);
    w.int("guild_id", "=", id_filter("guild_id", query.guild_id.as_ref())?);
    w.int("channel_id", "=", id_filter("channel_id", query.channel_id.as_ref())?);
    w.int("user_id", "=", id_filter("user_id", query.user_id.as_ref())?);
    w.text("command", query.command.as_deref());
    w.text("outcome", query.outcome.as_deref());
    w.int("received_at", ">=", query.since.as_deref().map(|s| parse("since", s)).transpose()?);
    w.int("received_at", "<", query.until.as_deref().map(|s| parse("until", s)).transpose()?);
    w.contains(&["command", "arguments"], query.q.as_deref());
    w.int("id", "<", query.cursor.as_deref().map(Cursor::decode).transpose()?.map(|c| c.0));
    let (clause, limit_slot, args) = w.finish(i64::from(limit) + 1);
    let sql = format!("SELECT {COLUMNS} FROM discord_command_logs {clause} ORDER BY id DESC LIMIT {limit_slot}");
    let rows = sqlx::query_with(&sql, args).fetch_all(store.pool()).await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |c| c.id))
}

/// One command log.
pub async fn get(store: &Store, id: i64) -> Result<CommandLog> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM discord_command_logs WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound { what: "command log", id: id.to_string() })?;
    view(&row)
}

/// Deletes one command log.
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM discord_command_logs WHERE id = $1").bind(id).execute(store.pool()).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound { what: "command log", id: id.to_string() });
    }
    Ok(())
}
