//! Command tracking and database logging (roadmap 1.1 and 1.2): records go into a bounded channel
//! and one writer task inserts them in batches (multi-row INSERT in one transaction), so the hot
//! path never waits on the database. When the database fails, the batch is kept and retried.
//! Closing stops intake; the writer drains everything queued before it exits.
//!
//! The queue lives here and each table's SQL with its reads (`logs::commands`, `logs::bot_logs`,
//! `audit`), not together: one writer serves three record kinds through one bounded queue, so
//! backpressure and the drain on shutdown are decided once, while a table's INSERT stays next to
//! the SELECTs that must agree with its columns.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::audit::{self, Entry};
use crate::logs::bot_logs::{self, BotLogRecord};
use crate::logs::commands::{self, CommandRecord};
use crate::store::Store;

/// What the writer stores.
#[derive(Debug)]
pub enum Record {
    Command(CommandRecord),
    BotLog(BotLogRecord),
    /// A security event from the hot path (an anti-spam cooldown started).
    Audit(Entry),
}

/// The sending side, cheap to clone. Disabled tracking (`DISCORD_ENABLE_TRACKING=false`) keeps
/// bot logs but drops command records.
#[derive(Debug, Clone)]
pub struct Tracker {
    tx: Option<mpsc::Sender<Record>>,
    commands_enabled: bool,
    /// Records that could not be queued (the writer had stopped).
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Most records waiting for the writer before senders wait (backpressure, never unbounded).
const QUEUE: usize = 65_536;
/// Most records per batch.
const BATCH: usize = 1000;

impl Tracker {
    /// Starts the writer. Await the returned handle after dropping every `Tracker` clone to know
    /// everything was written.
    pub fn start(store: Store, commands_enabled: bool) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(write_loop(store, rx));
        (Self { tx: Some(tx), commands_enabled, dropped: Default::default() }, writer)
    }

    /// A tracker that stores nothing (for tools and tests that do not need one).
    pub fn disabled() -> Self {
        Self { tx: None, commands_enabled: false, dropped: Default::default() }
    }

    /// Records waiting for the writer.
    pub fn queue_depth(&self) -> usize {
        self.tx.as_ref().map_or(0, |tx| tx.max_capacity() - tx.capacity())
    }

    /// Records that could not be stored since start (the alert engine watches it).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records a command invocation.
    pub async fn command(&self, record: CommandRecord) {
        if self.commands_enabled {
            self.send(Record::Command(record)).await;
        }
    }

    /// Records a bot event.
    pub async fn bot_log(&self, record: BotLogRecord) {
        self.send(Record::BotLog(record)).await;
    }

    /// Records an audit row (a security event) without waiting on the database.
    pub async fn audit(&self, entry: Entry) {
        self.send(Record::Audit(entry)).await;
    }

    async fn send(&self, record: Record) {
        if let Some(tx) = &self.tx {
            if tx.send(record).await.is_err() {
                self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!("tracking writer has stopped; a record was not stored");
            }
        }
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<Record>) {
    let mut commands_batch: Vec<CommandRecord> = Vec::new();
    let mut logs_batch: Vec<BotLogRecord> = Vec::new();
    let mut audit_batch: Vec<Entry> = Vec::new();
    loop {
        // Wait for the first record, then take whatever else is already queued.
        let Some(first) = rx.recv().await else { break };
        push(first, &mut commands_batch, &mut logs_batch, &mut audit_batch);
        while commands_batch.len() + logs_batch.len() + audit_batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => push(r, &mut commands_batch, &mut logs_batch, &mut audit_batch),
                Err(_) => break,
            }
        }
        flush(&store, &mut commands_batch, &mut logs_batch, &mut audit_batch).await;
    }
    flush(&store, &mut commands_batch, &mut logs_batch, &mut audit_batch).await;
}

fn push(
    r: Record,
    commands_batch: &mut Vec<CommandRecord>,
    logs_batch: &mut Vec<BotLogRecord>,
    audit_batch: &mut Vec<Entry>,
) {
    match r {
        Record::Command(c) => commands_batch.push(c),
        Record::BotLog(l) => logs_batch.push(l),
        Record::Audit(a) => audit_batch.push(a),
    }
}

/// Writes the batches, retrying with capped backoff until the database takes them.
async fn flush(
    store: &Store,
    commands_batch: &mut Vec<CommandRecord>,
    logs_batch: &mut Vec<BotLogRecord>,
    audit_batch: &mut Vec<Entry>,
) {
    let mut delay = Duration::from_millis(100);
    while !commands_batch.is_empty() {
        match commands::insert_batch(store, commands_batch).await {
            Ok(()) => commands_batch.clear(),
            Err(e) => {
                tracing::warn!(error = %e, records = commands_batch.len(), "command log write failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    while !logs_batch.is_empty() {
        match bot_logs::insert_batch(store, logs_batch).await {
            Ok(()) => logs_batch.clear(),
            Err(e) => {
                tracing::warn!(error = %e, records = logs_batch.len(), "bot log write failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    while !audit_batch.is_empty() {
        match audit::insert(store, audit_batch).await {
            Ok(()) => audit_batch.clear(),
            Err(e) => {
                tracing::warn!(error = %e, records = audit_batch.len(), "audit write failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
