//! Health: liveness (`/health`), readiness (`/health/ready`), the nodes serving the database
//! (`/nodes`), a bot's health check by check (`/bots/{id}/health`), and the Prometheus metrics
//! (`/metrics`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::PathId;
use super::AppState;
use crate::fleet::health::Check;
use crate::metrics::runtime::BotRuntime;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_secs: u64,
}

/// Readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`, `degraded` (200: the node serves, but a check says what is wrong, e.g. tracking
    /// records wait in the spool) or `not_ready` (503).
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub database: &'static str,
    /// Bots by status (absent when the database cannot list them).
    pub fleet: Option<crate::bots::BotCounts>,
    /// Each check, with what to do when it fails.
    pub checks: Vec<Check>,
}

/// The checks every health answer shares: the database answers, the tracking queue is not
/// backing up, nothing waits in the tracking spool.
async fn shared_checks(app: &AppState) -> (Vec<Check>, Option<Vec<i64>>) {
    let started = tokio::time::Instant::now();
    let ids = tokio::time::timeout(std::time::Duration::from_secs(3), crate::bots::repo::all_ids(&app.store)).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let (database, ids) = match ids {
        Ok(Ok(ids)) => (Check::passed("database", format!("answered in {took:.1} ms")), Some(ids)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            let detail = "the database refused the query; the server log says why".to_owned();
            (Check::failed("database", detail), None)
        }
        Err(_) => {
            let detail = "the database did not answer within 3 s: is it running and reachable?".to_owned();
            (Check::failed("database", detail), None)
        }
    };
    let depth = app.fleet.tracking_queue_depth();
    let capacity = app.fleet.tracking_queue_capacity();
    let queues = if depth < capacity.div_ceil(2) {
        Check::passed("queues", format!("{depth} tracking records waiting (of {capacity})"))
    } else {
        Check::degraded(
            "queues",
            format!(
                "{depth} tracking records waiting (of {capacity}): the database is not keeping up; \
                 records past the queue go to the spool"
            ),
        )
    };
    let spooled = app.fleet.tracking_spooled();
    let spool = if spooled.records == 0 {
        Check::passed("tracking_spool", "no tracking records spooled")
    } else {
        Check::degraded(
            "tracking_spool",
            format!(
                "{} tracking records ({} bytes) are kept in the spool on disk because the database does not take \
                 them (unreachable, refusing writes, or slower than the bots); they are written back in order \
                 when it does. Commands are answered meanwhile.",
                spooled.records, spooled.bytes
            ),
        )
    };
    (vec![database, queues, spool], ids)
}

/// A bot's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotHealth {
    pub bot_id: i64,
    /// `healthy` when no check failed (a pending one has not), else `unhealthy`.
    pub status: &'static str,
    pub checks: Vec<Check>,
    /// The connection figures the checks read, and what the history says.
    pub figures: BotFigures,
}

/// A bot's figures: its connection figures since botfleet started, events per second, and its
/// uptime share from the performance history.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotFigures {
    #[serde(flatten)]
    pub runtime: BotRuntime,
    /// Gateway events per second over the last minute.
    pub events_per_s: f64,
    /// Share of the time the bot was meant to run that it was running, over the last hour, day
    /// and week (0 to 1; `null` when unknown: not observed in the window, or the history is off).
    pub uptime: crate::metrics::history::UptimeShares,
}

/// A bot's health, check by check: gateway connected, heartbeat acknowledged within its
/// interval, recent events, the last call to Discord's API, the database, the tracking queue.
#[utoipa::path(get, path = "/api/v1/bots/{id}/health", tag = "health", params(("id" = i64, Path)),
    responses((status = 200, body = BotHealth), (status = 404, body = super::error::ErrorBody)))]
pub async fn bot(State(app): State<AppState>, PathId(id): PathId) -> Result<Json<BotHealth>, ApiError> {
    crate::bots::repo::get(&app.store, id).await?;
    // Read here, or (several nodes) on the node that runs the bot.
    let crate::fleet::forward::BotFigures { status, reason, runtime, events_per_s } = app.fleet.figures(id).await?;
    let now = app.auth.clock().now_ms();
    let mut checks = crate::fleet::health::checks(status, reason.as_deref(), &runtime, now);
    checks.extend(shared_checks(&app).await.0);
    let healthy = checks.iter().all(|c| c.ok);
    // The history's answer is a figure, not a check: without it (database down) the uptime is unknown.
    let history = crate::metrics::history::uptime(&app.store, id, now);
    let uptime = match tokio::time::timeout(std::time::Duration::from_secs(3), history).await {
        Ok(Ok(shares)) => shares,
        Ok(Err(e)) => {
            tracing::warn!(bot_id = id, error = %e, "uptime not read from the performance history");
            Default::default()
        }
        Err(_) => Default::default(),
    };
    let figures = BotFigures { runtime, events_per_s, uptime };
    Ok(Json(BotHealth { bot_id: id, status: if healthy { "healthy" } else { "unhealthy" }, checks, figures }))
}

/// The process is up.
#[utoipa::path(get, path = "/api/v1/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn live(State(app): State<AppState>) -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), uptime_secs: app.started.elapsed().as_secs() })
}

/// Readiness as a probe without a credential sees it (`--public-readiness`): the status alone.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyStatus {
    /// `ready`, `degraded` or `not_ready`, as in [`Ready`].
    pub status: &'static str,
}

/// The path readiness probes ask (anonymous with `--public-readiness`).
pub const READY_PATH: &str = "/api/v1/health/ready";

/// The service can do its work: the database answers (200 `ready`, or 200 `degraded` when a
/// check warns, e.g. tracking records wait in the spool; 503 `not_ready` when a check fails).
/// Without a credential (only with `--public-readiness`): the status alone.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = "health",
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(
    State(app): State<AppState>,
    signed_in: Option<axum::Extension<crate::auth::Principal>>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (code, Json(ready)) = ready_report(&app).await;
    match signed_in {
        Some(_) => (code, Json(ready)).into_response(),
        None => (code, Json(ReadyStatus { status: ready.status })).into_response(),
    }
}

async fn ready_report(app: &AppState) -> (StatusCode, Json<Ready>) {
    let (mut checks, ids) = shared_checks(app).await;
    if let Some(redis) = app.caching.bus.ping_redis().await {
        checks.push(match redis {
            Ok(()) => Check::passed("redis", "answers; cache invalidations flow between nodes"),
            Err(why) => Check::degraded(
                "redis",
                format!(
                    "Redis is unreachable ({why}): this node serves from the database and its own caches, and \
                     reconnects by itself; changes made on other nodes reach it within the caches' time to live"
                ),
            ),
        });
    }
    let fleet = ids.map(|ids| app.fleet.summary(&ids));
    let database = if fleet.is_some() { "ok" } else { "unreachable" };
    if checks.iter().all(|c| c.ok) {
        let degraded = checks.iter().any(|c| c.state == crate::fleet::health::CheckState::Degraded);
        let status = if degraded { "degraded" } else { "ready" };
        (StatusCode::OK, Json(Ready { status, database, fleet, checks }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Ready { status: "not_ready", database, fleet, checks }))
    }
}

/// The nodes serving this database.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeList {
    /// This node first, then the others by id.
    pub items: Vec<crate::nodes::Node>,
}

/// The nodes serving this database: each node's address, version, state (`up`, `missing` after
/// 15 s without a heartbeat, `stopped` when it stopped cleanly) and the bots it runs.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "health", responses((status = 200, body = NodeList)))]
pub async fn nodes(State(app): State<AppState>) -> Result<Json<NodeList>, ApiError> {
    Ok(Json(NodeList { items: app.nodes.list().await? }))
}

/// A change to a node.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeChange {
    /// `true`: drain the node (its bots move to the other nodes within a few seconds, it takes no
    /// new ones); `false`: take it back.
    pub draining: bool,
}

/// Drains a node, or takes it back (several nodes on PostgreSQL).
#[utoipa::path(patch, path = "/api/v1/nodes/{id}", tag = "health", params(("id" = String, Path)), request_body = NodeChange,
    responses((status = 200, body = crate::nodes::Node), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn change_node(
    State(app): State<AppState>,
    trail: super::guard::AuditTrail,
    axum::extract::Path(id): axum::extract::Path<String>,
    super::extract::Body(change): super::extract::Body<NodeChange>,
) -> Result<Json<crate::nodes::Node>, ApiError> {
    let (before, node) = app.nodes.drain(&id, change.draining).await?;
    let action = if change.draining { "nodes.drain" } else { "nodes.undrain" };
    trail.record(action, "node", &id, serde_json::json!({"draining": {"old": before, "new": change.draining}}));
    Ok(Json(node))
}

/// Prometheus metrics (text exposition format 0.0.4): commands by bot, kind and outcome; reply
/// latency histograms per bot; per bot REST calls, 429s, gateway events, reconnects and heartbeat
/// latency; bots by status; tracking queue depth; uptime; memory.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
pub async fn metrics(State(app): State<AppState>) -> Result<Response, ApiError> {
    let ids = crate::bots::repo::all_ids(&app.store).await?;
    let spooled = app.fleet.tracking_spooled();
    let gauges = crate::metrics::Gauges {
        bots: app.fleet.summary(&ids),
        node: crate::metrics::node::read(&app.store).await,
        uptime: app.started.elapsed(),
        tracking_queue_depth: app.fleet.tracking_queue_depth(),
        tracking_dropped: app.fleet.tracking_dropped(),
        tracking_spooled_records: spooled.records,
        tracking_spool_bytes: spooled.bytes,
        connections: app.fleet.runtimes(),
        invalid_requests: app.fleet.invalid_requests(),
        caches: app.caching.bus.figures(),
    };
    let text = app.fleet.metrics().render(&gauges);
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// Performance history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerformanceList {
    pub items: Vec<crate::metrics::history::PerformanceRow>,
}

/// Performance rows (per bot, or the node's) in a time range, oldest first: commands, errors,
/// denied, mean reply latency, gateway events, REST calls, 429s, ms up and observed (uptime),
/// memory and queue depth per 10 s, 1 min or 1 h span.
#[utoipa::path(get, path = "/api/v1/performance", tag = "health", params(crate::metrics::history::PerformanceQuery),
    responses((status = 200, body = PerformanceList), (status = 422, body = super::error::ErrorBody)))]
pub async fn performance(
    State(app): State<AppState>,
    super::extract::Params(q): super::extract::Params<crate::metrics::history::PerformanceQuery>,
) -> Result<Json<PerformanceList>, ApiError> {
    let items = crate::metrics::history::list(&app.store, &q, app.auth.clock().now_ms()).await?;
    Ok(Json(PerformanceList { items }))
}
