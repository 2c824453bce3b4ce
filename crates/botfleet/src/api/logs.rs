//! `/api/v1/command-logs` and `/api/v1/bot-logs`: the roadmap's log repositories over HTTP.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Params, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::logs::bot_logs::{self, BotLog, BotLogQuery};
use crate::logs::commands::{self, CommandLog, CommandLogQuery};
use crate::logs::search::LogPage;

type Reply<T> = Result<T, ApiError>;

/// Command logs, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/command-logs", tag = "logs", params(CommandLogQuery),
    responses((status = 200, body = LogPage<CommandLog>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_commands(
    State(app): State<AppState>,
    Params(q): Params<CommandLogQuery>,
) -> Reply<Json<LogPage<CommandLog>>> {
    Ok(Json(commands::list(&app.store, &q).await?))
}

/// One command log.
#[utoipa::path(get, path = "/api/v1/command-logs/{id}", tag = "logs", params(("id" = i64, Path)),
    responses((status = 200, body = CommandLog), (status = 404, body = ErrorBody)))]
pub async fn get_command(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<CommandLog>> {
    Ok(Json(commands::get(&app.store, id).await?))
}

/// Deletes one command log.
#[utoipa::path(delete, path = "/api/v1/command-logs/{id}", tag = "logs", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_command(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = commands::get(&app.store, id).await?;
    commands::delete(&app.store, id).await?;
    trail.record("command_logs.delete", "command_log", id, crate::audit::removed(&old, &[]));
    Ok(StatusCode::NO_CONTENT)
}

/// Bot logs, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/bot-logs", tag = "logs", params(BotLogQuery),
    responses((status = 200, body = LogPage<BotLog>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_bot_logs(
    State(app): State<AppState>,
    Params(q): Params<BotLogQuery>,
) -> Reply<Json<LogPage<BotLog>>> {
    Ok(Json(bot_logs::list(&app.store, &q).await?))
}

/// One bot log line.
#[utoipa::path(get, path = "/api/v1/bot-logs/{id}", tag = "logs", params(("id" = i64, Path)),
    responses((status = 200, body = BotLog), (status = 404, body = ErrorBody)))]
pub async fn get_bot_log(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<BotLog>> {
    Ok(Json(bot_logs::get(&app.store, id).await?))
}

/// Deletes one bot log line.
#[utoipa::path(delete, path = "/api/v1/bot-logs/{id}", tag = "logs", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_bot_log(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = bot_logs::get(&app.store, id).await?;
    bot_logs::delete(&app.store, id).await?;
    trail.record("bot_logs.delete", "bot_log", id, crate::audit::removed(&old, &[]));
    Ok(StatusCode::NO_CONTENT)
}
