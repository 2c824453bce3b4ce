//! The HTTP API (`/api/v1`), thin: extract and validate, call the domain, map errors once.
//! `serve(listener, state, shutdown)` is how `main` and every test start it.

pub mod bots;
pub mod error;
pub mod extract;
pub mod fleet;
pub mod health;
pub mod logs;
pub mod openapi;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use tokio::net::TcpListener;

use crate::discord::DiscordApi;
use crate::events::EventBus;
use crate::fleet::Fleet;
use crate::net::NetConfig;
use crate::secrets::TokenCipher;
use crate::store::Store;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub cipher: TokenCipher,
    pub discord: Arc<DiscordApi>,
    pub events: EventBus,
    pub fleet: Fleet,
    /// The tracking writer, taken by `app::run` to wait for it at shutdown.
    pub writer: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
    pub started: Instant,
    /// TLS, trusted proxies and the public origin.
    pub net: Arc<NetConfig>,
}

/// The `/api` router.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/bots", get(bots::list).post(bots::create))
        .route("/bots/test", post(bots::test_unsaved))
        .route("/bots/{id}", get(bots::get).patch(bots::update).delete(bots::delete))
        .route("/bots/{id}/token", put(bots::replace_token))
        .route("/bots/{id}/test", post(bots::test_saved))
        .route("/bots/{id}/start", post(fleet::start))
        .route("/bots/{id}/stop", post(fleet::stop))
        .route("/bots/{id}/restart", post(fleet::restart))
        .route("/bots/bulk", post(fleet::bulk))
        .route("/bots/{id}/send-message", post(fleet::send_message))
        .route("/fleet/latency", get(fleet::latency))
        .route("/command-logs", get(logs::list_commands))
        .route("/command-logs/{id}", get(logs::get_command).delete(logs::delete_command))
        .route("/bot-logs", get(logs::list_bot_logs))
        .route("/bot-logs/{id}", get(logs::get_bot_log).delete(logs::delete_bot_log))
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        });
    Router::new()
        .nest("/api/v1", v1)
        .route("/api/openapi.json", get(openapi::document))
        .fallback(|| async { error::ApiError::no_route() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.net.clone(), crate::net::client::middleware))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes: over TLS when `state.net` has a
/// certificate, else plain HTTP; either way handlers see `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let net = state.net.clone();
    tracing::debug!(scheme = net.scheme(), address = %listener.local_addr()?, "serving the API");
    let app = router(state);
    match &net.tls {
        Some(tls) => crate::net::tls::serve(listener, app, tls.clone(), shutdown).await,
        None => {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}
