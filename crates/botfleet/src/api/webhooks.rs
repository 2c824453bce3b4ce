//! `/api/v1/webhooks`: outgoing webhooks for any event — made and changed by admins, with their
//! delivery history, "Send test" and "Resume" after an automatic pause.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::audit;
use crate::page::{Page, PageQuery};
use crate::webhooks::model::{
    check_create, check_update, CreateWebhook, DeliveryView, TestResult, UpdateWebhook, WebhookView,
};
use crate::webhooks::repo;

type Reply<T> = Result<T, ApiError>;

/// Fields an audit row compares (never the URL or the secret).
const FIELDS: &[&str] = &["name", "kind", "target", "has_secret", "events", "filters", "state", "paused_reason"];

fn now(app: &AppState) -> i64 {
    app.auth.clock().now_ms()
}

/// Webhooks, a page at a time (URLs without their secret parts).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageQuery),
    responses((status = 200, body = Page<WebhookView>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<WebhookView>>> {
    let (limit, after) = (q.limit()?, q.after()?);
    Ok(Json(repo::page(&app.store, after, limit).await?))
}

/// Makes a webhook: the events it wants, its filters, and where it delivers.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = WebhookView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(req): Body<CreateWebhook>,
) -> Reply<(StatusCode, Json<WebhookView>)> {
    let checked = check_create(&req)?;
    let webhook = repo::insert(&app.store, &app.cipher, req.kind, &checked, now(&app)).await?;
    app.webhooks.reload().await?;
    trail.record("webhooks.create", "webhook", webhook.id, audit::created(&webhook, FIELDS));
    Ok((StatusCode::CREATED, Json(webhook)))
}

/// One webhook.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<WebhookView>> {
    Ok(Json(repo::get(&app.store, id).await?))
}

/// Changes a webhook (all but its URL and secret, which stay unless given); `version` must be the
/// current one.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<UpdateWebhook>,
) -> Reply<Json<WebhookView>> {
    let before = repo::get(&app.store, id).await?;
    let checked = check_update(before.kind, &req)?;
    let after = repo::update(&app.store, &app.cipher, id, req.version, &checked, now(&app)).await?;
    app.webhooks.reload().await?;
    let mut changes = audit::diff(&before, &after, FIELDS);
    if checked.url.is_some() || checked.secret.is_some() {
        changes["credentials"] = serde_json::json!("(changed)");
    }
    trail.record("webhooks.update", "webhook", id, changes);
    Ok(Json(after))
}

/// Deletes a webhook and its delivery history.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::delete(&app.store, id).await?;
    app.webhooks.reload().await?;
    trail.record("webhooks.delete", "webhook", id, audit::removed(&old, FIELDS));
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's deliveries, newest first: each event, its attempts, the receiver's last answer.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = Page<DeliveryView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn deliveries(
    State(app): State<AppState>,
    PathId(id): PathId,
    Params(q): Params<PageQuery>,
) -> Reply<Json<Page<DeliveryView>>> {
    let (limit, before) = (q.limit()?, q.after()?);
    repo::get(&app.store, id).await?;
    Ok(Json(repo::deliveries(&app.store, id, before, limit).await?))
}

/// "Send test": one test message now; whether the receiver took it (kept in the history).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = ErrorBody)))]
pub async fn send_test(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<TestResult>> {
    let result = app.webhooks.send_test(id).await?;
    trail.record("webhooks.test", "webhook", id, serde_json::json!({"delivered": result.delivered}));
    Ok(Json(result))
}

/// Resumes a paused webhook: its waiting deliveries go out again.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/resume", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn resume(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<WebhookView>> {
    let before = repo::get(&app.store, id).await?;
    let after = repo::set_state(&app.store, id, None, now(&app)).await?;
    app.webhooks.reload().await?;
    app.webhooks.wake();
    trail.record("webhooks.resume", "webhook", id, audit::diff(&before, &after, FIELDS));
    Ok(Json(after))
}

/// Pauses a webhook by hand: its deliveries wait until it is resumed.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/pause", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn pause(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<WebhookView>> {
    let before = repo::get(&app.store, id).await?;
    let after = repo::set_state(&app.store, id, Some(crate::webhooks::PAUSED_BY_HAND), now(&app)).await?;
    app.webhooks.reload().await?;
    trail.record("webhooks.pause", "webhook", id, audit::diff(&before, &after, FIELDS));
    Ok(Json(after))
}
