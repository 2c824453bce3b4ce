//! `/api/v1/users` (admin): accounts, their role, password resets and ending their sessions. A
//! caller manages only users whose role's permissions it holds (403 otherwise), and the last admin
//! stays (409).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::{AuditTrail, Caller};
use super::AppState;
use crate::audit;
use crate::auth::users::{self, UserView};
use crate::auth::{Principal, Role};
use crate::page::{Page, PageQuery};
use crate::secrets::Secret;

type Reply<T> = Result<T, ApiError>;

const AUDITED: &[&str] = &["username", "role", "totp_enabled"];

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 64 of a-z, 0-9, `.`, `_`, `-`, `@` (stored in lower case).
    #[schema(pattern = r"^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    /// 10 to 256 characters.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 256)]
    pub password: String,
    pub role: Role,
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub role: Role,
}

/// `PUT /users/{id}/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// 10 to 256 characters.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 256)]
    pub password: String,
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsEnded {
    pub sessions_ended: u64,
}

/// Users by name, a page at a time (`{items, next_cursor}`: a bare array before 0.x, see docs/api.md "Changes").
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page<UserView>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<UserView>>> {
    let (limit, after) = (q.limit()?, q.after_key()?);
    Ok(Json(users::list(&app.store, after.as_ref(), limit).await?))
}

/// Creates a user (with a role whose permissions the caller holds).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    principal: Principal,
    trail: AuditTrail,
    Body(req): Body<CreateUser>,
) -> Reply<(StatusCode, Json<UserView>)> {
    let user = app.auth.add_user(&principal, &req.username, &Secret::new(req.password), req.role).await?;
    trail.record("users.create", "user", user.id, audit::created(&user, AUDITED));
    Ok((StatusCode::CREATED, Json(user)))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<UserView>> {
    Ok(Json(users::get(&app.store, id).await?))
}

/// Changes a user's role (the caller holds the old role's and the new role's permissions; the
/// last admin cannot be demoted).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<UpdateUser>,
) -> Reply<Json<UserView>> {
    let (old, new) = app.auth.set_role(id, req.role, &principal).await?;
    if old.role != new.role {
        trail.record("users.update", "user", id, audit::diff(&old, &new, &["role"]));
    }
    Ok(Json(new))
}

/// Sets a user's password (a reset by an admin); all their sessions end.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = i64, Path)), request_body = ResetPassword,
    responses((status = 200, body = SessionsEnded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<ResetPassword>,
) -> Reply<Json<SessionsEnded>> {
    let ended = app.auth.reset_password(id, &Secret::new(req.password), &principal, &caller.client).await?;
    trail.record("users.password", "user", id, json!({"password": "(changed)", "sessions_ended": ended}));
    Ok(Json(SessionsEnded { sessions_ended: ended }))
}

/// Ends every session of a user (signs them out everywhere).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = SessionsEnded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_sessions(
    State(app): State<AppState>,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
) -> Reply<Json<SessionsEnded>> {
    let ended = app.auth.end_sessions(id, &principal).await?;
    if ended > 0 {
        trail.record("users.end_sessions", "user", id, json!({"sessions": {"old": ended, "new": 0}}));
    }
    Ok(Json(SessionsEnded { sessions_ended: ended }))
}

/// Lifts a user's sign-in lock: failed sign-ins lock an account (for its owner too) until the
/// lock runs out; an admin lifts it here (or `botfleet user unlock`). Idempotent: an account that
/// is not locked is answered as it is.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
) -> Reply<Json<UserView>> {
    let (before, after) = app.auth.unlock_user(id, &principal, &caller.client).await?;
    if before.locked_until.is_some() {
        trail.record("users.unlock", "user", id, json!({"locked_until": {"old": before.locked_until, "new": null}}));
    }
    Ok(Json(after))
}

/// Deletes a user (not yourself, not the last admin).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<AppState>,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
) -> Reply<StatusCode> {
    let old = app.auth.delete_user(id, &principal).await?;
    trail.record("users.delete", "user", id, audit::removed(&old, AUDITED));
    Ok(StatusCode::NO_CONTENT)
}
