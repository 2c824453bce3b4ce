//! The fleet: a supervisor with one task per running bot. It starts, stops and restarts bots,
//! persists what an admin wants (so running bots come back after a restart), keeps each bot's
//! runtime status, and publishes every status change on the event bus. A bot whose runner panics,
//! or ends for a reason that may pass by itself, is started again after a delay that grows while
//! it keeps failing (`supervise`, `crash_loop`).

pub mod antispam;
pub mod crash_loop;
pub mod directory;
pub mod forward;
pub mod handled;
pub mod health;
pub mod identify;
pub mod invalid;
pub mod latency;
pub mod memory_release;
pub mod ownership;
pub mod pace;
pub mod rest_clients;
pub mod rest_meter;
pub mod runner;
pub mod server_rules;
pub mod session;
pub mod stock_message;
pub mod wanted_events;

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bots::{repo, BotConfig, BotCounts, DesiredState, Status};
use crate::commands::{panic_message, Registry};
use crate::discord::DiscordApi;
use crate::error::{Error, Result};
use crate::events::{Event, EventBus};
use crate::logs::bot_logs::BotLogRecord;
use crate::metrics::history::Sampled;
use crate::metrics::runtime::{BotRuntime, Runtimes};
use crate::metrics::{Fault, Metrics};
use crate::secrets::{Secret, TokenCipher};
use crate::stock::StockCache;
use crate::store::Store;
use crate::time::Clock;
use crate::tracking::Tracker;
use crash_loop::CrashLoop;
pub use latency::{Latencies, LatencySummary};
use runner::Ended;

/// How often running bots' gateway sessions are saved: what a kill -9 may replay (never lose).
pub const SESSION_SAVE_EVERY: Duration = Duration::from_secs(2);

/// A running bot task and the switch that stops it.
struct Handle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// [`session::fingerprint`] of the token and intents it runs with: a restart with the same
    /// ones resumes its session.
    fingerprint: String,
    /// The token it runs with: calls made as the bot while it runs use its client.
    token: Secret,
}

/// What every bot task shares.
pub struct FleetInner {
    pub store: Store,
    pub cipher: TokenCipher,
    pub discord: Arc<DiscordApi>,
    pub events: EventBus,
    pub tracker: Tracker,
    pub registry: Registry,
    pub latencies: Latencies,
    /// Prometheus counters and histograms (`GET /metrics`).
    pub metrics: Metrics,
    /// Each bot's connection figures (`GET /bots/{id}/health`).
    pub runtimes: Arc<Runtimes>,
    /// Counts each bot's REST calls and the 429s met on them (into `runtimes`).
    pub rest: rest_meter::RestMeter,
    /// Each bot's one REST client (and rate limiter), made on demand.
    pub clients: rest_clients::RestClients,
    /// Each bot's bulk REST calls, spaced under Discord's global limit.
    pace: pace::Pace,
    /// The clock time-dependent rules read (anti-spam windows and cooldowns).
    pub clock: Clock,
    /// The visible catalogue `/stock` reads.
    pub stock: StockCache,
    // std Mutexes: held for map operations only, never across an await.
    tasks: Mutex<HashMap<i64, Handle>>,
    /// Set by [`Fleet::shutdown`] (under the `tasks` lock): no bot task starts after it, so a
    /// start racing the shutdown (a job's item) cannot leave a second session running.
    closing: std::sync::atomic::AtomicBool,
    statuses: Mutex<HashMap<i64, (Status, Option<String>)>>,
    /// Each bot's identify gate, kept across its restarts (a restart waits its turn instead of
    /// being refused with op 9).
    identify_gates: Mutex<HashMap<i64, identify::IdentifyGate>>,
    /// Below this many session starts left today a bot does not identify (`--session-start-floor`).
    pub session_start_floor: u32,
    /// Discord's invalid-request budget for this IP, fleet-wide and per bot.
    pub invalid: Arc<invalid::InvalidRequests>,
    /// Each bot's gateway session, saved every few seconds and at shutdown, resumed on start.
    pub sessions: session::SessionBook,
    /// Bots being stopped so that their session stays resumable (shutdown, a restart with the
    /// same token and intents): their runner closes with a resume code and notes the session.
    suspending: Mutex<HashSet<i64>>,
    /// Each bot's [`handled::Handled`].
    handled: Mutex<HashMap<(i64, u32), handled::Handled>>,
    /// With several nodes on PostgreSQL: the bots' leases (`ownership`).
    leases: std::sync::OnceLock<crate::nodes::leases::Leases>,
    /// With several nodes: the bus that wakes a node for a request made through another
    /// (`forward`).
    node_bus: std::sync::OnceLock<crate::cache::invalidate::Invalidations>,
    /// With several nodes: taken by each ownership round and by each start, stop or restart, so
    /// that a round never starts a bot an admin is stopping (an async turn, not a data lock).
    turn: tokio::sync::Mutex<()>,
    /// Ownership rounds in a row this node held more than its share.
    rounds_over: Mutex<u32>,
    /// With several nodes: the statuses of bots other nodes run, as read at the last round.
    remote_statuses: Mutex<HashMap<i64, (Status, Option<String>)>>,
    /// With several nodes: the bots other nodes hold, as read at the last round (their statuses
    /// may not be written yet).
    held_elsewhere: Mutex<HashSet<i64>>,
    /// With several nodes: the statuses of this node's bots as last written for the others.
    reported: Mutex<HashMap<i64, (Status, Option<String>)>>,
    /// The shards each bot's runner here runs (set once it knows them).
    parts: Mutex<HashMap<i64, ownership::Part>>,
    /// The bots' servers and channels as last read for the pickers.
    pub directory: directory::Directory,
    /// The running bots' per-server settings.
    pub server_rules: server_rules::ServerRulesBook,
}

impl FleetInner {
    /// The bot's identify gate (made on first use).
    pub fn identify_gate(&self, bot_id: i64) -> identify::IdentifyGate {
        // Several nodes: the turns are kept with the other nodes, in the database.
        let several = self.leases.get().is_some();
        lock(&self.identify_gates)
            .entry(bot_id)
            .or_insert_with(|| match several {
                true => identify::IdentifyGate::shared(self.store.clone(), bot_id),
                false => identify::IdentifyGate::default(),
            })
            .clone()
    }

    /// The bot's record of the gateway events it has finished with (made on first use; kept across
    /// its runner's restarts, so the supervisor sees where a panicking runner was).
    pub fn handled(&self, bot_id: i64, shard: u32) -> handled::Handled {
        lock(&self.handled).entry((bot_id, shard)).or_default().clone()
    }

    /// Each shard's record of the gateway events it has finished with, for one bot.
    pub fn handled_shards(&self, bot_id: i64) -> Vec<(u32, handled::Handled)> {
        lock(&self.handled).iter().filter(|((b, _), _)| *b == bot_id).map(|((_, s), h)| (*s, h.clone())).collect()
    }

    /// Whether the bot is being stopped to be resumed later (and forgets that it was).
    pub fn take_suspending(&self, bot_id: i64) -> bool {
        lock(&self.suspending).remove(&bot_id)
    }
}

impl std::fmt::Debug for FleetInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetInner").field("registry", &self.registry).finish_non_exhaustive()
    }
}

/// What a start, stop or restart did: the bot's status after it, and what an admin wanted of
/// the bot before and wants now (the audit row's old and new values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub desired_before: DesiredState,
    pub desired_after: DesiredState,
}

/// What a call made as a bot goes through: its one client (and rate limiter) and its meter.
#[derive(Debug, Clone)]
pub struct BotRest {
    pub http: Arc<twilight_http::Client>,
    pub meter: rest_meter::Meter,
}

/// The supervisor. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Fleet {
    inner: Arc<FleetInner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FleetInner {
    /// A bot's current status.
    pub fn status_of(&self, bot_id: i64) -> Status {
        lock(&self.statuses).get(&bot_id).map_or(Status::Stopped, |(s, _)| *s)
    }

    /// Records and publishes a status change (and a bot log line for failures).
    pub async fn set_status(&self, bot_id: i64, status: Status, reason: Option<String>) {
        let changed = {
            let mut statuses = lock(&self.statuses);
            let previous = statuses.insert(bot_id, (status, reason.clone()));
            let changed = previous.as_ref() != Some(&(status, reason.clone()));
            if changed {
                // Under the statuses lock, so the uptime clock sees changes in their order.
                self.runtimes.status(bot_id, status, self.clock.now_ms());
            }
            changed
        };
        if !changed {
            return;
        }
        let now = self.clock.now_ms();
        self.runtimes.update(bot_id, |r| r.status_since = Some(now));
        if status == Status::Failed {
            self.bot_log(bot_id, "error", "failed", reason.clone().unwrap_or_default()).await;
        }
        tracing::info!(bot_id, status = status.as_str(), reason = reason.as_deref().unwrap_or(""), "bot status");
        self.events.publish(Event::BotStatus { bot_id, status: status.as_str().to_owned(), reason });
    }

    /// Queues a bot log line.
    pub async fn bot_log(&self, bot_id: i64, level: &'static str, event: &str, message: String) {
        let at = self.clock.now_ms();
        self.events.publish(Event::BotLog(crate::events::BotLogEvent {
            bot_id,
            at: crate::time::rfc3339(at),
            level: level.to_owned(),
            event: event.to_owned(),
            message: message.clone(),
        }));
        self.tracker.bot_log(BotLogRecord { bot_id, at, level, event: event.to_owned(), message }).await;
    }
}

impl Fleet {
    /// How many bots run in this process (their tasks).
    pub fn held(&self) -> usize {
        self.inner.tasks.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// The names of the slash commands each bot registers when it starts.
    pub fn slash_command_names(&self) -> Vec<String> {
        self.inner.registry.slash_definitions().into_iter().map(|c| c.name).collect()
    }

    /// The visible catalogue's cache (shared).
    pub fn stock_cache(&self) -> StockCache {
        self.inner.stock.clone()
    }

    /// A fleet with no bots running; its catalogue cache made with `cache`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        cipher: TokenCipher,
        discord: Arc<DiscordApi>,
        events: EventBus,
        tracker: Tracker,
        clock: Clock,
        session_start_floor: u32,
        cache: crate::cache::CacheSettings,
    ) -> Self {
        let stock = StockCache::new(store.clone(), events.stock_changes(), cache);
        let runtimes = Arc::new(Runtimes::default());
        let invalid = Arc::new(invalid::InvalidRequests::new(clock.clone(), invalid::Levels::default()));
        let rest = rest_meter::RestMeter::new(runtimes.clone(), invalid.clone());
        Self {
            inner: Arc::new(FleetInner {
                stock,
                store,
                cipher,
                discord: discord.clone(),
                events,
                tracker,
                registry: Registry::default(),
                latencies: Latencies::default(),
                metrics: Metrics::default(),
                runtimes,
                rest,
                clients: rest_clients::RestClients::new(discord.clone()),
                pace: pace::Pace::default(),
                clock,
                tasks: Mutex::new(HashMap::new()),
                closing: std::sync::atomic::AtomicBool::new(false),
                statuses: Mutex::new(HashMap::new()),
                identify_gates: Mutex::new(HashMap::new()),
                session_start_floor,
                invalid,
                sessions: session::SessionBook::default(),
                suspending: Mutex::new(HashSet::new()),
                handled: Mutex::new(HashMap::new()),
                leases: std::sync::OnceLock::new(),
                node_bus: std::sync::OnceLock::new(),
                turn: tokio::sync::Mutex::new(()),
                rounds_over: Mutex::new(0),
                remote_statuses: Mutex::new(HashMap::new()),
                held_elsewhere: Mutex::new(HashSet::new()),
                reported: Mutex::new(HashMap::new()),
                parts: Mutex::new(HashMap::new()),
                directory: directory::Directory::default(),
                server_rules: server_rules::ServerRulesBook::default(),
            }),
        }
    }

    /// A bot's status and reason: as this node runs it, or (several nodes) as the node running it
    /// last wrote it, or made of both when its shards run on several nodes.
    pub fn status(&self, bot_id: i64) -> (Status, Option<String>) {
        let here = lock(&self.inner.statuses).get(&bot_id).cloned();
        if self.leases().is_none() {
            return here.unwrap_or((Status::Stopped, None));
        }
        let remote = lock(&self.inner.remote_statuses).get(&bot_id).cloned();
        let runs_here = lock(&self.inner.tasks).contains_key(&bot_id);
        match (runs_here, remote) {
            (true, Some(remote)) => ownership::combined(here.into_iter().chain([remote])),
            (true, None) => here,
            (false, Some(remote)) => Some(remote),
            (false, None) => here,
        }
        .unwrap_or((Status::Stopped, None))
    }

    /// Whether this node runs the bot's home (shard 0; every shard with one node): a runner that
    /// does not know its shards yet counts as home.
    pub(crate) fn home_here(&self, bot_id: i64) -> bool {
        lock(&self.inner.tasks).contains_key(&bot_id)
            && lock(&self.inner.parts).get(&bot_id).is_none_or(ownership::Part::home)
    }

    /// Several nodes: the bots whose home another node holds now (its lease live), as read at
    /// the last ownership round; empty with one node.
    pub fn held_elsewhere(&self) -> HashSet<i64> {
        if self.leases().is_none() {
            return HashSet::new();
        }
        let remote: Vec<i64> = lock(&self.inner.held_elsewhere).iter().copied().collect();
        remote.into_iter().filter(|id| !self.home_here(*id)).collect()
    }

    /// Counts of bots by status (bots never started count as stopped).
    pub fn summary(&self, all_bots: &[i64]) -> BotCounts {
        let mut counts = BotCounts::default();
        for id in all_bots {
            counts.add(self.status(*id).0);
        }
        counts
    }

    /// A bot's status and connection figures.
    pub fn runtime(&self, bot_id: i64) -> (Status, Option<String>, BotRuntime) {
        let (status, reason) = self.status(bot_id);
        (status, reason, self.inner.runtimes.get(bot_id))
    }

    /// A bot's gateway events per second over the last minute.
    pub fn events_per_second(&self, bot_id: i64) -> f64 {
        self.inner.runtimes.events_per_second(bot_id, self.inner.clock.now_ms())
    }

    /// Discord's invalid-request budget as used: (in the last 10 minutes, since start).
    pub fn invalid_requests(&self) -> (u64, u64) {
        (self.inner.invalid.in_window(None).0, self.inner.invalid.total())
    }

    /// The connection figures of every bot that ran in this process, by id.
    pub fn runtimes(&self) -> Vec<(i64, BotRuntime)> {
        self.inner.runtimes.all()
    }

    /// The meter a REST call made with a bot's token goes through (`None`: a configuration not
    /// saved as a bot).
    pub fn rest_meter(&self, bot_id: Option<i64>) -> rest_meter::Meter {
        self.inner.rest.bot(bot_id)
    }

    /// The REST client and meter of calls made as a bot: the running bot's own client (shared with
    /// its replies, so both spend one rate-limit budget), or for a bot that is not running the
    /// client kept for its saved token. `NotFound` for no such bot.
    pub async fn rest(&self, bot_id: i64) -> Result<BotRest> {
        let running = lock(&self.inner.tasks).get(&bot_id).filter(|h| !h.task.is_finished()).map(|h| h.token.clone());
        let token = match running {
            Some(token) => token,
            None => repo::token(&self.inner.store, &self.inner.cipher, bot_id).await?,
        };
        Ok(BotRest { http: self.inner.clients.get(bot_id, &token), meter: self.rest_meter(Some(bot_id)) })
    }

    /// Waits for the bot's next slot for a bulk REST call (a batch's message, a channel check):
    /// at most [`pace::SENDS`] in any [`pace::WINDOW`], so that they never meet Discord's global
    /// limit (see [`pace`]).
    pub async fn send_slot(&self, bot_id: i64) {
        self.inner.pace.slot(bot_id).await;
    }

    /// How many bots have a REST client now.
    pub fn rest_clients_kept(&self) -> usize {
        self.inner.clients.kept()
    }

    /// The Prometheus counters and histograms.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Records waiting for the tracking writer.
    pub fn tracking_queue_depth(&self) -> usize {
        self.inner.tracker.queue_depth()
    }

    /// Tracking records that could not be stored since start.
    pub fn tracking_dropped(&self) -> u64 {
        self.inner.tracker.dropped()
    }

    /// How many records the tracking queue holds before records go to the spool.
    pub fn tracking_queue_capacity(&self) -> usize {
        self.inner.tracker.queue_capacity()
    }

    /// Tracking records kept in the spool until the database takes them.
    pub fn tracking_spooled(&self) -> crate::tracking::SpoolFigures {
        self.inner.tracker.spooled()
    }

    /// The in-process answer-latency histogram.
    pub fn latencies(&self) -> &Latencies {
        &self.inner.latencies
    }

    /// Starts a bot (a no-op when it already runs) and remembers that it should run. A bot whose
    /// saved settings cannot be read is not started: it is `failed`, with the reason. With several
    /// nodes, a bot another node runs is left there (its status answered).
    pub async fn start(&self, bot_id: i64) -> Result<Transition> {
        let _turn = self.turn().await;
        let (config, before) = self.run_settings(bot_id).await?;
        // Claimed before it is marked to run: another node's round would take it in between.
        if self.claim_here(bot_id).await?.is_some() {
            // Held by another node, so running there already (a held bot is one to run).
            return Ok(Transition {
                status: self.status(bot_id).0,
                desired_before: before,
                desired_after: DesiredState::Running,
            });
        }
        repo::set_desired(&self.inner.store, bot_id, DesiredState::Running).await?;
        let status = self.spawn(config)?;
        Ok(Transition { status, desired_before: before, desired_after: DesiredState::Running })
    }

    /// Stops a bot and remembers that it should not run. With several nodes, a bot another node
    /// runs stops there at its next round (within [`crate::nodes::leases::RENEW_EVERY`]).
    pub async fn stop(&self, bot_id: i64) -> Result<Transition> {
        let _turn = self.turn().await;
        let before = repo::desired_state(&self.inner.store, bot_id).await?;
        repo::set_desired(&self.inner.store, bot_id, DesiredState::Stopped).await?;
        self.halt(bot_id, false).await;
        self.release_here(bot_id).await;
        Ok(Transition { status: Status::Stopped, desired_before: before, desired_after: DesiredState::Stopped })
    }

    /// Stops then starts a bot (picking up changed settings), and remembers that it should run.
    /// With the same token and intents its gateway session is resumed (nothing users send in
    /// between is missed); a changed token or intents identifies afresh. With several nodes, every
    /// node running some of its shards restarts them (asked through the others).
    pub async fn restart(&self, bot_id: i64) -> Result<Transition> {
        let turn = self.turn().await;
        let home = self.claim_here(bot_id).await?;
        let others = match self.leases() {
            Some(leases) => leases.holders_elsewhere(bot_id).await?,
            None => Vec::new(),
        };
        // Here: the bot's home, or some of its shards.
        let mut restarted = None;
        if home.is_none() || lock(&self.inner.tasks).contains_key(&bot_id) {
            restarted = Some(self.restart_here(bot_id).await?);
        }
        drop(turn);
        let elsewhere =
            futures_util::future::join_all(others.iter().map(|node| self.restart_elsewhere(bot_id, node))).await;
        // The bot's status is its home's (this node's, or the node asked for it).
        let mut status = Status::Starting;
        for (node, answer) in others.iter().zip(elsewhere) {
            let answered = answer?;
            if home.as_deref() == Some(node.as_str()) {
                status = answered;
            }
        }
        if let (None, Some(transition)) = (&home, restarted) {
            return Ok(transition);
        }
        let before = repo::desired_state(&self.inner.store, bot_id).await?;
        Ok(Transition { status, desired_before: before, desired_after: DesiredState::Running })
    }

    /// [`Fleet::restart`] of a bot this node may run (its turn taken).
    pub(super) async fn restart_here(&self, bot_id: i64) -> Result<Transition> {
        let (config, before) = self.run_settings(bot_id).await?;
        let fingerprint = session::fingerprint(config.token.expose(), config.intents);
        let same = lock(&self.inner.tasks).get(&bot_id).is_some_and(|h| h.fingerprint == fingerprint);
        self.halt(bot_id, same).await;
        repo::set_desired(&self.inner.store, bot_id, DesiredState::Running).await?;
        let status = self.spawn(config)?;
        Ok(Transition { status, desired_before: before, desired_after: DesiredState::Running })
    }

    /// With several nodes, this node's turn to change which bots run here (none to wait for
    /// otherwise).
    pub(super) async fn turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.leases() {
            Some(_) => Some(self.inner.turn.lock().await),
            None => None,
        }
    }

    /// Starts a bot whose lease this node holds, if it should still run (its settings read now).
    async fn start_held(&self, bot_id: i64) -> Result<Status> {
        let (config, desired) = self.run_settings(bot_id).await?;
        if desired != DesiredState::Running {
            return Ok(Status::Stopped);
        }
        self.spawn(config)
    }

    /// What a bot runs with and what an admin wanted of it, in one read. Settings that cannot be
    /// read make the bot `failed` with the reason (where the dashboard shows it).
    async fn run_settings(&self, bot_id: i64) -> Result<(BotConfig, DesiredState)> {
        match repo::runtime_config(&self.inner.store, &self.inner.cipher, bot_id).await {
            Err(Error::Unreadable(why)) => {
                self.inner.set_status(bot_id, Status::Failed, Some(why.clone())).await;
                Err(Error::Unreadable(why))
            }
            other => other,
        }
    }

    /// Runs a bot's task unless one is running; the bot's status. Refused once the fleet is
    /// shutting down (the bot's desired state is kept: it starts with the next run).
    fn spawn(&self, config: BotConfig) -> Result<Status> {
        let bot_id = config.id;
        let mut tasks = lock(&self.inner.tasks);
        if self.is_closing() {
            return Err(Error::Conflict("botfleet is shutting down; the bot starts when it runs again".into()));
        }
        if let Some(handle) = tasks.get(&bot_id) {
            if !handle.task.is_finished() {
                return Ok(self.status(bot_id).0);
            }
        }
        let (stop, stopped) = watch::channel(false);
        let fingerprint = session::fingerprint(config.token.expose(), config.intents);
        let token = config.token.clone();
        let task = tokio::spawn(supervise(self.inner.clone(), config, stopped));
        tasks.insert(bot_id, Handle { stop, task, fingerprint, token });
        Ok(Status::Starting)
    }

    /// Whether [`Fleet::shutdown`] has begun.
    pub fn is_closing(&self) -> bool {
        self.inner.closing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops a bot's task without changing what it should do (shutdown, restart). With
    /// `keep_session` its gateway session stays resumable and is noted; without, it ends and is
    /// forgotten.
    async fn halt(&self, bot_id: i64, keep_session: bool) {
        let handle = lock(&self.inner.tasks).remove(&bot_id);
        if let Some(handle) = handle {
            if keep_session {
                lock(&self.inner.suspending).insert(bot_id);
            } else {
                self.inner.sessions.forget(bot_id);
            }
            let _ = handle.stop.send(true);
            let mut task = handle.task;
            if tokio::time::timeout(Duration::from_secs(10), &mut task).await.is_err() {
                task.abort();
            }
            lock(&self.inner.suspending).remove(&bot_id);
        }
        self.inner.runtimes.update(bot_id, |r| r.next_attempt_at = None);
        self.inner.set_status(bot_id, Status::Stopped, None).await;
    }

    /// Forgets a deleted bot.
    pub async fn forget(&self, bot_id: i64) {
        self.halt(bot_id, false).await;
        self.inner.sessions.forget(bot_id);
        self.inner.runtimes.forget(bot_id);
        lock(&self.inner.statuses).remove(&bot_id);
        lock(&self.inner.identify_gates).remove(&bot_id);
        lock(&self.inner.handled).retain(|(b, _), _| *b != bot_id);
        self.inner.clients.forget(bot_id);
        self.inner.directory.forget(bot_id);
    }

    /// Starts every bot whose desired state is `running` (at boot), resuming the gateway sessions
    /// an earlier run saved.
    pub async fn start_desired(&self) -> Result<usize> {
        self.inner.sessions.fill(session::load_all(&self.inner.store).await?);
        if self.leases().is_some() {
            // Several nodes: each bot starts on the node that claims it (`spawn_ownership`).
            return Ok(0);
        }
        let ids = repo::desired_running(&self.inner.store).await?;
        for id in &ids {
            if let Err(e) = self.start(*id).await {
                tracing::warn!(bot_id = id, error = %e, "could not start bot");
            }
        }
        Ok(ids.len())
    }

    /// Stops every bot, keeping their desired state and their sessions resumable, waits for their
    /// tasks (all at once: each may wait for its close frame to be echoed), and saves the sessions.
    pub async fn shutdown(&self) {
        let ids: Vec<i64> = {
            let tasks = lock(&self.inner.tasks);
            self.inner.closing.store(true, std::sync::atomic::Ordering::SeqCst);
            tasks.keys().copied().collect()
        };
        futures_util::future::join_all(ids.into_iter().map(|id| self.halt(id, true))).await;
        self.save_sessions().await;
        self.hand_over_all().await;
    }

    /// Writes the sessions noted since the last save; a failure is logged and retried next time.
    pub async fn save_sessions(&self) {
        match self.inner.sessions.save(&self.inner.store).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "gateway sessions saved"),
            Err(e) => tracing::warn!(error = %e, "could not save gateway sessions; retrying at the next save"),
        }
    }

    /// Every `every`, if a burst of REST calls is over ([`memory_release::ReleasePlan`]: the fleet
    /// went quiet after calls, or clients were dropped), closes the database connections that are
    /// idle ([`Store::close_idle_connections`]: their statements and page caches) and gives the
    /// allocator's free pages back to the system: glibc would otherwise keep the memory the
    /// burst's connections and requests used (`alloc_trim`; issue 26 measured 82.8 → 73.2 MB for
    /// 1,000 bots after 10,000 commands from the trim alone). Steady fleets are left alone.
    pub fn spawn_memory_release(&self, every: Duration) -> JoinHandle<()> {
        let fleet = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            let mut plan = memory_release::ReleasePlan::new(fleet.inner.clients.calls());
            loop {
                tick.tick().await;
                let dropped = fleet.inner.clients.take_dropped();
                if !plan.due(dropped, fleet.inner.clients.calls(), tokio::time::Instant::now()) {
                    continue;
                }
                let closed = fleet.inner.store.close_idle_connections().await;
                match tokio::task::spawn_blocking(alloc_trim::release_free_memory).await {
                    Ok(released) => tracing::debug!(dropped, closed, released, "free memory given back after a burst"),
                    Err(e) => tracing::warn!(error = %e, "giving free memory back failed"),
                }
            }
        })
    }

    /// Saves the gateway sessions every `every` (so a kill -9 or a crash leaves recent ones), and a
    /// new session at once.
    pub fn spawn_session_saver(&self, every: Duration) -> JoinHandle<()> {
        let fleet = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = fleet.inner.sessions.new_session_noted() => {}
                }
                fleet.save_sessions().await;
            }
        })
    }
}

/// Runs a bot's runner until it stops or fails for good. A failure that may pass by itself (a
/// panic, the gateway giving up for a reason a person need not fix) starts it again after the
/// delay `crash_loop` sets: `reconnecting` meanwhile, its reason and `next_attempt_at` saying
/// when. Each such failure is one `error` bot log line (a panic also one `bot_panic` fault). A
/// failure only a person can fix leaves the bot `failed`. A stop during the wait stops the bot.
async fn supervise(fleet: Arc<FleetInner>, bot: BotConfig, stop: watch::Receiver<bool>) {
    let id = bot.id;
    let mut crashes = CrashLoop::default();
    loop {
        let started = fleet.clock.now_ms();
        let run = runner::run(fleet.clone(), bot.clone(), stop.clone());
        // The runner's state (shard, clients, stock keeper) is dropped by the unwind; nothing it
        // shares with the fleet is held across the panic (std locks are only taken briefly).
        let (event, why) = match AssertUnwindSafe(run).catch_unwind().await {
            Ok(Ended::Stopped) => return,
            Ok(Ended::Failed { permanent: true, reason }) => {
                fleet.set_status(id, Status::Failed, Some(reason)).await;
                return;
            }
            Ok(Ended::Failed { permanent: false, reason }) => ("failed", reason),
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                // The next runner resumes the session, past the event the loop was handling:
                // replayed, it would panic again.
                for (shard, handled) in fleet.handled_shards(id) {
                    fleet.sessions.skip_past(id, shard, handled.current());
                }
                tracing::error!(bot_id = id, panic = %message, "a bot's runner panicked");
                fleet.metrics.fault(Fault::BotPanic);
                ("panic", format!("the bot's runner panicked: {message}"))
            }
        };
        let delay = crashes.fail(started, fleet.clock.now_ms());
        let reason = delay.reason(&why);
        tracing::warn!(bot_id = id, next_attempt_at = delay.at_ms, reason = %reason, "restarting a bot after a failure");
        fleet.bot_log(id, "error", event, reason.clone()).await;
        fleet.runtimes.update(id, |r| r.next_attempt_at = Some(delay.at_ms));
        fleet.set_status(id, Status::Reconnecting, Some(reason)).await;
        let mut stop = stop.clone();
        let stopped = *stop.borrow_and_update()
            || tokio::select! {
                () = fleet.clock.sleep_until(delay.at_ms) => false,
                _ = stop.changed() => true,
            };
        fleet.runtimes.update(id, |r| r.next_attempt_at = None);
        if stopped {
            fleet.set_status(id, Status::Stopped, None).await;
            return;
        }
    }
}

impl Sampled for Fleet {
    fn totals(&self, now_ms: i64) -> std::collections::BTreeMap<i64, crate::metrics::Totals> {
        crate::metrics::totals(&self.inner.metrics, &self.inner.runtimes, now_ms)
    }

    fn tracking_queue_depth(&self) -> usize {
        self.inner.tracker.queue_depth()
    }
}
