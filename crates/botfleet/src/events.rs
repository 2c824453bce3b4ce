//! The in-process event bus: status changes and tracked commands, for the live dashboard (and
//! tests) to follow. A broadcast channel: a slow listener is told it lagged, nobody waits on it.

use serde::Serialize;
use tokio::sync::broadcast;

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A bot's runtime status changed.
    BotStatus { bot_id: i64, status: String, reason: Option<String> },
    /// A command was answered (or failed) and recorded.
    CommandTracked { bot_id: i64, command: String, kind: String, outcome: String, latency_ms: Option<f64> },
}

/// The bus. Cloning shares it.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus {
    /// A bus keeping up to `capacity` events for slow listeners.
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0 }
    }

    /// Publishes (no-op without listeners).
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// A new listener.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
