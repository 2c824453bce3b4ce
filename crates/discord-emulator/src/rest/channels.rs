//! Guilds, channels and messages as a bot sees them, with Discord's permission checks
//! (50001 Missing Access, 50013 Missing Permissions) and message validation (50006, 50035).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::error::{json_body, json_text, snowflake, ApiError};
use super::BotApp;
use crate::shared::Shared;
use crate::world::limits::{check_limits, is_empty};
use crate::world::messages::AllowedMentions;
use crate::world::model::NewMessage;
use crate::world::views::MessageView;
use crate::world::{json as render, permissions, State as World};

fn bot_user(state: &World, app_id: u64) -> Result<u64, ApiError> {
    state.applications.get(&app_id).map(|a| a.bot_user_id).ok_or_else(ApiError::unauthorized)
}

/// Checks the bot can see a channel and holds `needed`; returns its permissions.
fn access(state: &World, app_id: u64, channel_id: u64, needed: u64) -> Result<u64, ApiError> {
    let bot = bot_user(state, app_id)?;
    let perms = state.permissions(channel_id, bot)?;
    if perms & permissions::VIEW_CHANNEL == 0 {
        return Err(ApiError::missing_access());
    }
    if perms & needed != needed {
        return Err(ApiError::missing_permissions());
    }
    Ok(perms)
}

/// A guild the bot is in: 10004 when there is none, 50001 when the bot is not in it.
fn guild_of_bot(state: &crate::world::State, guild_id: u64, bot: u64) -> Result<&crate::world::model::Guild, ApiError> {
    let guild = state.guilds.get(&guild_id).ok_or_else(ApiError::unknown_guild)?;
    if !guild.members.contains_key(&bot) {
        return Err(ApiError::missing_access());
    }
    Ok(guild)
}

/// `GET /guilds/{guild_id}`.
pub async fn get_guild(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(guild_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let guild_id = snowflake("guild_id", &guild_id)?;
    let state = shared.state();
    let bot = bot_user(&state, app)?;
    let guild = guild_of_bot(&state, guild_id, bot)?;
    let mut v = render::guild_create(&state, guild, bot);
    if let Some(obj) = v.as_object_mut() {
        for k in ["members", "channels", "threads", "presences", "voice_states", "joined_at", "large", "member_count"] {
            obj.remove(k);
        }
    }
    Ok(Json(v))
}

/// `GET /guilds/{guild_id}/roles`: the server's roles (`@everyone`'s id is the server's).
pub async fn guild_roles(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(guild_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let guild_id = snowflake("guild_id", &guild_id)?;
    let state = shared.state();
    let bot = bot_user(&state, app)?;
    let guild = guild_of_bot(&state, guild_id, bot)?;
    Ok(Json(json!(guild.roles.iter().map(render::role).collect::<Vec<_>>())))
}

/// `GET /guilds/{guild_id}/members/{user_id}`: one member, with its user.
pub async fn guild_member(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((guild_id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let guild_id = snowflake("guild_id", &guild_id)?;
    let user_id = snowflake("user_id", &user_id)?;
    let state = shared.state();
    let bot = bot_user(&state, app)?;
    let guild = guild_of_bot(&state, guild_id, bot)?;
    let member = guild.members.get(&user_id).ok_or_else(ApiError::unknown_member)?;
    Ok(Json(render::member(&state, member, true)))
}

/// `GET /guilds/{guild_id}/channels`: the channels the bot can see.
pub async fn guild_channels(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(guild_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let guild_id = snowflake("guild_id", &guild_id)?;
    let state = shared.state();
    let bot = bot_user(&state, app)?;
    let guild = guild_of_bot(&state, guild_id, bot)?;
    let list: Vec<Value> = guild
        .channel_ids
        .iter()
        .filter_map(|id| state.channels.get(id))
        .filter(|c| permissions::in_channel(guild, c, bot) & permissions::VIEW_CHANNEL != 0)
        .map(render::channel)
        .collect();
    Ok(Json(json!(list)))
}

/// `GET /channels/{channel_id}`.
pub async fn get_channel(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(channel_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let channel_id = snowflake("channel_id", &channel_id)?;
    let state = shared.state();
    access(&state, app, channel_id, 0)?;
    let channel = state.channels.get(&channel_id).ok_or_else(ApiError::unknown_channel)?;
    Ok(Json(render::channel(channel)))
}

/// The message fields of a create/edit body, type-checked.
struct MessageBody {
    content: Option<String>,
    embeds: Option<Vec<Value>>,
    components: Option<Vec<Value>>,
    tts: bool,
    flags: u64,
    message_reference: Option<Value>,
}

/// Reads the message fields of a body, moving them out of it (the rest of the body is left for
/// `allowed_mentions`, `nonce`, `enforce_nonce`).
fn parse_message_body(body: &mut Value) -> Result<MessageBody, ApiError> {
    let Some(obj) = body.as_object_mut() else {
        return Err(ApiError::invalid_field("_", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"));
    };
    let content = match obj.get_mut("content") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(std::mem::take(s)),
        Some(_) => return Err(ApiError::invalid_field("content", "BASE_TYPE_STRING", "Must be a string.")),
    };
    let mut list = |name: &str| match obj.get_mut(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(std::mem::take(a))),
        Some(_) => Err(ApiError::invalid_field(name, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")),
    };
    let embeds = list("embeds")?;
    let components = list("components")?;
    let mut errors = check_limits(content.as_deref().unwrap_or_default(), embeds.as_deref().unwrap_or_default());
    if let Some(components) = &components {
        if components.len() > 5 {
            errors.push(("components".into(), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.".into()));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_form(&errors));
    }
    Ok(MessageBody {
        content,
        embeds,
        components,
        tts: obj.get("tts").and_then(Value::as_bool).unwrap_or(false),
        flags: obj.get("flags").and_then(Value::as_u64).unwrap_or(0),
        message_reference: obj.get_mut("message_reference").map(Value::take).filter(|v| !v.is_null()),
    })
}

/// A message's `nonce`: an integer or a string of at most 25 characters (Discord's rule), as sent
/// and as the key `enforce_nonce` compares.
fn nonce_of(body: &Value) -> Result<Option<(Value, String)>, ApiError> {
    match body.get("nonce") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some((Value::Number(n.clone()), n.to_string()))),
        Some(Value::String(text)) if text.chars().count() <= 25 => {
            Ok(Some((Value::String(text.clone()), text.clone())))
        }
        Some(Value::String(_)) => {
            Err(ApiError::invalid_field("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        }
        Some(_) => Err(ApiError::invalid_field("nonce", "BASE_TYPE_BAD_TYPE", "Must be an integer or a string.")),
    }
}

/// `POST /channels/{channel_id}/messages`.
pub async fn create_message(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(channel_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let channel_id = snowflake("channel_id", &channel_id)?;
    let mut body = json_body(&body)?;
    let mut state = shared.state();
    access(&state, app, channel_id, permissions::SEND_MESSAGES)?;
    let parsed = parse_message_body(&mut body)?;
    let allowed_mentions = AllowedMentions::from_body(&body).map_err(|e| ApiError::invalid_form(&[e]))?;
    let (content, embeds, components) =
        (parsed.content.unwrap_or_default(), parsed.embeds.unwrap_or_default(), parsed.components.unwrap_or_default());
    if is_empty(&content, &embeds, &components) {
        return Err(ApiError::empty_message());
    }
    if let Some(reference) = &parsed.message_reference {
        let target = reference.get("message_id").and_then(|m| m.as_str()?.parse::<u64>().ok());
        let exists = target.and_then(|id| state.message(channel_id, id)).is_some_and(|m| m.deleted_at.is_none());
        if !exists && reference.get("fail_if_not_exists").and_then(Value::as_bool) != Some(false) {
            return Err(ApiError::invalid_field(
                "message_reference",
                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                "Unknown message",
            ));
        }
    }
    let bot = bot_user(&state, app)?;
    // `enforce_nonce`: the same author's message with the same nonce, sent within the last few
    // minutes, is returned as it is; nothing new is created or dispatched.
    let nonce = nonce_of(&body)?;
    if body.get("enforce_nonce").and_then(Value::as_bool) == Some(true) {
        if let Some((channel, id)) = nonce.as_ref().and_then(|(_, key)| state.message_by_nonce(bot, key)) {
            state.counters.nonce_duplicates += 1;
            let message = state.message(channel, id).ok_or_else(ApiError::unknown_message)?;
            return Ok(json_text(MessageView { state: &state, message, gateway: false, blank: false }.render()));
        }
    }
    let kind = if parsed.message_reference.is_some() { 19 } else { 0 };
    let new = NewMessage {
        content,
        embeds,
        components,
        tts: parsed.tts,
        flags: parsed.flags & (1 << 2 | 1 << 12), // SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS
        kind,
        message_reference: parsed.message_reference,
        nonce: nonce.as_ref().map(|(value, _)| value.clone()),
        allowed_mentions,
        ..NewMessage::default()
    };
    let id = state.post_message(bot, channel_id, new)?;
    if let Some((_, key)) = nonce {
        state.remember_nonce(bot, key, channel_id, id);
    }
    let message = state.message(channel_id, id).ok_or_else(ApiError::unknown_message)?;
    Ok(json_text(MessageView { state: &state, message, gateway: false, blank: false }.render()))
}

/// `GET /channels/{channel_id}/messages?limit&before&after&around`: newest first.
pub async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(channel_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let channel_id = snowflake("channel_id", &channel_id)?;
    let limit = match q.get("limit") {
        None => 50,
        Some(l) => match l.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                return Err(ApiError::invalid_field(
                    "limit",
                    "NUMBER_TYPE_MAX",
                    "int value should be between 1 and 100",
                ))
            }
        },
    };
    let bound = |k: &str| q.get(k).map(|v| snowflake(k, v)).transpose();
    let (before, after, around) = (bound("before")?, bound("after")?, bound("around")?);
    let state = shared.state();
    access(&state, app, channel_id, permissions::READ_MESSAGE_HISTORY)?;
    let channel = state.channels.get(&channel_id).ok_or_else(ApiError::unknown_channel)?;
    let live = || channel.messages.values().filter(|m| m.deleted_at.is_none());
    let mut picked: Vec<_> = if let Some(a) = after {
        live().filter(|m| m.id > a).take(limit).collect()
    } else if let Some(c) = around {
        let older: Vec<_> = live().filter(|m| m.id <= c).collect();
        let newer: Vec<_> = live().filter(|m| m.id > c).take(limit / 2).collect();
        let keep = limit.saturating_sub(newer.len());
        older[older.len().saturating_sub(keep)..].iter().copied().chain(newer).collect()
    } else {
        let all: Vec<_> = live().filter(|m| before.is_none_or(|b| m.id < b)).collect();
        all[all.len().saturating_sub(limit)..].to_vec()
    };
    picked.sort_by_key(|m| std::cmp::Reverse(m.id));
    Ok(Json(json!(picked.into_iter().map(|m| render::message(&state, m, false)).collect::<Vec<_>>())))
}

fn message_ids(channel_id: &str, message_id: &str) -> Result<(u64, u64), ApiError> {
    Ok((snowflake("channel_id", channel_id)?, snowflake("message_id", message_id)?))
}

/// `GET /channels/{channel_id}/messages/{message_id}`.
pub async fn get_message(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((channel_id, message_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (channel_id, message_id) = message_ids(&channel_id, &message_id)?;
    let state = shared.state();
    access(&state, app, channel_id, permissions::READ_MESSAGE_HISTORY)?;
    let message = state
        .message(channel_id, message_id)
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, message, false)))
}

/// `PATCH /channels/{channel_id}/messages/{message_id}`: only the author may edit.
pub async fn edit_message(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((channel_id, message_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (channel_id, message_id) = message_ids(&channel_id, &message_id)?;
    let mut body = json_body(&body)?;
    let mut state = shared.state();
    access(&state, app, channel_id, 0)?;
    let bot = bot_user(&state, app)?;
    let message = state
        .message(channel_id, message_id)
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(ApiError::unknown_message)?;
    if message.author_id != bot {
        return Err(ApiError::not_author());
    }
    let parsed = parse_message_body(&mut body)?;
    let after = (
        parsed.content.clone().unwrap_or_else(|| message.content.clone()),
        parsed.embeds.clone().unwrap_or_else(|| message.embeds.clone()),
        parsed.components.clone().unwrap_or_else(|| message.components.clone()),
    );
    if is_empty(&after.0, &after.1, &after.2) {
        return Err(ApiError::empty_message());
    }
    state.edit_message(channel_id, message_id, parsed.content, parsed.embeds, parsed.components)?;
    let message = state.message(channel_id, message_id).ok_or_else(ApiError::unknown_message)?;
    Ok(Json(render::message(&state, message, false)))
}

/// `DELETE /channels/{channel_id}/messages/{message_id}`: the author, or MANAGE_MESSAGES.
pub async fn delete_message(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((channel_id, message_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (channel_id, message_id) = message_ids(&channel_id, &message_id)?;
    let mut state = shared.state();
    let perms = access(&state, app, channel_id, 0)?;
    let bot = bot_user(&state, app)?;
    let message = state
        .message(channel_id, message_id)
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(ApiError::unknown_message)?;
    if message.author_id != bot && perms & permissions::MANAGE_MESSAGES == 0 {
        return Err(ApiError::missing_permissions());
    }
    state.delete_message(channel_id, message_id)?;
    Ok(StatusCode::NO_CONTENT)
}
