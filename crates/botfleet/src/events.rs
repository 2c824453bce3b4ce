//! The in-process event bus: status changes, tracked commands, bot log lines and fleet figures,
//! for the live WebSocket (and tests) to follow. A broadcast channel: a slow listener is told it
//! lagged, nobody waits on it. Each event serialises as the JSON message `/api/v1/live` sends.
//!
//! Stock changes are also counted on a `watch` channel: the Discord stock messages and the `/stock`
//! command's cache only need to know *that* the catalogue changed, and should not wake up for every
//! command event on the broadcast.

use serde::Serialize;
use tokio::sync::{broadcast, watch};

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A bot's runtime status changed.
    BotStatus { bot_id: i64, status: String, reason: Option<String> },
    /// A command was answered (or failed, or was denied) and handed to tracking.
    Command(CommandEvent),
    /// A bot log line (the bot's console).
    BotLog(BotLogEvent),
    /// Periodic fleet figures.
    Fleet(FleetFigures),
    /// A product's stock, visibility or details changed (or it was deleted).
    Stock(StockEvent),
    /// An alert fired, was sent again, recovered or was acknowledged.
    Alert(AlertEvent),
}

/// An alert notification and its incident as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    /// `firing`, `resent`, `recovered` or `acknowledged`.
    pub kind: String,
    pub incident: crate::alerts::repo::Incident,
}

/// A product as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockEvent {
    pub product: crate::stock::Product,
    pub deleted: bool,
}

/// A tracked command, as the live feed shows it (ids as strings, times RFC 3339).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandEvent {
    pub bot_id: i64,
    pub received_at: String,
    pub user_id: String,
    pub user_name: String,
    pub guild_id: Option<String>,
    pub channel_id: String,
    pub command: String,
    pub arguments: String,
    /// `prefix` or `slash`.
    pub kind: String,
    /// `ok`, `error` or `denied`.
    pub outcome: String,
    pub latency_ms: Option<f64>,
    pub response: String,
}

/// A bot log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotLogEvent {
    pub bot_id: i64,
    pub at: String,
    pub level: String,
    pub event: String,
    pub message: String,
}

/// How many bots are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BotCounts {
    pub running: usize,
    pub starting: usize,
    pub reconnecting: usize,
    pub stopped: usize,
    pub failed: usize,
}

impl From<crate::fleet::FleetSummary> for BotCounts {
    fn from(s: crate::fleet::FleetSummary) -> Self {
        Self {
            running: s.running,
            starting: s.starting,
            reconnecting: s.reconnecting,
            stopped: s.stopped,
            failed: s.failed,
        }
    }
}

/// Fleet figures over the last minute, published every few seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetFigures {
    pub at: String,
    pub bots: BotCounts,
    pub commands_per_s: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Resident memory of this process.
    pub rss_bytes: Option<u64>,
}

/// The bus. Cloning shares it.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    /// How many stock events were published.
    stock: std::sync::Arc<watch::Sender<u64>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus {
    /// A bus keeping up to `capacity` events for slow listeners.
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0, stock: std::sync::Arc::new(watch::channel(0).0) }
    }

    /// Publishes (no-op without listeners). A stock event also counts as a catalogue change,
    /// before anyone can see it on the broadcast.
    pub fn publish(&self, event: Event) {
        if matches!(event, Event::Stock(_)) {
            self.stock.send_modify(|n| *n += 1);
        }
        let _ = self.tx.send(event);
    }

    /// Wakes when the catalogue changed (many changes in a row may wake it once).
    pub fn stock_changes(&self) -> watch::Receiver<u64> {
        self.stock.subscribe()
    }

    /// How many catalogue changes were published so far.
    pub fn stock_generation(&self) -> u64 {
        *self.stock.borrow()
    }

    /// A new listener.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
