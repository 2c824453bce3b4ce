//! The HTTP API (`/api/v1`), thin: extract and validate, call the domain, map errors once.
//! `serve(listener, state, shutdown)` is how `main` and every test start it.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod bots;
pub mod dashboard;
pub mod error;
pub mod exports;
pub mod extract;
pub mod fleet;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod jobs;
pub mod keys;
pub mod live;
pub mod logs;
pub mod messages;
pub mod openapi;
pub mod respond;
pub mod schedules;
pub mod servers;
pub mod status_page;
pub mod stock;
pub mod transfer;
pub mod users;
pub mod webhooks;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use tokio::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::Router;
use tokio::net::TcpListener;

use self::guard::{RouteTable, Routes};
use crate::auth::{Action, Auth};
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
    pub auth: Auth,
    /// The caches' settings and the bus their invalidations go through (`DISCORD_CACHE_ENABLED`).
    pub caching: crate::cache::Caching,
    /// This node in the registry of the nodes serving the database.
    pub nodes: crate::nodes::Registry,
    /// SQLite's one-node lock, taken by `app::run` and released when it ends.
    pub single_node: Arc<std::sync::Mutex<Option<crate::nodes::SingleNode>>>,
    /// Alert rules, incidents and deliveries.
    pub alerts: crate::alerts::Alerts,
    /// Outgoing webhooks and their deliveries.
    pub webhooks: crate::webhooks::Webhooks,
    /// How long each growing table keeps its rows, and the sweep.
    pub retention: crate::retention::Retention,
    /// The public status page: its settings and the page computed at most every 30 s.
    pub status_page: crate::status_page::StatusPage,
    /// `/api/v1/live` is on (`DISCORD_WEBSOCKET_ENABLED`).
    pub live: bool,
    /// How often performance rows are written.
    pub metrics_interval: std::time::Duration,
    /// Performance history and alerts run (`BOTFLEET_MONITORING`).
    pub monitoring: bool,
    /// `/api/v1/health/ready` answers its status without a credential (`--public-readiness`).
    pub public_readiness: bool,
    /// How often the alert rules are judged and due deliveries attempted.
    pub alert_every: std::time::Duration,
    /// The tracking writer, taken by `app::run` to wait for it at shutdown.
    pub writer: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
    pub started: Instant,
    /// TLS, trusted proxies, the public origin, timeouts and connection caps.
    pub net: Arc<NetConfig>,
    /// Background jobs (bulk actions).
    pub jobs: crate::jobs::Jobs,
    /// Scheduled and recurring messages.
    pub schedules: crate::schedules::Schedules,
    /// Open live WebSockets per credential.
    pub live_sockets: crate::live::sockets::LiveSockets,
    /// Turns true when shutdown begins: live WebSockets (which the HTTP server no longer tracks
    /// once upgraded) close with 1001 instead of holding the service open.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Every route, with the action (permission-table entry) it performs.
fn routes() -> Routes {
    use Action as A;
    use Method as M;
    Routes::new()
        .add(M::GET, "/", A::Public, dashboard::index)
        .add(M::GET, "/assets/{*path}", A::Public, dashboard::asset)
        .add(M::GET, "/api/openapi.json", A::ApiDocs, openapi::document)
        .add(M::GET, "/metrics", A::MetricsRead, health::metrics)
        .add(M::GET, "/api/v1/performance", A::MetricsRead, health::performance)
        .add(M::GET, "/api/v1/health", A::Public, health::live)
        .add(M::GET, "/api/v1/health/ready", A::HealthRead, health::ready)
        .add(M::GET, "/api/v1/nodes", A::HealthRead, health::nodes)
        .add(M::PATCH, "/api/v1/nodes/{id}", A::NodesManage, health::change_node)
        .add(M::POST, "/api/v1/auth/login", A::Public, auth::login)
        .add(M::POST, "/api/v1/auth/login/totp", A::Public, auth::login_totp)
        .add(M::POST, "/api/v1/auth/logout", A::Account, auth::logout)
        .add(M::GET, "/api/v1/auth/me", A::Me, auth::me)
        .add(M::GET, "/api/v1/live", A::Me, live::live)
        .add(M::POST, "/api/v1/auth/password", A::Account, auth::change_password)
        .add(M::POST, "/api/v1/auth/totp", A::Account, auth::totp_begin)
        .add(M::POST, "/api/v1/auth/totp/confirm", A::Account, auth::totp_confirm)
        .add(M::DELETE, "/api/v1/auth/totp", A::Account, auth::totp_disable)
        .add(M::GET, "/api/v1/bots", A::BotsRead, bots::list)
        .add(M::POST, "/api/v1/bots", A::BotsCreate, bots::create)
        .add(M::POST, "/api/v1/bots/test", A::BotsCreate, bots::test_unsaved)
        .add(M::POST, "/api/v1/bots/guilds", A::BotsCreate, bots::guilds_of_token)
        .add(M::GET, "/api/v1/bots/{id}", A::BotsRead, bots::get)
        .add(M::PATCH, "/api/v1/bots/{id}", A::BotsConfigure, bots::update)
        .add(M::DELETE, "/api/v1/bots/{id}", A::BotsDelete, bots::delete)
        .add(M::PUT, "/api/v1/bots/{id}/token", A::BotsToken, bots::replace_token)
        .add(M::POST, "/api/v1/bots/{id}/test", A::BotsTest, bots::test_saved)
        .add(M::GET, "/api/v1/bots/{id}/health", A::BotsRead, health::bot)
        .add(M::GET, "/api/v1/bots/{id}/guilds", A::BotsRead, bots::guilds)
        .add(M::GET, "/api/v1/bots/{id}/server-settings", A::BotsRead, servers::list_server_settings)
        .add(M::GET, "/api/v1/bots/{id}/server-settings/{guild_id}", A::BotsRead, servers::get_server_settings)
        .add(M::PUT, "/api/v1/bots/{id}/server-settings/{guild_id}", A::BotsConfigure, servers::put_server_settings)
        .add(
            M::DELETE,
            "/api/v1/bots/{id}/server-settings/{guild_id}",
            A::BotsConfigure,
            servers::delete_server_settings,
        )
        .add_idempotent(M::POST, "/api/v1/bots/{id}/start", A::BotsOperate, fleet::start)
        .add_idempotent(M::POST, "/api/v1/bots/{id}/stop", A::BotsOperate, fleet::stop)
        .add_idempotent(M::POST, "/api/v1/bots/{id}/restart", A::BotsOperate, fleet::restart)
        .add_idempotent(M::POST, "/api/v1/bots/bulk", A::BotsOperate, fleet::bulk)
        .add_idempotent(M::POST, "/api/v1/bots/{id}/send-message", A::BotsMessage, fleet::send_message)
        .add(M::GET, "/api/v1/fleet/latency", A::BotsRead, fleet::latency)
        .add(M::GET, "/api/v1/jobs", A::JobsRead, jobs::list)
        .add(M::GET, "/api/v1/jobs/{id}", A::JobsRead, jobs::get)
        .add_idempotent(M::POST, "/api/v1/jobs/{id}/cancel", A::JobsRead, jobs::cancel)
        .add_idempotent(M::POST, "/api/v1/jobs/{id}/retry", A::JobsRead, jobs::retry)
        .add_idempotent(M::POST, "/api/v1/jobs/{id}/items/{seq}/skip", A::JobsRead, jobs::skip)
        .add_idempotent(M::POST, "/api/v1/messages/batch", A::BotsMessage, messages::batch)
        .add(M::GET, "/api/v1/jobs/{id}/file", A::JobsRead, exports::file)
        .add(M::GET, "/api/v1/schedules", A::SchedulesRead, schedules::list)
        .add_idempotent(M::POST, "/api/v1/schedules", A::SchedulesManage, schedules::create)
        .add(M::POST, "/api/v1/schedules/preview", A::SchedulesRead, schedules::preview)
        .add(M::GET, "/api/v1/schedules/{id}", A::SchedulesRead, schedules::get)
        .add(M::PATCH, "/api/v1/schedules/{id}", A::SchedulesManage, schedules::update)
        .add(M::DELETE, "/api/v1/schedules/{id}", A::SchedulesManage, schedules::delete)
        .add(M::GET, "/api/v1/schedules/{id}/runs", A::SchedulesRead, schedules::runs)
        .add(M::GET, "/api/v1/command-logs", A::LogsRead, logs::list_commands)
        .add_idempotent(M::POST, "/api/v1/command-logs/export", A::LogsRead, exports::command_logs)
        .add(M::GET, "/api/v1/command-logs/{id}", A::LogsRead, logs::get_command)
        .add(M::DELETE, "/api/v1/command-logs/{id}", A::LogsDelete, logs::delete_command)
        .add(M::GET, "/api/v1/bot-logs", A::LogsRead, logs::list_bot_logs)
        .add_idempotent(M::POST, "/api/v1/bot-logs/export", A::LogsRead, exports::bot_logs)
        .add(M::GET, "/api/v1/bot-logs/{id}", A::LogsRead, logs::get_bot_log)
        .add(M::DELETE, "/api/v1/bot-logs/{id}", A::LogsDelete, logs::delete_bot_log)
        .add(M::GET, "/api/v1/users", A::UsersManage, users::list)
        .add(M::POST, "/api/v1/users", A::UsersManage, users::create)
        .add(M::GET, "/api/v1/users/{id}", A::UsersManage, users::get)
        .add(M::PATCH, "/api/v1/users/{id}", A::UsersManage, users::update)
        .add(M::DELETE, "/api/v1/users/{id}", A::UsersManage, users::delete)
        .add(M::PUT, "/api/v1/users/{id}/password", A::UsersManage, users::reset_password)
        .add(M::DELETE, "/api/v1/users/{id}/sessions", A::UsersManage, users::end_sessions)
        .add(M::POST, "/api/v1/users/{id}/unlock", A::UsersManage, users::unlock)
        .add(M::GET, "/api/v1/api-keys", A::KeysManage, keys::list)
        .add(M::POST, "/api/v1/api-keys", A::KeysManage, keys::create)
        .add(M::GET, "/api/v1/api-keys/{id}", A::KeysManage, keys::get)
        .add(M::DELETE, "/api/v1/api-keys/{id}", A::KeysManage, keys::revoke)
        .add(M::GET, "/api/v1/products", A::StockRead, stock::list)
        .add(M::POST, "/api/v1/products", A::ProductsManage, stock::create)
        .add(M::GET, "/api/v1/products/export", A::StockRead, stock::export)
        .add(
            M::POST,
            "/api/v1/products/import",
            A::ProductsManage,
            stock::import.layer(DefaultBodyLimit::max(stock::IMPORT_LIMIT)),
        )
        .add(M::GET, "/api/v1/products/{id}", A::StockRead, stock::get)
        .add(M::PATCH, "/api/v1/products/{id}", A::ProductsManage, stock::edit)
        .add(M::DELETE, "/api/v1/products/{id}", A::ProductsManage, stock::delete)
        .add(M::POST, "/api/v1/products/{id}/stock", A::StockChange, stock::change_stock)
        .add(M::PUT, "/api/v1/products/{id}/visible", A::StockChange, stock::set_visible)
        .add(M::GET, "/api/v1/alerts/rules", A::AlertsRead, alerts::list_rules)
        .add(M::POST, "/api/v1/alerts/rules", A::AlertsManage, alerts::create_rule)
        .add(M::GET, "/api/v1/alerts/rules/{id}", A::AlertsRead, alerts::get_rule)
        .add(M::PUT, "/api/v1/alerts/rules/{id}", A::AlertsManage, alerts::replace_rule)
        .add(M::DELETE, "/api/v1/alerts/rules/{id}", A::AlertsManage, alerts::delete_rule)
        .add(M::GET, "/api/v1/alerts/channels", A::AlertsManage, alerts::list_channels)
        .add(M::POST, "/api/v1/alerts/channels", A::AlertsManage, alerts::create_channel)
        .add(M::PATCH, "/api/v1/alerts/channels/{id}", A::AlertsManage, alerts::edit_channel)
        .add(M::DELETE, "/api/v1/alerts/channels/{id}", A::AlertsManage, alerts::delete_channel)
        .add(M::POST, "/api/v1/alerts/channels/{id}/test", A::AlertsManage, alerts::test_channel)
        .add(M::GET, "/api/v1/alerts/maintenance", A::AlertsRead, alerts::list_windows)
        .add(M::POST, "/api/v1/alerts/maintenance", A::AlertsManage, alerts::create_window)
        .add(M::DELETE, "/api/v1/alerts/maintenance/{id}", A::AlertsManage, alerts::delete_window)
        .add(M::GET, "/api/v1/alerts/incidents", A::AlertsRead, alerts::list_incidents)
        .add(M::GET, "/api/v1/alerts/incidents/{id}", A::AlertsRead, alerts::get_incident)
        .add(M::POST, "/api/v1/alerts/incidents/{id}/acknowledge", A::AlertsAcknowledge, alerts::acknowledge)
        .add(M::GET, "/api/v1/webhooks", A::WebhooksRead, webhooks::list)
        .add(M::POST, "/api/v1/webhooks", A::WebhooksManage, webhooks::create)
        .add(M::GET, "/api/v1/webhooks/{id}", A::WebhooksRead, webhooks::get)
        .add(M::PUT, "/api/v1/webhooks/{id}", A::WebhooksManage, webhooks::update)
        .add(M::DELETE, "/api/v1/webhooks/{id}", A::WebhooksManage, webhooks::delete)
        .add(M::GET, "/api/v1/webhooks/{id}/deliveries", A::WebhooksRead, webhooks::deliveries)
        .add(M::POST, "/api/v1/webhooks/{id}/test", A::WebhooksManage, webhooks::send_test)
        .add(M::POST, "/api/v1/webhooks/{id}/resume", A::WebhooksManage, webhooks::resume)
        .add(M::POST, "/api/v1/webhooks/{id}/pause", A::WebhooksManage, webhooks::pause)
        .add(M::GET, "/api/v1/audit-logs", A::AuditRead, audit::list)
        .add_idempotent(M::POST, "/api/v1/audit-logs/export", A::AuditRead, exports::audit_logs)
        .add(M::GET, "/api/v1/settings/security", A::SettingsManage, audit::settings)
        .add(M::PUT, "/api/v1/settings/security", A::SettingsManage, audit::save_settings)
        .add(M::GET, "/api/v1/settings/retention", A::SettingsManage, audit::retention)
        .add_idempotent(M::POST, "/api/v1/settings/retention/run", A::SettingsManage, audit::run_retention)
        .add(M::PUT, "/api/v1/settings/retention", A::SettingsManage, audit::save_retention)
        .add(M::GET, "/api/v1/status-page", A::StatusPageManage, status_page::settings)
        .add(M::PUT, "/api/v1/status-page", A::StatusPageManage, status_page::save)
        .add(M::GET, "/status", A::Public, status_page::html)
        .add(M::GET, "/status.json", A::Public, status_page::json)
        .add(M::POST, "/api/v1/config/export", A::ConfigExport, transfer::export)
        .add(
            M::POST,
            "/api/v1/config/import",
            A::ConfigImport,
            transfer::import.layer(DefaultBodyLimit::max(transfer::IMPORT_LIMIT)),
        )
}

/// The declared action of every route (what the permission test and the OpenAPI document read).
pub fn route_table() -> Arc<RouteTable> {
    static TABLE: OnceLock<Arc<RouteTable>> = OnceLock::new();
    TABLE.get_or_init(|| routes().finish().1).clone()
}

/// The route × role table as Markdown (what `docs/api.md` shows; a test keeps the two equal).
pub fn permissions_markdown() -> String {
    let mut out =
        String::from("| method | path | action | viewer | operator | admin |\n| --- | --- | --- | :-: | :-: | :-: |\n");
    for (method, path, action) in route_table().routes() {
        let mark = |r: crate::auth::Role| if action.allows(r) { "✓" } else { "" };
        let cells = if action == Action::Public {
            ["anyone"; 3].map(str::to_owned)
        } else {
            [crate::auth::Role::Viewer, crate::auth::Role::Operator, crate::auth::Role::Admin]
                .map(|r| mark(r).to_owned())
        };
        out.push_str(&format!("| {method} | `{path}` | `{action}` | {} | {} | {} |\n", cells[0], cells[1], cells[2]));
    }
    // Permissions a request's body may also need (beside its route's).
    for (action, method, when) in crate::auth::permissions::IN_REQUEST {
        let [v, o, a] = [crate::auth::Role::Viewer, crate::auth::Role::Operator, crate::auth::Role::Admin].map(|r| {
            if action.allows(r) {
                "✓"
            } else {
                ""
            }
        });
        out.push_str(&format!("| {method} | {when} | `{action}` | {v} | {o} | {a} |\n"));
    }
    out
}

/// The whole HTTP router: every route behind the guard, every response through `respond` (the
/// JSON error shape, `nosniff`, the URI limit, a caught panic).
pub fn router(state: AppState) -> Router {
    let (api, table) = routes().finish();
    let guard = guard::Guard { state: state.clone(), table };
    let app = api
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .route_layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        .fallback(|| async { error::ApiError::no_route() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.net.clone(), crate::net::client::middleware))
        .layer(axum::middleware::from_fn_with_state(state.net.limits.body_timeout, body_deadline))
        .with_state(state);
    respond::around(app)
}

/// Serves the API on `listener` until `shutdown` completes: over TLS when `state.net` has a
/// certificate, else plain HTTP, under its connection limits (`net::server`); either way
/// handlers see `ConnectInfo<SocketAddr>`. A request body that has not arrived whole within the
/// body timeout is answered 408 and its connection closed.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let net = state.net.clone();
    tracing::debug!(scheme = net.scheme(), address = %listener.local_addr()?, "serving the API");
    let app = router(state);
    crate::net::server::serve(listener, app, net.tls.clone(), net.limits, shutdown).await
}

/// Gives each request's body until the body timeout to arrive; one still arriving then is
/// answered 408 (whatever its handler made of the failed read) and its connection closed.
async fn body_deadline(
    axum::extract::State(timeout): axum::extract::State<std::time::Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (request, expired) = crate::net::deadline::with_deadline(request, timeout);
    let response = next.run(request).await;
    if !expired.expired() {
        return response;
    }
    let message = format!("the request body did not arrive within {} s; send it at once", timeout.as_secs());
    let mut response =
        error::ApiError::new(axum::http::StatusCode::REQUEST_TIMEOUT, "body_timeout", message).into_response();
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}
