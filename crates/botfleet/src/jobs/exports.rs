//! The export job: a filtered set of command logs, bot logs or audit rows written as one file (CSV
//! or JSON Lines), gzip-compressed into `job_files`, where every node can serve it until it
//! expires. The rows are read a page at a time through the list endpoints' own queries (newest
//! first, by id), so an export holds what the list shows for the same filter and the query side
//! needs one page of memory; the file grows compressed, and past the size cap the item fails
//! saying to narrow the filter. Writing the file replaces any earlier one of the job, so an item
//! run again (after a crash, or a retry) leaves one file. Expired files are deleted by [`sweep`],
//! which the jobs runner calls as the service's clock moves on.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

use super::model::ItemResult;
use super::repo;
use crate::audit::{self, AuditQuery};
use crate::auth::Action;
use crate::error::{Error, FieldError, Result};
use crate::logs::bot_logs::{self, BotLogQuery};
use crate::logs::commands::{self, CommandLogQuery};
use crate::page::Limit;
use crate::store::Store;
use crate::time::{rfc3339, Clock};

/// Rows read per query.
const PAGE: i64 = 500;
/// How often (by the service's clock) the runner deletes expired files.
pub const SWEEP_EVERY_MS: i64 = 5 * 60 * 1000;

/// What an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `discord_command_logs`, as `GET /command-logs` shows them.
    CommandLogs,
    /// `discord_bot_logs`, as `GET /bot-logs` shows them.
    BotLogs,
    /// `discord_audit_logs`, as `GET /audit-logs` shows them.
    Audit,
}

impl Source {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommandLogs => "command_logs",
            Self::BotLogs => "bot_logs",
            Self::Audit => "audit",
        }
    }

    /// Reading this source: what starting, cancelling, retrying and downloading its export needs.
    pub fn action(self) -> Action {
        match self {
            Self::CommandLogs | Self::BotLogs => Action::LogsRead,
            Self::Audit => Action::AuditRead,
        }
    }

    /// The file name's start.
    fn stem(self) -> &'static str {
        match self {
            Self::CommandLogs => "command-logs",
            Self::BotLogs => "bot-logs",
            Self::Audit => "audit-logs",
        }
    }

    /// The CSV columns, in the order of the list endpoint's items (the JSON Lines keys are the same).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::CommandLogs => &[
                "id",
                "bot_id",
                "event_id",
                "received_at",
                "responded_at",
                "guild_id",
                "channel_id",
                "user_id",
                "user_name",
                "command",
                "arguments",
                "kind",
                "response",
                "latency_ms",
                "outcome",
                "error",
            ],
            Self::BotLogs => &["id", "bot_id", "at", "level", "event", "message"],
            Self::Audit => &[
                "id",
                "at",
                "kind",
                "action",
                "actor_type",
                "actor_id",
                "actor_name",
                "target_type",
                "target_id",
                "changes",
                "ip",
                "user_agent",
                "detail",
            ],
        }
    }
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A header row, then one row per record (RFC 4180 quoting, formula-guarded).
    #[default]
    Csv,
    /// One JSON object per line, shaped as the list endpoint's items.
    Jsonl,
}

impl Format {
    /// Reads a requested word.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" => Some(Self::Csv),
            "jsonl" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// The file's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

/// An export job's parameters: the source, the format and the filter as given (the list
/// endpoint's query parameters as a JSON object, checked when the job was submitted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportParams {
    pub source: Source,
    pub format: Format,
    pub filter: Value,
}

/// The size cap and how long a file is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimits {
    /// The most compressed bytes a file may hold.
    pub max_bytes: u64,
    /// Milliseconds a file is kept after it is written.
    pub ttl_ms: i64,
}

impl ExportLimits {
    /// The defaults: 64 MiB, 24 hours.
    pub const DEFAULT: ExportLimits = ExportLimits { max_bytes: 64 * 1024 * 1024, ttl_ms: 24 * 3_600_000 };
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl From<&crate::config::ExportConfig> for ExportLimits {
    fn from(c: &crate::config::ExportConfig) -> Self {
        Self { max_bytes: c.export_max_kib.saturating_mul(1024), ttl_ms: i64::from(c.export_ttl_hours) * 3_600_000 }
    }
}

/// The one item of an export job: its file.
pub fn targets() -> Vec<String> {
    vec!["file".to_owned()]
}

/// The permission an export job needs, from its stored parameters: reading its source
/// (`settings.manage`, admins only, when they cannot be read).
pub fn action_of(params: &Value) -> Action {
    serde_json::from_value::<Source>(params["source"].clone()).map_or(Action::SettingsManage, Source::action)
}

/// A filter read for its source: the list endpoint's query.
enum Filter {
    Commands(CommandLogQuery),
    Bots(BotLogQuery),
    Audit(AuditQuery),
}

impl Filter {
    /// Reads `filter` (a JSON object of the list endpoint's query parameters, `cursor` and `limit`
    /// excepted: an export takes every matching row) for `source`.
    fn read(source: Source, filter: &Value) -> Result<Self> {
        let filter = if filter.is_null() { json!({}) } else { filter.clone() };
        if !filter.is_object() {
            return Err(Error::field("filter", "must be an object of the list's query parameters"));
        }
        for paging in ["cursor", "limit"] {
            if filter.get(paging).is_some() {
                return Err(Error::field(
                    &format!("filter.{paging}"),
                    "an export takes every row that matches; leave out cursor and limit",
                ));
            }
        }
        let unfit = |e: serde_json::Error| Error::field("filter", format!("does not fit the list's parameters: {e}"));
        Ok(match source {
            Source::CommandLogs => Self::Commands(serde_json::from_value(filter).map_err(unfit)?),
            Source::BotLogs => Self::Bots(serde_json::from_value(filter).map_err(unfit)?),
            Source::Audit => Self::Audit(serde_json::from_value(filter).map_err(unfit)?),
        })
    }

    /// The next `per_page` rows after `cursor` (the list endpoint's), as its items, and the cursor
    /// after them.
    async fn page(
        &mut self,
        store: &Store,
        cursor: Option<String>,
        per_page: i64,
    ) -> Result<(Vec<Value>, Option<String>)> {
        fn items<T: Serialize>(page: crate::logs::search::LogPage<T>) -> Result<(Vec<Value>, Option<String>)> {
            let items = page
                .items
                .iter()
                .map(serde_json::to_value)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Unreadable(format!("a row could not be written as JSON: {e}")))?;
            Ok((items, page.next_cursor))
        }
        let limit = Some(Limit(per_page));
        match self {
            Self::Commands(q) => {
                (q.cursor, q.limit) = (cursor, limit);
                items(commands::list(store, q).await?)
            }
            Self::Bots(q) => {
                (q.cursor, q.limit) = (cursor, limit);
                items(bot_logs::list(store, q).await?)
            }
            Self::Audit(q) => {
                (q.cursor, q.limit) = (cursor, limit);
                items(audit::list(store, q).await?)
            }
        }
    }
}

/// Reads and checks an export request: the format (`csv` or `jsonl`, default `csv`) and the
/// filter, validated exactly as the list endpoint validates its query (the same 422s), before
/// any job exists.
pub async fn check(store: &Store, source: Source, format: Option<&str>, filter: Option<Value>) -> Result<ExportParams> {
    let format = match format {
        None => Format::Csv,
        Some(f) => Format::parse(f).ok_or_else(|| Error::field("format", "must be csv or jsonl"))?,
    };
    let filter = filter.unwrap_or_else(|| json!({}));
    let mut read = Filter::read(source, &filter)?;
    // The list's own checks (ids, times, words, control characters) run on a one-row page; the
    // fields they name are the filter's.
    read.page(store, None, 1).await.map_err(|e| match e {
        Error::Validation(fields) => Error::Validation(
            fields.into_iter().map(|f| FieldError::new(format!("filter.{}", f.field), f.message)).collect(),
        ),
        other => other,
    })?;
    Ok(ExportParams { source, format, filter })
}

/// A CSV cell for a JSON value: text as is, numbers and booleans written out, objects as JSON,
/// null empty. Text a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return, and not a plain number) gets a leading `'`.
fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => return n.to_string(),
        Value::Bool(b) => return b.to_string(),
        other => other.to_string(),
    };
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
        format!("'{text}")
    } else {
        text
    }
}

/// The compressed file being written.
enum Sink {
    Csv(Box<csv::Writer<GzEncoder<Vec<u8>>>>),
    Jsonl(GzEncoder<Vec<u8>>),
}

fn write_failed(e: impl std::fmt::Display) -> String {
    format!("writing the file failed: {e}")
}

impl Sink {
    fn new(format: Format, source: Source) -> std::result::Result<Self, String> {
        let gz = GzEncoder::new(Vec::new(), Compression::default());
        Ok(match format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().from_writer(gz);
                w.write_record(source.columns()).map_err(write_failed)?;
                Self::Csv(Box::new(w))
            }
            Format::Jsonl => Self::Jsonl(gz),
        })
    }

    fn write(&mut self, columns: &[&str], row: &Value) -> std::result::Result<(), String> {
        match self {
            Self::Csv(w) => w.write_record(columns.iter().map(|c| cell(&row[*c]))).map_err(write_failed),
            Self::Jsonl(gz) => {
                serde_json::to_writer(&mut *gz, row).map_err(write_failed)?;
                gz.write_all(b"\n").map_err(write_failed)
            }
        }
    }

    /// Compressed bytes so far (what the encoder has given out).
    fn compressed(&self) -> usize {
        match self {
            Self::Csv(w) => w.get_ref().get_ref().len(),
            Self::Jsonl(gz) => gz.get_ref().len(),
        }
    }

    fn finish(self) -> std::result::Result<Vec<u8>, String> {
        let gz = match self {
            Self::Csv(w) => w.into_inner().map_err(write_failed)?,
            Self::Jsonl(gz) => gz,
        };
        gz.finish().map_err(write_failed)
    }
}

fn too_big(limits: ExportLimits, rows: u64) -> String {
    format!(
        "the file grew past the {} cap (compressed) after {rows} rows; narrow the filter (a shorter since/until, \
         one bot, one command or action) and export again, or raise --export-max-kib (BOTFLEET_EXPORT_MAX_KIB)",
        size_words(limits.max_bytes)
    )
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
fn size_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b % (1024 * 1024) == 0 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// What the item stores as its detail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileDetail {
    /// Records in the file.
    pub rows: u64,
    /// Its compressed size.
    pub bytes: u64,
    /// When it is deleted.
    pub expires_at: String,
    /// The file's name.
    pub name: String,
}

/// Writes the export's file: every row that matches, page by page, compressed; then stores it,
/// replacing any earlier file of the job. Fails past the size cap, or when the job is cancelled
/// (checked between pages).
pub async fn run_item(
    store: &Store,
    clock: &Clock,
    limits: ExportLimits,
    job_id: i64,
    params: &ExportParams,
) -> ItemResult {
    let mut filter =
        Filter::read(params.source, &params.filter).map_err(|e| format!("the filter cannot be used: {e}"))?;
    let columns = params.source.columns();
    let mut sink = Sink::new(params.format, params.source)?;
    let max = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
    let (mut rows, mut cursor) = (0u64, None);
    loop {
        if repo::cancel_requested(store, job_id).await.unwrap_or(false) {
            return Err(format!("cancelled after {rows} rows; a retry writes the file from the start"));
        }
        let (items, next) = filter
            .page(store, cursor.take(), PAGE)
            .await
            .map_err(|e| format!("reading the rows failed after {rows}: {e}"))?;
        for item in &items {
            sink.write(columns, item)?;
            rows += 1;
        }
        if sink.compressed() > max {
            return Err(too_big(limits, rows));
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let bytes = sink.finish()?;
    if bytes.len() > max {
        return Err(too_big(limits, rows));
    }
    let now = clock.now_ms();
    let expires_at = now.saturating_add(limits.ttl_ms);
    let day: String = rfc3339(now).chars().take(10).collect();
    let name = format!("{}-{day}.{}", params.source.stem(), params.format.extension());
    let file = StoredFile {
        name: name.clone(),
        content_type: params.format.content_type().to_owned(),
        size: bytes.len() as u64,
        bytes,
        rows,
        expires_at,
    };
    save(store, job_id, &file, now).await.map_err(|e| format!("storing the file failed: {e}"))?;
    let detail = FileDetail { rows, bytes: file.size, expires_at: rfc3339(expires_at), name };
    Ok(Some(json!(detail)))
}

/// An export's stored file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub content_type: String,
    /// Gzip-compressed.
    pub bytes: Vec<u8>,
    /// `bytes.len()`.
    pub size: u64,
    pub rows: u64,
    pub expires_at: i64,
}

/// Stores a job's file, replacing the one it had.
async fn save(store: &Store, job_id: i64, file: &StoredFile, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO job_files (job_id, name, content_type, bytes, size, row_count, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (job_id) DO UPDATE SET name = excluded.name, content_type = excluded.content_type, \
         bytes = excluded.bytes, size = excluded.size, row_count = excluded.row_count, \
         created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(job_id)
    .bind(file.name.clone())
    .bind(file.content_type.clone())
    .bind(file.bytes.clone())
    .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
    .bind(i64::try_from(file.rows).unwrap_or(i64::MAX))
    .bind(now)
    .bind(file.expires_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A job's file, if it has one (expired or not: the caller compares `expires_at` with its clock).
pub async fn file(store: &Store, job_id: i64) -> Result<Option<StoredFile>> {
    let row =
        sqlx::query("SELECT name, content_type, bytes, size, row_count, expires_at FROM job_files WHERE job_id = $1")
            .bind(job_id)
            .fetch_optional(store.pool())
            .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(StoredFile {
        name: row.try_get("name")?,
        content_type: row.try_get("content_type")?,
        bytes: row.try_get("bytes")?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
        rows: u64::try_from(row.try_get::<i64, _>("row_count")?).unwrap_or(0),
        expires_at: row.try_get("expires_at")?,
    }))
}

/// Deletes the files expired at `now`; how many.
pub async fn sweep(store: &Store, now: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM job_files WHERE expires_at <= $1").bind(now).execute(store.pool()).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_guard_formulas_but_not_numbers() {
        assert_eq!(cell(&json!("=HYPERLINK(\"x\")")), "'=HYPERLINK(\"x\")");
        for risky in ["+1+2", "-2+3", "@SUM(A1)", "\tx", "-", "-inf"] {
            assert!(cell(&json!(risky)).starts_with('\''), "{risky}");
        }
        for plain in ["-5", "-1.25", "hello", "a=b", ""] {
            assert_eq!(cell(&json!(plain)), plain);
        }
        assert_eq!(cell(&json!(-7)), "-7");
        assert_eq!(cell(&Value::Null), "");
        assert_eq!(cell(&json!({"a": 1})), r#"{"a":1}"#);
    }

    #[test]
    fn the_columns_are_the_list_items_fields() {
        let keys = |v: Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let sorted = |s: Source| {
            let mut c: Vec<String> = s.columns().iter().map(|c| (*c).to_owned()).collect();
            c.sort();
            c
        };
        let command = crate::logs::commands::CommandLog {
            id: 1,
            bot_id: 1,
            event_id: "1".into(),
            received_at: String::new(),
            responded_at: None,
            guild_id: None,
            channel_id: String::new(),
            user_id: String::new(),
            user_name: String::new(),
            command: String::new(),
            arguments: String::new(),
            kind: String::new(),
            response: String::new(),
            latency_ms: None,
            outcome: String::new(),
            error: None,
        };
        assert_eq!(keys(json!(command)), sorted(Source::CommandLogs));
        let bot = crate::logs::bot_logs::BotLog {
            id: 1,
            bot_id: 1,
            at: String::new(),
            level: String::new(),
            event: String::new(),
            message: String::new(),
        };
        assert_eq!(keys(json!(bot)), sorted(Source::BotLogs));
        let audit = crate::audit::AuditRow {
            id: 1,
            at: String::new(),
            kind: String::new(),
            action: String::new(),
            actor_type: String::new(),
            actor_id: None,
            actor_name: None,
            target_type: None,
            target_id: None,
            changes: None,
            ip: None,
            user_agent: None,
            detail: None,
        };
        assert_eq!(keys(json!(audit)), sorted(Source::Audit));
    }

    #[test]
    fn permissions_follow_the_source() {
        assert_eq!(action_of(&json!({"source": "audit"})), Action::AuditRead);
        assert_eq!(action_of(&json!({"source": "bot_logs"})), Action::LogsRead);
        assert_eq!(action_of(&json!({})), Action::SettingsManage);
    }
}
