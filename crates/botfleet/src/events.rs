//! The in-process event bus: status changes, tracked commands, bot log lines and fleet figures,
//! for the live WebSocket (and tests) to follow. A broadcast channel: a slow listener is told it
//! lagged, nobody waits on it. Each event serialises as the JSON message `/api/v1/live` sends.
//!
//! Stock changes are also counted on a `watch` channel: the Discord stock messages and the `/stock`
//! command's cache only need to know *that* the catalogue changed, and should not wake up for every
//! command event on the broadcast.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use crate::bots::BotCounts;
use crate::logs::commands::CommandRecord;
use crate::stock::Product;
use crate::time::rfc3339;
use tokio::sync::{broadcast, watch};

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A background job moved: its progress or its state (at most a few a second per job).
    Job(JobEvent),
    /// An action was audited (through the API).
    Audit(AuditEvent),
}

/// An audited action, as the audit log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unique per action (the audit row is written a moment later, by the tracking writer).
    pub id: String,
    pub at: String,
    /// `bots.update`, …
    pub action: String,
    /// Who: a user or API key name.
    pub actor: String,
    pub target_type: String,
    pub target_id: String,
    /// Old → new per field.
    pub changes: serde_json::Value,
}

/// Where a background job stands (the jobs API's job, without its parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEvent {
    pub id: i64,
    /// `bots_bulk`, …
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed`, `partial` or `cancelled`.
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    pub cancel_requested: bool,
}

/// An alert notification and its incident as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// `firing`, `resent`, `recovered` or `acknowledged`.
    pub kind: String,
    pub incident: Incident,
}

/// A rule failing for one subject, from firing to resolved: the alerts API's incident and the
/// live feed's, one shape (here, below `alerts`, which publishes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    /// `bot:3` or `node:NAME`.
    pub subject: String,
    /// `Shop (bot 3)`.
    pub subject_label: String,
    pub bot_id: Option<i64>,
    /// `firing` or `resolved`.
    pub state: String,
    /// What was seen, in words.
    pub detail: String,
    pub started_at: String,
    pub last_sent_at: Option<String>,
    pub resolved_at: Option<String>,
    pub acknowledged_at: Option<String>,
    /// Who acknowledged it (a user or API key name).
    pub acknowledged_by: Option<String>,
}

/// A product as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    pub product: Product,
    pub deleted: bool,
}

/// A tracked command, as the live feed shows it (ids as strings, times RFC 3339).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandEvent {
    pub bot_id: i64,
    /// The Discord event that caused it (the interaction's or the message's id).
    pub event_id: String,
    pub received_at: String,
    pub user_id: String,
    pub user_name: String,
    pub guild_id: Option<String>,
    pub channel_id: String,
    pub command: String,
    pub arguments: String,
    /// `prefix`, `slash` or `component`.
    pub kind: Cow<'static, str>,
    /// `ok`, `error` or `denied`.
    pub outcome: Cow<'static, str>,
    pub latency_ms: Option<f64>,
    pub response: String,
}

impl From<&CommandRecord> for CommandEvent {
    fn from(record: &CommandRecord) -> Self {
        Self {
            bot_id: record.bot_id,
            event_id: record.event_id.to_string(),
            received_at: rfc3339(record.received_at),
            user_id: record.user_id.to_string(),
            user_name: record.user_name.clone(),
            guild_id: record.guild_id.map(|g| g.to_string()),
            channel_id: record.channel_id.to_string(),
            command: record.command.clone(),
            arguments: record.arguments.clone(),
            kind: Cow::Borrowed(record.kind.as_str()),
            outcome: Cow::Borrowed(record.outcome.as_str()),
            latency_ms: record.latency_us.map(|us| us as f64 / 1000.0),
            response: record.response.clone(),
        }
    }
}

/// A bot log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotLogEvent {
    pub bot_id: i64,
    pub at: String,
    pub level: String,
    pub event: String,
    pub message: String,
}

/// Fleet figures over the last minute, published every few seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetFigures {
    pub at: String,
    /// Bots by status; `null` when they could not be counted (the database did not answer).
    pub bots: Option<BotCounts>,
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
    /// The events that happened on this node (not those another node sent), for the bridge to the
    /// other nodes (`live::bridge`); nothing is cloned for it while nobody follows it.
    local: broadcast::Sender<Event>,
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
        Self {
            tx: broadcast::channel(capacity).0,
            local: broadcast::channel(capacity).0,
            stock: std::sync::Arc::new(watch::channel(0).0),
        }
    }

    /// Publishes (no-op without listeners). A stock event also counts as a catalogue change,
    /// before anyone can see it on the broadcast.
    pub fn publish(&self, event: Event) {
        if matches!(event, Event::Stock(_)) {
            self.stock.send_modify(|n| *n += 1);
        }
        if self.local.receiver_count() > 0 {
            let _ = self.local.send(event.clone());
        }
        let _ = self.tx.send(event);
    }

    /// Publishes an event another node sent: for this node's listeners, not sent on (its caches
    /// were cleared by the invalidation the change made).
    pub fn publish_from_node(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// Tells everyone following the bus that `product` changed (or, with `deleted`, is gone).
    pub fn stock_changed(&self, product: &Product, deleted: bool) {
        self.publish(Event::Stock(StockEvent { product: product.clone(), deleted }));
    }

    /// Wakes when the catalogue changed (many changes in a row may wake it once).
    pub fn stock_changes(&self) -> watch::Receiver<u64> {
        self.stock.subscribe()
    }

    /// A new listener.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// A listener to the events that happened on this node only.
    pub fn subscribe_local(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}
