//! The live bus across nodes (several nodes): what happens on one node — a command answered, a
//! bot's status, a log line, an alert, a job's progress, a stock change — reaches the dashboards
//! connected to any node. Each node sends the events that happened on it to the others in batches
//! (at most every [`FLUSH_EVERY`], each under the bus's message size) through the nodes' bus
//! (Redis pub/sub, or PostgreSQL `NOTIFY`), never one message per event; the events another node
//! sent are published here for this node's listeners and not sent on. The fleet figures are not
//! sent: each node makes its own from every command it sees, so its commands/s and latencies are
//! the whole fleet's, its memory its own.
//!
//! Best effort, as the live bus is on one node: a batch the bus cannot take is logged and lost
//! (the pages read the state itself on their next fetch), and so are events published while a
//! node's listener reconnects.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::cache::invalidate::{Invalidations, MESSAGE_MAX};
use crate::events::{Event, EventBus};

/// The kind of the bus messages that carry live events.
const KIND: &str = "live";

/// The longest an event waits for its batch to be sent.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Batches from other nodes waiting to be published here.
const RECEIVED_CAPACITY: usize = 1_024;

/// Starts sending this node's events to the others and publishing theirs here, until aborted.
pub fn spawn(events: EventBus, bus: Invalidations) -> tokio::task::JoinHandle<()> {
    let received = bus.receive_from_nodes(KIND, RECEIVED_CAPACITY);
    let local = events.subscribe_local();
    tokio::spawn(async move {
        tokio::join!(send(local, &bus), publish(received, &events));
    })
}

/// Sends this node's events, batched, until the bus closes.
async fn send(mut local: tokio::sync::broadcast::Receiver<Event>, bus: &Invalidations) {
    let mut batch = Batch::default();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = local.recv() => match received {
                Ok(Event::Fleet(_)) => {}
                Ok(event) => {
                    if let Some(full) = batch.push(&event) {
                        flush(bus, full).await;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(events = n, "live events not sent to the other nodes: this node fell behind");
                }
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                if let Some(ready) = batch.take() {
                    flush(bus, ready).await;
                }
            }
        }
    }
}

async fn flush(bus: &Invalidations, payload: String) {
    if let Err(why) = bus.send_to_nodes(KIND, &payload).await {
        tracing::warn!(error = %why, bytes = payload.len(), "live events could not be sent to the other nodes");
    }
}

/// Publishes here what the other nodes sent, until the bus stops.
async fn publish(mut received: tokio::sync::mpsc::Receiver<String>, events: &EventBus) {
    while let Some(payload) = received.recv().await {
        match serde_json::from_str::<Vec<Event>>(&payload) {
            Ok(batch) => batch.into_iter().for_each(|e| events.publish_from_node(e)),
            Err(e) => tracing::debug!(error = %e, "unreadable live events from another node (a newer version?)"),
        }
    }
}

/// Events serialised as one JSON array, kept under the bus's message size.
#[derive(Debug, Default)]
struct Batch {
    json: String,
}

impl Batch {
    /// Adds `event`; when it does not fit, answers the batch so far (to send) and starts the next
    /// with it. An event too large for any batch is logged and left out.
    fn push(&mut self, event: &Event) -> Option<String> {
        let Ok(one) = serde_json::to_string(event) else { return None };
        if one.len() + 2 > MESSAGE_MAX {
            tracing::warn!(bytes = one.len(), "a live event too large for the other nodes was not sent to them");
            return None;
        }
        let full = (self.json.len() + one.len() + 2 > MESSAGE_MAX).then(|| self.take()).flatten();
        self.json.push(if self.json.is_empty() { '[' } else { ',' });
        self.json.push_str(&one);
        full
    }

    /// The batch so far, if any, as a JSON array.
    fn take(&mut self) -> Option<String> {
        if self.json.is_empty() {
            return None;
        }
        let mut json = std::mem::take(&mut self.json);
        json.push(']');
        Some(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::BotLogEvent;

    fn log(message: &str) -> Event {
        Event::BotLog(BotLogEvent {
            bot_id: 1,
            at: "2026-12-03T00:00:00Z".into(),
            level: "info".into(),
            event: "connected".into(),
            message: message.into(),
        })
    }

    #[test]
    fn batches_stay_under_the_message_size_and_read_back() {
        let mut batch = Batch::default();
        let mut sent = Vec::new();
        for i in 0..200 {
            sent.extend(batch.push(&log(&format!("line {i} {}", "x".repeat(100)))));
        }
        sent.extend(batch.take());
        assert!(sent.len() > 1, "several batches");
        assert!(sent.iter().all(|b| b.len() <= MESSAGE_MAX));
        let back: Vec<Event> = sent.iter().flat_map(|b| serde_json::from_str::<Vec<Event>>(b).unwrap()).collect();
        assert_eq!(back.len(), 200);
        assert_eq!(back[199], log(&format!("line 199 {}", "x".repeat(100))));
        assert!(batch.push(&log(&"y".repeat(MESSAGE_MAX))).is_none() && batch.take().is_none(), "too large: left out");
    }
}
