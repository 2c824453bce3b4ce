//! Building the running service from its configuration — database (migrated), token cipher,
//! Discord settings, event bus, tracking writer, fleet (bots that should run are started) — and
//! running it until shutdown, then stopping in order: intake, bots, in-flight commands, tracking.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::auth::Auth;
use crate::cache::invalidate::Invalidations;
use crate::cache::{Caching, Topic};
use crate::config::ServeConfig;
use crate::discord::DiscordApi;
use crate::error::Result;
use crate::events::EventBus;
use crate::fleet::Fleet;
use crate::secrets::TokenCipher;
use crate::store::Store;
use crate::tracking::Tracker;

/// Everything `run` needs, ready; bots whose desired state is `running` are starting.
pub async fn build(config: &ServeConfig) -> Result<AppState> {
    // First: a TLS or proxy setting that is wrong fails before anything is touched.
    let files = crate::net::limits::raise_file_limit();
    let net = Arc::new(config.net(files)?);
    let limits = &net.limits;
    tracing::info!(
        open_files = files.map(|f| f.soft),
        open_files_hard = files.map(|f| f.hard),
        max_connections = limits.total,
        max_connections_per_ip = limits.per_ip,
        header_timeout_s = limits.header_read_timeout.as_secs(),
        body_timeout_s = limits.body_timeout.as_secs(),
        idle_timeout_s = limits.idle_timeout.as_secs(),
        live_sockets_per_credential = config.connections.live_sockets_per_credential,
        "connection limits"
    );
    let discord = Arc::new(DiscordApi::new(&config.discord_api_url)?);
    let cipher = TokenCipher::load(config.secret_key.key(), &config.storage.data_dir)?;
    if config.several_nodes && crate::store::sqlite_path(&config.storage.url()).is_some() {
        return Err(crate::error::Error::Config(
            "--several-nodes (BOTFLEET_SEVERAL_NODES) needs PostgreSQL: SQLite serves one node".into(),
        ));
    }
    // SQLite serves one node: a second `serve` on the same file stops here, before touching it.
    let single_node = crate::store::sqlite_path(&config.storage.url())
        .map(|path| crate::nodes::SingleNode::claim(std::path::Path::new(path)))
        .transpose()?;
    let store = Store::connect(&config.storage.url()).await?;
    store.migrate().await?;
    let events = EventBus::default();
    let node = crate::nodes::node_id(&config.storage.data_dir)?;
    let nodes = crate::nodes::Registry::new(store.clone(), config.clock.clone(), node.clone(), config.several_nodes);
    if store.backend() == crate::store::Backend::Postgres {
        nodes.check_neighbours().await?;
    }
    let queue = usize::try_from(config.tracking_queue).unwrap_or(crate::tracking::DEFAULT_QUEUE);
    let spool = config.storage.data_dir.join("spool");
    let (tracker, writer) = Tracker::start(store.clone(), config.tracking, queue, spool)?;
    let redis_url = config.cache.redis_url.as_ref().map(crate::secrets::Secret::expose);
    let caching = Caching {
        settings: config.cache.settings(),
        bus: Invalidations::new(&store, &config.storage.url(), redis_url).await?,
    };
    let auth = Auth::new(
        store.clone(),
        cipher.clone(),
        config.clock.clone(),
        config.auth.clone(),
        tracker.clone(),
        caching.clone(),
    )
    .await?;
    let fleet = Fleet::new(
        store.clone(),
        cipher.clone(),
        discord.clone(),
        events.clone(),
        tracker,
        config.clock.clone(),
        config.session_start_floor,
        caching.settings,
    );
    caching.bus.register(Topic::Catalogue, Arc::new(fleet.stock_cache()));
    if config.several_nodes && store.backend() == crate::store::Backend::Postgres {
        // Several nodes share this database: each bot runs where its lease is held.
        fleet.share_with_nodes(crate::nodes::leases::Leases::new(store.clone(), node.clone()), caching.bus.clone());
    }
    // With several nodes, a node's own alert subjects (`node:…`) carry its id: the nodes may share
    // a host name.
    let alert_node = if config.several_nodes { node.clone() } else { crate::metrics::node::node_name() };
    let webhooks = crate::webhooks::Webhooks::new(store.clone(), cipher.clone(), config.clock.clone(), events.clone())?;
    let alerts = crate::alerts::Alerts::new(
        store.clone(),
        cipher.clone(),
        config.clock.clone(),
        events.clone(),
        fleet.clone(),
        webhooks.clone(),
        alert_node,
    );
    let retention = crate::retention::Retention::new(store.clone(), (&config.retention).into());
    let jobs = crate::jobs::Jobs::new(
        store.clone(),
        fleet.clone(),
        retention.clone(),
        events.clone(),
        config.clock.clone(),
        node.clone(),
        (&config.exports).into(),
    );
    let schedules = crate::schedules::Schedules::new(store.clone(), jobs.clone(), fleet.clone(), config.clock.clone());
    let status_page = crate::status_page::StatusPage::new(store.clone(), fleet.clone(), config.clock.clone());
    // A change saved through another node clears this node's page too.
    caching.bus.register(Topic::StatusPage, status_page.clearer());
    let started = fleet.start_desired().await?;
    if started > 0 {
        tracing::info!(bots = started, "starting the bots that were running");
    }
    Ok(AppState {
        store,
        cipher,
        discord,
        events,
        fleet,
        jobs,
        schedules,
        auth,
        caching,
        nodes,
        single_node: Arc::new(Mutex::new(single_node)),
        alerts,
        webhooks,
        retention,
        status_page,
        live: config.websocket,
        metrics_interval: std::time::Duration::from_secs(config.metrics_interval_seconds),
        monitoring: config.monitoring,
        public_readiness: config.public_readiness,
        alert_every: Duration::from_millis(config.alert_evaluation_ms),
        writer: Arc::new(Mutex::new(Some(writer))),
        started: Instant::now(),
        net,
        live_sockets: crate::live::sockets::LiveSockets::new(
            usize::try_from(config.connections.live_sockets_per_credential).unwrap_or(usize::MAX),
        ),
        closing: Arc::new(tokio::sync::watch::channel(false).0),
    })
}

/// Serves until `shutdown`, then stops the bots, lets in-flight commands finish and the tracking
/// writer drain (nothing answered goes unrecorded), and closes the database.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let fleet = state.fleet.clone();
    let writer = state.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
    let housekeeping = state.auth.spawn_maintenance();
    let retention =
        state.jobs.spawn_daily_retention(crate::retention::FIRST_SWEEP_AFTER, crate::retention::SWEEP_EVERY);
    let history = state.monitoring.then(|| {
        crate::metrics::history::History::new(state.store.clone(), state.fleet.clone(), state.auth.clock().clone())
            .spawn(state.metrics_interval)
    });
    let alerts = state.monitoring.then(|| state.alerts.clone().spawn(state.alert_every));
    let webhooks = state.webhooks.clone().spawn(state.alert_every);
    let figures = state.live.then(|| {
        let every = std::time::Duration::from_secs(2);
        crate::live::spawn_figures(state.fleet.clone(), state.store.clone(), state.events.clone(), every)
    });
    let session_saver = fleet.spawn_session_saver(crate::fleet::SESSION_SAVE_EVERY);
    // Looks every second: a burst's memory is given back about a second after its end, and again
    // once its clients are dropped (30–45 s after their last call).
    let memory_release = fleet.spawn_memory_release(crate::fleet::memory_release::LOOK_EVERY);
    let jobs = state.jobs.spawn();
    let schedules = state.schedules.spawn();
    let single_node = state.single_node.lock().unwrap_or_else(PoisonError::into_inner).take();
    let nodes = state.nodes.clone();
    match listener.local_addr() {
        Ok(address) => {
            if let Err(e) = nodes.register(&address.to_string()).await {
                tracing::warn!(error = %e, "this node could not register itself; its heartbeat will try again");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the API's address is unknown; the node is not registered"),
    }
    let heartbeat = {
        let fleet = fleet.clone();
        nodes.spawn(move || fleet.held())
    };
    // Several nodes (PostgreSQL): this node renews its leases and runs the bots it holds.
    let ownership = fleet.spawn_ownership();
    // Changes from the other nodes clear the caches here; catalogue changes made here are told to them.
    let invalidations = state.caching.bus.spawn_listener();
    let announcer = state.caching.bus.spawn_announcer(Topic::Catalogue, state.events.stock_changes());
    // Several nodes: every node's live events reach the dashboards connected to any of them.
    let bridge = (nodes.several() && state.caching.bus.reaches_other_nodes())
        .then(|| crate::live::bridge::spawn(state.events.clone(), state.caching.bus.clone()));
    let closing = state.closing.clone();
    let shutdown = async move {
        shutdown.await;
        // Live sockets close now; the HTTP server stops accepting and finishes requests.
        closing.send_replace(true);
    };
    let result = api::serve(listener, state, shutdown).await;
    housekeeping.abort();
    for task in [
        history,
        alerts,
        Some(webhooks),
        Some(session_saver),
        Some(memory_release),
        Some(jobs),
        Some(schedules),
        Some(retention),
        invalidations,
        Some(announcer),
        Some(heartbeat),
        ownership,
        bridge,
    ]
    .into_iter()
    .flatten()
    {
        task.abort();
        let _ = task.await;
    }
    if let Some(figures) = figures {
        figures.abort();
        let _ = figures.await;
    }
    fleet.shutdown().await;
    drop(fleet);
    // Noted before the writer drains: the other nodes share the bots out without this one now.
    let stopped = nodes.stopped().await;
    if let Some(writer) = writer {
        // The writer ends once every tracker is gone: bots stopped, command tasks finished.
        if tokio::time::timeout(Duration::from_secs(30), writer).await.is_err() {
            tracing::error!("tracking did not finish within 30 s; some records may be missing");
        }
    }
    if let Err(e) = stopped {
        tracing::warn!(error = %e, "this node's clean stop could not be noted; others see it as missing");
    }
    store.close().await;
    drop(single_node);
    result
}
