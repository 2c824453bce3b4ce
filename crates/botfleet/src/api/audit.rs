//! `/api/v1/audit-logs` (admin, read only), `/api/v1/settings/security` and
//! `/api/v1/settings/retention` (admin), with `/settings/retention/run` (a retention job now).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params};
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::audit::{self, AuditQuery, AuditRow};
use crate::auth::settings::SecuritySettings;
use crate::auth::Principal;
use crate::jobs::model::Job;
use crate::logs::search::LogPage;
use crate::retention::{RetentionOverrides, RetentionSettings};

type Reply<T> = Result<T, ApiError>;

/// Audit rows, newest first: action rows (who changed what) and security events.
#[utoipa::path(get, path = "/api/v1/audit-logs", tag = "audit", params(AuditQuery),
    responses((status = 200, body = LogPage<AuditRow>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<AuditQuery>) -> Reply<Json<LogPage<AuditRow>>> {
    Ok(Json(audit::list(&app.store, &q).await?))
}

/// The security settings.
#[utoipa::path(get, path = "/api/v1/settings/security", tag = "audit", responses((status = 200, body = SecuritySettings)))]
pub async fn settings(State(app): State<AppState>) -> Json<SecuritySettings> {
    Json(app.auth.settings())
}

/// Changes the security settings (e.g. require two-factor for admins).
#[utoipa::path(put, path = "/api/v1/settings/security", tag = "audit", request_body = SecuritySettings,
    responses((status = 200, body = SecuritySettings), (status = 422, body = ErrorBody)))]
pub async fn save_settings(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(new): Body<SecuritySettings>,
) -> Reply<Json<SecuritySettings>> {
    let old = app.auth.save_settings(new.clone()).await?;
    if old != new {
        trail.record("settings.security", "settings", "security", audit::diff(&old, &new, &[]));
    }
    Ok(Json(new))
}

/// How many days each growing table keeps its rows (0: forever): the flags' defaults with the
/// stored overrides applied.
#[utoipa::path(get, path = "/api/v1/settings/retention", tag = "audit", responses((status = 200, body = RetentionSettings)))]
pub async fn retention(State(app): State<AppState>) -> Reply<Json<RetentionSettings>> {
    Ok(Json(app.retention.settings().await?))
}

/// Sets the retention overrides, replacing the stored ones: each field given (1 to 3650 days, or
/// 0 to keep forever) replaces its flag's default, a field left out returns to it. Answers the
/// settings now in force; the next daily sweep applies them.
#[utoipa::path(put, path = "/api/v1/settings/retention", tag = "audit", request_body = RetentionOverrides,
    responses((status = 200, body = RetentionSettings), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_retention(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(overrides): Body<RetentionOverrides>,
) -> Reply<Json<RetentionSettings>> {
    let (old, new) = app.retention.save(&overrides).await?;
    if old != new {
        trail.record("settings.retention", "settings", "retention", audit::diff(&old, &new, &[]));
    }
    Ok(Json(new))
}

/// Runs retention now, as a job (the daily run does the same): deletes the rows past the settings
/// in force, one item per table. Answers `202` with the job; follow it at `/api/v1/jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/settings/retention/run", tag = "audit",
    responses((status = 202, body = Job), (status = 403, body = ErrorBody)))]
pub async fn run_retention(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
) -> Reply<(StatusCode, Json<Job>)> {
    let job = app.jobs.submit_retention(&creator(&principal), None).await?;
    trail.record("retention.run", "job", job.id, serde_json::json!({"days": job.params["days"]}));
    Ok((StatusCode::ACCEPTED, Json(job)))
}
