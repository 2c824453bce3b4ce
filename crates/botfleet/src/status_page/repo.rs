//! The status page's settings in the database: the one `status_page` row and the
//! `status_page_bots` list (migration 0028), read together and replaced in one transaction at the
//! version the change names.

use sqlx::Row;

use super::model::{ShownBotView, StatusPageSettings, ValidChange};
use crate::bots::DesiredState;
use crate::error::{Error, FieldError, Result};
use crate::store::Store;

/// A shown bot with what the page needs to judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownBotRow {
    pub bot_id: i64,
    pub name: String,
    pub label: Option<String>,
    pub desired: DesiredState,
}

impl ShownBotRow {
    /// What the page calls it.
    pub fn shown_as(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// The settings with each shown bot's name and desired state, in the page's order.
pub async fn load(store: &Store) -> Result<(StatusPageSettings, Vec<ShownBotRow>)> {
    let page = sqlx::query("SELECT enabled, title, version, updated_at FROM status_page WHERE id = 1")
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| {
            Error::Unreadable("the status page's settings row is missing; run the migrations again".into())
        })?;
    let rows = sqlx::query(
        "SELECT s.bot_id, s.label, b.name, b.desired_state FROM status_page_bots s JOIN bots b ON b.id = s.bot_id \
         ORDER BY s.position, s.bot_id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut bots = Vec::with_capacity(rows.len());
    for r in &rows {
        let bot_id: i64 = r.try_get("bot_id")?;
        let desired: String = r.try_get("desired_state")?;
        let desired = DesiredState::parse(&desired).ok_or_else(|| {
            Error::Unreadable(format!(
                "bot {bot_id}'s saved desired state is {desired:?}; start or stop it to set it again"
            ))
        })?;
        bots.push(ShownBotRow { bot_id, name: r.try_get("name")?, label: r.try_get("label")?, desired });
    }
    let updated_at: i64 = page.try_get("updated_at")?;
    let settings = StatusPageSettings {
        enabled: page.try_get::<i64, _>("enabled")? != 0,
        title: page.try_get("title")?,
        bots: bots
            .iter()
            .map(|b| ShownBotView {
                bot_id: b.bot_id,
                name: b.name.clone(),
                label: b.label.clone(),
                shown_as: b.shown_as().to_owned(),
            })
            .collect(),
        version: page.try_get("version")?,
        updated_at: (updated_at > 0).then(|| crate::time::rfc3339(updated_at)),
    };
    Ok((settings, bots))
}

/// Replaces the settings when the stored version is the change's (else 409), after checking that
/// every bot named exists (else 422 naming it); returns the settings before and after.
pub async fn save(
    store: &Store,
    change: &ValidChange,
    now_ms: i64,
) -> Result<(StatusPageSettings, StatusPageSettings)> {
    let (old, _) = load(store).await?;
    let mut tx = store.pool().begin().await?;
    let mut missing = Vec::new();
    for (i, bot) in change.bots.iter().enumerate() {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM bots WHERE id = $1").bind(bot.bot_id).fetch_optional(&mut *tx).await?;
        if found.is_none() {
            missing.push(FieldError::new(format!("bots[{i}].bot_id"), "no bot has this id"));
        }
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let done = sqlx::query(
        "UPDATE status_page SET enabled = $1, title = $2, version = version + 1, updated_at = $3 \
         WHERE id = 1 AND version = $4",
    )
    .bind(i64::from(change.enabled))
    .bind(change.title.clone())
    .bind(now_ms)
    .bind(change.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let current: i64 =
            sqlx::query_scalar("SELECT version FROM status_page WHERE id = 1").fetch_one(&mut *tx).await?;
        return Err(Error::Conflict(format!(
            "the status page was changed by someone else (you sent version {}, the current version is {current}); \
             reload it and apply your change again",
            change.version
        )));
    }
    sqlx::query("DELETE FROM status_page_bots").execute(&mut *tx).await?;
    for (position, bot) in change.bots.iter().enumerate() {
        sqlx::query("INSERT INTO status_page_bots (bot_id, label, position) VALUES ($1, $2, $3)")
            .bind(bot.bot_id)
            .bind(bot.label.clone())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let (new, _) = load(store).await?;
    Ok((old, new))
}
