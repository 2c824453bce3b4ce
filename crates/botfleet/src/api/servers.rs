//! `/api/v1/bots/{id}/server-settings`: a bot's settings per Discord server (prefix, channels,
//! anti-spam, stock channels), overriding the bot's there; a running bot applies a change at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId, PathIds};
use super::guard::AuditTrail;
use super::AppState;
use crate::audit;
use crate::bots::repo;
use crate::bots::servers::{self, PutServerSettings, ServerSettingsView};
use crate::page::{limit, Cursor, Page};

type Reply<T> = Result<T, ApiError>;

/// The fields an audit row compares.
const AUDITED: &[&str] =
    &["prefix", "channel_ids", "anti_spam", "stock_channel_id", "back_in_stock_channel_id", "low_stock_channel_id"];

/// Paging of `GET /bots/{id}/server-settings`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListServerSettings {
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<crate::page::Limit>,
}

/// The servers where a bot has settings of its own, by server id.
#[utoipa::path(get, path = "/api/v1/bots/{id}/server-settings", tag = "bots", params(("id" = i64, Path), ListServerSettings),
    responses((status = 200, body = Page<ServerSettingsView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_server_settings(
    State(app): State<AppState>,
    PathId(id): PathId,
    Params(q): Params<ListServerSettings>,
) -> Reply<Json<Page<ServerSettingsView>>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = limit(q.limit, 50, 200)?;
    repo::get(&app.store, id).await?;
    Ok(Json(servers::list(&app.store, id, after, limit).await?))
}

/// A bot's settings for one server (404 when it has none there: the bot's apply).
#[utoipa::path(get, path = "/api/v1/bots/{id}/server-settings/{guild_id}", tag = "bots",
    params(("id" = i64, Path), ("guild_id" = i64, Path)),
    responses((status = 200, body = ServerSettingsView), (status = 404, body = ErrorBody)))]
pub async fn get_server_settings(
    State(app): State<AppState>,
    PathIds(id, guild): PathIds,
) -> Reply<Json<ServerSettingsView>> {
    repo::get(&app.store, id).await?;
    Ok(Json(servers::get(&app.store, id, guild).await?))
}

/// Sets a bot's settings for one server (all of them: a field left out is the bot's); `version`
/// is 0 for a server with none yet, else the current one. A running bot applies them at once.
#[utoipa::path(put, path = "/api/v1/bots/{id}/server-settings/{guild_id}", tag = "bots",
    params(("id" = i64, Path), ("guild_id" = i64, Path)), request_body = PutServerSettings,
    responses((status = 200, body = ServerSettingsView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_server_settings(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathIds(id, guild): PathIds,
    Body(req): Body<PutServerSettings>,
) -> Reply<Json<ServerSettingsView>> {
    let change = servers::validate(&req)?;
    let bot = repo::get(&app.store, id).await?;
    let (before, after) = servers::put(&app.store, id, guild, &change, bot.anti_spam).await?;
    let changes = match &before {
        Some(before) => audit::diff(before, &after, AUDITED),
        None => audit::created(&after, AUDITED),
    };
    if before.is_none() || changes.as_object().is_some_and(|c| !c.is_empty()) {
        let mut detail = changes;
        detail["guild_id"] = serde_json::json!(after.guild_id);
        trail.record("bots.server_settings", "bot", id, detail);
    }
    app.fleet.server_settings_changed(id).await;
    tracing::info!(bot_id = id, guild_id = guild, version = after.version, "server settings saved");
    Ok(Json(after))
}

/// Removes a bot's settings for one server: the bot's apply there again, at once.
#[utoipa::path(delete, path = "/api/v1/bots/{id}/server-settings/{guild_id}", tag = "bots",
    params(("id" = i64, Path), ("guild_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_server_settings(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathIds(id, guild): PathIds,
) -> Reply<StatusCode> {
    repo::get(&app.store, id).await?;
    let old = servers::delete(&app.store, id, guild).await?;
    let mut detail = audit::removed(&old, AUDITED);
    detail["guild_id"] = serde_json::json!(old.guild_id);
    trail.record("bots.server_settings_delete", "bot", id, detail);
    app.fleet.server_settings_changed(id).await;
    tracing::info!(bot_id = id, guild_id = guild, "server settings removed");
    Ok(StatusCode::NO_CONTENT)
}
