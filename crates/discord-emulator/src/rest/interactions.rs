//! Answering interactions: the callback endpoint and the interaction webhooks (follow-ups and
//! the original response), authorised by the interaction token instead of the bot token. The
//! `/webhooks` routes themselves live in `webhooks.rs`, which sends application ids here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::{json_body, query_bool, snowflake, ApiError};
use crate::shared::Shared;
use crate::world::interactions::{Callback, InteractionError};
use crate::world::json as render;
use crate::world::model::{EPHEMERAL, LOADING};

/// `POST /interactions/{id}/{token}/callback` (`?with_response=true`, or any of Discord's
/// boolean forms such as `1`, returns what was created).
pub async fn callback(
    State(shared): State<Arc<Shared>>,
    Path((id, token)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = snowflake("interaction_id", &id)?;
    let with_response = query_bool(&q, "with_response")?.unwrap_or(false);
    let body = json_body(&body)?;
    let callback: Callback = serde_json::from_value(body)
        .map_err(|_| ApiError::invalid_field("type", "BASE_TYPE_REQUIRED", "This field is required"))?;
    let kind = callback.kind;
    let mut state = shared.state();
    let message_id = state.interaction_callback(id, &token, callback, shared.config.interaction_response_deadline)?;
    if !with_response {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let i = state.interactions.get(&id).ok_or_else(ApiError::unknown_interaction)?;
    let message = message_id.and_then(|m| state.message(i.channel_id, m));
    let flags = message.map_or(0, |m| m.flags);
    let mut resource = json!({"type": kind});
    if let (Some(m), Some(obj)) = (message, resource.as_object_mut()) {
        obj.insert("message".into(), render::message(&state, m, false));
    }
    Ok(Json(json!({
        "interaction": {
            "id": id.to_string(),
            "type": i.kind,
            "activity_instance_id": null,
            "response_message_id": message_id.map(|m| m.to_string()),
            "response_message_loading": flags & LOADING != 0,
            "response_message_ephemeral": flags & EPHEMERAL != 0,
        },
        "resource": resource,
    }))
    .into_response())
}

fn webhook_interaction(shared: &Shared, webhook_id: &str, token: &str) -> Result<u64, ApiError> {
    let app = snowflake("webhook_id", webhook_id)?;
    shared.state().interaction_by_token(app, token, shared.config.interaction_token_lifetime).map_err(|e| match e {
        InteractionError::Unknown => ApiError::unknown_webhook(),
        other => other.into(),
    })
}

fn message_json(shared: &Shared, interaction: u64, message_id: u64) -> Result<Json<Value>, ApiError> {
    let state = shared.state();
    let channel = state.interactions.get(&interaction).map(|i| i.channel_id).ok_or_else(ApiError::unknown_webhook)?;
    let m =
        state.message(channel, message_id).filter(|m| m.deleted_at.is_none()).ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, m, false)))
}

fn message_target(message_id: &str) -> Result<Option<u64>, ApiError> {
    if message_id == "@original" {
        Ok(None)
    } else {
        snowflake("message_id", message_id).map(Some)
    }
}

/// `POST /webhooks/{application_id}/{token}`: an interaction follow-up.
pub fn followup(shared: &Shared, hook: &str, token: &str, body: &[u8]) -> Result<Json<Value>, ApiError> {
    let id = webhook_interaction(shared, hook, token)?;
    let body = json_body(body)?;
    let message_id = shared.state().interaction_followup(id, &body)?;
    message_json(shared, id, message_id)
}

/// `GET /webhooks/{application_id}/{token}/messages/{message_id|@original}`.
pub fn get_message(shared: &Shared, hook: &str, token: &str, message: &str) -> Result<Json<Value>, ApiError> {
    let id = webhook_interaction(shared, hook, token)?;
    let target = match message_target(message)? {
        Some(m) => m,
        None => shared
            .state()
            .interactions
            .get(&id)
            .and_then(|i| i.original_message_id)
            .ok_or_else(ApiError::unknown_message)?,
    };
    message_json(shared, id, target)
}

/// `PATCH /webhooks/{application_id}/{token}/messages/{message_id|@original}`.
pub fn edit_message(
    shared: &Shared,
    hook: &str,
    token: &str,
    message: &str,
    body: &[u8],
) -> Result<Json<Value>, ApiError> {
    let id = webhook_interaction(shared, hook, token)?;
    let target = message_target(message)?;
    let body = json_body(body)?;
    let edited = shared.state().edit_interaction_message(id, target, &body)?;
    message_json(shared, id, edited)
}

/// `DELETE /webhooks/{application_id}/{token}/messages/{message_id|@original}`.
pub fn delete_message(shared: &Shared, hook: &str, token: &str, message: &str) -> Result<StatusCode, ApiError> {
    let id = webhook_interaction(shared, hook, token)?;
    let target = message_target(message)?;
    shared.state().delete_interaction_message(id, target)?;
    Ok(StatusCode::NO_CONTENT)
}
