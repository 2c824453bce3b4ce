//! The status page: its settings (`/api/v1/status-page`, admin) and the public page itself
//! (`/status`, `/status.json`: anyone, no credential, cacheable with `ETag` and `If-None-Match`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::Body;
use super::guard::AuditTrail;
use super::AppState;
use crate::audit;
use crate::cache::Topic;
use crate::status_page::model::{PublicStatus, StatusPageChange, StatusPageSettings};

type Reply<T> = Result<T, ApiError>;

/// What browsers and proxies may keep, as long as the page is computed.
const CACHE_CONTROL: &str = "public, max-age=30";

/// The status page's settings: whether it is on, its title, the bots it shows and their labels.
#[utoipa::path(get, path = "/api/v1/status-page", tag = "status-page",
    responses((status = 200, body = StatusPageSettings)))]
pub async fn settings(State(app): State<AppState>) -> Reply<Json<StatusPageSettings>> {
    Ok(Json(app.status_page.settings().await?))
}

/// Replaces the status page's settings (at the version it was read at: 409 when someone changed
/// it since). Bots are shown in the order given; a label left out or blank shows the bot's name.
#[utoipa::path(put, path = "/api/v1/status-page", tag = "status-page", request_body = StatusPageChange,
    responses((status = 200, body = StatusPageSettings), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(change): Body<StatusPageChange>,
) -> Reply<Json<StatusPageSettings>> {
    let (old, new) = app.status_page.save(change).await?;
    // The other nodes drop their copy of the page too.
    app.caching.bus.changed(Topic::StatusPage).await;
    let fields = ["enabled", "title", "bots"];
    let changes = audit::diff(&public_fields(&old), &public_fields(&new), &fields);
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("status_page.update", "settings", "status_page", changes);
    }
    Ok(Json(new))
}

/// What an audit row records of the settings: the bots by id and label.
fn public_fields(s: &StatusPageSettings) -> serde_json::Value {
    let bots: Vec<_> = s.bots.iter().map(|b| serde_json::json!({"bot_id": b.bot_id, "label": b.label})).collect();
    serde_json::json!({"enabled": s.enabled, "title": s.title, "bots": bots})
}

/// Whether the request's `If-None-Match` names `etag` (or `*`); weak tags compare by their value.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
        },
    )
}

/// The page's answer: 404 while it is off, 304 for a copy still current, else the body.
async fn page(app: &AppState, headers: &HeaderMap, html: bool) -> Response {
    let rendered = match app.status_page.current().await {
        Ok(Some(r)) => r,
        Ok(None) => {
            let mut off =
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no status page here").into_response();
            off.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return off;
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (body, content_type) =
        if html { (&rendered.html, "text/html; charset=utf-8") } else { (&rendered.json, "application/json") };
    let mut response = if not_modified(headers, &body.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body.text.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(tag) = HeaderValue::from_str(&body.etag) {
        h.insert(header::ETAG, tag);
    }
    if html {
        if let Ok(csp) = HeaderValue::from_str(crate::status_page::render::content_security_policy()) {
            h.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// The public status page as HTML (no JavaScript): 404 while it is off. `ETag` and
/// `Cache-Control: public, max-age=30`; `If-None-Match` with the current tag answers 304.
#[utoipa::path(get, path = "/status", tag = "status-page",
    responses((status = 200, description = "The page", content_type = "text/html"),
        (status = 304, description = "The copy named by If-None-Match is current"),
        (status = 404, body = ErrorBody, description = "The status page is off")))]
pub async fn html(State(app): State<AppState>, headers: HeaderMap) -> Response {
    page(&app, &headers, true).await
}

/// The public status page's facts as JSON (what `/status` shows): 404 while it is off; cached
/// like `/status`.
#[utoipa::path(get, path = "/status.json", tag = "status-page",
    responses((status = 200, body = PublicStatus),
        (status = 304, description = "The copy named by If-None-Match is current"),
        (status = 404, body = ErrorBody, description = "The status page is off")))]
pub async fn json(State(app): State<AppState>, headers: HeaderMap) -> Response {
    page(&app, &headers, false).await
}
