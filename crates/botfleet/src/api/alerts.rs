//! `/api/v1/alerts`: rules, notification channels (with "send test") and maintenance windows, set
//! up by admins; incidents, read by everyone and acknowledged by operators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, Params, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::alerts::model::{
    check_channel, Channel, ChannelEdit, ChannelInput, Maintenance, MaintenanceInput, Rule, RuleInput,
};
use crate::alerts::repo::{self, Incident, Notification};
use crate::alerts::TestResult;
use crate::audit;
use crate::auth::Principal;
use crate::error::Error;

type Reply<T> = Result<T, ApiError>;

/// Rule fields an audit row compares.
const RULE_FIELDS: &[&str] = &[
    "name",
    "condition",
    "bot_id",
    "failures_in_a_row",
    "resend_every_seconds",
    "notify_recovery",
    "channel_ids",
    "enabled",
];
/// Channel fields an audit row compares (never the URL or the secret).
const CHANNEL_FIELDS: &[&str] = &["name", "kind", "target"];
const WINDOW_FIELDS: &[&str] = &["name", "rule_id", "bot_id", "once", "weekly"];

fn now(app: &AppState) -> i64 {
    app.auth.clock().now_ms()
}

/// A list of rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<Rule>,
}

/// Every rule.
#[utoipa::path(get, path = "/api/v1/alerts/rules", tag = "alerts", responses((status = 200, body = RuleList)))]
pub async fn list_rules(State(app): State<AppState>) -> Reply<Json<RuleList>> {
    Ok(Json(RuleList { items: repo::list_rules(&app.store).await? }))
}

/// Adds a rule.
#[utoipa::path(post, path = "/api/v1/alerts/rules", tag = "alerts", request_body = RuleInput,
    responses((status = 201, body = Rule), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(input): Body<RuleInput>,
) -> Reply<(StatusCode, Json<Rule>)> {
    let rule = repo::insert_rule(&app.store, &input, now(&app)).await?;
    trail.record("alerts.rule.create", "alert_rule", rule.id, audit::created(&rule, RULE_FIELDS));
    Ok((StatusCode::CREATED, Json(rule)))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/alerts/rules/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody)))]
pub async fn get_rule(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<Rule>> {
    Ok(Json(repo::get_rule(&app.store, id).await?))
}

/// Replaces a rule's settings. Disabling it closes its open incidents without notifying.
#[utoipa::path(put, path = "/api/v1/alerts/rules/{id}", tag = "alerts", params(("id" = i64, Path)), request_body = RuleInput,
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_rule(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(input): Body<RuleInput>,
) -> Reply<Json<Rule>> {
    let old = repo::get_rule(&app.store, id).await?;
    let rule = repo::replace_rule(&app.store, id, &input, now(&app)).await?;
    if !rule.enabled || old.condition != rule.condition || old.bot_id != rule.bot_id {
        app.alerts.close_rule(id, "the rule was changed or disabled").await?;
    }
    let changes = audit::diff(&old, &rule, RULE_FIELDS);
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("alerts.rule.update", "alert_rule", id, changes);
    }
    Ok(Json(rule))
}

/// Deletes a rule (its open incidents close without notifying; its windows go too).
#[utoipa::path(delete, path = "/api/v1/alerts/rules/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::get_rule(&app.store, id).await?;
    repo::delete_rule(&app.store, id).await?;
    app.alerts.close_rule(id, "the rule was deleted").await?;
    trail.record("alerts.rule.delete", "alert_rule", id, audit::removed(&old, RULE_FIELDS));
    Ok(StatusCode::NO_CONTENT)
}

/// A list of channels.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<Channel>,
}

/// Every notification channel (URLs without their secret parts).
#[utoipa::path(get, path = "/api/v1/alerts/channels", tag = "alerts", responses((status = 200, body = ChannelList)))]
pub async fn list_channels(State(app): State<AppState>) -> Reply<Json<ChannelList>> {
    Ok(Json(ChannelList { items: repo::list_channels(&app.store).await? }))
}

/// Adds a channel: a Discord webhook, or an HTTP webhook with its signing secret.
#[utoipa::path(post, path = "/api/v1/alerts/channels", tag = "alerts", request_body = ChannelInput,
    responses((status = 201, body = Channel), (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(input): Body<ChannelInput>,
) -> Reply<(StatusCode, Json<Channel>)> {
    let checked = check_channel(input.kind, Some(&input.name), Some(&input.url), input.secret.as_deref())?;
    let url = checked.ok_or_else(|| Error::field("url", "is required"))?;
    if input.kind == crate::alerts::model::ChannelKind::HttpWebhook && input.secret.is_none() {
        return Err(Error::field("secret", "an HTTP webhook needs a signing secret (16 to 256 characters)").into());
    }
    let channel = repo::insert_channel(
        &app.store,
        &app.cipher,
        &input.name,
        input.kind,
        &url,
        input.secret.as_deref(),
        now(&app),
    )
    .await?;
    trail.record("alerts.channel.create", "alert_channel", channel.id, audit::created(&channel, CHANNEL_FIELDS));
    Ok((StatusCode::CREATED, Json(channel)))
}

/// Changes a channel's name, URL or secret.
#[utoipa::path(patch, path = "/api/v1/alerts/channels/{id}", tag = "alerts", params(("id" = i64, Path)), request_body = ChannelEdit,
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_channel(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(edit): Body<ChannelEdit>,
) -> Reply<Json<Channel>> {
    let old = repo::get_channel(&app.store, id).await?;
    let url = check_channel(old.kind, edit.name.as_deref(), edit.url.as_deref(), edit.secret.as_deref())?;
    let channel = repo::edit_channel(
        &app.store,
        &app.cipher,
        id,
        edit.name.as_deref(),
        url.as_ref(),
        edit.secret.as_deref(),
        now(&app),
    )
    .await?;
    let mut changes = audit::diff(&old, &channel, CHANNEL_FIELDS);
    if let Some(c) = changes.as_object_mut() {
        if edit.url.is_some() {
            c.insert("url".into(), json!("changed"));
        }
        if edit.secret.is_some() {
            c.insert("secret".into(), json!("changed"));
        }
    }
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("alerts.channel.update", "alert_channel", id, changes);
    }
    Ok(Json(channel))
}

/// Deletes a channel no rule uses.
#[utoipa::path(delete, path = "/api/v1/alerts/channels/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_channel(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::get_channel(&app.store, id).await?;
    repo::delete_channel(&app.store, id).await?;
    trail.record("alerts.channel.delete", "alert_channel", id, audit::removed(&old, CHANNEL_FIELDS));
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test notification to the channel now and says whether it arrived.
#[utoipa::path(post, path = "/api/v1/alerts/channels/{id}/test", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = ErrorBody)))]
pub async fn test_channel(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
) -> Reply<Json<TestResult>> {
    let result = app.alerts.send_test(id, &principal.name).await?;
    trail.record("alerts.channel.test", "alert_channel", id, json!({"delivered": result.delivered}));
    Ok(Json(result))
}

/// A list of maintenance windows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceList {
    pub items: Vec<Maintenance>,
}

/// Every maintenance window, with whether it mutes alerts now.
#[utoipa::path(get, path = "/api/v1/alerts/maintenance", tag = "alerts", responses((status = 200, body = MaintenanceList)))]
pub async fn list_windows(State(app): State<AppState>) -> Reply<Json<MaintenanceList>> {
    let now = now(&app);
    let items = repo::list_windows(&app.store).await?.iter().map(|w| w.shown(now)).collect();
    Ok(Json(MaintenanceList { items }))
}

/// Adds a maintenance window: one-off (`once`) or recurring (`weekly`, UTC). Inside it nothing is
/// sent for the rules and bots it covers.
#[utoipa::path(post, path = "/api/v1/alerts/maintenance", tag = "alerts", request_body = MaintenanceInput,
    responses((status = 201, body = Maintenance), (status = 422, body = ErrorBody)))]
pub async fn create_window(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(input): Body<MaintenanceInput>,
) -> Reply<(StatusCode, Json<Maintenance>)> {
    let schedule = input.validate()?;
    let now = now(&app);
    let window = repo::insert_window(&app.store, &input.name, input.rule_id, input.bot_id, schedule, now).await?;
    let shown = window.shown(now);
    trail.record("alerts.maintenance.create", "alert_maintenance", window.id, audit::created(&shown, WINDOW_FIELDS));
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Deletes a maintenance window.
#[utoipa::path(delete, path = "/api/v1/alerts/maintenance/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_window(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::get_window(&app.store, id).await?.shown(now(&app));
    repo::delete_window(&app.store, id).await?;
    trail.record("alerts.maintenance.delete", "alert_maintenance", id, audit::removed(&old, WINDOW_FIELDS));
    Ok(StatusCode::NO_CONTENT)
}

/// Filters of `GET /alerts/incidents`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// `firing` or `resolved`; absent: both.
    #[param(pattern = "^(firing|resolved)$")]
    pub state: Option<String>,
    /// Only incidents with a smaller id (the next page).
    pub before_id: Option<i64>,
    /// At most this many (1 to 200, default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<crate::page::Limit>,
}

/// A page of incidents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub items: Vec<Incident>,
    /// Pass as `before_id` for older ones; absent on the last page.
    pub next_before_id: Option<i64>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/api/v1/alerts/incidents", tag = "alerts", params(IncidentQuery),
    responses((status = 200, body = IncidentList), (status = 400, body = ErrorBody)))]
pub async fn list_incidents(
    State(app): State<AppState>,
    Params(q): Params<IncidentQuery>,
) -> Reply<Json<IncidentList>> {
    if let Some(s) = q.state.as_deref() {
        if !matches!(s, "firing" | "resolved") {
            return Err(Error::field("state", "must be firing or resolved").into());
        }
    }
    let limit = i64::from(crate::page::limit(q.limit, 50, 200)?);
    let items = repo::list_incidents(&app.store, q.state.as_deref(), q.before_id, limit).await?;
    let next_before_id =
        (items.len() == usize::try_from(limit).unwrap_or(0)).then(|| items.last().map(|i| i.id)).flatten();
    Ok(Json(IncidentList { items, next_before_id }))
}

/// An incident with what was sent about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub notifications: Vec<Notification>,
}

/// One incident, with its notifications and their deliveries.
#[utoipa::path(get, path = "/api/v1/alerts/incidents/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = IncidentDetail), (status = 404, body = ErrorBody)))]
pub async fn get_incident(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<IncidentDetail>> {
    let incident = repo::get_incident(&app.store, id).await?;
    let notifications = repo::notifications(&app.store, id).await?;
    Ok(Json(IncidentDetail { incident, notifications }))
}

/// Acknowledges a firing incident: it stops being sent again, and its channels hear who took it.
#[utoipa::path(post, path = "/api/v1/alerts/incidents/{id}/acknowledge", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    PathId(id): PathId,
) -> Reply<Json<Incident>> {
    let incident = app.alerts.acknowledge(id, &principal.name).await?;
    trail.record("alerts.incident.acknowledge", "alert_incident", id, json!({"state": "acknowledged"}));
    Ok(Json(incident))
}
