//! `discord_audit_logs` in the database: insert (one or a batch), and list with filters and a
//! cursor. (Old rows go in batches with the other tables' in `retention`.)

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::entry::Entry;
use crate::error::{Error, Result};
use crate::logs::filter::Where;
use crate::logs::search::{self, LogPage, Table};
use crate::page::{limit, Cursor};
use crate::store::Store;
use crate::time::{parse, rfc3339};

const COLUMNS: &str =
    "id, at, kind, action, actor_type, actor_id, actor_name, target_type, target_id, changes, ip, user_agent, detail";

/// An audit row as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    /// `action` or `security`.
    pub kind: String,
    /// `bots.update`, `login.failed`, `antispam.cooldown`, …
    pub action: String,
    /// `user`, `api_key`, `discord_user`, `anonymous` or `system`.
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// `{field: {old, new}}`.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// Filters of `GET /audit-logs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `action` or `security`.
    #[param(pattern = r"^(?:action|security)$")]
    pub kind: Option<String>,
    /// Exact action or event name (`bots.update`, `login.failed`).
    pub action: Option<String>,
    /// `user`, `api_key`, `discord_user`, `anonymous` or `system`.
    pub actor_type: Option<String>,
    pub actor_id: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Search: terms all of which must be found, each a case-insensitive substring of the action,
    /// the actor's name, the target or the detail; `"a phrase"` is one term, `-term` excludes
    /// (docs/api.md, "Searching logs").
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<crate::page::Limit>,
}

fn json_column(row: &AnyRow, name: &str) -> Result<Option<serde_json::Value>> {
    Ok(row.try_get::<Option<String>, _>(name)?.and_then(|s| serde_json::from_str(&s).ok()))
}

fn view(row: &AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: row.try_get("id")?,
        at: rfc3339(row.try_get("at")?),
        kind: row.try_get("kind")?,
        action: row.try_get("action")?,
        actor_type: row.try_get("actor_type")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        changes: json_column(row, "changes")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        detail: json_column(row, "detail")?,
    })
}

/// Appends rows in one transaction.
pub async fn insert(store: &Store, entries: &[Entry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for e in entries {
        let (actor_type, actor_id, actor_name) = e.actor.columns();
        sqlx::query(
            "INSERT INTO discord_audit_logs (at, kind, action, actor_type, actor_id, actor_name, target_type, \
             target_id, changes, ip, user_agent, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.at)
        .bind(e.kind.as_str())
        .bind(e.action.clone())
        .bind(actor_type)
        .bind(actor_id)
        .bind(actor_name)
        .bind(e.target_type.clone())
        .bind(e.target_id.clone())
        .bind(e.changes.as_ref().map(ToString::to_string))
        .bind(e.ip.clone())
        .bind(e.user_agent.clone().map(|ua| ua.chars().take(512).collect::<String>()))
        .bind(e.detail.as_ref().map(ToString::to_string))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The audit log's search: the action, the actor's name, the target and the detail.
pub const SEARCHED: Table = Table {
    name: "discord_audit_logs",
    fts: "discord_audit_logs_fts",
    columns: &["action", "actor_name", "target_id", "detail"],
};

/// A page of audit rows, newest first.
pub async fn list(store: &Store, query: &AuditQuery) -> Result<LogPage<AuditRow>> {
    let (w, cursor, limit) = filters(query)?;
    search::page(store, &SEARCHED, &select(), w, query.q.as_deref(), cursor, limit, view, |r| r.id).await
}

/// The database's plan for [`list`]'s statements (`search::explain`).
pub async fn explain(store: &Store, conn: &mut sqlx::AnyConnection, query: &AuditQuery) -> Result<String> {
    let (w, cursor, limit) = filters(query)?;
    search::explain(store.backend(), conn, &SEARCHED, &select(), w, query.q.as_deref(), cursor, limit).await
}

fn select() -> String {
    COLUMNS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ")
}

fn filters(query: &AuditQuery) -> Result<(Where, Option<Cursor>, u32)> {
    let limit = limit(query.limit, 50, 500)?;
    if let Some(kind) = &query.kind {
        if !matches!(kind.as_str(), "action" | "security") {
            return Err(Error::field("kind", "must be action or security"));
        }
    }
    let mut w = Where::default();
    w.text("kind", "t.kind", query.kind.as_deref());
    w.text("action", "t.action", query.action.as_deref());
    w.text("actor_type", "t.actor_type", query.actor_type.as_deref());
    w.text("actor_id", "t.actor_id", query.actor_id.as_deref());
    w.text("target_type", "t.target_type", query.target_type.as_deref());
    w.text("target_id", "t.target_id", query.target_id.as_deref());
    w.text("ip", "t.ip", query.ip.as_deref());
    w.int("t.at", ">=", query.since.as_deref().map(|s| parse("since", s)).transpose()?);
    w.int("t.at", "<", query.until.as_deref().map(|s| parse("until", s)).transpose()?);
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok((w, cursor, limit))
}
