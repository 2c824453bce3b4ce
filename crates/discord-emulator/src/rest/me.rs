//! The bot's own identity and the gateway's address: `/users/@me`, `/oauth2/applications/@me`,
//! `/gateway`, `/gateway/bot`, and opening a DM.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::error::{json_body, snowflake, ApiError};
use super::BotApp;
use crate::shared::Shared;
use crate::world::json as render;

/// `GET /gateway`.
pub async fn gateway(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"url": shared.ws_url}))
}

/// `GET /gateway/bot`: the URL, recommended shards and the session-start budget.
pub async fn gateway_bot(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app_id)): Extension<BotApp>,
) -> Result<Json<Value>, ApiError> {
    let now = shared.clock.now();
    let state = shared.state();
    let app = state.applications.get(&app_id).ok_or_else(ApiError::unauthorized)?;
    let guilds = state.guilds.values().filter(|g| g.members.contains_key(&app.bot_user_id)).count();
    let window = shared.config.session_start_window;
    let (start, used) = app.session_starts;
    let elapsed = now.saturating_duration_since(start);
    let (used, reset_after) = if elapsed >= window { (0, window) } else { (used, window - elapsed) };
    Ok(Json(json!({
        "url": shared.ws_url,
        "shards": guilds.div_ceil(app.max_guilds_per_shard).max(1),
        "session_start_limit": {
            "total": app.session_start_total,
            "remaining": app.session_start_total.saturating_sub(used),
            "reset_after": reset_after.as_millis(),
            "max_concurrency": app.max_concurrency,
        }
    })))
}

/// `GET /users/@me`.
pub async fn current_user(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app_id)): Extension<BotApp>,
) -> Result<Json<Value>, ApiError> {
    let state = shared.state();
    let user = state
        .applications
        .get(&app_id)
        .and_then(|a| state.users.get(&a.bot_user_id))
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(render::current_user(user)))
}

/// `GET /oauth2/applications/@me` (and `/applications/@me`); `flags` tells which privileged
/// intents are enabled.
pub async fn current_application(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app_id)): Extension<BotApp>,
) -> Result<Json<Value>, ApiError> {
    let state = shared.state();
    let app = state.applications.get(&app_id).ok_or_else(ApiError::unauthorized)?;
    Ok(Json(render::application(&state, app)))
}

/// `POST /users/@me/channels` with `{recipient_id}`: the DM channel with a user.
pub async fn create_dm(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app_id)): Extension<BotApp>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(&body)?;
    let recipient = match body.get("recipient_id") {
        Some(Value::String(s)) => snowflake("recipient_id", s)?,
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| ApiError::not_snowflake("recipient_id", &n.to_string()))?,
        _ => return Err(ApiError::invalid_field("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")),
    };
    let mut state = shared.state();
    let bot = state.applications.get(&app_id).map(|a| a.bot_user_id).ok_or_else(ApiError::unauthorized)?;
    let channel_id = state.dm_channel(recipient, bot)?;
    let channel = state.channels.get(&channel_id).ok_or_else(ApiError::unknown_channel)?;
    let mut v = render::channel(channel);
    let recipients: Vec<Value> = state.users.get(&recipient).map(render::user).into_iter().collect();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("recipients".into(), json!(recipients));
    }
    Ok(Json(v))
}

/// `GET /users/@me/guilds?before&after&limit&with_counts`: the servers the bot is in, as partial
/// guilds (`id`, `name`, `icon`, `banner`, `owner`, `permissions`, `features`; the approximate
/// counts with `with_counts=true`), ascending by id, at most `limit` (1–200, default 200).
pub async fn current_user_guilds(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app_id)): Extension<BotApp>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = match q.get("limit") {
        None => 200,
        Some(l) => match l.parse::<usize>() {
            Ok(n @ 1..=200) => n,
            _ => {
                return Err(ApiError::invalid_field(
                    "limit",
                    "NUMBER_TYPE_MAX",
                    "int value should be between 1 and 200",
                ))
            }
        },
    };
    let bound = |k: &str| q.get(k).map(|v| snowflake(k, v)).transpose();
    let (before, after) = (bound("before")?, bound("after")?);
    let counts = q.get("with_counts").is_some_and(|v| v == "true");
    let state = shared.state();
    let bot = state.applications.get(&app_id).map(|a| a.bot_user_id).ok_or_else(ApiError::unauthorized)?;
    let mine = state.guilds.values().filter(|g| g.members.contains_key(&bot));
    let mut picked: Vec<_> =
        mine.filter(|g| after.is_none_or(|a| g.id > a) && before.is_none_or(|b| g.id < b)).collect();
    picked.sort_by_key(|g| g.id);
    // With `before` alone, Discord returns the guilds just below it.
    if before.is_some() && after.is_none() {
        picked = picked.split_off(picked.len().saturating_sub(limit));
    }
    picked.truncate(limit);
    let list: Vec<Value> = picked
        .into_iter()
        .map(|g| {
            let mut v = json!({
                "id": g.id.to_string(),
                "name": g.name,
                "icon": null,
                "banner": null,
                "owner": g.owner_id == bot,
                "permissions": crate::world::permissions::base(g, bot).to_string(),
                "features": [],
            });
            if counts {
                v["approximate_member_count"] = json!(g.members.len());
                v["approximate_presence_count"] = json!(0);
            }
            v
        })
        .collect();
    Ok(Json(json!(list)))
}
