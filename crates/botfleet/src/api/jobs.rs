//! `/api/v1/jobs`: background jobs — list, one with its items, cancel, retry. Reading needs
//! `jobs.read`; cancelling or retrying a job needs the permission that starts it (`Job::action`: its
//! kind's, or for an export the one that reads its source). An export's file: `api::exports`.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{Params, PathId, PathIds};
use super::guard::AuditTrail;
use super::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::jobs::model::{Job, JobItem, JobKind, JobState};
use crate::jobs::repo::{self, JobQuery};
use crate::page::{limit, Cursor, Limit, Page};

type Reply<T> = Result<T, ApiError>;

/// Filters of `GET /jobs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// `bots_bulk`, `retention`, `export` or `messages`.
    #[param(pattern = r"^(?:bots_bulk|retention|export|messages)$")]
    pub kind: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed`, `partial` or `cancelled`.
    #[param(pattern = r"^(?:queued|running|succeeded|failed|partial|cancelled)$")]
    pub state: Option<String>,
    /// Who started it, as shown in `created_by` (`user alice`, `key ci`).
    pub created_by: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Limit>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListQuery),
    responses((status = 200, body = Page<Job>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<JobListQuery>) -> Reply<Json<Page<Job>>> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            JobKind::parse(k)
                .ok_or_else(|| Error::field("kind", "must be bots_bulk, retention, export or messages"))?,
        ),
    };
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(JobState::parse(s).ok_or_else(|| {
            Error::field("state", "must be queued, running, succeeded, failed, partial or cancelled")
        })?),
    };
    let query = JobQuery {
        kind,
        state,
        created_by: q.created_by,
        after: q.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit: limit(q.limit, 50, 200)?,
    };
    Ok(Json(repo::list(app.jobs.store(), &query).await?))
}

/// Paging of a job's items.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// From `items.next_cursor` of the previous answer.
    pub cursor: Option<String>,
    /// Items per page: 1 to 1,000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<Limit>,
}

/// A job with a page of its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: Job,
    pub items: Page<JobItem>,
}

/// One job, with its items in order (a page at a time).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = i64, Path), ItemsQuery),
    responses((status = 200, body = JobDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    PathId(id): PathId,
    Params(q): Params<ItemsQuery>,
) -> Reply<Json<JobDetail>> {
    let after = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let per_page = limit(q.limit, 100, 1000)?;
    let job = repo::get(app.jobs.store(), id).await?;
    let items = repo::items(app.jobs.store(), id, after, per_page).await?;
    Ok(Json(JobDetail { job, items }))
}

/// Cancels a job: a queued one at once, a running one after the items running now (the answer
/// says `cancel_requested`; its state turns `cancelled` when they end).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
) -> Reply<Json<Job>> {
    may_act_on(&app, &principal, id).await?;
    let job = app.jobs.cancel(id).await?;
    trail.record("jobs.cancel", "job", id, json!({"kind": job.kind.as_str(), "state": job.state.as_str()}));
    Ok(Json(job))
}

/// Runs a finished job's failed, unknown and cancelled items again.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
) -> Reply<Json<Job>> {
    may_act_on(&app, &principal, id).await?;
    let job = app.jobs.retry(id).await?;
    trail.record("jobs.retry", "job", id, json!({"kind": job.kind.as_str(), "attempt": job.attempts}));
    Ok(Json(job))
}

/// Marks a failed item of an ended job, or one whose outcome is unknown (a message that may have
/// been posted), as not to be run: it no longer counts as failed, and a retry leaves it alone.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/items/{seq}/skip", tag = "jobs",
    params(("id" = i64, Path), ("seq" = i64, Path, description = "The item's place in the job (1, 2, …)")),
    responses((status = 200, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn skip(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathIds(id, seq): PathIds,
) -> Reply<Json<Job>> {
    may_act_on(&app, &principal, id).await?;
    let job = app.jobs.skip(id, seq).await?;
    trail.record("jobs.skip", "job", id, json!({"kind": job.kind.as_str(), "seq": seq}));
    Ok(Json(job))
}

/// Cancelling or retrying a job needs the permission that starts it ([`Job::action`]: its kind's,
/// or for an export the one that reads its source); 404 for no such job.
async fn may_act_on(app: &AppState, principal: &Principal, id: i64) -> Result<(), ApiError> {
    let job = repo::get(app.jobs.store(), id).await?;
    Ok(principal.may(job.action())?)
}

/// Who started a job, as `created_by` shows it.
pub fn creator(principal: &Principal) -> String {
    match principal.credential {
        crate::auth::Credential::ApiKey { .. } => format!("key {}", principal.name),
        _ => format!("user {}", principal.name),
    }
}
