//! The `webhooks` and `webhook_deliveries` tables: webhooks (URL and secret sealed), and the one
//! delivery queue — deliveries to webhooks (one per webhook and event) and to alert channels (one
//! per channel and notification) — claimed by one node at a time, with the record of each attempt,
//! which also counts a webhook's failures in a row and pauses it. The `…_in` functions work on a
//! caller's connection (a configuration import's transaction).

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{Checked, DeliveryView, EventType, Filters, WebhookView};
use super::target::{ChannelKind, Target};
use crate::error::{Error, Result};
use crate::page::{Cursor, Page};
use crate::secrets::{Secret, TokenCipher};
use crate::store::{is_unique_violation, Store};
use crate::time::rfc3339;

/// Columns holding a secret sealed with the token cipher (re-sealed when the key rotates).
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("webhooks", "url_sealed"), ("webhooks", "secret_sealed")];

/// How long a claimed delivery is kept from the other nodes: longer than an attempt can take.
pub const CLAIM_MS: i64 = 60_000;

const COLUMNS: &str = "id, name, kind, url_hint, secret_sealed, events, bot_ids, commands, outcomes, state, \
                       paused_reason, failures_in_a_row, version, created_at, updated_at";

fn list_of<T: serde::de::DeserializeOwned>(text: Option<String>, id: i64, what: &str) -> Result<Option<T>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|_| {
            Error::Unreadable(format!("webhook {id}'s saved {what} cannot be read; save the webhook again"))
        })
    })
    .transpose()
}

fn view(row: &AnyRow) -> Result<WebhookView> {
    let id: i64 = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let events: Vec<EventType> = list_of(Some(row.try_get("events")?), id, "events")?.unwrap_or_default();
    Ok(WebhookView {
        id,
        name: row.try_get("name")?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| Error::Config(format!("unknown webhook kind {kind:?}")))?,
        target: row.try_get("url_hint")?,
        has_secret: row.try_get::<Option<String>, _>("secret_sealed")?.is_some(),
        events,
        filters: Filters {
            bot_ids: list_of(row.try_get("bot_ids")?, id, "bot filter")?,
            commands: list_of(row.try_get("commands")?, id, "command filter")?,
            outcomes: list_of(row.try_get("outcomes")?, id, "outcome filter")?,
        },
        state: row.try_get("state")?,
        paused_reason: row.try_get("paused_reason")?,
        failures_in_a_row: row.try_get("failures_in_a_row")?,
        version: row.try_get("version")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Config(format!("cannot write a webhook's settings: {e}")))
}

fn not_found(id: i64) -> Error {
    Error::NotFound { what: "webhook", id: id.to_string() }
}

fn taken(name: &str) -> Error {
    Error::Conflict(format!("a webhook named {name:?} exists already; choose another name"))
}

/// Saves a new webhook (checked by the caller), sealing its URL and secret.
pub async fn insert(
    store: &Store,
    cipher: &TokenCipher,
    kind: ChannelKind,
    c: &Checked,
    now: i64,
) -> Result<WebhookView> {
    insert_in(&mut *store.pool().acquire().await?, cipher, kind, c, now).await
}

/// Saves a new webhook on `conn` (checked by the caller), sealing its URL and secret.
pub async fn insert_in(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    kind: ChannelKind,
    c: &Checked,
    now: i64,
) -> Result<WebhookView> {
    let url = c.url.as_ref().ok_or_else(|| Error::Config("a new webhook needs its URL".into()))?;
    let secret = c.secret.as_deref().map(|s| cipher.seal(&Secret::new(s))).transpose()?;
    let row = sqlx::query(&format!(
        "INSERT INTO webhooks (name, kind, url_sealed, url_hint, secret_sealed, events, bot_ids, commands, outcomes, \
         state, failures_in_a_row, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', 0, 1, $10, $10) RETURNING {COLUMNS}"
    ))
    .bind(&c.name)
    .bind(kind.as_str())
    .bind(cipher.seal(&Secret::new(url.url.clone()))?)
    .bind(&url.hint)
    .bind(secret)
    .bind(json(&c.events)?)
    .bind(c.filters.bot_ids.as_ref().map(json).transpose()?)
    .bind(c.filters.commands.as_ref().map(json).transpose()?)
    .bind(c.filters.outcomes.as_ref().map(json).transpose()?)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { taken(&c.name) } else { e.into() })?;
    view(&row)
}

/// Changes a webhook at `version` (409 when it moved on); the URL and secret only when given.
pub async fn update(
    store: &Store,
    cipher: &TokenCipher,
    id: i64,
    version: i64,
    c: &Checked,
    now: i64,
) -> Result<WebhookView> {
    update_in(&mut *store.pool().acquire().await?, cipher, id, version, c, now).await
}

/// Changes a webhook at `version` on `conn` (409 when it moved on); the URL and secret only when
/// given. Its state (active or paused) stays.
pub async fn update_in(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    id: i64,
    version: i64,
    c: &Checked,
    now: i64,
) -> Result<WebhookView> {
    let url = c.url.as_ref().map(|u| cipher.seal(&Secret::new(u.url.clone()))).transpose()?;
    let secret = c.secret.as_deref().map(|s| cipher.seal(&Secret::new(s))).transpose()?;
    let row = sqlx::query(&format!(
        "UPDATE webhooks SET name = $1, url_sealed = COALESCE($2, url_sealed), url_hint = COALESCE($3, url_hint), \
         secret_sealed = COALESCE($4, secret_sealed), events = $5, bot_ids = $6, commands = $7, outcomes = $8, \
         version = version + 1, updated_at = $9 WHERE id = $10 AND version = $11 RETURNING {COLUMNS}"
    ))
    .bind(&c.name)
    .bind(url)
    .bind(c.url.as_ref().map(|u| u.hint.clone()))
    .bind(secret)
    .bind(json(&c.events)?)
    .bind(c.filters.bot_ids.as_ref().map(json).transpose()?)
    .bind(c.filters.commands.as_ref().map(json).transpose()?)
    .bind(c.filters.outcomes.as_ref().map(json).transpose()?)
    .bind(now)
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { taken(&c.name) } else { e.into() })?;
    match row {
        Some(row) => view(&row),
        None => {
            let current = get_in(conn, id).await?;
            Err(Error::Conflict(format!(
                "webhook {id} was changed by someone else (you sent version {version}, the current version is {}); \
                 reload it and apply your change again",
                current.version
            )))
        }
    }
}

/// One webhook.
pub async fn get(store: &Store, id: i64) -> Result<WebhookView> {
    get_in(&mut *store.pool().acquire().await?, id).await
}

/// One webhook, read on `conn`.
pub async fn get_in(conn: &mut AnyConnection, id: i64) -> Result<WebhookView> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(view).transpose()?.ok_or_else(|| not_found(id))
}

/// Every webhook (what the dispatcher matches events against).
pub async fn all(store: &Store) -> Result<Vec<WebhookView>> {
    all_in(&mut *store.pool().acquire().await?).await
}

/// Every webhook by id, read on `conn` (a configuration export).
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<WebhookView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY id")).fetch_all(&mut *conn).await?;
    rows.iter().map(view).collect()
}

/// One page of webhooks, by id.
pub async fn page(store: &Store, after: Option<Cursor>, limit: u32) -> Result<Page<WebhookView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2"))
        .bind(after.map_or(0, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(store.pool())
        .await?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |w| w.id))
}

/// Deletes a webhook and its deliveries; what it was.
pub async fn delete(store: &Store, id: i64) -> Result<WebhookView> {
    let before = get(store, id).await?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(before)
}

/// Where a delivery goes: a webhook, or an alert channel (the alerts' destinations have the same
/// kind, sealed URL and sealed secret columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Webhook(i64),
    AlertChannel(i64),
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Webhook(id) => write!(f, "webhook {id}"),
            Self::AlertChannel(id) => write!(f, "alert channel {id}"),
        }
    }
}

/// Where `to` delivers, its URL and secret opened.
pub async fn target(store: &Store, cipher: &TokenCipher, to: Recipient) -> Result<Target> {
    // Both tables are this crate's constants, never input.
    let (table, what, id) = match to {
        Recipient::Webhook(id) => ("webhooks", "webhook", id),
        Recipient::AlertChannel(id) => ("alert_channels", "alert channel", id),
    };
    let row = sqlx::query(&format!("SELECT kind, url_sealed, secret_sealed FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound { what, id: id.to_string() })?;
    target_of(&row, cipher, what)
}

/// Every webhook's name and target (URL and secret opened), by name, read on `conn` (a
/// configuration export, and what an import compares a document's secrets with).
pub async fn targets_in(conn: &mut AnyConnection, cipher: &TokenCipher) -> Result<Vec<(String, Target)>> {
    let rows = sqlx::query("SELECT name, kind, url_sealed, secret_sealed FROM webhooks ORDER BY name, id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|row| Ok((row.try_get("name")?, target_of(row, cipher, "webhook")?))).collect()
}

fn target_of(row: &AnyRow, cipher: &TokenCipher, what: &str) -> Result<Target> {
    let kind: String = row.try_get("kind")?;
    let secret: Option<String> = row.try_get("secret_sealed")?;
    Ok(Target {
        kind: ChannelKind::parse(&kind).ok_or_else(|| Error::Config(format!("unknown {what} kind {kind:?}")))?,
        url: cipher.open(&row.try_get::<String, _>("url_sealed")?)?,
        secret: secret.map(|s| cipher.open(&s)).transpose()?,
    })
}

/// Pauses a webhook (by hand, or after too many failures) or resumes it.
pub async fn set_state(store: &Store, id: i64, paused: Option<&str>, now: i64) -> Result<WebhookView> {
    let row = sqlx::query(&format!(
        "UPDATE webhooks SET state = $1, paused_reason = $2, failures_in_a_row = CASE WHEN $1 = 'active' THEN 0 \
         ELSE failures_in_a_row END, updated_at = $3 WHERE id = $4 RETURNING {COLUMNS}"
    ))
    .bind(if paused.is_some() { "paused" } else { "active" })
    .bind(paused)
    .bind(now)
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(view).transpose()?.ok_or_else(|| not_found(id))
}

// ---- deliveries ----

/// A delivery to queue: for a webhook, an event (its type, its own id) and what to send.
#[derive(Debug, Clone)]
pub struct Queued {
    pub webhook_id: i64,
    pub event_type: &'static str,
    pub event_id: String,
    pub payload: String,
}

/// Queues deliveries (one statement per batch); one already queued for its webhook and event is
/// left as it is. Returns how many were new.
pub async fn enqueue(store: &Store, batch: &[Queued], now: i64) -> Result<u64> {
    let mut added = 0;
    // At most 6 parameters a row: 100 rows stay well below every driver's parameter limit.
    for chunk in batch.chunks(100) {
        let sql = crate::store::values_sql(
            store.backend(),
            "INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, state, attempts, \
             next_attempt_at, created_at) VALUES ",
            "(?, ?, ?, ?, 'pending', 0, ?, ?)",
            chunk.len(),
            " ON CONFLICT (webhook_id, event_id) DO NOTHING",
        );
        let mut query = sqlx::query(&sql);
        for q in chunk {
            query = query.bind(q.webhook_id).bind(q.event_type).bind(&q.event_id).bind(&q.payload).bind(now).bind(now);
        }
        added += query.execute(store.pool()).await?.rows_affected();
    }
    Ok(added)
}

/// A claimed delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub to: Recipient,
    pub event_type: String,
    /// The HTTP endpoint's JSON body.
    pub payload: String,
    /// The Discord webhook's body, when rendered at queueing (alert channels); a webhook's is
    /// made from `payload` when sent.
    pub discord: Option<String>,
    pub attempts: i64,
}

const DUE_COLUMNS: &str = "d.id, d.webhook_id, d.channel_id, d.event_type, d.payload, d.discord_payload, d.attempts, \
                           d.next_attempt_at";

fn due(r: &AnyRow) -> Result<Due> {
    let webhook: Option<i64> = r.try_get("webhook_id")?;
    let channel: Option<i64> = r.try_get("channel_id")?;
    let id: i64 = r.try_get("id")?;
    let to = match (webhook, channel) {
        (Some(w), _) => Recipient::Webhook(w),
        (None, Some(c)) => Recipient::AlertChannel(c),
        (None, None) => return Err(Error::Unreadable(format!("delivery {id} has no recipient"))),
    };
    let payload: Option<String> = r.try_get("payload")?;
    Ok(Due {
        id,
        to,
        event_type: r.try_get("event_type")?,
        payload: payload.ok_or_else(|| Error::Unreadable(format!("delivery {id} has no payload yet")))?,
        discord: r.try_get("discord_payload")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Claims the deliveries due at `now` — to active webhooks and to alert channels — oldest first:
/// each is moved to `now + CLAIM_MS` only if it still stands where it was read, so of several
/// nodes reading it at once one attempts it (one that dies holding it leaves it to be tried again
/// after `CLAIM_MS`). A delivery whose payload is not rendered yet waits.
pub async fn claim_due(store: &Store, now: i64, limit: i64) -> Result<Vec<Due>> {
    let rows = sqlx::query(&format!(
        "SELECT {DUE_COLUMNS} FROM webhook_deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND d.payload IS NOT NULL \
         AND (d.channel_id IS NOT NULL OR w.state = 'active') \
         ORDER BY d.next_attempt_at, d.id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let until = now.saturating_add(CLAIM_MS);
    let mut claimed = Vec::with_capacity(rows.len());
    for r in rows {
        let (id, was): (i64, i64) = (r.try_get("id")?, r.try_get("next_attempt_at")?);
        let taken = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' \
             AND next_attempt_at = $3",
        )
        .bind(until)
        .bind(id)
        .bind(was)
        .execute(store.pool())
        .await?
        .rows_affected();
        if taken == 1 {
            claimed.push(due(&r)?);
        }
    }
    Ok(claimed)
}

/// Queues a delivery of alert notification `notification_id` to alert channel `channel_id`:
/// due from `now`, or — a test — recorded as failed until its one attempt, which the caller
/// makes. `render` makes the HTTP and Discord bodies, given the delivery's id.
pub async fn insert_for_channel(
    conn: &mut sqlx::AnyConnection,
    channel_id: i64,
    notification_id: i64,
    event_type: &str,
    test: bool,
    now: i64,
    render: impl FnOnce(i64) -> Result<(String, String)>,
) -> Result<Due> {
    let (state, error) = if test { ("failed", Some("not attempted yet")) } else { ("pending", None) };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (channel_id, notification_id, event_type, event_id, state, attempts, \
         next_attempt_at, last_error, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $6) RETURNING id",
    )
    .bind(channel_id)
    .bind(notification_id)
    .bind(event_type.to_owned())
    .bind(format!("alert-notification:{notification_id}"))
    .bind(state)
    .bind(now)
    .bind(error)
    .fetch_one(&mut *conn)
    .await?;
    let (payload, discord) = render(id)?;
    set_payload(&mut *conn, id, &payload, &discord).await?;
    Ok(Due {
        id,
        to: Recipient::AlertChannel(channel_id),
        event_type: event_type.to_owned(),
        payload,
        discord: Some(discord),
        attempts: 0,
    })
}

/// Gives a delivery its rendered bodies (it is claimed once it has them).
pub async fn set_payload<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    id: i64,
    payload: &str,
    discord: &str,
) -> Result<()> {
    sqlx::query("UPDATE webhook_deliveries SET payload = $1, discord_payload = $2 WHERE id = $3")
        .bind(payload.to_owned())
        .bind(discord.to_owned())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// How an attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub ok: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    /// A failed attempt's next try (`None`: given up).
    pub retry_at: Option<i64>,
}

impl Attempt {
    /// An attempt the receiver accepted.
    pub fn sent(sent: super::send::Sent) -> Self {
        Self {
            ok: true,
            status: Some(sent.status),
            error: None,
            duration_ms: i64::try_from(sent.took.as_millis()).ok(),
            retry_at: None,
        }
    }
}

/// Records an attempt, and on a webhook its failures in a row (reset by a success). When they
/// reach `pause_after`, the webhook is paused; returns why, then. (Alert channels never pause:
/// an alert must not wait for someone to resume its channel.)
pub async fn attempted(store: &Store, due: &Due, a: &Attempt, now: i64, pause_after: i64) -> Result<Option<String>> {
    let (state, next, sent) = match (a.ok, a.retry_at) {
        (true, _) => ("sent", now, Some(now)),
        (false, Some(at)) => ("pending", at, None),
        (false, None) => ("failed", now, None),
    };
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
         duration_ms = $4, next_attempt_at = $5, sent_at = $6 WHERE id = $7",
    )
    .bind(state)
    .bind(a.status.map(i64::from))
    .bind(a.error.clone())
    .bind(a.duration_ms)
    .bind(next)
    .bind(sent)
    .bind(due.id)
    .execute(&mut *tx)
    .await?;
    let mut paused = None;
    let Recipient::Webhook(webhook_id) = due.to else {
        tx.commit().await?;
        return Ok(None);
    };
    if a.ok {
        sqlx::query("UPDATE webhooks SET failures_in_a_row = 0 WHERE id = $1 AND failures_in_a_row <> 0")
            .bind(webhook_id)
            .execute(&mut *tx)
            .await?;
    } else {
        let failures: Option<i64> = sqlx::query_scalar(
            "UPDATE webhooks SET failures_in_a_row = failures_in_a_row + 1 WHERE id = $1 RETURNING failures_in_a_row",
        )
        .bind(webhook_id)
        .fetch_optional(&mut *tx)
        .await?;
        if failures.is_some_and(|n| n >= pause_after) {
            let why = format!(
                "paused after {pause_after} failed attempts in a row (the last: {})",
                a.error.as_deref().unwrap_or("no answer")
            );
            let changed = sqlx::query(
                "UPDATE webhooks SET state = 'paused', paused_reason = $1, updated_at = $2 WHERE id = $3 AND state = 'active'",
            )
            .bind(&why)
            .bind(now)
            .bind(webhook_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                paused = Some(why);
            }
        }
    }
    tx.commit().await?;
    Ok(paused)
}

/// Queues a test delivery (attempted at once by the caller, never by the loop: it is recorded as
/// failed until its attempt says otherwise); its id.
pub async fn insert_test(store: &Store, webhook_id: i64, event_id: &str, payload: &str, now: i64) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, state, attempts, next_attempt_at, \
         last_error, created_at) VALUES ($1, 'test', $2, $3, 'failed', 0, $4, 'not attempted yet', $4) RETURNING id",
    )
    .bind(webhook_id)
    .bind(event_id)
    .bind(payload)
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_type, event_id, payload, state, attempts, next_attempt_at, \
                                last_status, last_error, duration_ms, created_at, sent_at";

fn delivery(row: &AnyRow) -> Result<DeliveryView> {
    let state: String = row.try_get("state")?;
    let payload: String = row.try_get("payload")?;
    Ok(DeliveryView {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_type: row.try_get("event_type")?,
        event_id: row.try_get("event_id")?,
        next_attempt_at: (state == "pending").then(|| row.try_get("next_attempt_at").map(rfc3339)).transpose()?,
        state,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        duration_ms: row.try_get("duration_ms")?,
        created_at: rfc3339(row.try_get("created_at")?),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(rfc3339),
        payload: serde_json::from_str(&payload).unwrap_or(Value::String(payload)),
    })
}

/// A webhook's deliveries, newest first.
pub async fn deliveries(
    store: &Store,
    webhook_id: i64,
    before: Option<Cursor>,
    limit: u32,
) -> Result<Page<DeliveryView>> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(webhook_id)
    .bind(before.map_or(i64::MAX, |c| c.0))
    .bind(i64::from(limit) + 1)
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |d| d.id))
}

/// Records a test delivery's one attempt.
pub async fn tested(store: &Store, id: i64, a: &Attempt, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, attempts = 1, last_status = $2, last_error = $3, duration_ms = $4, \
         sent_at = $5 WHERE id = $6",
    )
    .bind(if a.ok { "sent" } else { "failed" })
    .bind(a.status.map(i64::from))
    .bind(a.error.clone())
    .bind(a.duration_ms)
    .bind(a.ok.then_some(now))
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}
