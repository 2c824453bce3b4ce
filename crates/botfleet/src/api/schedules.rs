//! `/api/v1/schedules`: scheduled and recurring messages — list, create, one, edit, delete, its
//! runs, and a preview of the next runs of a timing before it is saved. Reading needs
//! `schedules.read`; changing, `schedules.manage`; a message that may ping also `bots.mention`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::audit;
use crate::auth::{Action, Principal};
use crate::page::{limit, Cursor, Limit, Page};
use crate::schedules::model::{Preview, PreviewInput, Run, Schedule, ScheduleEdit, ScheduleInput};
use crate::schedules::Schedules;

type Reply<T> = Result<T, ApiError>;

/// Fields an audit row compares.
const FIELDS: &[&str] = &["bot_id", "channel_id", "message", "once", "cron", "time_zone", "enabled", "missed"];

/// Filters of `GET /schedules`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScheduleListQuery {
    /// Only this bot's schedules.
    pub bot_id: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Limit>,
}

/// Schedules, newest first, each with its next runs and its latest run.
#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules", params(ScheduleListQuery),
    responses((status = 200, body = Page<Schedule>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<ScheduleListQuery>) -> Reply<Json<Page<Schedule>>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok(Json(app.schedules.list(q.bot_id, after, limit(q.limit, 50, 200)?).await?))
}

/// Schedules a message: once (`once`, a future time) or repeating (`cron` in `time_zone`). The
/// bot must see the channel (asked of Discord now); a message that may ping needs `bots.mention`.
#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleInput,
    responses((status = 201, body = Schedule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(input): Body<ScheduleInput>,
) -> Reply<(StatusCode, Json<Schedule>)> {
    if Schedules::pings(&input) {
        principal.may(Action::BotsMention)?;
    }
    let schedule = app.schedules.create(&input, &creator(&principal)).await?;
    trail.record("schedules.create", "schedule", schedule.id, audit::created(&schedule, FIELDS));
    Ok((StatusCode::CREATED, Json(schedule)))
}

/// One schedule.
#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = i64, Path)),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<Schedule>> {
    Ok(Json(app.schedules.get(id).await?))
}

/// Changes a schedule. Giving `once` or `cron` replaces its timing; a new timing, or enabling it
/// again, counts its next run from now (runs in between are not sent).
#[utoipa::path(patch, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = i64, Path)), request_body = ScheduleEdit,
    responses((status = 200, body = Schedule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
    Body(edit): Body<ScheduleEdit>,
) -> Reply<Json<Schedule>> {
    let (old, input) = app.schedules.edited(id, edit).await?;
    if Schedules::pings(&input) {
        principal.may(Action::BotsMention)?;
    }
    let schedule = app.schedules.update(id, &input).await?;
    let changes = audit::diff(&old, &schedule, FIELDS);
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("schedules.update", "schedule", id, changes);
    }
    Ok(Json(schedule))
}

/// Deletes a schedule and its runs (their jobs stay).
#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = app.schedules.delete(id).await?;
    trail.record("schedules.delete", "schedule", id, audit::removed(&old, FIELDS));
    Ok(StatusCode::NO_CONTENT)
}

/// Paging of a schedule's runs.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Limit>,
}

/// A schedule's runs, newest first: each instant, its state and its job.
#[utoipa::path(get, path = "/api/v1/schedules/{id}/runs", tag = "schedules", params(("id" = i64, Path), RunsQuery),
    responses((status = 200, body = Page<Run>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn runs(
    State(app): State<AppState>,
    PathId(id): PathId,
    Params(q): Params<RunsQuery>,
) -> Reply<Json<Page<Run>>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    Ok(Json(app.schedules.runs(id, after, limit(q.limit, 50, 200)?).await?))
}

/// The next runs (up to 5) of a timing — `{cron, time_zone}` or `{once}` — as the server computes
/// them, before it is saved; the same field errors as a save.
#[utoipa::path(post, path = "/api/v1/schedules/preview", tag = "schedules", request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 422, body = ErrorBody)))]
pub async fn preview(State(app): State<AppState>, Body(input): Body<PreviewInput>) -> Reply<Json<Preview>> {
    Ok(Json(app.schedules.preview(&input)?))
}
