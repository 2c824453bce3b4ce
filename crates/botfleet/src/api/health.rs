//! Health: liveness (`/health`) and readiness (`/health/ready`: the database answers).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

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
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub database: &'static str,
    /// Bots by status (absent when the database cannot list them).
    pub fleet: Option<crate::fleet::FleetSummary>,
}

/// The process is up.
#[utoipa::path(get, path = "/api/v1/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn live(State(app): State<AppState>) -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), uptime_secs: app.started.elapsed().as_secs() })
}

/// The service can do its work: the database answers.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = "health",
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Ready>) {
    let ids = tokio::time::timeout(std::time::Duration::from_secs(3), crate::bots::repo::all_ids(&app.store)).await;
    match ids {
        Ok(Ok(ids)) => {
            let fleet = Some(app.fleet.summary(&ids));
            (StatusCode::OK, Json(Ready { status: "ready", database: "ok", fleet }))
        }
        _ => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(Ready { status: "not_ready", database: "unreachable", fleet: None }))
        }
    }
}

/// Prometheus metrics (text exposition format 0.0.4): commands by bot, kind and outcome; reply
/// latency histograms per bot; bots by status; tracking queue depth; uptime; memory.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
pub async fn metrics(
    axum::extract::State(app): axum::extract::State<super::AppState>,
) -> Result<axum::response::Response, super::error::ApiError> {
    use axum::response::IntoResponse;
    let ids = crate::bots::repo::all_ids(&app.store).await?;
    let s = app.fleet.summary(&ids);
    let gauges = crate::metrics::Gauges {
        bots: crate::events::BotCounts {
            running: s.running,
            starting: s.starting,
            reconnecting: s.reconnecting,
            stopped: s.stopped,
            failed: s.failed,
        },
        resident_memory_bytes: crate::live::rss_bytes(),
        uptime: app.started.elapsed(),
        tracking_queue_depth: app.fleet.tracking_queue_depth(),
    };
    let text = app.fleet.metrics().render(&gauges);
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}
