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
use crate::page::{limit, Cursor, Limit, Page, PageQuery};

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

/// Rules by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/alerts/rules", tag = "alerts", params(PageQuery),
    responses((status = 200, body = Page<Rule>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_rules(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<Rule>>> {
    let (limit, after) = (q.limit()?, q.after_key()?);
    Ok(Json(repo::page_rules(&app.store, after.as_ref(), limit).await?))
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

/// Notification channels by name, a page at a time (URLs without their secret parts).
#[utoipa::path(get, path = "/api/v1/alerts/channels", tag = "alerts", params(PageQuery),
    responses((status = 200, body = Page<Channel>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_channels(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<Channel>>> {
    let (limit, after) = (q.limit()?, q.after_key()?);
    Ok(Json(repo::page_channels(&app.store, after.as_ref(), limit).await?))
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

/// Maintenance windows in the order they were added, a page at a time, with whether each mutes
/// alerts now.
#[utoipa::path(get, path = "/api/v1/alerts/maintenance", tag = "alerts", params(PageQuery),
    responses((status = 200, body = Page<Maintenance>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_windows(State(app): State<AppState>, Params(q): Params<PageQuery>) -> Reply<Json<Page<Maintenance>>> {
    let (limit, after) = (q.limit()?, q.after()?);
    let now = now(&app);
    let page = repo::page_windows(&app.store, after, limit).await?;
    Ok(Json(Page { items: page.items.iter().map(|w| w.shown(now)).collect(), next_cursor: page.next_cursor }))
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
    /// From `next_cursor` of the previous page; absent: the newest.
    pub cursor: Option<String>,
    /// Deprecated (removed in the next release): only incidents with a smaller id; use `cursor`.
    /// Not together with `cursor`.
    #[deprecated = "use cursor"]
    #[param(minimum = 0)]
    pub before_id: Option<i64>,
    /// At most this many (1 to 200, default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Limit>,
}

/// A page of incidents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub items: Vec<Incident>,
    /// Pass as `cursor` for older ones; absent on the last page.
    pub next_cursor: Option<String>,
    /// Deprecated (removed in the next release): the id to pass as `before_id`, absent on the
    /// last page; use `next_cursor`.
    #[deprecated = "use next_cursor"]
    pub next_before_id: Option<i64>,
}

/// Incidents, newest first, a page at a time (`before_id` still taken for one release).
#[allow(deprecated)]
#[utoipa::path(get, path = "/api/v1/alerts/incidents", tag = "alerts", params(IncidentQuery),
    responses((status = 200, body = IncidentList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_incidents(
    State(app): State<AppState>,
    Params(q): Params<IncidentQuery>,
) -> Reply<Json<IncidentList>> {
    if let Some(s) = q.state.as_deref() {
        if !matches!(s, "firing" | "resolved") {
            return Err(Error::field("state", "must be firing or resolved").into());
        }
    }
    let limit = limit(q.limit, 50, 200)?;
    let after = match (q.cursor.as_deref(), q.before_id) {
        (Some(_), Some(_)) => return Err(Error::field("before_id", "give cursor or before_id, not both").into()),
        (Some(c), None) => Some(Cursor::decode(c)?),
        (None, Some(id)) if id < 0 => return Err(Error::field("before_id", "must be 0 or more").into()),
        (None, Some(id)) => Some(Cursor(id)),
        (None, None) => None,
    };
    let page = repo::list_incidents(&app.store, q.state.as_deref(), after, limit).await?;
    let next_before_id = page.next_cursor.as_ref().and(page.items.last().map(|i| i.id));
    Ok(Json(IncidentList { items: page.items, next_cursor: page.next_cursor, next_before_id }))
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
