//! `/webhooks/{id}/{token}…`: channel webhooks, or interaction follow-ups when the id is an
//! application's — told apart by the id, as Discord does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::error::{json_body, query_bool, snowflake, ApiError};
use super::interactions;
use crate::shared::Shared;
use crate::world::json as render;
use crate::world::webhooks::WebhookError;

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Unknown => Self::unknown_webhook(),
            WebhookError::InvalidToken => Self::invalid_webhook_token(),
            WebhookError::Empty => Self::empty_message(),
            WebhookError::InvalidForm(fields) => Self::invalid_form(&fields),
            WebhookError::World(w) => w.into(),
        }
    }
}

/// The channel webhook an id names, if it is one (else the id may be an application's).
fn channel_hook(shared: &Shared, id: &str) -> Result<Option<u64>, ApiError> {
    let id = snowflake("webhook_id", id)?;
    Ok(shared.state().webhooks.contains_key(&id).then_some(id))
}

/// `GET /webhooks/{id}/{token}`.
pub async fn get(
    State(shared): State<Arc<Shared>>,
    Path((hook, token)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = channel_hook(&shared, &hook)?.ok_or_else(ApiError::unknown_webhook)?;
    let state = shared.state();
    let webhook = state.webhook(id, &token)?;
    Ok(Json(state.webhook_json(webhook)))
}

/// `POST /webhooks/{id}/{token}[?wait=true]` (`wait` and `with_components` take Discord's
/// boolean forms: discord.py sends `wait=1&with_components=0`).
pub async fn execute(
    State(shared): State<Arc<Shared>>,
    Path((hook, token)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wait = query_bool(&q, "wait")?.unwrap_or(false);
    query_bool(&q, "with_components")?;
    let Some(id) = channel_hook(&shared, &hook)? else {
        return interactions::followup(&shared, &hook, &token, &body).map(IntoResponse::into_response);
    };
    let body = json_body(&body)?;
    let mut state = shared.state();
    let message_id = state.execute_webhook(id, &token, &body)?;
    if !wait {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let channel = state.webhooks.get(&id).map(|h| h.channel_id).ok_or_else(ApiError::unknown_webhook)?;
    let message = state.message(channel, message_id).ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, message, false)).into_response())
}

/// A message this channel webhook posted: (channel id, message id).
fn own_message(shared: &Shared, id: u64, token: &str, message: &str) -> Result<(u64, u64), ApiError> {
    let message_id = snowflake("message_id", message)?;
    let state = shared.state();
    let channel = state.webhook(id, token)?.channel_id;
    state
        .message(channel, message_id)
        .filter(|m| m.deleted_at.is_none() && m.webhook_id == Some(id))
        .map(|m| (channel, m.id))
        .ok_or_else(ApiError::unknown_message)
}

/// `GET /webhooks/{id}/{token}/messages/{message_id}`.
pub async fn get_message(
    State(shared): State<Arc<Shared>>,
    Path((hook, token, message)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let Some(id) = channel_hook(&shared, &hook)? else {
        return interactions::get_message(&shared, &hook, &token, &message);
    };
    let (channel, message_id) = own_message(&shared, id, &token, &message)?;
    let state = shared.state();
    let m = state.message(channel, message_id).ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, m, false)))
}

/// `PATCH /webhooks/{id}/{token}/messages/{message_id}`.
pub async fn edit_message(
    State(shared): State<Arc<Shared>>,
    Path((hook, token, message)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(id) = channel_hook(&shared, &hook)? else {
        return interactions::edit_message(&shared, &hook, &token, &message, &body);
    };
    let (channel, message_id) = own_message(&shared, id, &token, &message)?;
    let body = json_body(&body)?;
    let content = body.get("content").and_then(Value::as_str).map(str::to_owned);
    let embeds = body.get("embeds").and_then(Value::as_array).cloned();
    let errors = crate::world::limits::check_limits(
        content.as_deref().unwrap_or_default(),
        embeds.as_deref().unwrap_or_default(),
    );
    if !errors.is_empty() {
        return Err(ApiError::invalid_form(&errors));
    }
    let mut state = shared.state();
    state.edit_message(channel, message_id, content, embeds, None)?;
    let m = state.message(channel, message_id).ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, m, false)))
}

/// `DELETE /webhooks/{id}/{token}/messages/{message_id}`.
pub async fn delete_message(
    State(shared): State<Arc<Shared>>,
    Path((hook, token, message)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let Some(id) = channel_hook(&shared, &hook)? else {
        return interactions::delete_message(&shared, &hook, &token, &message);
    };
    let (channel, message_id) = own_message(&shared, id, &token, &message)?;
    shared.state().delete_message(channel, message_id)?;
    Ok(StatusCode::NO_CONTENT)
}
