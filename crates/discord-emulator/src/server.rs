//! Starting and stopping the emulator: one HTTP listener serves REST (`/api/v10`, `/api/v9`),
//! the gateway (a WebSocket upgrade on any other path) and the control API (`/_emulator`). The
//! top floor: it builds the shared state, mounts the REST, control and gateway routes on it, and
//! starts and stops the server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::connections::ConnCommand;
use crate::shared::Shared;
use crate::{control, gateway, rest};

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with an OS-chosen port and an empty world.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind("127.0.0.1:0").await?, config)
    }

    /// Starts an emulator on a listener you bound.
    pub fn serve(listener: TcpListener, config: EmulatorConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let shared = Shared::new(config, addr);
        let api = rest::router(shared.clone());
        let app = Router::new()
            .nest("/api/v10", api.clone())
            .nest("/api/v9", api)
            .nest("/_emulator", control::router())
            .fallback(gateway::accept)
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
