//! Command tracking and database logging (roadmap 1.1 and 1.2): records go into a bounded channel
//! and one writer task inserts them in batches (one multi-row INSERT a table on SQLite;
//! `store::insert_rows`), so the hot path never waits on the database. A record after a quiet spell
//! is written at once; while records keep coming, a batch is what came in the last `LINGER` (or
//! `BATCH` records), since a write's cost is mostly the pages it touches, not its rows. When the
//! database fails, the batch is kept and retried; when the queue is full, records go to the spool
//! on disk (`spool`) and are written back in order once the database takes them again. Closing
//! stops intake; the writer drains everything queued and spooled before it exits, or, when the
//! database refuses at that moment, leaves it spooled for the next start.
//!
//! The queue lives here and each table's SQL with its reads (`logs::commands`, `logs::bot_logs`,
//! `audit`), not together: one writer serves three record kinds through one bounded queue, so
//! backpressure and the drain on shutdown are decided once, while a table's INSERT stays next to
//! the SELECTs that must agree with its columns.

mod spool;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use crate::audit::{self, Entry};
use crate::error::{Error, Result};
use crate::logs::bot_logs::{self, BotLogRecord};
use crate::logs::commands::{self, CommandRecord};
use crate::store::Store;
use spool::Spool;

/// What the writer stores.
#[derive(Debug, Serialize, Deserialize)]
pub enum Record {
    Command(CommandRecord),
    BotLog(BotLogRecord),
    /// A security event from the hot path (an anti-spam cooldown started).
    Audit(Entry),
}

/// A record as spooled: which run accepted it and its ticket there (tickets of another run mean
/// nothing to this one).
#[derive(Debug, Serialize, Deserialize)]
struct Frame {
    run: u64,
    ticket: u64,
    record: Record,
}

/// The default for `--tracking-queue`.
pub const DEFAULT_QUEUE: usize = 65_536;
/// Most records per batch: a command-log batch this large is still one SQLite statement
/// (`store::insert_rows`; a test holds it to that).
const BATCH: usize = 2000;
/// The least time between two batches while records keep coming and a batch is not full: a
/// record after a quiet spell is written at once, a stream in batches of what came in this long.
/// A transaction writes every page it touched to the WAL (each filter index and the trigram index
/// touch a page per bot, server, channel or user), so SQLite's CPU per command-log row falls
/// with the batch: ≈ 110 µs alone, ≈ 30 µs in hundreds; as one statement (the schema in Python's
/// `sqlite3`, CPU a row) 22.5 µs in batches of 500, 19.5 in 1,000s, 16 in 2,000s
/// (docs/benchmarks.md). A command is on the live feed at once; in the log within this long.
const LINGER: Duration = Duration::from_secs(2);
/// How often spooled records are fsynced.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// At most one warning per this long about records the disk refused.
const DROP_WARN_EVERY: Duration = Duration::from_secs(10);

/// How much is spooled (records the database does not have yet, kept on disk).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolFigures {
    pub records: u64,
    pub bytes: u64,
}

/// The queue's sending side: records with their tickets.
type Queue = mpsc::Sender<(u64, Record)>;

/// The sending side, cheap to clone. Disabled tracking (`DISCORD_ENABLE_TRACKING=false`) keeps
/// bot logs but drops command records.
#[derive(Debug, Clone)]
pub struct Tracker {
    inner: Option<(Queue, Arc<Shared>)>,
    commands_enabled: bool,
}

/// What senders, the writer and the fsync tick share.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes an idle writer when a record was spooled.
    notify: Notify,
    /// Tells this run's frames from a previous run's.
    run: u64,
    /// Every ticket below is committed to the database or was counted in `dropped`.
    committed: AtomicU64,
    /// The highest `durable()` answered (it never goes back).
    durable: AtomicU64,
    /// Records that could not be stored.
    dropped: AtomicU64,
    /// Tickets handed out (a copy of `State::next_ticket`, readable without the lock).
    accepted: AtomicU64,
}

/// Changed only under the lock, so that a ticket's order is the order records are queued or
/// spooled in.
#[derive(Debug)]
struct State {
    spool: Spool,
    next_ticket: u64,
    /// The first ticket spooled since the spool was last empty: older tickets went to the queue.
    spool_base: u64,
    /// Every spooled ticket below is fsynced.
    synced_upto: u64,
    /// An fsync failed: spooled records no longer count as durable before they are committed.
    sync_failed: bool,
    drops_unreported: u64,
    last_drop_warn: Option<tokio::time::Instant>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a record the disk refused; says so at most once per `DROP_WARN_EVERY`.
    fn drop_record(&self, state: &mut State, why: &dyn std::fmt::Display) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        state.drops_unreported += 1;
        if state.last_drop_warn.is_none_or(|t| t.elapsed() >= DROP_WARN_EVERY) {
            tracing::warn!(
                records = state.drops_unreported,
                error = %why,
                "tracking records lost: the database did not take them and the spool could not keep them"
            );
            state.drops_unreported = 0;
            state.last_drop_warn = Some(tokio::time::Instant::now());
        }
    }

    /// Reports drops not yet reported, once the rate limit allows.
    fn report_drops(&self) {
        let mut state = self.lock();
        if state.drops_unreported > 0 && state.last_drop_warn.is_none_or(|t| t.elapsed() >= DROP_WARN_EVERY) {
            tracing::warn!(records = state.drops_unreported, "more tracking records lost (see the previous warning)");
            state.drops_unreported = 0;
            state.last_drop_warn = Some(tokio::time::Instant::now());
        }
    }

    /// Fsyncs what was spooled since the last sync (outside the lock).
    async fn sync(&self) {
        let (job, upto) = {
            let mut state = self.lock();
            if state.sync_failed {
                return;
            }
            let upto = state.next_ticket;
            (state.spool.sync_job(), upto)
        };
        let Some(job) = job else { return };
        match tokio::task::spawn_blocking(move || {
            let result = job.run();
            (job, result)
        })
        .await
        {
            Ok((job, Ok(()))) => {
                let mut state = self.lock();
                state.spool.synced(&job);
                state.synced_upto = state.synced_upto.max(upto);
            }
            Ok((_, Err(e))) => {
                tracing::error!(error = %e, "fsync of the tracking spool failed; spooled records may not survive a power loss");
                self.lock().sync_failed = true;
            }
            Err(_) => {}
        }
    }
}

impl Tracker {
    /// Starts the writer with a queue of `queue` records (at least 1) and the spool in
    /// `spool_dir`, where a previous run's spool, if any, is written back first. Await the
    /// returned handle after dropping every `Tracker` clone to know everything was written.
    pub fn start(
        store: Store,
        commands_enabled: bool,
        queue: usize,
        spool_dir: PathBuf,
    ) -> Result<(Self, JoinHandle<()>)> {
        let spool = Spool::open(spool_dir.clone())
            .map_err(|e| Error::Config(format!("cannot read the tracking spool in {}: {e}", spool_dir.display())))?;
        if spool.active() {
            tracing::info!(
                records = spool.records,
                bytes = spool.bytes(),
                "a previous run left tracking records in the spool; writing them back"
            );
        }
        let (tx, rx) = mpsc::channel(queue.max(1));
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                spool,
                next_ticket: 0,
                spool_base: 0,
                synced_upto: 0,
                sync_failed: false,
                drops_unreported: 0,
                last_drop_warn: None,
            }),
            notify: Notify::new(),
            run: rand::random(),
            committed: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
        });
        let writer = tokio::spawn(write_loop(store, shared.clone(), rx));
        Ok((Self { inner: Some((tx, shared)), commands_enabled }, writer))
    }

    /// A tracker that stores nothing (for tools and tests that do not need one).
    pub fn disabled() -> Self {
        Self { inner: None, commands_enabled: false }
    }

    /// Records waiting for the writer in memory.
    pub fn queue_depth(&self) -> usize {
        self.inner.as_ref().map_or(0, |(tx, _)| tx.max_capacity() - tx.capacity())
    }

    /// How many records the queue holds at most before records go to the spool.
    pub fn queue_capacity(&self) -> usize {
        self.inner.as_ref().map_or(0, |(tx, _)| tx.max_capacity())
    }

    /// Records that could not be stored since start (the alert engine watches it): the disk
    /// refused them while the database did not take them, or a spooled frame was torn or corrupt.
    pub fn dropped(&self) -> u64 {
        self.inner.as_ref().map_or(0, |(_, s)| s.dropped.load(Ordering::Relaxed))
    }

    /// Records kept in the spool until the database takes them.
    pub fn spooled(&self) -> SpoolFigures {
        self.inner.as_ref().map_or_else(SpoolFigures::default, |(_, s)| {
            let state = s.lock();
            SpoolFigures { records: state.spool.records, bytes: state.spool.bytes() }
        })
    }

    /// Records accepted since start: each record handed to the tracker takes the next ticket
    /// (0, 1, 2, …) when it is sent, so this is also the next ticket.
    pub fn accepted(&self) -> u64 {
        self.inner.as_ref().map_or(0, |(_, s)| s.accepted.load(Ordering::Acquire))
    }

    /// The contract: when `durable() >= t`, every record whose ticket is below `t` is stored
    /// durably — committed to the database, or appended to the spool and fsynced — or was
    /// counted in [`Self::dropped`] (the disk refused it; it will never be stored). It may lag
    /// (it is conservative: the spool is fsynced once a second), it never goes back, and it
    /// reaches [`Self::accepted`] once everything accepted is written.
    pub fn durable(&self) -> u64 {
        let Some((_, shared)) = &self.inner else { return 0 };
        let d = {
            let state = shared.lock();
            let committed = shared.committed.load(Ordering::Acquire);
            if state.spool.active() && committed >= state.spool_base {
                // Everything older than the spool is committed; the spool is on disk so far.
                committed.max(state.synced_upto)
            } else {
                committed
            }
        };
        shared.durable.fetch_max(d, Ordering::AcqRel).max(d)
    }

    /// Records a command invocation.
    pub async fn command(&self, record: CommandRecord) {
        if self.commands_enabled {
            self.send(Record::Command(record));
        }
    }

    /// Records a bot event.
    pub async fn bot_log(&self, record: BotLogRecord) {
        self.send(Record::BotLog(record));
    }

    /// Records an audit row (a security event) without waiting on the database.
    pub async fn audit(&self, entry: Entry) {
        self.send(Record::Audit(entry));
    }

    /// Writes an audit row at once, so that whoever reads the audit log next sees it. When the
    /// database refuses it (SQLite busy past its timeout, a connection lost), the row goes to the
    /// writer instead, which retries until the database takes it and spools it across a
    /// restart: a change that happened is never left without its row.
    pub async fn audit_now(&self, store: &Store, entry: Entry) {
        let Err(e) = audit::insert(store, std::slice::from_ref(&entry)).await else { return };
        if self.inner.is_some() {
            tracing::warn!(error = %e, action = %entry.action, "audit row not written at once; the tracking writer will");
            self.send(Record::Audit(entry));
        } else {
            tracing::error!(error = %e, action = %entry.action, "could not write an audit row");
        }
    }

    /// Queues the record, or spools it when the queue is full or anything is spooled already
    /// (records must not overtake spooled ones). Never waits: the lock covers a channel
    /// `try_send` or one small file append.
    fn send(&self, record: Record) {
        let Some((tx, shared)) = &self.inner else { return };
        let mut state = shared.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        shared.accepted.store(state.next_ticket, Ordering::Release);
        let record = if state.spool.active() {
            record
        } else {
            match tx.try_send((ticket, record)) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full((_, record))) => {
                    state.spool_base = ticket;
                    record
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    shared.drop_record(&mut state, &"the tracking writer has stopped");
                    return;
                }
            }
        };
        let frame = Frame { run: shared.run, ticket, record };
        let appended = serde_json::to_vec(&frame)
            .map_err(std::io::Error::other)
            .and_then(|payload| spool::frame(&payload))
            .and_then(|bytes| state.spool.append(&bytes));
        match appended {
            Ok(()) => shared.notify.notify_one(),
            Err(e) => shared.drop_record(&mut state, &e),
        }
    }
}

/// Records the writer holds, by table.
#[derive(Debug, Default)]
struct Batch {
    commands: Vec<CommandRecord>,
    logs: Vec<BotLogRecord>,
    audit: Vec<Entry>,
    /// The highest ticket of this run in the batch.
    last_ticket: Option<u64>,
}

impl Batch {
    fn push(&mut self, ticket: Option<u64>, record: Record) {
        match record {
            Record::Command(c) => self.commands.push(c),
            Record::BotLog(l) => self.logs.push(l),
            Record::Audit(a) => self.audit.push(a),
        }
        if let Some(t) = ticket {
            self.last_ticket = Some(self.last_ticket.map_or(t, |l| l.max(t)));
        }
    }

    fn len(&self) -> usize {
        self.commands.len() + self.logs.len() + self.audit.len()
    }

    /// Notes the batch committed (its tickets are done) and empties it.
    fn committed(&mut self, shared: &Shared) {
        if let Some(t) = self.last_ticket.take() {
            shared.committed.fetch_max(t + 1, Ordering::AcqRel);
        }
    }

    /// What is left (not committed), in frames, for the spool.
    fn into_frames(self, run: u64) -> Vec<Vec<u8>> {
        let records = (self.commands.into_iter().map(Record::Command))
            .chain(self.logs.into_iter().map(Record::BotLog))
            .chain(self.audit.into_iter().map(Record::Audit));
        records
            .filter_map(|record| {
                let payload = serde_json::to_vec(&Frame { run, ticket: 0, record }).ok()?;
                spool::frame(&payload).ok()
            })
            .collect()
    }
}

async fn write_loop(store: Store, shared: Arc<Shared>, mut rx: mpsc::Receiver<(u64, Record)>) {
    let syncer = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SYNC_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                shared.sync().await;
                shared.report_drops();
            }
        })
    };
    let mut batch = Batch::default();
    let mut next_batch = tokio::time::Instant::now();
    loop {
        // Records keep coming: let them gather, unless a batch is full or the tracker is closing
        // (the drain does not wait).
        let waiting = batch.len() + rx.len();
        if waiting > 0 && waiting < BATCH && !rx.is_closed() {
            tokio::time::sleep_until(next_batch).await;
        }
        // The queue first: what it holds is older than anything spooled.
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok((ticket, record)) => batch.push(Some(ticket), record),
                Err(_) => break,
            }
        }
        if batch.len() > 0 {
            next_batch = tokio::time::Instant::now() + LINGER;
            if flush(&store, &mut batch, &rx).await.is_ok() {
                batch.committed(&shared);
                continue;
            }
            // Closing while the database refuses: what is in memory goes to disk, ahead of the
            // spool (it is older), for the next start to write back.
            spill(&shared, batch, &mut rx);
            break;
        }
        // Then the spool, a batch at a time; a segment goes only after its records are committed.
        let plan = shared.lock().spool.plan();
        if let Some(plan) = plan {
            let read = {
                let plan = plan.clone();
                tokio::task::spawn_blocking(move || spool::read_frames(&plan.path, plan.start, plan.end, BATCH)).await
            };
            let read = match read {
                Ok(Ok(read)) => read,
                Ok(Err(e)) => {
                    tracing::error!(segment = %plan.path.display(), error = %e, "cannot read the tracking spool; retrying");
                    if rx.is_closed() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(_) => break,
            };
            let mut bad = read.corrupt;
            for payload in &read.payloads {
                match serde_json::from_slice::<Frame>(payload) {
                    Ok(frame) => batch.push((frame.run == shared.run).then_some(frame.ticket), frame.record),
                    Err(_) => bad += 1,
                }
            }
            if bad > 0 {
                let mut state = shared.lock();
                for _ in 0..bad {
                    shared.drop_record(&mut state, &"a spooled frame was torn or corrupt (a crash mid-write?)");
                }
            }
            if flush(&store, &mut batch, &rx).await.is_err() {
                // Closing while the database refuses: the frames stay in the spool.
                break;
            }
            batch.committed(&shared);
            shared.lock().spool.advance(&plan, &read);
            continue;
        }
        // Idle: everything accepted so far is committed (or was counted as dropped).
        {
            let state = shared.lock();
            if !state.spool.active() && rx.is_empty() {
                shared.committed.fetch_max(state.next_ticket, Ordering::AcqRel);
            }
        }
        tokio::select! {
            received = rx.recv() => match received {
                Some((ticket, record)) => batch.push(Some(ticket), record),
                None => {
                    if !shared.lock().spool.active() {
                        break;
                    }
                }
            },
            () = shared.notify.notified() => {}
        }
    }
    syncer.abort();
    let _ = syncer.await;
    // What stays spooled must be on disk before the process ends.
    shared.sync().await;
    shared.report_drops();
}

/// Writes what the writer held and what was still queued to the front of the spool (synced).
fn spill(shared: &Shared, mut batch: Batch, rx: &mut mpsc::Receiver<(u64, Record)>) {
    while let Ok((_, record)) = rx.try_recv() {
        batch.push(None, record);
    }
    let count = batch.len();
    let frames = batch.into_frames(shared.run);
    let mut state = shared.lock();
    match state.spool.prepend(&frames) {
        Ok(()) => tracing::warn!(
            records = count,
            "the database refused records at shutdown; they are spooled for the next start"
        ),
        Err(e) => {
            for _ in 0..count {
                shared.drop_record(&mut state, &e);
            }
        }
    }
}

/// Writes the batch, retrying with capped backoff until the database takes it; gives up (`Err`,
/// the batch keeps what was not committed) only when the database fails while the tracker is
/// closing (every sender gone), so that shutdown does not wait on a database that is down.
async fn flush(store: &Store, batch: &mut Batch, rx: &mpsc::Receiver<(u64, Record)>) -> std::result::Result<(), ()> {
    let mut delay = Duration::from_millis(100);
    let mut failed = |what: &str, records: usize, e: &Error| {
        tracing::warn!(error = %e, records, "{what} write failed; retrying");
        if rx.is_closed() {
            return None;
        }
        let wait = delay;
        delay = (delay * 2).min(Duration::from_secs(5));
        Some(wait)
    };
    while !batch.commands.is_empty() {
        match commands::insert_batch(store, &batch.commands).await {
            Ok(()) => batch.commands.clear(),
            Err(e) => tokio::time::sleep(failed("command log", batch.commands.len(), &e).ok_or(())?).await,
        }
    }
    while !batch.logs.is_empty() {
        match bot_logs::insert_batch(store, &batch.logs).await {
            Ok(()) => batch.logs.clear(),
            Err(e) => tokio::time::sleep(failed("bot log", batch.logs.len(), &e).ok_or(())?).await,
        }
    }
    while !batch.audit.is_empty() {
        match audit::insert(store, &batch.audit).await {
            Ok(()) => batch.audit.clear(),
            Err(e) => tokio::time::sleep(failed("audit", batch.audit.len(), &e).ok_or(())?).await,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use sqlx::Connection;

    use super::*;
    use crate::audit::Actor;

    #[test]
    fn a_full_command_batch_is_one_sqlite_statement() {
        assert!(crate::store::fits_one_sqlite_statement(commands::INSERT, BATCH));
        assert!(!crate::store::fits_one_sqlite_statement(commands::INSERT, BATCH * 2));
    }

    async fn until(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !check() {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn audit_ats(store: &Store) -> Vec<i64> {
        sqlx::query_scalar::<_, i64>("SELECT at FROM discord_audit_logs WHERE action = 'test.record' ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    /// `accepted()` counts tickets; `durable()` stays below a record the database has not taken
    /// (a writer stuck behind a write lock), passes records spooled and fsynced once nothing older
    /// is pending (a previous run's spool at start), and reaches `accepted()` when all is written —
    /// in the order the records were sent, across a shutdown while the database refused them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn durable_follows_commits_and_the_fsynced_spool() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let spool_dir = dir.path().join("spool");
        let record = |at: i64| Entry::security("test.record", Actor::System, at);

        // The database takes writes: durable reaches accepted.
        let (tracker, writer) = Tracker::start(store.clone(), true, 2, spool_dir.clone()).unwrap();
        assert_eq!((tracker.accepted(), tracker.durable()), (0, 0));
        tracker.audit(record(0)).await;
        assert_eq!(tracker.accepted(), 1);
        until("the first record to be durable", || tracker.durable() == 1).await;

        // Another connection holds the write lock: nothing more commits.
        let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut blocker).await.unwrap();
        for at in 1..10 {
            tracker.audit(record(at)).await; // never waits, with a queue of 2
        }
        assert_eq!(tracker.accepted(), 10);
        until("records past the queue to be spooled", || tracker.spooled().records > 0).await;
        assert_eq!(tracker.durable(), 1, "record 1 is held in memory, not stored");
        // A shutdown while the database refuses: what memory held goes to the front of the spool.
        drop(tracker);
        writer.await.unwrap();
        assert_eq!(audit_ats(&store).await, vec![0]);

        // The next start writes the spool back; new records queue behind it on disk and count as
        // durable once fsynced, though the database still refuses them.
        let (tracker, writer) = Tracker::start(store.clone(), true, 2, spool_dir.clone()).unwrap();
        assert_eq!(tracker.spooled().records, 9);
        for at in 10..15 {
            tracker.audit(record(at)).await;
        }
        assert_eq!(tracker.accepted(), 5);
        until("the spooled records to be fsynced", || tracker.durable() == 5).await;
        assert_eq!(audit_ats(&store).await, vec![0], "nothing was committed meanwhile");

        sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
        until("the spool to be written back", || tracker.spooled().records == 0).await;
        let mut last = 0;
        for at in 15..20 {
            tracker.audit(record(at)).await;
            assert!(tracker.durable() >= last, "durable never goes back");
            last = tracker.durable();
        }
        until("everything to be durable", || tracker.durable() == tracker.accepted()).await;
        drop(tracker);
        writer.await.unwrap();
        assert_eq!(audit_ats(&store).await, (0..20).collect::<Vec<_>>(), "each record once, in order");
        let left: Vec<_> = std::fs::read_dir(&spool_dir).unwrap().collect();
        assert!(left.is_empty(), "the spool is gone: {left:?}");
    }
}
