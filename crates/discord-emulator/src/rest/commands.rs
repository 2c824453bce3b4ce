//! Application commands, global and per guild: list, bulk overwrite (`PUT`), create (upsert by
//! name), get, edit, delete — with Discord's name and description rules.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::error::{json_body, snowflake, ApiError};
use super::BotApp;
use crate::shared::Shared;
use crate::world::model::Command;
use crate::world::{json as render, State as World};

fn own_app(app: u64, path_app: &str) -> Result<u64, ApiError> {
    let id = snowflake("application_id", path_app)?;
    if id == app {
        Ok(id)
    } else {
        Err(ApiError::not_your_application())
    }
}

fn guild_scope(state: &World, app: u64, guild: &str) -> Result<u64, ApiError> {
    let guild_id = snowflake("guild_id", guild)?;
    let bot = state.applications.get(&app).map(|a| a.bot_user_id).ok_or_else(ApiError::unauthorized)?;
    let guild = state.guilds.get(&guild_id).ok_or_else(ApiError::unknown_guild)?;
    if guild.members.contains_key(&bot) {
        Ok(guild_id)
    } else {
        Err(ApiError::missing_access())
    }
}

/// Checks one command body; `prefix` is its path in the request (`0.` in a bulk overwrite).
fn validate(body: &Value, prefix: &str) -> Result<(), ApiError> {
    let kind = body.get("type").and_then(Value::as_u64).unwrap_or(1);
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let description = body.get("description").and_then(Value::as_str).unwrap_or_default();
    let mut errors = Vec::new();
    let name_ok = (1..=32).contains(&name.chars().count())
        && (kind != 1 || name.chars().all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_'));
    if !name_ok {
        errors.push((
            format!("{prefix}name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid".to_owned(),
        ));
    }
    if kind == 1 && !(1..=100).contains(&description.chars().count()) {
        errors.push((
            format!("{prefix}description"),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.".to_owned(),
        ));
    }
    if body.get("options").and_then(Value::as_array).is_some_and(|o| o.len() > 25) {
        errors.push((format!("{prefix}options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.".to_owned()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_form(&errors))
    }
}

fn key(body: &Value) -> (String, u64) {
    (
        body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
        body.get("type").and_then(Value::as_u64).unwrap_or(1),
    )
}

fn list_for(state: &World, app: u64, guild: Option<u64>) -> Value {
    let cmds = state.commands.get(&app).map(Vec::as_slice).unwrap_or_default();
    json!(cmds.iter().filter(|c| c.guild_id == guild).map(render::command).collect::<Vec<_>>())
}

/// Replaces the command set of a scope, keeping ids of commands that stay.
fn overwrite_scope(state: &mut World, app: u64, guild: Option<u64>, body: &Value) -> Result<Value, ApiError> {
    let list = body
        .as_array()
        .ok_or_else(|| ApiError::invalid_field("_", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"))?;
    if list.len() > 100 {
        return Err(ApiError::invalid_field("_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."));
    }
    for (i, cmd) in list.iter().enumerate() {
        validate(cmd, &format!("{i}."))?;
    }
    let existing: Vec<Command> = state.commands.get(&app).cloned().unwrap_or_default();
    let mut fresh = Vec::with_capacity(list.len());
    for cmd in list {
        let old = existing.iter().find(|c| c.guild_id == guild && key(&c.body) == key(cmd));
        let id = match old {
            Some(c) => c.id,
            None => state.next_id(),
        };
        let version = state.next_id();
        fresh.push(Command { id, application_id: app, guild_id: guild, version, body: cmd.clone() });
    }
    let all = state.commands.entry(app).or_default();
    all.retain(|c| c.guild_id != guild);
    all.extend(fresh);
    Ok(list_for(state, app, guild))
}

/// Creates or replaces (by name and type) one command.
fn upsert(state: &mut World, app: u64, guild: Option<u64>, body: &Value) -> Result<(StatusCode, Value), ApiError> {
    validate(body, "")?;
    let version = state.next_id();
    let existing = state
        .commands
        .get(&app)
        .and_then(|all| all.iter().position(|c| c.guild_id == guild && key(&c.body) == key(body)));
    if let Some(i) = existing {
        let all = state.commands.entry(app).or_default();
        all[i].body = body.clone();
        all[i].version = version;
        return Ok((StatusCode::OK, render::command(&all[i])));
    }
    let id = state.next_id();
    let cmd = Command { id, application_id: app, guild_id: guild, version, body: body.clone() };
    let out = render::command(&cmd);
    state.commands.entry(app).or_default().push(cmd);
    Ok((StatusCode::CREATED, out))
}

/// `GET /applications/{application_id}/commands`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(path_app): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    Ok(Json(list_for(&shared.state(), app, None)))
}

/// `PUT /applications/{application_id}/commands`.
pub async fn overwrite(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(path_app): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    let body = json_body(&body)?;
    Ok(Json(overwrite_scope(&mut shared.state(), app, None, &body)?))
}

/// `POST /applications/{application_id}/commands`.
pub async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path(path_app): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let app = own_app(app, &path_app)?;
    let body = json_body(&body)?;
    let (status, v) = upsert(&mut shared.state(), app, None, &body)?;
    Ok((status, Json(v)))
}

/// `GET /applications/{application_id}/guilds/{guild_id}/commands`.
pub async fn list_guild(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, guild)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    let state = shared.state();
    let guild = guild_scope(&state, app, &guild)?;
    Ok(Json(list_for(&state, app, Some(guild))))
}

/// `PUT /applications/{application_id}/guilds/{guild_id}/commands`.
pub async fn overwrite_guild(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, guild)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    let body = json_body(&body)?;
    let mut state = shared.state();
    let guild = guild_scope(&state, app, &guild)?;
    Ok(Json(overwrite_scope(&mut state, app, Some(guild), &body)?))
}

/// `POST /applications/{application_id}/guilds/{guild_id}/commands`.
pub async fn create_guild(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, guild)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let app = own_app(app, &path_app)?;
    let body = json_body(&body)?;
    let mut state = shared.state();
    let guild = guild_scope(&state, app, &guild)?;
    let (status, v) = upsert(&mut state, app, Some(guild), &body)?;
    Ok((status, Json(v)))
}

fn find<'a>(state: &'a World, app: u64, id: &str) -> Result<&'a Command, ApiError> {
    let id = snowflake("command_id", id)?;
    state
        .commands
        .get(&app)
        .and_then(|all| all.iter().find(|c| c.id == id && c.guild_id.is_none()))
        .ok_or_else(ApiError::unknown_command)
}

/// `GET /applications/{application_id}/commands/{command_id}`.
pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    let state = shared.state();
    Ok(Json(render::command(find(&state, app, &id)?)))
}

/// `PATCH /applications/{application_id}/commands/{command_id}`: merges the given fields.
pub async fn edit(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let app = own_app(app, &path_app)?;
    let patch = json_body(&body)?;
    let mut state = shared.state();
    let mut merged = find(&state, app, &id)?.body.clone();
    if let (Some(target), Some(fields)) = (merged.as_object_mut(), patch.as_object()) {
        for (k, v) in fields {
            target.insert(k.clone(), v.clone());
        }
    }
    validate(&merged, "")?;
    let version = state.next_id();
    let id = snowflake("command_id", &id)?;
    let all = state.commands.entry(app).or_default();
    let cmd = all.iter_mut().find(|c| c.id == id).ok_or_else(ApiError::unknown_command)?;
    cmd.body = merged;
    cmd.version = version;
    Ok(Json(render::command(cmd)))
}

/// `DELETE /applications/{application_id}/commands/{command_id}`.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(BotApp(app)): Extension<BotApp>,
    Path((path_app, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let app = own_app(app, &path_app)?;
    let mut state = shared.state();
    let id = find(&state, app, &id)?.id;
    if let Some(all) = state.commands.get_mut(&app) {
        all.retain(|c| c.id != id);
    }
    Ok(StatusCode::NO_CONTENT)
}
