//! Scheduled and recurring messages: a bot posts a message to a channel once at a time, or at each
//! instant of a cron expression on a time zone's wall clock. Each run is a `messages` job (one per
//! run, ever: its unique key is `schedule:<id>:<instant ms>`), recorded in `schedule_runs` with its
//! outcome. Every node runs the loop ([`Schedules::spawn`]) on the service's clock; a round records
//! its runs and moves the schedule on in one transaction that only one node wins, so a run is
//! decided once; its job is submitted after, by whichever node sees it without one. Runs missed
//! while no node ran (past a grace of 60 s) are sent once late or skipped, per schedule.

pub mod model;
pub mod repo;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::jobs::messages::check_channels;
use crate::jobs::Jobs;
use crate::page::{Cursor, Page};
use crate::store::Store;
use crate::time::Clock;
use model::{NextRun, Preview, PreviewInput, Run, Schedule, ScheduleEdit, ScheduleInput, When};
use repo::Stored;

/// How often the loop looks again when nothing woke it: other nodes' changes, and runs whose
/// job has ended (real time, whatever the clock).
const POLL: Duration = Duration::from_secs(1);
/// Due schedules one round takes.
const ROUND_MAX: u32 = 100;

/// The schedules service. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Schedules {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    jobs: Jobs,
    fleet: Fleet,
    clock: Clock,
    /// Wakes the loop when a schedule changes on this node.
    wake: Notify,
}

impl Schedules {
    /// The service; [`Schedules::spawn`] starts its loop.
    pub fn new(store: Store, jobs: Jobs, fleet: Fleet, clock: Clock) -> Self {
        Self { inner: Arc::new(Inner { store, jobs, fleet, clock, wake: Notify::new() }) }
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// The next instants of a timing, before it is saved.
    pub fn preview(&self, input: &PreviewInput) -> Result<Preview> {
        let when = When::read(input.once.as_deref(), input.cron.as_deref(), input.time_zone.as_deref())
            .map_err(Error::Validation)?;
        let first = when.first_after(self.now()).map_err(|e| Error::Validation(vec![e]))?;
        let zone = when.zone();
        let next_runs = when.upcoming(first, model::NEXT_RUNS).into_iter().map(|at| NextRun::new(at, zone)).collect();
        Ok(Preview { time_zone: zone.name().to_owned(), next_runs })
    }

    /// Checks and stores a new schedule (the channel asked of Discord as the bot). Whether its
    /// message pings is the caller's to allow (see [`Schedules::pings`]).
    pub async fn create(&self, input: &ScheduleInput, created_by: &str) -> Result<Schedule> {
        let now = self.now();
        let (settings, first) = model::check(input, now).map_err(Error::Validation)?;
        self.check_skus(&settings).await?;
        self.check_channel(&settings).await?;
        let stored = repo::insert(&self.inner.store, &settings, first, created_by, now).await?;
        self.inner.wake.notify_one();
        self.view(stored, None)
    }

    /// Whether a schedule's message (new or edited) may ping anyone (needs `bots.mention`).
    pub fn pings(input: &ScheduleInput) -> bool {
        let m = &input.message;
        crate::discord::message::Outgoing::check(&m.content, &m.embeds, m.allowed_mentions.as_ref())
            .is_ok_and(|o| o.pings())
    }

    /// A saved schedule with `edit` applied, as a whole input (to check its pings before
    /// [`Schedules::update`]).
    pub async fn edited(&self, id: i64, edit: ScheduleEdit) -> Result<(Schedule, ScheduleInput)> {
        let stored = repo::get(&self.inner.store, id).await?;
        let input = ScheduleInput::edited(&stored.settings, edit);
        Ok((self.show(stored).await?, input))
    }

    /// Replaces a schedule's settings with `input` (from [`Schedules::edited`]). The next instant
    /// is counted from now when the timing changed or it is enabled again; otherwise it stays, so
    /// an edit never drops a run that is due.
    pub async fn update(&self, id: i64, input: &ScheduleInput) -> Result<Schedule> {
        let now = self.now();
        let old = repo::get(&self.inner.store, id).await?;
        let (settings, first) = model::check(input, now).map_err(Error::Validation)?;
        self.check_skus(&settings).await?;
        if (settings.bot_id, settings.channel_id) != (old.settings.bot_id, old.settings.channel_id) {
            self.check_channel(&settings).await?;
        }
        let keep = old.settings.enabled && settings.enabled && old.settings.same_timing(&settings);
        let next = if keep { old.next_run_at } else { first };
        let stored = repo::update(&self.inner.store, id, &settings, next, now).await?;
        self.inner.wake.notify_one();
        self.show(stored).await
    }

    /// Wakes the loop after schedules were written elsewhere on this node (a configuration import).
    pub fn changed(&self) {
        self.inner.wake.notify_one();
    }

    /// Deletes a schedule and its runs; the schedule as it was.
    pub async fn delete(&self, id: i64) -> Result<Schedule> {
        let old = self.get(id).await?;
        repo::delete(&self.inner.store, id).await?;
        self.inner.wake.notify_one();
        Ok(old)
    }

    /// One schedule.
    pub async fn get(&self, id: i64) -> Result<Schedule> {
        let stored = repo::get(&self.inner.store, id).await?;
        self.show(stored).await
    }

    /// Schedules, newest first; one bot's with `bot_id`.
    pub async fn list(&self, bot_id: Option<i64>, after: Option<Cursor>, limit: u32) -> Result<Page<Schedule>> {
        let page = repo::list(&self.inner.store, bot_id, after, limit).await?;
        let ids: Vec<i64> = page.items.iter().map(|s| s.id).collect();
        let mut last = repo::last_runs(&self.inner.store, &ids).await?;
        let items = page.items.into_iter().map(|s| self.view_with(s, &mut last)).collect::<Result<Vec<Schedule>>>()?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// A schedule's runs, newest first (404 for no such schedule).
    pub async fn runs(&self, id: i64, after: Option<Cursor>, limit: u32) -> Result<Page<Run>> {
        repo::get(&self.inner.store, id).await?;
        repo::runs(&self.inner.store, id, after, limit).await
    }

    async fn show(&self, stored: Stored) -> Result<Schedule> {
        let mut last = repo::last_runs(&self.inner.store, &[stored.id]).await?;
        self.view_with(stored, &mut last)
    }

    fn view_with(&self, stored: Stored, last: &mut std::collections::HashMap<i64, Run>) -> Result<Schedule> {
        let run = last.remove(&stored.id);
        self.view(stored, run)
    }

    fn view(&self, stored: Stored, last_run: Option<Run>) -> Result<Schedule> {
        let id = stored.id;
        let when = stored.settings.when().map_err(|_| {
            Error::Unreadable(format!("schedule {id} has an unreadable timing; delete it and make it again"))
        })?;
        let next_runs = match stored.next_run_at {
            Some(next) if stored.settings.enabled => {
                when.upcoming(next, model::NEXT_RUNS).into_iter().map(|at| NextRun::new(at, when.zone())).collect()
            }
            _ => Vec::new(),
        };
        let s = stored.settings;
        Ok(Schedule {
            id,
            bot_id: s.bot_id,
            channel_id: s.channel_id.to_string(),
            message: s.message,
            once: s.once.map(crate::time::rfc3339),
            cron: s.cron,
            time_zone: s.time_zone,
            enabled: s.enabled,
            missed: s.missed,
            created_by: stored.created_by,
            created_at: crate::time::rfc3339(stored.created_at),
            updated_at: crate::time::rfc3339(stored.updated_at),
            last_run_at: stored.last_run_at.map(crate::time::rfc3339),
            last_run,
            next_runs,
        })
    }

    /// 422 naming `message.content` for a `{stock:SKU}` / `{price:SKU}` whose product does not
    /// exist (a product deleted later is shown as `?` when the run is sent).
    async fn check_skus(&self, settings: &model::Settings) -> Result<()> {
        let batch = settings.batch();
        if batch.skus().is_empty() {
            return Ok(());
        }
        let products = crate::stock::repo::list(&self.inner.store, false).await?;
        let unknown = crate::jobs::messages::unknown_skus(&batch, &products);
        if unknown.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(
            unknown.into_iter().map(|e| crate::error::FieldError::new("message.content", e.message)).collect(),
        ))
    }

    /// Asks Discord, as the bot, whether it can see the channel: 422 naming `channel_id` if not,
    /// or `bot_id` for a bot that cannot be used (none with that id, a token that cannot be read).
    async fn check_channel(&self, settings: &model::Settings) -> Result<()> {
        let batch = settings.batch();
        let refused = check_channels(&self.inner.fleet, &batch.channels, "channels").await;
        if refused.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(
            refused
                .into_iter()
                .map(|e| {
                    let field = if e.field.ends_with(".bot_id") { "bot_id" } else { "channel_id" };
                    crate::error::FieldError::new(field, e.message)
                })
                .collect(),
        ))
    }

    /// Starts the loop: each round sends what is due, submits the jobs of runs recorded without
    /// one, and brings finished jobs' outcomes to their runs; then it sleeps until the next
    /// instant on the clock, a change on this node, or [`POLL`].
    pub fn spawn(&self) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.round().await {
                    tracing::warn!(error = %e, "a schedules round failed; trying again shortly");
                }
                let next = repo::next_due(&this.inner.store).await.ok().flatten();
                let clock = this.inner.clock.clone();
                tokio::select! {
                    () = async { match next { Some(at) => clock.sleep_until(at).await, None => std::future::pending().await } } => {}
                    () = this.inner.wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        })
    }

    /// One round (see [`Schedules::spawn`]).
    pub async fn round(&self) -> Result<()> {
        let store = &self.inner.store;
        let now = self.now();
        for schedule in repo::due(store, now, ROUND_MAX).await? {
            if let Err(e) = self.decide(&schedule, now).await {
                tracing::warn!(schedule_id = schedule.id, error = %e, "could not record a schedule's due runs; trying again");
            }
        }
        for (run_id, at, schedule) in repo::unsubmitted(store).await? {
            self.submit(run_id, at, &schedule).await;
        }
        repo::settle(store).await?;
        Ok(())
    }

    /// Records one due schedule's round (what is sent late, skipped) and moves it on.
    async fn decide(&self, schedule: &Stored, now: i64) -> Result<()> {
        let Some(expected_next) = schedule.next_run_at else { return Ok(()) };
        let when = schedule
            .settings
            .when()
            .map_err(|_| Error::Unreadable(format!("schedule {} has an unreadable timing", schedule.id)))?;
        let due = when.due(expected_next, now);
        let decision = model::decide(&due, now, schedule.settings.missed);
        let round = repo::Round {
            id: schedule.id,
            expected_next,
            next_run_at: when.next_after(now),
            send: decision.send,
            skip: decision.skip,
        };
        if repo::record_round(&self.inner.store, &round, now).await? {
            if let Some((instant, late)) = round.send {
                tracing::info!(schedule_id = schedule.id, at = %crate::time::rfc3339(instant), late, "a scheduled run is due");
            }
            if !round.skip.is_empty() {
                tracing::info!(schedule_id = schedule.id, runs = round.skip.len(), "missed scheduled runs skipped");
            }
        }
        Ok(())
    }

    /// Submits a recorded run's job (one per run, whichever node gets here: its unique key) and
    /// notes it on the run.
    async fn submit(&self, run_id: i64, at: i64, schedule: &Stored) {
        let key = format!("schedule:{}:{at}", schedule.id);
        let created_by = format!("schedule {}", schedule.id);
        match self.inner.jobs.submit_messages(&schedule.settings.batch(), &created_by, Some(&key)).await {
            Ok(job) => {
                if let Err(e) = repo::set_job(&self.inner.store, run_id, job.id).await {
                    tracing::warn!(schedule_id = schedule.id, error = %e, "could not note a run's job; noted next round");
                }
            }
            Err(e @ (Error::Validation(_) | Error::NotFound { .. })) => {
                tracing::warn!(schedule_id = schedule.id, error = %e, "a scheduled run cannot be sent; recorded failed");
                let _ = repo::fail_unsubmitted(&self.inner.store, run_id).await;
            }
            Err(e) => {
                tracing::warn!(schedule_id = schedule.id, error = %e, "could not queue a scheduled run; trying again")
            }
        }
    }
}
