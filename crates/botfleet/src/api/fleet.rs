//! `/api/v1/bots/{id}/start|stop|restart`, `/bots/bulk`, `/bots/{id}/send-message` (the roadmap's
//! endpoints) and the fleet's answer-latency histogram.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use twilight_model::id::Id;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::bots::model::parse_snowflake;
use crate::bots::repo;
use crate::bots::Status;
use crate::discord::read_model;
use crate::error::{Error, FieldError};
use crate::fleet::{LatencySummary, Transition};

type Reply<T> = Result<T, ApiError>;

/// A bot's status after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub bot_id: i64,
    pub status: Status,
}

/// Starts a bot (and remembers it should run after a restart).
#[utoipa::path(post, path = "/api/v1/bots/{id}/start", tag = "fleet", params(("id" = i64, Path)),
    responses((status = 200, body = ActionResult), (status = 404, body = ErrorBody)))]
pub async fn start(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<ActionResult>> {
    let done = app.fleet.start(id).await?;
    record_desired(&trail, "bots.start", &[(id, done)]);
    Ok(Json(ActionResult { bot_id: id, status: done.status }))
}

/// Stops a bot.
#[utoipa::path(post, path = "/api/v1/bots/{id}/stop", tag = "fleet", params(("id" = i64, Path)),
    responses((status = 200, body = ActionResult), (status = 404, body = ErrorBody)))]
pub async fn stop(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<ActionResult>> {
    let done = app.fleet.stop(id).await?;
    record_desired(&trail, "bots.stop", &[(id, done)]);
    Ok(Json(ActionResult { bot_id: id, status: done.status }))
}

/// Restarts a bot (settings changes take effect).
#[utoipa::path(post, path = "/api/v1/bots/{id}/restart", tag = "fleet", params(("id" = i64, Path)),
    responses((status = 200, body = ActionResult), (status = 404, body = ErrorBody)))]
pub async fn restart(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<Json<ActionResult>> {
    let done = app.fleet.restart(id).await?;
    record_desired(&trail, "bots.restart", &[(id, done)]);
    Ok(Json(ActionResult { bot_id: id, status: done.status }))
}

/// `POST /bots/bulk`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `start`, `stop` or `restart`.
    #[schema(value_type = BulkAction)]
    pub action: String,
    /// 1 to 1,000 bot ids.
    #[schema(min_items = 1, max_items = 1000)]
    pub bot_ids: Vec<i64>,
}

/// What a bulk request does to each bot.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BulkAction {
    Start,
    Stop,
    Restart,
}

/// One bot's outcome in a bulk action.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItem {
    pub bot_id: i64,
    pub ok: bool,
    pub status: Option<Status>,
    pub error: Option<String>,
}

/// The outcome per bot.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub results: Vec<BulkItem>,
}

/// Starts, stops or restarts many bots; answers with a result per bot.
#[utoipa::path(post, path = "/api/v1/bots/bulk", tag = "fleet", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(req): Body<BulkRequest>,
) -> Reply<Json<BulkResult>> {
    let mut errors = Vec::new();
    if !matches!(req.action.as_str(), "start" | "stop" | "restart") {
        errors.push(FieldError::new("action", "must be start, stop or restart"));
    }
    if req.bot_ids.is_empty() || req.bot_ids.len() > 1000 {
        errors.push(FieldError::new("bot_ids", "must list 1 to 1000 bot ids"));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors).into());
    }
    let mut results = Vec::with_capacity(req.bot_ids.len());
    let mut done = Vec::with_capacity(req.bot_ids.len());
    for id in req.bot_ids.iter().copied() {
        let outcome = match req.action.as_str() {
            "start" => app.fleet.start(id).await,
            "stop" => app.fleet.stop(id).await,
            _ => app.fleet.restart(id).await,
        };
        results.push(match outcome {
            Ok(transition) => {
                done.push((id, transition));
                BulkItem { bot_id: id, ok: true, status: Some(transition.status), error: None }
            }
            Err(e) => BulkItem { bot_id: id, ok: false, status: None, error: Some(ApiError::from(e).message) },
        });
    }
    record_desired(&trail, &format!("bots.bulk_{}", req.action), &done);
    Ok(Json(BulkResult { results }))
}

/// One audit row for a start/stop/restart of bots: what each bot's desired state was and is, as
/// the fleet reports it (a restart always counts as a change; a start of a running bot does not).
fn record_desired(trail: &AuditTrail, action: &str, done: &[(i64, Transition)]) {
    let restart = action.ends_with("restart");
    let mut changes = serde_json::Map::new();
    for (id, t) in done {
        if restart || t.desired_before != t.desired_after {
            let (old, new) = (t.desired_before.as_str(), t.desired_after.as_str());
            changes.insert(format!("bot {id}"), serde_json::json!({"desired_state": {"old": old, "new": new}}));
        }
    }
    if changes.is_empty() {
        return;
    }
    let target = done.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(",");
    trail.record(action, "bot", target, Value::Object(changes));
}

/// `POST /bots/{id}/send-message`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The channel (a Discord id as a string).
    #[schema(value_type = crate::bots::model::ChannelId)]
    pub channel_id: Value,
    /// 1 to 2,000 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub content: String,
}

/// The message Discord created.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentMessage {
    pub message_id: String,
    pub channel_id: String,
}

/// Sends a message as the bot (it need not be running: this uses Discord's REST API).
#[utoipa::path(post, path = "/api/v1/bots/{id}/send-message", tag = "fleet", params(("id" = i64, Path)), request_body = SendMessage,
    responses((status = 200, body = SentMessage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn send_message(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<SendMessage>,
) -> Reply<Json<SentMessage>> {
    let mut errors = Vec::new();
    let channel = parse_snowflake(&req.channel_id).and_then(Id::new_checked);
    if channel.is_none() {
        errors.push(FieldError::new("channel_id", "must be a Discord channel id (17 to 19 digits)"));
    }
    let n = req.content.chars().count();
    if req.content.trim().is_empty() || n > 2000 {
        errors.push(FieldError::new("content", "must be 1 to 2000 characters and not only spaces"));
    } else {
        crate::text::push(&mut errors, "content", &req.content, crate::text::Lines::Multi);
    }
    let (Some(channel), true) = (channel, errors.is_empty()) else {
        return Err(Error::Validation(errors).into());
    };
    let token = repo::token(&app.store, &app.cipher, id).await?;
    let client = app.discord.client(&token);
    // A call made as the bot: counted in its REST calls (and 429s), running or not.
    let sent = app.fleet.rest_meter(Some(id)).call(client.create_message(channel).content(&req.content)).await;
    let failure = match sent {
        Ok(response) => {
            let message =
                read_model(response).await.map_err(|f| Error::Discord { status: None, message: f.message })?;
            let detail = serde_json::json!({"message": {"old": null, "new": {"channel_id": message.channel_id.to_string(), "message_id": message.id.to_string(), "content": req.content}}});
            trail.record("bots.send_message", "bot", id, detail);
            return Ok(Json(SentMessage {
                message_id: message.id.to_string(),
                channel_id: message.channel_id.to_string(),
            }));
        }
        Err(failure) => failure,
    };
    let explained = match failure.code {
        Some(10003) => "that channel does not exist (Discord 10003 Unknown Channel)".to_owned(),
        Some(50001) => "the bot cannot see that channel (Discord 50001 Missing Access)".to_owned(),
        Some(50013) => "the bot may not post in that channel (Discord 50013 Missing Permissions)".to_owned(),
        Some(code) => format!("Discord refused the message: {} ({code})", failure.message),
        None => format!("Discord refused the message: {}", failure.message),
    };
    tracing::info!(bot_id = id, status = ?failure.status, "send-message refused by Discord");
    Err(Error::Discord { status: failure.status, message: explained }.into())
}

/// The fleet's own answer latency (event in → reply accepted by Discord), all commands so far.
#[utoipa::path(get, path = "/api/v1/fleet/latency", tag = "fleet", responses((status = 200, body = LatencySummary)))]
pub async fn latency(State(app): State<AppState>) -> Json<LatencySummary> {
    Json(app.fleet.latencies().summary())
}
