//! Background jobs: heavy work (a bulk restart of the fleet, …) stored as a job with one item per
//! unit of work, run by a runner in the background with progress on the live bus, cancellable
//! between items and retried item by item. Durable: a job survives a restart or a kill -9 and
//! continues from its unfinished items; no item whose result was recorded runs again. Several nodes
//! sharing one PostgreSQL each claim jobs by lease (`repo::claim`), so a job runs on one node, and
//! a node that dies leaves its jobs to be claimed again when its lease runs out.

pub mod bulk;
pub mod exports;
pub mod messages;
pub mod model;
pub mod repo;
pub mod retention;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::events::{Event, EventBus, JobEvent};
use crate::fleet::Fleet;
use crate::retention::Retention;
use crate::store::Store;
use crate::time::Clock;
use model::{Job, JobKind, Outcome};

/// How long a node holds a job without recording an item before another may take it over.
pub const LEASE: Duration = Duration::from_secs(120);
/// How often the runner looks for jobs when nothing woke it.
const POLL: Duration = Duration::from_secs(1);
/// Progress of one job goes to the live bus at most this often (state changes always go).
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The jobs service. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    fleet: Fleet,
    retention: Retention,
    events: EventBus,
    clock: Clock,
    /// This node's name in `jobs.claimed_by`: stable across restarts of the same node (read from
    /// its data directory), so a restarted node takes back its jobs at once.
    node: String,
    /// Wakes the runner when a job is queued.
    wake: Notify,
    /// Export files' size cap and time to live.
    exports: exports::ExportLimits,
}

impl Jobs {
    /// The service; [`Jobs::spawn`] starts its runner.
    pub fn new(
        store: Store,
        fleet: Fleet,
        retention: Retention,
        events: EventBus,
        clock: Clock,
        node: String,
        exports: exports::ExportLimits,
    ) -> Self {
        let wake = Notify::new();
        Self { inner: Arc::new(Inner { store, fleet, retention, events, clock, node, wake, exports }) }
    }

    /// Queues a job with one item per target.
    pub async fn submit(&self, kind: JobKind, params: Value, targets: &[String], created_by: &str) -> Result<Job> {
        self.submit_keyed(kind, params, targets, created_by, None).await
    }

    /// Queues a job, or with a `unique_key` returns the job queued before under it.
    async fn submit_keyed(
        &self,
        kind: JobKind,
        params: Value,
        targets: &[String],
        created_by: &str,
        unique_key: Option<&str>,
    ) -> Result<Job> {
        if targets.is_empty() {
            return Err(Error::field("items", "a job needs at least one item"));
        }
        let now = self.inner.clock.now_ms();
        let job = repo::create(&self.inner.store, kind, &params, targets, created_by, now, unique_key).await?;
        self.publish(&job);
        self.inner.wake.notify_one();
        Ok(job)
    }

    /// Queues a retention run with the settings in force now. With a `unique_key` (the daily run's
    /// [`retention::daily_key`]) a run queued before under it is returned instead.
    pub async fn submit_retention(&self, created_by: &str, unique_key: Option<&str>) -> Result<Job> {
        let params = retention::RetentionParams {
            now_ms: self.inner.clock.now_ms(),
            days: self.inner.retention.settings().await?,
        };
        let params = serde_json::to_value(params).map_err(|e| Error::Unreadable(e.to_string()))?;
        self.submit_keyed(JobKind::Retention, params, &retention::targets(), created_by, unique_key).await
    }

    /// Queues a batch of messages (checked by the caller: [`messages::MessageBatch::check`]), one
    /// item per message and channel. With a `unique_key` (a schedule's run), a job queued before
    /// under it is returned instead: one job per key, across restarts and nodes.
    pub async fn submit_messages(
        &self,
        batch: &messages::MessageBatch,
        created_by: &str,
        unique_key: Option<&str>,
    ) -> Result<Job> {
        batch.check().map_err(Error::Validation)?;
        let params = serde_json::to_value(batch).map_err(|e| Error::Unreadable(e.to_string()))?;
        self.submit_keyed(JobKind::Messages, params, &batch.targets(), created_by, unique_key).await
    }

    /// Submits the day's retention run `first_after` from now, then every `every`: every node
    /// does, and the day's key makes it one run whichever node comes first.
    pub fn spawn_daily_retention(&self, first_after: Duration, every: Duration) -> JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(Instant::now() + first_after, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let key = retention::daily_key(jobs.inner.clock.now_ms());
                match jobs.submit_retention("system", Some(&key)).await {
                    Ok(job) => tracing::info!(job_id = job.id, key, "the day's retention run is queued"),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not queue the day's retention run; tomorrow's will cover it")
                    }
                }
            }
        })
    }

    /// Asks a job to stop (see [`repo::request_cancel`]).
    pub async fn cancel(&self, id: i64) -> Result<Job> {
        let job = repo::request_cancel(&self.inner.store, id, self.inner.clock.now_ms()).await?;
        self.publish(&job);
        Ok(job)
    }

    /// Runs a finished job's failed and cancelled items again.
    pub async fn retry(&self, id: i64) -> Result<Job> {
        let job = repo::retry(&self.inner.store, id).await?;
        self.publish(&job);
        self.inner.wake.notify_one();
        Ok(job)
    }

    /// Marks a failed or unknown item of an ended job as skipped (see [`repo::skip`]).
    pub async fn skip(&self, id: i64, seq: i64) -> Result<Job> {
        let job = repo::skip(&self.inner.store, id, seq).await?;
        self.publish(&job);
        Ok(job)
    }

    /// The store the jobs live in (for reads).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    fn publish(&self, job: &Job) {
        self.inner.events.publish(Event::Job(JobEvent {
            id: job.id,
            kind: job.kind.as_str().to_owned(),
            state: job.state.as_str().to_owned(),
            total: job.total,
            done: job.done,
            failed: job.failed,
            cancel_requested: job.cancel_requested,
        }));
    }

    /// Starts the runner: takes back this node's jobs left running by its previous process, then
    /// claims queued ones, at most [`JobKind::concurrency`] of each kind at once.
    pub fn spawn(&self) -> JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            match repo::release(&jobs.inner.store, &jobs.inner.node).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "taking up the jobs this node was running when it stopped"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not take up this node's unfinished jobs; they wait for their lease")
                }
            }
            let slots: HashMap<JobKind, Arc<Semaphore>> =
                JobKind::ALL.into_iter().map(|k| (k, Arc::new(Semaphore::new(k.concurrency())))).collect();
            // Aborting the runner (shutdown) aborts the jobs it runs: an item cut short was not
            // recorded and runs again at the next start.
            let mut running = tokio::task::JoinSet::new();
            let mut swept_at = i64::MIN;
            loop {
                while running.try_join_next().is_some() {}
                // Expired export files go as the service's clock passes each sweep's time.
                let now = jobs.inner.clock.now_ms();
                if now.saturating_sub(swept_at) >= exports::SWEEP_EVERY_MS {
                    swept_at = now;
                    match exports::sweep(&jobs.inner.store, now).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(files = n, "deleted expired export files"),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not delete expired export files; trying again later")
                        }
                    }
                }
                for (kind, slot) in &slots {
                    while let Ok(permit) = slot.clone().try_acquire_owned() {
                        let now = jobs.inner.clock.now_ms();
                        let lease = now + LEASE.as_millis() as i64;
                        match repo::claim(&jobs.inner.store, *kind, &jobs.inner.node, now, lease).await {
                            Ok(Some(claimed)) => {
                                let jobs = jobs.clone();
                                running.spawn(async move {
                                    jobs.execute(claimed).await;
                                    drop(permit);
                                });
                            }
                            Ok(None) => break,
                            Err(e) => {
                                tracing::warn!(error = %e, "could not look for jobs; trying again shortly");
                                break;
                            }
                        }
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = jobs.inner.wake.notified() => {}
                }
            }
        })
    }

    /// Runs a claimed job's pending items (several at once, per kind), recording each result,
    /// until they are done, a cancel is asked for, or the job is no longer this node's.
    async fn execute(&self, claimed: repo::Claimed) {
        let id = claimed.id;
        let store = &self.inner.store;
        let (pending, mut job) = match (repo::pending(store, id).await, repo::get(store, id).await) {
            (Ok(p), Ok(j)) => (p, j),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(job_id = id, error = %e, "could not read a claimed job; it is taken up again later");
                return;
            }
        };
        self.publish(&job);
        // Parameters that cannot be read fail every item, with the reason.
        let work = Work::read(claimed.kind, claimed.params);
        let work = &work;
        let fleet = &self.inner.fleet;
        let node = self.inner.node.as_str();
        let clock = &self.inner.clock;
        let limits = self.inner.exports;
        // A channel's messages go one after another, in order: each item first takes its
        // channel's turn (a fair lock, queued in item order).
        let turns: HashMap<(i64, u64), Arc<tokio::sync::Mutex<()>>> = match work {
            Ok(Work::Messages(_)) => pending
                .iter()
                .filter_map(|(_, target)| messages::Target::channel_key(target))
                .map(|key| (key, Arc::new(tokio::sync::Mutex::new(()))))
                .collect(),
            _ => HashMap::new(),
        };
        let turns = &turns;
        // Each item records its own result: the loop below never awaits the database while other
        // items are suspended holding pool connections (which would starve the pool).
        let mut results = futures_util::stream::iter(pending)
            .map(|(seq, target)| async move {
                let turn = messages::Target::channel_key(&target).and_then(|key| turns.get(&key));
                let _turn = match turn {
                    Some(lock) => Some(lock.lock().await),
                    None => None,
                };
                // Cancel takes effect between items: one not yet begun is left pending.
                if repo::cancel_requested(store, id).await.unwrap_or(false) {
                    return None;
                }
                let result: Outcome = match work {
                    Ok(Work::Bulk(action)) => bulk::run_item(fleet, *action, &target).await.map(|()| None).into(),
                    Ok(Work::Retention(params)) => retention::run_item(store, id, params, &target).await.into(),
                    Ok(Work::Export(params)) => exports::run_item(store, clock, limits, id, params).await.into(),
                    Ok(Work::Messages(batch)) => messages::run_item(store, fleet, clock, id, seq, batch, &target).await,
                    Err(why) => Outcome::Failed(why.clone()),
                };
                // Cut short by a shutdown (a start refused, say): left pending, run at the next start.
                if fleet.is_closing() {
                    return None;
                }
                let now = clock.now_ms();
                let lease = now + LEASE.as_millis() as i64;
                let recorded = repo::finish_item(store, id, seq, &result, node, now, lease).await;
                Some((seq, result.is_ok(), recorded))
            })
            .buffer_unordered(claimed.kind.items_at_once(store.backend()));
        let mut published = Instant::now();
        while let Some(outcome) = results.next().await {
            let Some((seq, ok, recorded)) = outcome else { continue };
            match recorded {
                Ok(repo::Recorded::Now) => {
                    if ok {
                        job.done += 1;
                    } else {
                        job.failed += 1;
                    }
                }
                Ok(repo::Recorded::Before) => {}
                Ok(repo::Recorded::NotOurs) => {
                    tracing::warn!(job_id = id, "another node took this job over (its lease ran out); stopping here");
                    return;
                }
                Err(e) => {
                    tracing::warn!(job_id = id, seq, error = %e, "an item's result could not be recorded; it runs again")
                }
            }
            if published.elapsed() >= PROGRESS_EVERY {
                published = Instant::now();
                self.publish(&job);
            }
        }
        drop(results);
        // The database may refuse for a moment (SQLite's one writer): a few tries before leaving
        // it to the lease.
        for attempt in 1..=5u32 {
            match repo::finish(store, id, &self.inner.node, self.inner.clock.now_ms()).await {
                Ok(job) => {
                    self.publish(&job);
                    if let (true, Ok(Work::Retention(params))) = (job.state.is_finished(), work) {
                        if let Err(e) = retention::record(store, &job, params).await {
                            tracing::warn!(job_id = id, error = %e, "the retention run's audit row could not be written");
                        }
                    }
                    return;
                }
                Err(e) if attempt < 5 => {
                    tracing::debug!(job_id = id, error = %e, "a job's end could not be recorded; trying again");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
                Err(e) => {
                    tracing::warn!(job_id = id, error = %e, "a job's end could not be recorded; it is taken up again")
                }
            }
        }
    }
}

/// A claimed job's parameters, read per kind.
enum Work {
    Bulk(bulk::BulkAction),
    Retention(retention::RetentionParams),
    Export(exports::ExportParams),
    Messages(messages::MessageBatch),
}

impl Work {
    fn read(kind: JobKind, params: Value) -> std::result::Result<Work, String> {
        let unreadable = |e: serde_json::Error| format!("the job's parameters cannot be read: {e}");
        match kind {
            JobKind::BotsBulk => serde_json::from_value::<bulk::BulkParams>(params).map(|p| Work::Bulk(p.action)),
            JobKind::Retention => serde_json::from_value(params).map(Work::Retention),
            JobKind::Export => serde_json::from_value(params).map(Work::Export),
            JobKind::Messages => serde_json::from_value(params).map(Work::Messages),
        }
        .map_err(unreadable)
    }
}
