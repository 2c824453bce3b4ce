//! `/api/v1/bots`: bot configurations, their token, and "test this config".

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::audit;
use crate::bots::check::{self, ConfigReport};
use crate::bots::model::{
    validate_create, validate_test, validate_update, BotView, CreateBot, ReplaceToken, TestConfig, Token, UpdateBot,
};
use crate::bots::repo;
use crate::error::Error;
use crate::page::{limit, Cursor, Page};

type Reply<T> = Result<T, ApiError>;

/// The fields of a bot an audit row compares (no secrets: the token shows as its hint).
const AUDITED: &[&str] = &[
    "name",
    "prefix",
    "intents",
    "channel_ids",
    "token_hint",
    "anti_spam",
    "stock_channel_id",
    "back_in_stock_channel_id",
    "low_stock_channel_id",
];

/// Adds the fleet's runtime status to a stored bot.
fn live(app: &AppState, mut bot: BotView) -> BotView {
    let (status, reason) = app.fleet.status(bot.id);
    bot.status = status;
    bot.status_reason = reason;
    bot
}

/// Paging of `GET /bots`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBots {
    pub cursor: Option<String>,
    /// 1 to 200, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 100)]
    pub limit: Option<crate::page::Limit>,
}

/// Lists bots.
#[utoipa::path(get, path = "/api/v1/bots", tag = "bots", params(ListBots),
    responses((status = 200, body = Page<BotView>), (status = 400, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<ListBots>) -> Reply<Json<Page<BotView>>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let mut page = repo::list(&app.store, after, limit(q.limit, 100, 200)?).await?;
    page.items = page.items.into_iter().map(|b| live(&app, b)).collect();
    Ok(Json(page))
}

/// Adds a bot. The token is stored encrypted and never returned.
#[utoipa::path(post, path = "/api/v1/bots", tag = "bots", request_body = CreateBot,
    responses((status = 201, body = BotView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(req): Body<CreateBot>,
) -> Reply<(StatusCode, Json<BotView>)> {
    let (settings, token) = validate_create(req)?;
    let bot = repo::insert(&app.store, &app.cipher, &settings, &token).await?;
    trail.record("bots.create", "bot", bot.id, audit::created(&bot, AUDITED));
    tracing::info!(bot_id = bot.id, name = %bot.name, "bot created");
    Ok((StatusCode::CREATED, Json(bot)))
}

/// One bot.
#[utoipa::path(get, path = "/api/v1/bots/{id}", tag = "bots", params(("id" = i64, Path)),
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<BotView>> {
    Ok(Json(live(&app, repo::get(&app.store, id).await?)))
}

/// Changes a bot's settings (never its token); `version` must be the current one.
#[utoipa::path(patch, path = "/api/v1/bots/{id}", tag = "bots", params(("id" = i64, Path)), request_body = UpdateBot,
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<UpdateBot>,
) -> Reply<Json<BotView>> {
    let settings = validate_update(&req)?;
    let old = repo::get(&app.store, id).await?;
    let bot = repo::update(&app.store, id, req.version, &settings).await?;
    let changes = audit::diff(&old, &bot, AUDITED);
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("bots.update", "bot", id, changes);
    }
    tracing::info!(bot_id = id, version = bot.version, "bot updated");
    Ok(Json(live(&app, bot)))
}

/// Replaces a bot's token.
#[utoipa::path(put, path = "/api/v1/bots/{id}/token", tag = "bots", params(("id" = i64, Path)), request_body = ReplaceToken,
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_token(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<ReplaceToken>,
) -> Reply<Json<BotView>> {
    let mut errors = Vec::new();
    let token: Token = crate::bots::model::check_token(&req.token, "token", &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors).into());
    }
    let old = repo::get(&app.store, id).await?;
    let bot = repo::set_token(&app.store, &app.cipher, id, &token, req.version).await?;
    let hint = serde_json::json!({"old": old.token_hint, "new": bot.token_hint});
    trail.record("bots.token", "bot", id, serde_json::json!({"token": "(changed)", "token_hint": hint}));
    tracing::info!(bot_id = id, "bot token replaced");
    Ok(Json(live(&app, bot)))
}

/// Deletes a bot (its logs stay).
#[utoipa::path(delete, path = "/api/v1/bots/{id}", tag = "bots", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::get(&app.store, id).await?;
    repo::delete(&app.store, id).await?;
    trail.record("bots.delete", "bot", id, audit::removed(&old, AUDITED));
    app.fleet.forget(id).await;
    tracing::info!(bot_id = id, "bot deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Tests a saved bot's configuration against Discord, check by check.
#[utoipa::path(post, path = "/api/v1/bots/{id}/test", tag = "bots", params(("id" = i64, Path)),
    responses((status = 200, body = ConfigReport), (status = 404, body = ErrorBody)))]
pub async fn test_saved(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<ConfigReport>> {
    let token = repo::token(&app.store, &app.cipher, id).await?;
    let (intents, channels) = repo::gateway_settings(&app.store, id).await?;
    // Not the bot's work, so its calls are not counted; a 429 met is (it uses the bot's limits).
    let meter = app.fleet.rest_meter(Some(id));
    Ok(Json(meter.watch(check::run(&app.discord, &token, intents, &channels, &app.fleet.slash_command_names())).await))
}

/// Tests an unsaved configuration against Discord, check by check.
#[utoipa::path(post, path = "/api/v1/bots/test", tag = "bots", request_body = TestConfig,
    responses((status = 200, body = ConfigReport), (status = 422, body = ErrorBody)))]
pub async fn test_unsaved(State(app): State<AppState>, Body(req): Body<TestConfig>) -> Reply<Json<ConfigReport>> {
    let (token, intents, channels) = validate_test(&req)?;
    let meter = app.fleet.rest_meter(None);
    Ok(Json(
        meter.watch(check::run(&app.discord, &token.0, intents, &channels, &app.fleet.slash_command_names())).await,
    ))
}

/// Paging of `GET /bots/{id}/guilds`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListServers {
    pub cursor: Option<String>,
    /// Servers per page, 1 to 100, default 25 (each server's channels are read from Discord).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 25)]
    pub limit: Option<crate::page::Limit>,
}

/// The servers a bot is in, each with the channels the bot sees and whether it may post there
/// (read from Discord with the bot's token, kept a minute; for channel pickers).
#[utoipa::path(get, path = "/api/v1/bots/{id}/guilds", tag = "bots", params(("id" = i64, Path), ListServers),
    responses((status = 200, body = Page<crate::fleet::directory::ServerView>), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn guilds(
    State(app): State<AppState>,
    PathId(id): PathId,
    Params(q): Params<ListServers>,
) -> Reply<Json<Page<crate::fleet::directory::ServerView>>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = limit(q.limit, 25, 100)?;
    repo::get(&app.store, id).await?;
    let after = after.and_then(|c| u64::try_from(c.0).ok());
    let (items, more) = app.fleet.servers(id, after, usize::try_from(limit).unwrap_or(25)).await?;
    let next_cursor = match more {
        true => items.last().and_then(|s| s.id.parse::<i64>().ok()).map(|last| Cursor(last).encode()),
        false => None,
    };
    Ok(Json(Page { items, next_cursor }))
}

/// `POST /bots/guilds`: the token of a bot being added.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServersOfToken {
    #[schema(value_type = String, min_length = 30, max_length = 200, pattern = r"^[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+$")]
    pub token: String,
}

/// The servers an unsaved bot's token is in (the first 100), each with the channels it sees and
/// whether it may post there: the channel pickers of a bot being added. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/bots/guilds", tag = "bots", request_body = ServersOfToken,
    responses((status = 200, body = Page<crate::fleet::directory::ServerView>), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
pub async fn guilds_of_token(
    State(app): State<AppState>,
    Body(req): Body<ServersOfToken>,
) -> Reply<Json<Page<crate::fleet::directory::ServerView>>> {
    let mut errors = Vec::new();
    let token = crate::bots::model::check_token(&req.token, "token", &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors).into());
    }
    let items = app.fleet.servers_of_token(&token.0, 100).await?;
    Ok(Json(Page { items, next_cursor: None }))
}
