//! The alert tables: rules, channels (URL and secret sealed), maintenance windows, incidents,
//! their notifications, and the notifications' deliveries as the one delivery queue
//! (`webhook_deliveries`, rows with a `channel_id`) holds them.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::deliver::Message;
use super::model::{Channel, ChannelKind, CheckedUrl, Condition, Maintenance, Rule, RuleInput, Schedule};
use crate::error::{Error, FieldError, Result};
use crate::page::{Cursor, KeyCursor, Page};
use crate::secrets::{Secret, TokenCipher};
use crate::store::{self, is_unique_violation, Store};
use crate::time::rfc3339;

fn missing(what: &'static str, id: i64) -> Error {
    Error::NotFound { what, id: id.to_string() }
}

fn taken(e: sqlx::Error, what: &str, name: &str) -> Error {
    if is_unique_violation(&e) {
        Error::Validation(vec![FieldError::new("name", format!("another {what} is already called {name:?}"))])
    } else {
        e.into()
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Every row `sql` selects, seen through `view`.
async fn all<T>(store: &Store, sql: &str, view: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
    sqlx::query(sql).fetch_all(store.pool()).await?.iter().map(view).collect()
}

/// Up to `limit + 1` rows of `table` in (name, id) order after `after`, seen through `view`.
async fn by_name<T>(
    store: &Store,
    table: &str,
    columns: &str,
    after: Option<&KeyCursor<(String,)>>,
    limit: u32,
    view: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    let first = format!("SELECT {columns} FROM {table} ORDER BY name, id LIMIT $1");
    let next = format!("SELECT {columns} FROM {table} WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3");
    let rows = match after {
        None => sqlx::query(&first),
        Some(c) => sqlx::query(&next).bind(c.key.0.clone()).bind(c.id),
    }
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(view).collect()
}

/// Whether `table` has a row with this id.
async fn exists(conn: &mut AnyConnection, table: &str, id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Columns holding a secret sealed with the token cipher (re-sealed when the key rotates).
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("alert_channels", "url_sealed"), ("alert_channels", "secret_sealed")];

// ---- rules ----

const RULE_COLUMNS: &str =
    "id, name, condition, bot_id, failures_in_a_row, resend_every_s, notify_recovery, channel_ids, enabled, created_at, updated_at";

fn rule_view(row: &AnyRow) -> Result<Rule> {
    let condition: String = row.try_get("condition")?;
    let channels: String = row.try_get("channel_ids")?;
    let id: i64 = row.try_get("id")?;
    let bad = |what: &str| {
        Error::Unreadable(format!(
            "alert rule {id} has an unreadable {what}; save the rule again (PUT /api/v1/alerts/rules/{id})"
        ))
    };
    Ok(Rule {
        id,
        name: row.try_get("name")?,
        condition: serde_json::from_str::<Condition>(&condition).map_err(|_| bad("condition"))?,
        bot_id: row.try_get("bot_id")?,
        failures_in_a_row: u32::try_from(row.try_get::<i64, _>("failures_in_a_row")?).unwrap_or(1),
        resend_every_seconds: u64::try_from(row.try_get::<i64, _>("resend_every_s")?).unwrap_or(0),
        notify_recovery: row.try_get::<i64, _>("notify_recovery")? != 0,
        channel_ids: serde_json::from_str(&channels).map_err(|_| bad("channel list"))?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

/// Checks what needs the database: the bot and the channels exist.
async fn check_references(conn: &mut AnyConnection, input: &RuleInput) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(bot) = input.bot_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM bots WHERE id = $1").bind(bot).fetch_optional(&mut *conn).await?;
        if found.is_none() {
            errors.push(FieldError::new("bot_id", format!("there is no bot {bot}")));
        }
    }
    for (i, id) in input.channel_ids.iter().enumerate() {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM alert_channels WHERE id = $1")
            .bind(*id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            errors.push(FieldError::new(format!("channel_ids[{i}]"), format!("there is no channel {id}")));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Binds a rule's settings as $1 to $8, in the order of `RULE_COLUMNS` after the id.
fn bind_rule<'q>(query: AnyQuery<'q>, input: &RuleInput) -> AnyQuery<'q> {
    query
        .bind(input.name.clone())
        .bind(json(&input.condition))
        .bind(input.bot_id)
        .bind(i64::from(input.failures_in_a_row))
        .bind(i64::try_from(input.resend_every_seconds).unwrap_or(i64::MAX))
        .bind(i64::from(input.notify_recovery))
        .bind(json(&input.channel_ids))
        .bind(i64::from(input.enabled))
}

/// Saves a new rule (validated here).
pub async fn insert_rule(store: &Store, input: &RuleInput, now: i64) -> Result<Rule> {
    insert_rule_in(&mut *store.pool().acquire().await?, input, now).await
}

/// Saves a new rule on `conn` (validated here; inside a configuration import's transaction).
pub async fn insert_rule_in(conn: &mut AnyConnection, input: &RuleInput, now: i64) -> Result<Rule> {
    input.validate()?;
    check_references(conn, input).await?;
    let sql = format!(
        "INSERT INTO alert_rules (name, condition, bot_id, failures_in_a_row, resend_every_s, notify_recovery, \
         channel_ids, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {RULE_COLUMNS}"
    );
    let row = bind_rule(sqlx::query(&sql), input)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| taken(e, "rule", &input.name))?;
    rule_view(&row)
}

/// Replaces a rule's settings.
pub async fn replace_rule(store: &Store, id: i64, input: &RuleInput, now: i64) -> Result<Rule> {
    input.validate()?;
    get_rule(store, id).await?;
    replace_rule_in(&mut *store.pool().acquire().await?, id, input, now).await
}

/// Replaces a rule's settings on `conn` (validated here).
pub async fn replace_rule_in(conn: &mut AnyConnection, id: i64, input: &RuleInput, now: i64) -> Result<Rule> {
    input.validate()?;
    check_references(conn, input).await?;
    let sql = format!(
        "UPDATE alert_rules SET name = $1, condition = $2, bot_id = $3, failures_in_a_row = $4, resend_every_s = $5, \
         notify_recovery = $6, channel_ids = $7, enabled = $8, updated_at = $9 WHERE id = $10 RETURNING {RULE_COLUMNS}"
    );
    let row = bind_rule(sqlx::query(&sql), input)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| taken(e, "rule", &input.name))?
        .ok_or_else(|| missing("alert rule", id))?;
    rule_view(&row)
}

/// Every rule by name, read on `conn` (a configuration export).
pub async fn rules_in(conn: &mut AnyConnection) -> Result<Vec<Rule>> {
    let rows =
        sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY name, id")).fetch_all(&mut *conn).await?;
    rows.iter().map(rule_view).collect()
}

/// One rule.
pub async fn get_rule(store: &Store, id: i64) -> Result<Rule> {
    store::get_by_id(store, "alert_rules", RULE_COLUMNS, "alert rule", id, rule_view).await
}

/// Every rule, by name.
pub async fn list_rules(store: &Store) -> Result<Vec<Rule>> {
    all(store, &format!("SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY name, id"), rule_view).await
}

/// A page of rules by name (then id), after `after`.
pub async fn page_rules(store: &Store, after: Option<&KeyCursor<(String,)>>, limit: u32) -> Result<Page<Rule>> {
    let items = by_name(store, "alert_rules", RULE_COLUMNS, after, limit, rule_view).await?;
    Ok(Page::from_overfetch_keyed(items, limit, |r: &Rule| KeyCursor { key: (r.name.clone(),), id: r.id }))
}

/// Deletes a rule and the maintenance windows that name it.
pub async fn delete_rule(store: &Store, id: i64) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    store::delete_by_id(&mut *tx, "alert_rules", "alert rule", id).await?;
    sqlx::query("DELETE FROM alert_maintenance WHERE rule_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

// ---- channels ----

const CHANNEL_COLUMNS: &str = "id, name, kind, url_hint, secret_sealed, created_at, updated_at";

fn channel_view(row: &AnyRow) -> Result<Channel> {
    let kind: String = row.try_get("kind")?;
    Ok(Channel {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| Error::Config(format!("unknown alert channel kind {kind:?}")))?,
        target: row.try_get("url_hint")?,
        has_secret: row.try_get::<Option<String>, _>("secret_sealed")?.is_some(),
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

/// What a delivery needs: the channel's kind, full URL and secret.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url: Secret,
    pub secret: Option<Secret>,
}

/// Saves a new channel (checked by the caller), sealing its URL and secret.
pub async fn insert_channel(
    store: &Store,
    cipher: &TokenCipher,
    name: &str,
    kind: ChannelKind,
    url: &CheckedUrl,
    secret: Option<&str>,
    now: i64,
) -> Result<Channel> {
    insert_channel_in(&mut *store.pool().acquire().await?, cipher, name, kind, url, secret, now).await
}

/// Saves a new channel on `conn` (checked by the caller), sealing its URL and secret.
pub async fn insert_channel_in(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    name: &str,
    kind: ChannelKind,
    url: &CheckedUrl,
    secret: Option<&str>,
    now: i64,
) -> Result<Channel> {
    let sealed_secret = secret.map(|s| cipher.seal(&Secret::new(s))).transpose()?;
    let row = sqlx::query(&format!(
        "INSERT INTO alert_channels (name, kind, url_sealed, url_hint, secret_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {CHANNEL_COLUMNS}"
    ))
    .bind(name.to_owned())
    .bind(kind.as_str())
    .bind(cipher.seal(&Secret::new(url.url.clone()))?)
    .bind(url.hint.clone())
    .bind(sealed_secret)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| taken(e, "channel", name))?;
    channel_view(&row)
}

/// Replaces channel `id`'s URL and secret on `conn` (a configuration import that carries them;
/// its kind and name are its key there, so they stay).
pub async fn reseal_channel_in(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    id: i64,
    url: &CheckedUrl,
    secret: Option<&str>,
    now: i64,
) -> Result<()> {
    let sealed_secret = secret.map(|s| cipher.seal(&Secret::new(s))).transpose()?;
    let done = sqlx::query(
        "UPDATE alert_channels SET url_sealed = $1, url_hint = $2, secret_sealed = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(cipher.seal(&Secret::new(url.url.clone()))?)
    .bind(url.hint.clone())
    .bind(sealed_secret)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing("alert channel", id));
    }
    Ok(())
}

/// Every channel by name with its URL and secret opened, read on `conn` (a configuration export).
pub async fn destinations_in(conn: &mut AnyConnection, cipher: &TokenCipher) -> Result<Vec<Destination>> {
    let rows = sqlx::query("SELECT id, name, kind, url_sealed, secret_sealed FROM alert_channels ORDER BY name, id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|row| destination_view(row, cipher)).collect()
}

/// Changes a channel's name, URL or secret (each when given).
pub async fn edit_channel(
    store: &Store,
    cipher: &TokenCipher,
    id: i64,
    name: Option<&str>,
    url: Option<&CheckedUrl>,
    secret: Option<&str>,
    now: i64,
) -> Result<Channel> {
    let old = get_channel(store, id).await?;
    let name = name.unwrap_or(&old.name).to_owned();
    let sealed_url = url.map(|u| cipher.seal(&Secret::new(u.url.clone()))).transpose()?;
    let sealed_secret = secret.map(|s| cipher.seal(&Secret::new(s))).transpose()?;
    let row = sqlx::query(&format!(
        "UPDATE alert_channels SET name = $1, url_sealed = COALESCE($2, url_sealed), url_hint = COALESCE($3, url_hint), \
         secret_sealed = COALESCE($4, secret_sealed), updated_at = $5 WHERE id = $6 RETURNING {CHANNEL_COLUMNS}"
    ))
    .bind(name.clone())
    .bind(sealed_url)
    .bind(url.map(|u| u.hint.clone()))
    .bind(sealed_secret)
    .bind(now)
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .map_err(|e| taken(e, "channel", &name))?
    .ok_or_else(|| missing("alert channel", id))?;
    channel_view(&row)
}

/// One channel, as shown.
pub async fn get_channel(store: &Store, id: i64) -> Result<Channel> {
    store::get_by_id(store, "alert_channels", CHANNEL_COLUMNS, "alert channel", id, channel_view).await
}

/// Every channel, by name.
pub async fn list_channels(store: &Store) -> Result<Vec<Channel>> {
    all(store, &format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels ORDER BY name, id"), channel_view).await
}

/// A page of channels by name (then id), after `after`.
pub async fn page_channels(store: &Store, after: Option<&KeyCursor<(String,)>>, limit: u32) -> Result<Page<Channel>> {
    let items = by_name(store, "alert_channels", CHANNEL_COLUMNS, after, limit, channel_view).await?;
    Ok(Page::from_overfetch_keyed(items, limit, |c: &Channel| KeyCursor { key: (c.name.clone(),), id: c.id }))
}

/// A channel with its URL and secret opened, for sending.
pub async fn destination(store: &Store, cipher: &TokenCipher, id: i64) -> Result<Destination> {
    let row = sqlx::query("SELECT id, name, kind, url_sealed, secret_sealed FROM alert_channels WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| missing("alert channel", id))?;
    destination_view(&row, cipher)
}

fn destination_view(row: &AnyRow, cipher: &TokenCipher) -> Result<Destination> {
    let kind: String = row.try_get("kind")?;
    let secret: Option<String> = row.try_get("secret_sealed")?;
    Ok(Destination {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| Error::Config(format!("unknown alert channel kind {kind:?}")))?,
        url: cipher.open(&row.try_get::<String, _>("url_sealed")?)?,
        secret: secret.map(|s| cipher.open(&s)).transpose()?,
    })
}

/// Deletes a channel no rule uses (409 naming the rules otherwise).
pub async fn delete_channel(store: &Store, id: i64) -> Result<()> {
    get_channel(store, id).await?;
    let users: Vec<String> = list_rules(store)
        .await?
        .into_iter()
        .filter(|r| r.channel_ids.contains(&id))
        .map(|r| format!("{:?}", r.name))
        .collect();
    if !users.is_empty() {
        return Err(Error::Conflict(format!(
            "channel {id} is used by the rule(s) {}: remove it from them first",
            users.join(", ")
        )));
    }
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE webhook_deliveries SET state = 'failed', last_error = 'the channel was deleted' WHERE channel_id = $1 AND state = 'pending'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM alert_channels WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

// ---- maintenance windows ----

const WINDOW_COLUMNS: &str =
    "id, name, rule_id, bot_id, starts_at, ends_at, days_mask, start_minute, duration_minutes, created_at";

/// A window with its schedule, as the engine tests it.
#[derive(Debug, Clone)]
pub struct Window {
    pub id: i64,
    pub name: String,
    pub rule_id: Option<i64>,
    pub bot_id: Option<i64>,
    pub schedule: Schedule,
    pub created_at: i64,
}

impl Window {
    /// The API's view of it at `now`.
    pub fn shown(&self, now: i64) -> Maintenance {
        let (once, weekly) = self.schedule.shown();
        Maintenance {
            id: self.id,
            name: self.name.clone(),
            rule_id: self.rule_id,
            bot_id: self.bot_id,
            once,
            weekly,
            active_now: self.schedule.active(now),
            created_at: rfc3339(self.created_at),
        }
    }

    /// Whether it mutes `rule_id` for the subject (a bot, or the node) at `now`.
    pub fn mutes(&self, rule_id: i64, bot_id: Option<i64>, now: i64) -> bool {
        self.rule_id.is_none_or(|r| r == rule_id)
            && self.bot_id.is_none_or(|b| Some(b) == bot_id)
            && self.schedule.active(now)
    }
}

fn window_view(row: &AnyRow) -> Result<Window> {
    let starts: Option<i64> = row.try_get("starts_at")?;
    let ends: Option<i64> = row.try_get("ends_at")?;
    let schedule = match (starts, ends) {
        (Some(starts_at), Some(ends_at)) => Schedule::Once { starts_at, ends_at },
        _ => Schedule::Weekly {
            days_mask: u8::try_from(row.try_get::<Option<i64>, _>("days_mask")?.unwrap_or(0)).unwrap_or(0),
            start_minute: u32::try_from(row.try_get::<Option<i64>, _>("start_minute")?.unwrap_or(0)).unwrap_or(0),
            duration_minutes: u32::try_from(row.try_get::<Option<i64>, _>("duration_minutes")?.unwrap_or(0))
                .unwrap_or(0),
        },
    };
    Ok(Window {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        rule_id: row.try_get("rule_id")?,
        bot_id: row.try_get("bot_id")?,
        schedule,
        created_at: row.try_get("created_at")?,
    })
}

/// Saves a window (the rule and bot it names must exist).
pub async fn insert_window(
    store: &Store,
    name: &str,
    rule_id: Option<i64>,
    bot_id: Option<i64>,
    schedule: Schedule,
    now: i64,
) -> Result<Window> {
    insert_window_in(&mut *store.pool().acquire().await?, name, rule_id, bot_id, schedule, now).await
}

/// Checks that the rule and the bot a window names exist, on `conn`.
async fn check_window_references(conn: &mut AnyConnection, rule_id: Option<i64>, bot_id: Option<i64>) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(r) = rule_id {
        if !exists(conn, "alert_rules", r).await? {
            errors.push(FieldError::new("rule_id", format!("there is no rule {r}")));
        }
    }
    if let Some(b) = bot_id {
        if !exists(conn, "bots", b).await? {
            errors.push(FieldError::new("bot_id", format!("there is no bot {b}")));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// A schedule's columns: (starts, ends, days mask, start minute, duration).
type WindowColumns = (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

fn window_columns(schedule: Schedule) -> WindowColumns {
    match schedule {
        Schedule::Once { starts_at, ends_at } => (Some(starts_at), Some(ends_at), None, None, None),
        Schedule::Weekly { days_mask, start_minute, duration_minutes } => {
            (None, None, Some(i64::from(days_mask)), Some(i64::from(start_minute)), Some(i64::from(duration_minutes)))
        }
    }
}

/// Saves a window on `conn` (the rule and bot it names must exist).
pub async fn insert_window_in(
    conn: &mut AnyConnection,
    name: &str,
    rule_id: Option<i64>,
    bot_id: Option<i64>,
    schedule: Schedule,
    now: i64,
) -> Result<Window> {
    check_window_references(conn, rule_id, bot_id).await?;
    let (starts, ends, mask, start, duration) = window_columns(schedule);
    let row = sqlx::query(&format!(
        "INSERT INTO alert_maintenance (name, rule_id, bot_id, starts_at, ends_at, days_mask, start_minute, \
         duration_minutes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {WINDOW_COLUMNS}"
    ))
    .bind(name.to_owned())
    .bind(rule_id)
    .bind(bot_id)
    .bind(starts)
    .bind(ends)
    .bind(mask)
    .bind(start)
    .bind(duration)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    window_view(&row)
}

/// Replaces window `id`'s rule, bot and schedule on `conn` (a configuration import).
pub async fn replace_window_in(
    conn: &mut AnyConnection,
    id: i64,
    rule_id: Option<i64>,
    bot_id: Option<i64>,
    schedule: Schedule,
) -> Result<()> {
    check_window_references(conn, rule_id, bot_id).await?;
    let (starts, ends, mask, start, duration) = window_columns(schedule);
    let done = sqlx::query(
        "UPDATE alert_maintenance SET rule_id = $1, bot_id = $2, starts_at = $3, ends_at = $4, days_mask = $5, \
         start_minute = $6, duration_minutes = $7 WHERE id = $8",
    )
    .bind(rule_id)
    .bind(bot_id)
    .bind(starts)
    .bind(ends)
    .bind(mask)
    .bind(start)
    .bind(duration)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing("maintenance window", id));
    }
    Ok(())
}

/// Every window in the order they were added, read on `conn` (a configuration export).
pub async fn windows_in(conn: &mut AnyConnection) -> Result<Vec<Window>> {
    let rows = sqlx::query(&format!("SELECT {WINDOW_COLUMNS} FROM alert_maintenance ORDER BY id"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(window_view).collect()
}

/// Every window.
pub async fn list_windows(store: &Store) -> Result<Vec<Window>> {
    all(store, &format!("SELECT {WINDOW_COLUMNS} FROM alert_maintenance ORDER BY id"), window_view).await
}

/// A page of windows in the order they were added, after `after`.
pub async fn page_windows(store: &Store, after: Option<Cursor>, limit: u32) -> Result<Page<Window>> {
    let rows =
        sqlx::query(&format!("SELECT {WINDOW_COLUMNS} FROM alert_maintenance WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after.map_or(0, |c| c.0))
            .bind(i64::from(limit) + 1)
            .fetch_all(store.pool())
            .await?;
    let items = rows.iter().map(window_view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |w| w.id))
}

/// One window.
pub async fn get_window(store: &Store, id: i64) -> Result<Window> {
    store::get_by_id(store, "alert_maintenance", WINDOW_COLUMNS, "maintenance window", id, window_view).await
}

/// Deletes a window.
pub async fn delete_window(store: &Store, id: i64) -> Result<()> {
    store::delete_by_id(store.pool(), "alert_maintenance", "maintenance window", id).await
}

// ---- incidents, notifications, deliveries ----

pub use crate::events::Incident;

const INCIDENT_COLUMNS: &str = "id, rule_id, rule_name, subject, subject_label, bot_id, state, detail, started_at, \
                                last_sent_at, resolved_at, acknowledged_at, acknowledged_by";

fn incident_view(row: &AnyRow) -> Result<Incident> {
    let at = |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<i64>, _>(c)?.map(rfc3339)) };
    Ok(Incident {
        id: row.try_get("id")?,
        rule_id: row.try_get("rule_id")?,
        rule_name: row.try_get("rule_name")?,
        subject: row.try_get("subject")?,
        subject_label: row.try_get("subject_label")?,
        bot_id: row.try_get("bot_id")?,
        state: row.try_get("state")?,
        detail: row.try_get("detail")?,
        started_at: rfc3339(row.try_get("started_at")?),
        last_sent_at: at("last_sent_at")?,
        resolved_at: at("resolved_at")?,
        acknowledged_at: at("acknowledged_at")?,
        acknowledged_by: row.try_get("acknowledged_by")?,
    })
}

/// An incident opened, or one that was open already for the same rule and subject.
#[derive(Debug, Clone)]
pub enum Opened {
    /// Opened now: notify.
    New(Incident),
    /// Another node fired it first (it judged the bot before it moved here, or at the same time):
    /// taken up as it stands, without notifying again.
    Taken { incident: Incident, last_sent_at: i64, acknowledged: bool },
}

/// Opens an incident, or takes up the one already open for (rule, subject): at most one is open
/// per (rule, subject) (`alert_incidents_one_firing`).
pub async fn open_incident(
    db: &mut sqlx::AnyConnection,
    rule: &Rule,
    subject: &super::engine::Subject,
    detail: &str,
    now: i64,
) -> Result<Opened> {
    let row = sqlx::query(&format!(
        "INSERT INTO alert_incidents (rule_id, rule_name, subject, subject_label, bot_id, state, detail, started_at, \
         last_sent_at) VALUES ($1, $2, $3, $4, $5, 'firing', $6, $7, $7) \
         ON CONFLICT (rule_id, subject) WHERE state = 'firing' DO NOTHING RETURNING {INCIDENT_COLUMNS}"
    ))
    .bind(rule.id)
    .bind(rule.name.clone())
    .bind(subject.key.clone())
    .bind(subject.label.clone())
    .bind(subject.bot_id)
    .bind(detail.to_owned())
    .bind(now)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(row) = row {
        return Ok(Opened::New(incident_view(&row)?));
    }
    let row = sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM alert_incidents WHERE rule_id = $1 AND subject = $2 AND state = 'firing'"
    ))
    .bind(rule.id)
    .bind(subject.key.clone())
    .fetch_one(&mut *db)
    .await?;
    let (incident, last_sent_at, acknowledged) = firing_view(&row)?;
    Ok(Opened::Taken { incident, last_sent_at, acknowledged })
}

fn firing_view(r: &AnyRow) -> Result<(Incident, i64, bool)> {
    let sent: Option<i64> = r.try_get("last_sent_at")?;
    let started: i64 = r.try_get("started_at")?;
    let acked: Option<i64> = r.try_get("acknowledged_at")?;
    Ok((incident_view(r)?, sent.unwrap_or(started), acked.is_some()))
}

/// Changes an open incident: the latest detail, and (when given) when it was last sent, resolved
/// or acknowledged. Answers the incident as it is now.
pub async fn update_incident<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    id: i64,
    detail: Option<&str>,
    sent_at: Option<i64>,
    resolved_at: Option<i64>,
) -> Result<Incident> {
    let row = sqlx::query(&format!(
        "UPDATE alert_incidents SET detail = COALESCE($1, detail), last_sent_at = COALESCE($2, last_sent_at), \
         resolved_at = COALESCE($3, resolved_at), state = CASE WHEN $3 IS NULL THEN state ELSE 'resolved' END \
         WHERE id = $4 RETURNING {INCIDENT_COLUMNS}"
    ))
    .bind(detail.map(str::to_owned))
    .bind(sent_at)
    .bind(resolved_at)
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| missing("incident", id))?;
    incident_view(&row)
}

/// Marks a firing incident acknowledged (409 when it is resolved or already acknowledged).
pub async fn acknowledge(store: &Store, id: i64, by: &str, now: i64) -> Result<Incident> {
    let row = sqlx::query(&format!(
        "UPDATE alert_incidents SET acknowledged_at = $1, acknowledged_by = $2 \
         WHERE id = $3 AND state = 'firing' AND acknowledged_at IS NULL RETURNING {INCIDENT_COLUMNS}"
    ))
    .bind(now)
    .bind(by.to_owned())
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    match row {
        Some(row) => incident_view(&row),
        None => {
            let current = get_incident(store, id).await?;
            Err(Error::Conflict(if current.state == "resolved" {
                format!("incident {id} is already resolved")
            } else {
                format!("incident {id} was already acknowledged by {}", current.acknowledged_by.unwrap_or_default())
            }))
        }
    }
}

/// One incident.
pub async fn get_incident(store: &Store, id: i64) -> Result<Incident> {
    store::get_by_id(store, "alert_incidents", INCIDENT_COLUMNS, "incident", id, incident_view).await
}

/// Incidents newest first: `state` `firing`, `resolved` or all; ids below the cursor's.
pub async fn list_incidents(
    store: &Store,
    state: Option<&str>,
    after: Option<Cursor>,
    limit: u32,
) -> Result<Page<Incident>> {
    let rows = sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM alert_incidents WHERE ($1 IS NULL OR state = $1) AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(state.map(str::to_owned))
    .bind(after.map_or(i64::MAX, |c| c.0))
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(incident_view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |i| i.id))
}

/// A bot's incident as a public page may tell it: no rule, detail or id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotIncident {
    pub bot_id: i64,
    /// Its rule watches for the bot being down (`bot_down`); otherwise it is about how well the
    /// bot answers (latency, errors, reconnections, …), or its rule is gone.
    pub outage: bool,
    pub started_at: i64,
    /// `None` while it is firing.
    pub resolved_at: Option<i64>,
}

/// The incidents of `bots` that are firing or were resolved at `resolved_since` or later: the
/// firing ones first, each group newest first, at most `limit`.
pub async fn bot_incidents(store: &Store, bots: &[i64], resolved_since: i64, limit: u32) -> Result<Vec<BotIncident>> {
    if bots.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers: safe to write into the SQL.
    let ids = bots.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT i.bot_id, i.started_at, i.resolved_at, i.state, r.condition FROM alert_incidents i \
         LEFT JOIN alert_rules r ON r.id = i.rule_id \
         WHERE i.bot_id IN ({ids}) AND (i.state = 'firing' OR i.resolved_at >= $1) \
         ORDER BY CASE WHEN i.state = 'firing' THEN 0 ELSE 1 END, i.started_at DESC, i.id DESC LIMIT $2"
    ))
    .bind(resolved_since)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let condition: Option<String> = r.try_get("condition")?;
            let outage = condition
                .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
                .is_some_and(|c| c["kind"] == "bot_down");
            let state: String = r.try_get("state")?;
            let resolved_at: Option<i64> = r.try_get("resolved_at")?;
            Ok(BotIncident {
                bot_id: r.try_get("bot_id")?,
                outage,
                started_at: r.try_get("started_at")?,
                resolved_at: if state == "firing" { None } else { resolved_at },
            })
        })
        .collect()
}

/// Every firing incident, with the raw times the engine needs.
pub async fn firing(store: &Store) -> Result<Vec<(Incident, i64, bool)>> {
    let rows = sqlx::query(&format!("SELECT {INCIDENT_COLUMNS} FROM alert_incidents WHERE state = 'firing'"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(firing_view).collect()
}

/// One delivery of a notification to a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    /// `pending` (will be tried at `next_attempt_at`), `sent` or `failed` (gave up).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

/// What was sent about an incident (or a channel test).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub incident_id: Option<i64>,
    /// `firing`, `resent`, `recovered`, `acknowledged` or `test`.
    pub kind: String,
    pub at: String,
    pub title: String,
    pub detail: String,
    /// Inside a maintenance window: recorded, not sent.
    pub muted: bool,
    pub deliveries: Vec<Delivery>,
}

/// Records a notification and queues a delivery of it to each channel (none when muted) on the
/// one delivery queue, its message rendered now, about `incident` as it stands.
#[allow(clippy::too_many_arguments)]
pub async fn insert_notification(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    incident: Option<&Incident>,
    kind: &str,
    title: &str,
    detail: &str,
    muted: bool,
    channels: &[i64],
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_notifications (incident_id, kind, at, title, detail, muted) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(incident.map(|i| i.id))
    .bind(kind.to_owned())
    .bind(now)
    .bind(title.to_owned())
    .bind(detail.to_owned())
    .bind(i64::from(muted))
    .fetch_one(&mut **tx)
    .await?;
    if !muted {
        for channel in channels {
            let message = |delivery_id| Message {
                kind: kind.to_owned(),
                notification_id: id,
                delivery_id,
                at: rfc3339(now),
                title: title.to_owned(),
                detail: detail.to_owned(),
                incident: incident.cloned(),
            };
            let render = |delivery_id| super::deliver::render(&message(delivery_id));
            crate::webhooks::repo::insert_for_channel(&mut *tx, *channel, id, kind, false, now, render).await?;
        }
    }
    Ok(id)
}

/// Queues a test notification `notification_id` to `channel_id`, attempted by the caller.
pub async fn insert_test_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    channel_id: i64,
    message: Message,
    now: i64,
) -> Result<crate::webhooks::repo::Due> {
    let render = |delivery_id| super::deliver::render(&Message { delivery_id, ..message.clone() });
    crate::webhooks::repo::insert_for_channel(&mut *tx, channel_id, message.notification_id, "test", true, now, render)
        .await
}

/// Renders the deliveries still waiting without a message (alert deliveries queued before the one
/// delivery queue, moved there by migration 0030); returns how many.
pub async fn render_waiting(store: &Store) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT d.id, n.id AS notification_id, n.kind, n.at, n.title, n.detail, n.incident_id \
         FROM webhook_deliveries d JOIN alert_notifications n ON n.id = d.notification_id \
         WHERE d.channel_id IS NOT NULL AND d.payload IS NULL AND d.state = 'pending'",
    )
    .fetch_all(store.pool())
    .await?;
    for r in &rows {
        let incident = match r.try_get::<Option<i64>, _>("incident_id")? {
            Some(id) => Some(get_incident(store, id).await?),
            None => None,
        };
        let message = Message {
            kind: r.try_get("kind")?,
            notification_id: r.try_get("notification_id")?,
            delivery_id: r.try_get("id")?,
            at: rfc3339(r.try_get("at")?),
            title: r.try_get("title")?,
            detail: r.try_get("detail")?,
            incident,
        };
        let (payload, discord) = super::deliver::render(&message)?;
        crate::webhooks::repo::set_payload(store.pool(), message.delivery_id, &payload, &discord).await?;
    }
    Ok(rows.len())
}

/// An incident's notifications with their deliveries, oldest first.
pub async fn notifications(store: &Store, incident_id: i64) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, incident_id, kind, at, title, detail, muted FROM alert_notifications WHERE incident_id = $1 ORDER BY id",
    )
    .bind(incident_id)
    .fetch_all(store.pool())
    .await?;
    let deliveries = sqlx::query(
        "SELECT d.id, d.notification_id, d.channel_id, d.state, d.attempts, d.next_attempt_at, d.last_error, d.sent_at \
         FROM webhook_deliveries d JOIN alert_notifications n ON n.id = d.notification_id WHERE n.incident_id = $1 ORDER BY d.id",
    )
    .bind(incident_id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let mut mine = Vec::new();
        for d in &deliveries {
            if d.try_get::<i64, _>("notification_id")? == id {
                mine.push(delivery_view(d)?);
            }
        }
        out.push(Notification {
            id,
            incident_id: r.try_get("incident_id")?,
            kind: r.try_get("kind")?,
            at: rfc3339(r.try_get("at")?),
            title: r.try_get("title")?,
            detail: r.try_get("detail")?,
            muted: r.try_get::<i64, _>("muted")? != 0,
            deliveries: mine,
        });
    }
    Ok(out)
}

fn delivery_view(d: &AnyRow) -> Result<Delivery> {
    let state: String = d.try_get("state")?;
    Ok(Delivery {
        id: d.try_get("id")?,
        channel_id: d.try_get("channel_id")?,
        next_attempt_at: (state == "pending").then(|| d.try_get("next_attempt_at").map(rfc3339)).transpose()?,
        state,
        attempts: d.try_get("attempts")?,
        last_error: d.try_get("last_error")?,
        sent_at: d.try_get::<Option<i64>, _>("sent_at")?.map(rfc3339),
    })
}
