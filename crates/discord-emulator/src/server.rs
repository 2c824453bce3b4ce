//! Starting and stopping the emulator: one HTTP listener serves REST (`/api/v10`, `/api/v9`),
//! the gateway (a WebSocket upgrade on any other path) and the control API (`/_emulator`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use axum::extract::ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade};
use axum::extract::{Query, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::connections::{ConnCommand, Connections};
use crate::faults::Faults;
use crate::gateway::{self, GatewayParams};
use crate::rate_limits::RestLimits;
use crate::rest::{self, error::ApiError};
use crate::world::State;

/// What every handler and connection shares.
#[derive(Debug)]
pub struct Shared {
    pub config: EmulatorConfig,
    pub clock: Arc<Clock>,
    /// `http://127.0.0.1:PORT`.
    pub http_url: String,
    /// `ws://127.0.0.1:PORT` (the gateway URL and `resume_gateway_url`).
    pub ws_url: String,
    state: Mutex<State>,
    connections: Mutex<Connections>,
    limits: Mutex<RestLimits>,
    faults: Mutex<Faults>,
    /// Load-driver worlds already built, by scenario shape, so repeated runs reuse them instead of
    /// growing the world (and every bot's memory) with new guilds each time.
    pub(crate) load_setups: Mutex<HashMap<String, crate::load::Prepared>>,
    next_conn: AtomicU64,
    /// A handle on itself, for tasks that outlive a call (fault schedules, load runs).
    me: Weak<Shared>,
}

// Each lock below is a std Mutex held only for in-memory work, never across `.await`; a poisoned
// lock (a panic elsewhere) still holds consistent data, so it is recovered rather than propagated.
impl Shared {
    /// The world.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Live gateway connections.
    pub fn connections(&self) -> MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// REST rate-limit counters.
    pub fn limits(&self) -> MutexGuard<'_, RestLimits> {
        self.limits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Injected faults.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A strong handle, for spawned tasks (`None` once the emulator is gone).
    pub fn handle(&self) -> Option<Arc<Shared>> {
        self.me.upgrade()
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

async fn gateway_or_404(
    AxumState(shared): AxumState<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return ApiError::not_found().into_response();
    };
    if shared.faults().gateway_down(None, shared.clock.now()) {
        // The whole gateway is down: the upgrade fails, so clients back off as they would.
        return ApiError::unavailable().into_response();
    }
    let params = GatewayParams::from_query(&query);
    upgrade
        .max_message_size(1 << 20)
        .max_frame_size(1 << 20)
        .on_upgrade(move |socket| gateway::serve(shared, params, socket))
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with an OS-chosen port and an empty world.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind("127.0.0.1:0").await?, config)
    }

    /// Starts an emulator on a listener you bound.
    pub fn serve(listener: TcpListener, config: EmulatorConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let clock = Arc::new(Clock::new());
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            faults: Mutex::new(Faults::default()),
            load_setups: Mutex::new(HashMap::new()),
            state: Mutex::new(State::new(clock.clone(), config.replay_capacity)),
            config,
            clock,
            http_url: format!("http://{addr}"),
            ws_url: format!("ws://{addr}"),
            connections: Mutex::new(Connections::default()),
            limits: Mutex::new(RestLimits::default()),
            next_conn: AtomicU64::new(0),
        });
        let api = rest::router(shared.clone());
        let app = Router::new()
            .nest("/api/v10", api.clone())
            .nest("/api/v9", api)
            .nest("/_emulator", crate::control::router())
            .fallback(gateway_or_404)
            .with_state(shared.clone());
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(shutdown).await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        Ok(Self { shared, addr, stop, task: Some(task) })
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — the base URL for botfleet's `BOTFLEET_DISCORD_API_URL`.
    pub fn http_url(&self) -> &str {
        &self.shared.http_url
    }

    /// `http://127.0.0.1:PORT/api/v10`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v10", self.shared.http_url)
    }

    /// `ws://127.0.0.1:PORT` — the gateway.
    pub fn gateway_url(&self) -> &str {
        &self.shared.ws_url
    }

    /// `127.0.0.1:PORT`, the form twilight-http's `proxy` takes.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.shared.faults().clear();
        self.shared.connections().send_to_app(None, ConnCommand::Close(1001));
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// The scripting methods (`create_user`, `user_message`, `reconnect`, …) live on `Shared`, so the
/// control API and in-process tests use the very same code.
impl std::ops::Deref for Emulator {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.shared.faults().clear();
        self.shared.connections().send_to_app(None, ConnCommand::Close(1001));
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
