//! The control API (`/_emulator/…`, not Discord's): build a world, act as its users, inject
//! gateway events and read back what bots did. JSON in, JSON out; errors are
//! `{error: {code, message}}`. Every handler calls the same `Shared` method a Rust test would.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::FaultSpec;
use crate::script::FaultError;
use crate::shared::Shared;
use crate::world::file::WorldSpec;
use crate::world::interactions::UserAction;
use crate::world::model::Overwrite;
use crate::world::{ApplicationSpec, WorldError};

/// A control API error.
#[derive(Debug)]
pub struct ControlError(StatusCode, &'static str, String);

impl From<WorldError> for ControlError {
    fn from(e: WorldError) -> Self {
        let status = match e {
            WorldError::Invalid(_) => StatusCode::BAD_REQUEST,
            WorldError::NotMember { .. } => StatusCode::CONFLICT,
            _ => StatusCode::NOT_FOUND,
        };
        let code = match e {
            WorldError::Invalid(_) => "invalid",
            WorldError::NotMember { .. } => "not_member",
            _ => "not_found",
        };
        Self(status, code, e.to_string())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": {"code": self.1, "message": self.2}}))).into_response()
    }
}

type Reply = Result<Json<Value>, ControlError>;

/// Parses a JSON body, answering 400 with serde's explanation when it does not fit.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ControlError> {
    serde_json::from_slice(bytes).map_err(|e| ControlError(StatusCode::BAD_REQUEST, "invalid_body", e.to_string()))
}

/// The `/_emulator` router.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/world", get(world).post(load_world))
        .route("/applications", post(create_application))
        .route("/users", post(create_user))
        .route("/guilds", post(create_guild))
        .route("/guilds/{guild_id}/channels", post(create_channel))
        .route("/guilds/{guild_id}/roles", post(create_role))
        .route("/guilds/{guild_id}/members", post(add_member))
        .route("/channels/{channel_id}/overwrites", put(set_overwrite))
        .route("/channels/{channel_id}/messages", get(messages).post(user_message))
        .route("/channels/{channel_id}/webhooks", post(create_webhook))
        .route("/dms", post(dm_channel))
        .route("/faults", get(list_faults).post(inject_fault).delete(clear_faults))
        .route("/faults/{fault_id}", delete(remove_fault))
        .route("/load", post(run_load))
        .route("/interactions", post(user_interaction))
        .route("/interactions/{interaction_id}", get(interaction))
        .route("/gateway/sessions", get(sessions))
        .route("/gateway/reconnect", post(reconnect))
        .route("/gateway/invalidate-session", post(invalidate_session))
        .route("/gateway/request-heartbeat", post(request_heartbeat))
        .route("/gateway/close", post(close))
        .route("/gateway/redeliver", post(redeliver))
        .route("/counters", get(counters))
        .route("/time/advance", post(advance_time))
        .fallback(|| async { ControlError(StatusCode::NOT_FOUND, "not_found", "no such control route".into()) })
}

async fn world(State(s): State<Arc<Shared>>) -> Json<Value> {
    let state = s.state();
    let apps: Vec<Value> = state
        .applications
        .values()
        .map(|a| json!({"application_id": a.id, "bot_user_id": a.bot_user_id, "name": a.name, "token": a.token}))
        .collect();
    let users: Vec<Value> =
        state.users.values().map(|u| json!({"id": u.id, "username": u.username, "bot": u.bot})).collect();
    let guilds: Vec<Value> = state
        .guilds
        .values()
        .map(|g| {
            let channels: Vec<Value> = g
                .channel_ids
                .iter()
                .filter_map(|id| state.channels.get(id))
                .map(|c| json!({"id": c.id, "name": c.name}))
                .collect();
            json!({"id": g.id, "name": g.name, "owner_id": g.owner_id, "channels": channels,
                   "members": g.members.keys().collect::<Vec<_>>()})
        })
        .collect();
    Json(
        json!({"http_url": s.http_url, "gateway_url": s.ws_url, "applications": apps, "users": users, "guilds": guilds}),
    )
}

async fn load_world(State(s): State<Arc<Shared>>, text: String) -> Reply {
    let spec = WorldSpec::from_toml(&text)?;
    Ok(Json(json!(s.load_world(spec)?)))
}

async fn create_application(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let spec: ApplicationSpec = body(&bytes)?;
    Ok(Json(json!(s.create_application(spec)?)))
}

#[derive(Deserialize)]
struct NewUser {
    username: String,
}

async fn create_user(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: NewUser = body(&bytes)?;
    Ok(Json(json!({"id": s.create_user(&b.username)?})))
}

#[derive(Deserialize)]
struct NewGuild {
    name: String,
    owner_id: u64,
}

async fn create_guild(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: NewGuild = body(&bytes)?;
    Ok(Json(json!({"id": s.create_guild(&b.name, b.owner_id)?})))
}

#[derive(Deserialize)]
struct NewChannel {
    name: String,
}

async fn create_channel(State(s): State<Arc<Shared>>, Path(guild): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: NewChannel = body(&bytes)?;
    Ok(Json(json!({"id": s.create_channel(guild, &b.name)?})))
}

#[derive(Deserialize)]
struct NewRole {
    name: String,
    #[serde(default)]
    permissions: u64,
}

async fn create_role(State(s): State<Arc<Shared>>, Path(guild): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: NewRole = body(&bytes)?;
    Ok(Json(json!({"id": s.create_role(guild, &b.name, b.permissions)?})))
}

#[derive(Deserialize)]
struct NewMember {
    user_id: u64,
    #[serde(default)]
    roles: Vec<u64>,
}

async fn add_member(State(s): State<Arc<Shared>>, Path(guild): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: NewMember = body(&bytes)?;
    s.add_member(guild, b.user_id, b.roles)?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
struct NewOverwrite {
    id: u64,
    /// 0 role, 1 member.
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    allow: u64,
    #[serde(default)]
    deny: u64,
}

async fn set_overwrite(State(s): State<Arc<Shared>>, Path(channel): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: NewOverwrite = body(&bytes)?;
    if b.kind > 1 {
        return Err(ControlError(StatusCode::BAD_REQUEST, "invalid", "type must be 0 (role) or 1 (member)".into()));
    }
    s.set_overwrite(channel, Overwrite { id: b.id, kind: b.kind, allow: b.allow, deny: b.deny })?;
    Ok(Json(json!({"ok": true})))
}

async fn messages(State(s): State<Arc<Shared>>, Path(channel): Path<u64>) -> Reply {
    Ok(Json(json!(s.messages(channel)?)))
}

#[derive(Deserialize)]
struct UserMessage {
    author_id: u64,
    content: String,
}

async fn user_message(State(s): State<Arc<Shared>>, Path(channel): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: UserMessage = body(&bytes)?;
    Ok(Json(json!({"id": s.user_message(b.author_id, channel, &b.content)?})))
}

#[derive(Deserialize)]
struct DmRequest {
    user_id: u64,
    bot_user_id: u64,
}

async fn dm_channel(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: DmRequest = body(&bytes)?;
    Ok(Json(json!({"id": s.dm_channel(b.user_id, b.bot_user_id)?})))
}

#[derive(Deserialize)]
struct InteractionRequest {
    application_id: u64,
    user_id: u64,
    channel_id: u64,
    action: UserAction,
}

async fn user_interaction(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: InteractionRequest = body(&bytes)?;
    Ok(Json(json!(s.user_interaction(b.application_id, b.user_id, b.channel_id, b.action)?)))
}

async fn interaction(State(s): State<Arc<Shared>>, Path(id): Path<u64>) -> Reply {
    Ok(Json(json!(s.interaction(id)?)))
}

#[derive(Deserialize, Default)]
struct AppFilter {
    application_id: Option<u64>,
}

async fn sessions(State(s): State<Arc<Shared>>, Query(f): Query<AppFilter>) -> Json<Value> {
    Json(json!(s.sessions(f.application_id)))
}

fn filter(bytes: &[u8]) -> Result<AppFilter, ControlError> {
    if bytes.is_empty() {
        Ok(AppFilter::default())
    } else {
        body(bytes)
    }
}

async fn reconnect(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let f = filter(&bytes)?;
    Ok(Json(json!({"connections": s.reconnect(f.application_id)})))
}

#[derive(Deserialize)]
struct Invalidate {
    application_id: Option<u64>,
    resumable: bool,
}

async fn invalidate_session(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: Invalidate = body(&bytes)?;
    Ok(Json(json!({"connections": s.invalidate_sessions(b.application_id, b.resumable)})))
}

async fn request_heartbeat(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let f = filter(&bytes)?;
    Ok(Json(json!({"connections": s.request_heartbeat(f.application_id)})))
}

#[derive(Deserialize)]
struct Close {
    application_id: Option<u64>,
    code: u16,
}

async fn close(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: Close = body(&bytes)?;
    if !(1000..=4999).contains(&b.code) {
        return Err(ControlError(StatusCode::BAD_REQUEST, "invalid", "close code must be 1000 to 4999".into()));
    }
    Ok(Json(json!({"connections": s.close_connections(b.application_id, b.code)})))
}

#[derive(Deserialize)]
struct Redeliver {
    application_id: Option<u64>,
    count: u64,
}

/// Simulates a session resumed from an older sequence: each connection sends its last `count`
/// dispatches again, as Discord re-delivers events after such a resume.
async fn redeliver(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: Redeliver = body(&bytes)?;
    if b.count == 0 {
        return Err(ControlError(StatusCode::BAD_REQUEST, "invalid", "count must be at least 1".into()));
    }
    Ok(Json(json!({"connections": s.redeliver(b.application_id, b.count)})))
}

async fn counters(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(s.counters()))
}

#[derive(Deserialize)]
struct Advance {
    ms: u64,
}

async fn advance_time(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let b: Advance = body(&bytes)?;
    s.advance_time(Duration::from_millis(b.ms));
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
struct NewWebhook {
    name: String,
}

async fn create_webhook(State(s): State<Arc<Shared>>, Path(channel): Path<u64>, bytes: axum::body::Bytes) -> Reply {
    let b: NewWebhook = body(&bytes)?;
    Ok(Json(json!(s.create_webhook(channel, &b.name)?)))
}

impl From<FaultError> for ControlError {
    fn from(e: FaultError) -> Self {
        let status = match e {
            FaultError::UnknownApplication(_) => StatusCode::NOT_FOUND,
            FaultError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, "invalid_fault", e.to_string())
    }
}

async fn inject_fault(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let spec: FaultSpec = body(&bytes)?;
    Ok(Json(json!({"id": s.inject(spec)?})))
}

async fn list_faults(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"active": s.fault_ids()}))
}

async fn remove_fault(State(s): State<Arc<Shared>>, Path(id): Path<u64>) -> Reply {
    if s.remove_fault(id) {
        Ok(Json(json!({"ok": true})))
    } else {
        Err(ControlError(StatusCode::NOT_FOUND, "not_found", format!("no fault {id} in force")))
    }
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Json<Value> {
    s.clear_faults();
    Json(json!({"ok": true}))
}

impl From<crate::load::LoadError> for ControlError {
    fn from(e: crate::load::LoadError) -> Self {
        match e {
            crate::load::LoadError::World(w) => w.into(),
            other => Self(StatusCode::BAD_REQUEST, "invalid_scenario", other.to_string()),
        }
    }
}

/// Runs a load scenario and answers with its report when it is done.
async fn run_load(State(s): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Reply {
    let scenario: crate::load::Scenario = if bytes.is_empty() { Default::default() } else { body(&bytes)? };
    Ok(Json(json!(s.run_load(scenario).await?)))
}
