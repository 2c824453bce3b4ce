//! `/api/v1/api-keys` (admin): create a key with a role or scopes (the key is in that one
//! response; a caller grants only permissions it holds, else 403), list, read and revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::{AuditTrail, Caller};
use super::respond::NoStore;
use super::AppState;
use crate::audit;
use crate::auth::keys::{self, Grant, KeyView};
use crate::auth::{Action, Principal, Role};
use crate::error::{Error, FieldError};
use crate::page::{Page, PageQuery};

type Reply<T> = Result<T, ApiError>;

/// `POST /api-keys`: a name, and either a role or scopes (actions of the permission table).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// 1 to 100 characters (spaces around it are trimmed), what the key is for.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    pub role: Option<Role>,
    /// Action names, e.g. `["logs.read", "bots.read"]`.
    #[schema(min_items = 1)]
    pub scopes: Option<Vec<String>>,
    /// RFC 3339 time in the future; absent: the key does not expire.
    pub expires_at: Option<String>,
}

/// A new key: `key` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// `bf_…`: store it now, it cannot be shown again.
    pub key: String,
    pub api_key: KeyView,
}

fn validate(app: &AppState, req: &CreateKey) -> Result<(String, Grant, Option<i64>), Error> {
    let mut errors = Vec::new();
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    } else {
        crate::text::push(&mut errors, "name", &name, crate::text::Lines::Single);
    }
    let grant = match (&req.role, &req.scopes) {
        (Some(role), None) => Some(Grant::Role(*role)),
        (None, Some(scopes)) if !scopes.is_empty() => {
            let mut actions = Vec::new();
            for (i, s) in scopes.iter().enumerate() {
                match Action::parse(s).filter(|a| a.scopable()) {
                    Some(a) if !actions.contains(&a) => actions.push(a),
                    Some(_) => {}
                    None => errors.push(FieldError::new(
                        format!("scopes[{i}]"),
                        format!("{s:?} is not an action a key can hold; see the permission table in docs/api.md"),
                    )),
                }
            }
            Some(Grant::Scopes(actions))
        }
        _ => {
            errors.push(FieldError::new("role", "give either role or a non-empty scopes list"));
            None
        }
    };
    let expires_at = match req.expires_at.as_deref().map(|t| crate::time::parse("expires_at", t)).transpose() {
        Ok(Some(t)) if t <= app.auth.clock().now_ms() => {
            errors.push(FieldError::new("expires_at", "must be in the future"));
            None
        }
        Ok(t) => t,
        Err(Error::Validation(f)) => {
            errors.extend(f);
            None
        }
        Err(e) => return Err(e),
    };
    match grant {
        Some(g) if errors.is_empty() => Ok((name, g, expires_at)),
        _ => Err(Error::Validation(errors)),
    }
}

/// Keys newest first, a page at a time (never the keys themselves; `{items, next_cursor}`: a bare array before, see docs/api.md "Changes").
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(PageQuery),
    responses((status = 200, body = Page<KeyView>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<KeyView>>> {
    let (limit, after) = (q.limit()?, q.after()?);
    Ok(Json(keys::page(&app.store, after, limit).await?))
}

/// Creates a key holding only permissions the caller holds; the answer holds the key, shown this
/// once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateKey,
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    Body(req): Body<CreateKey>,
) -> Reply<NoStore<(StatusCode, Json<CreatedKey>)>> {
    let (name, grant, expires_at) = validate(&app, &req)?;
    let (key, view) = app.auth.create_key(&name, &grant, expires_at, &principal, &caller.client).await?;
    trail.record(
        "api_keys.create",
        "api_key",
        view.id,
        audit::created(&view, &["name", "role", "scopes", "expires_at"]),
    );
    Ok(NoStore((StatusCode::CREATED, Json(CreatedKey { key, api_key: view }))))
}

/// One key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 200, body = KeyView), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<KeyView>> {
    Ok(Json(keys::get(&app.store, id).await?))
}

/// Revokes a key (it stops working at once; the record stays).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    PathId(id): PathId,
) -> Reply<StatusCode> {
    if app.auth.revoke_key(id, &principal, &caller.client).await? {
        trail.record("api_keys.revoke", "api_key", id, serde_json::json!({"revoked": {"old": false, "new": true}}));
    }
    Ok(StatusCode::NO_CONTENT)
}
