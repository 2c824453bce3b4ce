//! `discord_command_logs`: one row per command invocation, whatever its outcome.

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

/// How a command was invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CommandKind {
    /// `!ping`: a message starting with the bot's prefix.
    Prefix,
    /// `/ping`: an application command interaction.
    Slash,
    /// A press on a button of a command's reply.
    Component,
}

impl CommandKind {
    /// The kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prefix => "prefix",
            Self::Slash => "slash",
            Self::Component => "component",
        }
    }
}

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Answered as asked.
    Ok,
    /// The command failed, or its reply could not be sent.
    Error,
    /// Refused by anti-spam.
    Denied,
    /// An interaction that reached the bot after Discord's 3-second window to answer it had passed
    /// (delivered while the bot was down, replayed on resume): Discord refuses any answer, so the
    /// user saw "the application did not respond".
    Expired,
}

impl Outcome {
    /// The outcome as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    /// A stored or requested word (`ok`, `error`, `denied`, `expired`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ok" => Some(Self::Ok),
            "error" => Some(Self::Error),
            "denied" => Some(Self::Denied),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// One invocation, from the moment it is received to its row in `discord_command_logs`: built once
/// by [`CommandRecord::new`] when the event arrives, completed as it is answered, then handed to
/// tracking (which writes it with [`insert_batch`], or spools it as JSON while the database is
/// away); the live feed's event is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub bot_id: i64,
    /// The Discord event that caused it: the interaction's id (slash command, button press) or the
    /// message's (prefix command). One row per bot and event: a re-delivered event is not stored again.
    pub event_id: u64,
    pub kind: CommandKind,
    pub received_at: i64,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub user_id: u64,
    pub user_name: String,
    /// The command's name, lower case.
    pub command: String,
    pub arguments: String,
    /// When Discord accepted the reply (none yet, or none sent).
    pub responded_at: Option<i64>,
    /// The first 200 characters of the reply.
    pub response: String,
    pub latency_us: Option<i64>,
    pub outcome: Outcome,
    pub error: Option<String>,
}

impl CommandRecord {
    /// An invocation of `command` just received (`ok` until something says otherwise); [`Self::from`]
    /// says which event it came in.
    pub fn new(bot_id: i64, kind: CommandKind, received_at: i64, command: &str, arguments: String) -> Self {
        Self {
            bot_id,
            event_id: 0,
            kind,
            received_at,
            guild_id: None,
            channel_id: 0,
            user_id: 0,
            user_name: String::new(),
            command: command.to_lowercase(),
            arguments,
            responded_at: None,
            response: String::new(),
            latency_us: None,
            outcome: Outcome::Ok,
            error: None,
        }
    }

    /// The event it came in (interaction or message id), where it was sent (a guild's channel, or a
    /// DM channel) and by whom.
    pub fn from(
        mut self,
        event_id: u64,
        guild_id: Option<u64>,
        channel_id: u64,
        user_id: u64,
        user_name: &str,
    ) -> Self {
        (self.event_id, self.guild_id, self.channel_id, self.user_id) = (event_id, guild_id, channel_id, user_id);
        user_name.clone_into(&mut self.user_name);
        self
    }

    /// Notes the reply (its first 200 characters).
    pub fn reply(&mut self, text: &str) {
        self.response = text.chars().take(200).collect();
        if text.chars().nth(200).is_some() {
            self.response.push('…');
        }
    }
}

/// A command log row as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommandLog {
    pub id: i64,
    pub bot_id: i64,
    /// The Discord event that caused it (interaction or message id, as a string); negative on rows
    /// tracked before event ids were kept.
    pub event_id: String,
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
    /// The Discord event's id (the interaction or message id).
    #[param(pattern = r"^-?[0-9]{1,19}$")]
    pub event_id: Option<String>,
    /// A Discord id (digits).
    #[param(pattern = r"^-?[0-9]{1,18}$")]
    pub guild_id: Option<String>,
    /// A Discord id (digits).
    #[param(pattern = r"^-?[0-9]{1,18}$")]
    pub channel_id: Option<String>,
    /// A Discord id (digits).
    #[param(pattern = r"^-?[0-9]{1,18}$")]
    pub user_id: Option<String>,
    /// Exact command name (`ping`, `stock`).
    pub command: Option<String>,
    /// `ok`, `error`, `denied` or `expired`.
    #[param(pattern = r"^(?:ok|error|denied|expired)$")]
    pub outcome: Option<String>,
    /// Received at or after (RFC 3339 or epoch milliseconds).
    pub since: Option<String>,
    /// Received before (RFC 3339 or epoch milliseconds).
    pub until: Option<String>,
    /// Search: terms all of which must be found, each a case-insensitive substring of the command,
    /// its arguments, the reply, the error or the user's name; `"a phrase"` is one term, `-term`
    /// excludes (docs/api.md, "Searching logs").
    pub q: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<crate::page::Limit>,
}

const COLUMNS: &str =
    "id, bot_id, event_id, received_at, responded_at, guild_id, channel_id, user_id, user_name, command, \
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
        event_id: row.try_get::<i64, _>("event_id")?.to_string(),
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

/// The command log's multi-row INSERT (`store::insert_rows`): head, one row, tail.
pub const INSERT: (&str, &str, &str) = (
    "INSERT INTO discord_command_logs (bot_id, event_id, received_at, responded_at, guild_id, channel_id, \
     user_id, user_name, command, arguments, kind, response, latency_us, outcome, error) VALUES ",
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    " ON CONFLICT (bot_id, event_id) DO NOTHING",
);

/// Inserts many records at once (`store::insert_rows`: on SQLite one statement). A record whose
/// event this bot already has a row for (Discord delivered the event again, e.g. after a session
/// resumed from an older sequence) is skipped by `ON CONFLICT DO NOTHING`, on both databases. Its
/// metrics and live event were already counted when the runner finished it: this writer is off the
/// hot path and does not report back, so only the duplicate row is missing.
pub async fn insert_batch(store: &Store, records: &[CommandRecord]) -> Result<()> {
    crate::store::insert_rows(store, INSERT, records, |q, r| {
        q.bind(r.bot_id)
            .bind(as_i64(r.event_id))
            .bind(r.received_at)
            .bind(r.responded_at)
            .bind(r.guild_id.map(as_i64))
            .bind(as_i64(r.channel_id))
            .bind(as_i64(r.user_id))
            .bind(r.user_name.as_str())
            .bind(r.command.as_str())
            .bind(r.arguments.as_str())
            .bind(r.kind.as_str())
            .bind(r.response.as_str())
            .bind(r.latency_us)
            .bind(r.outcome.as_str())
            .bind(r.error.as_deref())
    })
    .await
}

/// The command log's search: the command, its arguments, the reply, the error and the user's name.
pub const SEARCHED: Table = Table {
    name: "discord_command_logs",
    fts: "discord_command_logs_fts",
    columns: &["command", "arguments", "response", "error", "user_name"],
};

/// A page of command logs, newest first.
pub async fn list(store: &Store, query: &CommandLogQuery) -> Result<LogPage<CommandLog>> {
    let (w, cursor, limit) = filters(query)?;
    search::page(store, &SEARCHED, &columns("t."), w, query.q.as_deref(), cursor, limit, view, |c| c.id).await
}

/// The database's plan for [`list`]'s statements (`search::explain`).
pub async fn explain(store: &Store, conn: &mut sqlx::AnyConnection, query: &CommandLogQuery) -> Result<String> {
    let (w, cursor, limit) = filters(query)?;
    search::explain(store.backend(), conn, &SEARCHED, &columns("t."), w, query.q.as_deref(), cursor, limit).await
}

fn filters(query: &CommandLogQuery) -> Result<(Where, Option<Cursor>, u32)> {
    let limit = limit(query.limit, 50, 500)?;
    if query.outcome.as_deref().is_some_and(|o| Outcome::parse(o).is_none()) {
        return Err(Error::field("outcome", "must be ok, error, denied or expired"));
    }
    let mut w = Where::default();
    w.int("t.bot_id", "=", query.bot_id);
    w.int("t.event_id", "=", id_filter("event_id", query.event_id.as_ref())?);
    w.int("t.guild_id", "=", id_filter("guild_id", query.guild_id.as_ref())?);
    w.int("t.channel_id", "=", id_filter("channel_id", query.channel_id.as_ref())?);
    w.int("t.user_id", "=", id_filter("user_id", query.user_id.as_ref())?);
    w.text("command", "t.command", query.command.as_deref());
    w.text("outcome", "t.outcome", query.outcome.as_deref());
    w.int("t.received_at", ">=", query.since.as_deref().map(|s| parse("since", s)).transpose()?);
    w.int("t.received_at", "<", query.until.as_deref().map(|s| parse("until", s)).transpose()?);
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok((w, cursor, limit))
}

fn columns(prefix: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{prefix}{}", c.trim())).collect::<Vec<_>>().join(", ")
}

/// One command log.
pub async fn get(store: &Store, id: i64) -> Result<CommandLog> {
    store::get_by_id(store, "discord_command_logs", COLUMNS, "command log", id, view).await
}

/// Deletes one command log.
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    store::delete_by_id(store.pool(), "discord_command_logs", "command log", id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes this process has written so far (`/proc/self/io`); each test runs in a process of
    /// its own under `cargo nextest` (`./scripts/test`).
    #[cfg(target_os = "linux")]
    #[allow(clippy::unwrap_used)]
    fn written() -> u64 {
        let io = std::fs::read_to_string("/proc/self/io").unwrap();
        io.lines().find_map(|l| l.strip_prefix("wchar: ")).unwrap().trim().parse().unwrap()
    }

    /// A batch of command records on SQLite writes its pages to the WAL (and a checkpoint to the
    /// database file), not also a statement journal of every changed page to a temporary file.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_batch_on_sqlite_writes_the_wal_not_a_statement_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&store::default_url(dir.path())).await.unwrap();
        store.migrate().await.unwrap();
        // The load's shape: rows spread over 100 bots, guilds and users and 1,000 channels, so
        // that each index changes pages all over.
        let records: Vec<CommandRecord> = (0..600u64)
            .map(|i| {
                let bot = i64::try_from(i % 100).unwrap() + 1;
                let mut r =
                    CommandRecord::new(bot, CommandKind::Prefix, 1_700_000_000_000 + i as i64, "ping", "".into()).from(
                        1_000_000 + i * 7919,
                        Some(9000 + i % 100),
                        20_000 + i % 1000,
                        5000 + (i / 7) % 100,
                        "shopper",
                    );
                r.reply("Pong! 0.42 ms");
                r
            })
            .collect();
        let wal = || std::fs::metadata(dir.path().join("botfleet.db-wal")).unwrap().len();
        // (The WAL stays below SQLite's checkpoint threshold of 1,000 pages: it only grows here.)
        let (before, wal_before) = (written(), wal());
        insert_batch(&store, &records).await.unwrap();
        let (wrote, appended) = (written() - before, wal() - wal_before);
        let (rows,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM discord_command_logs").fetch_one(store.pool()).await.unwrap();
        assert_eq!(rows, 600);
        // What went to the WAL, and little else (3.7 × as much with the journal: 998 against 268 KB).
        assert!(appended > 0);
        assert!(wrote <= appended + appended / 4, "wrote {wrote} bytes, {appended} of them to the WAL");
    }
}
