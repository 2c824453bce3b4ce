//! `/api/v1/bots/{id}/start|stop|restart`, `/bots/bulk`, `/bots/{id}/send-message` (the roadmap's
//! endpoints) and the fleet's answer-latency histogram.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use twilight_model::id::marker::ChannelMarker;
use twilight_model::id::Id;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, PathId};
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::auth::{Action, Principal};
use crate::bots::model::parse_snowflake;
use crate::bots::repo;
use crate::bots::Status;
use crate::discord::message::{MentionRequest, MessageEmbed, Outgoing};
use crate::error::{Error, FieldError};
use crate::fleet::{LatencySummary, Transition};
use crate::jobs::bulk::{BulkAction, BulkParams};
use crate::jobs::model::{Job, JobKind};

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

/// `POST /bots/bulk`: the bots by id, or by a filter (an empty filter is every bot).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `start`, `stop` or `restart`.
    #[schema(value_type = BulkAction)]
    pub action: String,
    /// 1 to 1,000 bot ids (or give `filter`).
    #[schema(min_items = 1, max_items = 1000)]
    pub bot_ids: Option<Vec<i64>>,
    /// The bots to act on, instead of `bot_ids`.
    pub filter: Option<BulkFilter>,
}

/// Which bots a bulk action takes: all, narrowed by status and by name.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Only bots with this status now.
    pub status: Option<Status>,
    /// Only bots whose name contains this (any case).
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

/// Most bots one bulk job takes.
pub const BULK_MAX: usize = 10_000;

/// Starts, stops or restarts many bots as a background job (one item per bot, each with its own
/// result); answers `202` with the job at once. Follow it with `GET /jobs/{id}` or the live `jobs`
/// topic.
#[utoipa::path(post, path = "/api/v1/bots/bulk", tag = "fleet", request_body = BulkRequest,
    responses((status = 202, body = Job), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<BulkRequest>,
) -> Reply<(StatusCode, Json<Job>)> {
    let action = match req.action.as_str() {
        "start" => Some(BulkAction::Start),
        "stop" => Some(BulkAction::Stop),
        "restart" => Some(BulkAction::Restart),
        _ => None,
    };
    let mut errors = Vec::new();
    if action.is_none() {
        errors.push(FieldError::new("action", "must be start, stop or restart"));
    }
    if req.bot_ids.as_ref().is_some_and(|ids| !(1..=1000).contains(&ids.len())) {
        errors.push(FieldError::new("bot_ids", "must list 1 to 1000 bot ids"));
    }
    let Some(action) = action.filter(|_| errors.is_empty()) else {
        return Err(Error::Validation(errors).into());
    };
    let ids = match (req.bot_ids, req.filter) {
        (Some(ids), None) => {
            let mut seen = std::collections::HashSet::new();
            ids.into_iter().filter(|id| seen.insert(*id)).collect::<Vec<_>>()
        }
        (None, Some(filter)) => {
            let name = filter.name.map(|n| n.to_lowercase());
            repo::names(&app.store)
                .await?
                .into_iter()
                .filter(|(_, bot)| name.as_ref().is_none_or(|n| bot.to_lowercase().contains(n.as_str())))
                .filter(|(id, _)| filter.status.is_none_or(|s| app.fleet.status(*id).0 == s))
                .map(|(id, _)| id)
                .collect()
        }
        _ => return Err(Error::field("bot_ids", "give either bot_ids or filter").into()),
    };
    if ids.is_empty() {
        return Err(Error::field("filter", "no bot matches").into());
    }
    if ids.len() > BULK_MAX {
        return Err(
            Error::field("filter", format!("matches {} bots; one job takes at most {BULK_MAX}", ids.len())).into()
        );
    }
    let targets: Vec<String> = ids.iter().map(i64::to_string).collect();
    let params = serde_json::to_value(BulkParams { action }).map_err(|e| Error::BadRequest(e.to_string()))?;
    let job = app.jobs.submit(JobKind::BotsBulk, params, &targets, &creator(&principal)).await?;
    trail.record(
        &format!("bots.bulk_{}", action.as_str()),
        "job",
        job.id,
        serde_json::json!({"bots": ids.len(), "bot_ids": ids}),
    );
    Ok((StatusCode::ACCEPTED, Json(job)))
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
    /// At most 2,000 characters, not only spaces; may be left out when `embeds` has one.
    #[serde(default)]
    #[schema(max_length = 2000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")]
    pub content: String,
    /// Up to 10 embeds, within Discord's limits.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub embeds: Vec<MessageEmbed>,
    /// Who may be pinged (Discord's shape). Left out: nobody, whatever the content says. Asking
    /// for any ping needs the `bots.mention` permission.
    pub allowed_mentions: Option<MentionRequest>,
}

/// The message Discord created.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentMessage {
    pub message_id: String,
    pub channel_id: String,
}

/// Sends a message as the bot (it need not be running: this uses Discord's REST API) through the
/// bot's one REST client, whose rate limiter its replies share: with several nodes, the client of
/// the node that runs it (503 naming that node when it does not answer in time).
#[utoipa::path(post, path = "/api/v1/bots/{id}/send-message", tag = "fleet", params(("id" = i64, Path)), request_body = SendMessage,
    responses((status = 200, body = SentMessage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn send_message(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
    Body(req): Body<SendMessage>,
) -> Reply<Json<SentMessage>> {
    let mut errors = Vec::new();
    let channel = parse_snowflake(&req.channel_id).and_then(Id::<ChannelMarker>::new_checked);
    if channel.is_none() {
        errors.push(FieldError::new("channel_id", "must be a Discord channel id (17 to 19 digits)"));
    }
    let message = Outgoing::check(&req.content, &req.embeds, req.allowed_mentions.as_ref())
        .map_err(|mut more| errors.append(&mut more))
        .ok();
    let (Some(channel), Some(message), true) = (channel, message, errors.is_empty()) else {
        return Err(Error::Validation(errors).into());
    };
    if message.pings() {
        principal.may(Action::BotsMention)?;
    }
    // Through the bot's client here, or (several nodes) on the node that runs it.
    let failure = match app.fleet.send_as(id, channel.get(), &message).await? {
        Ok(created) => {
            let detail = serde_json::json!({"message": {"old": null, "new": {
                "channel_id": created.channel_id.to_string(),
                "message_id": created.message_id.to_string(),
                "content": req.content,
                "embeds": req.embeds.len(),
                "pings": message.pings(),
            }}});
            trail.record("bots.send_message", "bot", id, detail);
            return Ok(Json(SentMessage {
                message_id: created.message_id.to_string(),
                channel_id: created.channel_id.to_string(),
            }));
        }
        Err(failure) => failure,
    };
    tracing::info!(bot_id = id, status = ?failure.status, code = ?failure.code, "send-message refused by Discord");
    // The channel is the input's fault: 422 naming it (nothing was sent or audited).
    let channel_fault = match failure.code {
        Some(10003) => Some("that channel does not exist (Discord 10003 Unknown Channel)"),
        Some(50001) => Some("the bot cannot see that channel (Discord 50001 Missing Access)"),
        Some(50013) => Some("the bot may not post in that channel (Discord 50013 Missing Permissions)"),
        _ => None,
    };
    if let Some(why) = channel_fault {
        let mut refused = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "discord", why);
        refused.fields = Some(vec![FieldError::new("channel_id", why)]);
        return Err(refused);
    }
    let explained = match failure.code {
        Some(code) => format!("Discord refused the message: {} ({code})", failure.message),
        None => format!("Discord refused the message: {}", failure.message),
    };
    Err(Error::Discord { status: failure.status, message: explained }.into())
}

/// The fleet's own answer latency (event in → reply accepted by Discord), all commands so far.
#[utoipa::path(get, path = "/api/v1/fleet/latency", tag = "fleet", responses((status = 200, body = LatencySummary)))]
pub async fn latency(State(app): State<AppState>) -> Json<LatencySummary> {
    Json(app.fleet.latencies().summary())
}
