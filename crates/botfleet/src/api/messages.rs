//! `/api/v1/messages/batch`: announcements sent as a background job (one item per message and
//! channel), within Discord's rate limits and never twice (`jobs::messages`). Needs
//! `bots.message`; messages that may ping need `bots.mention` too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::extract::Body;
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::auth::{Action, Principal};
use crate::error::Error;
use crate::jobs::messages::{self, MessageBatch};
use crate::jobs::model::Job;

type Reply<T> = Result<T, ApiError>;

/// Sends messages to channels as a job: every message to every listed channel (each channel as
/// the bot it names), message by message, each channel's in order. Answers `202` with the job at
/// once; follow it with `GET /jobs/{id}` or the live `jobs` topic. Checked before anything is
/// queued: the limits Discord documents, `{stock:SKU}` / `{price:SKU}` naming products that
/// exist, and each channel visible to its bot (asked of Discord).
#[utoipa::path(post, path = "/api/v1/messages/batch", tag = "messages", request_body = MessageBatch,
    responses((status = 202, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn batch(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<MessageBatch>,
) -> Reply<(StatusCode, Json<Job>)> {
    req.check().map_err(Error::Validation)?;
    if req.pings() {
        principal.may(Action::BotsMention)?;
    }
    let mut errors = Vec::new();
    if !req.skus().is_empty() {
        let products = crate::stock::repo::list(&app.store, false).await?;
        errors.extend(messages::unknown_skus(&req, &products));
    }
    for bot in req.bots() {
        // 404 for a bot that does not exist.
        crate::bots::repo::get(&app.store, bot).await?;
    }
    errors.extend(messages::check_channels(&app.fleet, &req.channels, "channels").await);
    if !errors.is_empty() {
        return Err(Error::Validation(errors).into());
    }
    let job = app.jobs.submit_messages(&req, &creator(&principal), None).await?;
    trail.record(
        "messages.batch",
        "job",
        job.id,
        serde_json::json!({
            "messages": req.messages.len(),
            "channels": req.channels.len(),
            "bots": req.bots(),
            "items": job.total,
            "pings": req.pings(),
        }),
    );
    Ok((StatusCode::ACCEPTED, Json(job)))
}
