//! Live updates: which topics a caller may follow, what each subscription wants, and the fleet
//! figures published every few seconds (bots by status, commands/s and p50/p99 reply latency over
//! the last minute, process memory). `api/live.rs` carries them over a WebSocket, at most so many
//! per credential (`sockets`).

pub mod bridge;
pub mod sockets;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{Action, Principal};
use crate::events::{Event, EventBus, FleetFigures};
use crate::fleet::Fleet;
use crate::metrics::Fault;
use crate::store::Store;

/// What a client can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Bot status changes.
    Bots,
    /// Every tracked command.
    Commands,
    /// Bot log lines (each bot's console).
    BotLogs,
    /// Fleet figures.
    Fleet,
    /// Product stock and visibility.
    Stock,
    /// Alerts firing, resent, recovered and acknowledged.
    Alerts,
    /// Background jobs: progress and state.
    Jobs,
    /// Audited actions (admins).
    Audit,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 8] = [
        Topic::Bots,
        Topic::Commands,
        Topic::BotLogs,
        Topic::Fleet,
        Topic::Stock,
        Topic::Alerts,
        Topic::Jobs,
        Topic::Audit,
    ];

    /// The permission a topic needs.
    pub fn action(self) -> Action {
        match self {
            Self::Bots | Self::Fleet => Action::BotsRead,
            Self::Commands | Self::BotLogs => Action::LogsRead,
            Self::Stock => Action::StockRead,
            Self::Alerts => Action::AlertsRead,
            Self::Jobs => Action::JobsRead,
            Self::Audit => Action::AuditRead,
        }
    }

    /// The topics `principal` may follow.
    pub fn allowed(principal: &Principal) -> Vec<Topic> {
        Self::ALL.into_iter().filter(|t| principal.may(t.action()).is_ok()).collect()
    }

    /// The topic an event belongs to.
    pub fn of(event: &Event) -> Topic {
        match event {
            Event::BotStatus { .. } => Self::Bots,
            Event::Command(_) => Self::Commands,
            Event::BotLog(_) => Self::BotLogs,
            Event::Fleet(_) => Self::Fleet,
            Event::Stock(_) => Self::Stock,
            Event::Alert(_) => Self::Alerts,
            Event::Job(_) => Self::Jobs,
            Event::Audit(_) => Self::Audit,
        }
    }
}

/// A client's `subscribe` message: the topics, optionally narrowed to one bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub topics: Vec<Topic>,
    /// Only this bot's commands, log lines and status.
    pub bot_id: Option<i64>,
}

impl Subscription {
    /// Whether this subscription wants `event`.
    pub fn wants(&self, event: &Event) -> bool {
        if !self.topics.contains(&Topic::of(event)) {
            return false;
        }
        let bot = match event {
            Event::BotStatus { bot_id, .. } => Some(*bot_id),
            Event::Command(c) => Some(c.bot_id),
            Event::BotLog(l) => Some(l.bot_id),
            // Alerts are for every page's banner, whichever bot it shows.
            Event::Fleet(_) | Event::Stock(_) | Event::Alert(_) | Event::Job(_) | Event::Audit(_) => None,
        };
        match (self.bot_id, bot) {
            (Some(wanted), Some(bot)) => wanted == bot,
            _ => true,
        }
    }
}

/// The figures window: command times and latencies over the last minute.
#[derive(Debug, Default)]
struct Window {
    commands: VecDeque<(Instant, Option<f64>)>,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Most commands remembered for the percentiles (older ones drop out first).
const WINDOW_CAP: usize = 200_000;

impl Window {
    fn push(&mut self, at: Instant, latency_ms: Option<f64>) {
        if self.commands.len() == WINDOW_CAP {
            self.commands.pop_front();
        }
        self.commands.push_back((at, latency_ms));
    }

    fn figures(&mut self, now: Instant) -> (f64, Option<f64>, Option<f64>) {
        while self.commands.front().is_some_and(|(at, _)| now.duration_since(*at) > WINDOW) {
            self.commands.pop_front();
        }
        let span = self.commands.front().map_or(WINDOW, |(at, _)| now.duration_since(*at).max(Duration::from_secs(1)));
        let per_s = self.commands.len() as f64 / span.as_secs_f64().max(1.0);
        let mut latencies: Vec<f64> = self.commands.iter().filter_map(|(_, l)| *l).collect();
        // The two ranks a sort would give, found by selection (linear, not n log n: a minute at
        // 1,000 commands/s is 60,000 latencies every tick, on the thread that answers commands).
        let Some(last) = latencies.len().checked_sub(1) else { return (per_s, None, None) };
        let rank = |q: f64| (((last as f64) * q).round() as usize).min(last);
        let (r50, r99) = (rank(0.5), rank(0.99));
        let (below, p99, _) = latencies.select_nth_unstable_by(r99, f64::total_cmp);
        let p99 = *p99;
        // Everything before rank 99 % is at most p99; rank 50 % is among them (or is p99 itself).
        let p50 = if r50 < r99 { *below.select_nth_unstable_by(r50, f64::total_cmp).1 } else { p99 };
        (per_s, Some(p50), Some(p99))
    }
}

/// Publishes [`FleetFigures`] every `every` until aborted (started by `app::run` when live updates
/// are on). It follows the bus itself for the commands; the bot counts come from the fleet.
pub fn spawn_figures(fleet: Fleet, store: Store, events: EventBus, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut rx = events.subscribe();
        let mut window = Window::default();
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(Event::Command(c)) => window.push(Instant::now(), c.latency_ms),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    // Unknown, not zero, while the bots cannot be listed: the page keeps the counts
                    // it has, and the fault is logged and counted.
                    let bots = match crate::bots::repo::all_ids(&store).await {
                        Ok(ids) => Some(fleet.summary(&ids)),
                        Err(e) => {
                            tracing::warn!(error = %e, "live figures: the bots could not be listed; their counts are unknown");
                            fleet.metrics().fault(Fault::LiveBotCounts);
                            None
                        }
                    };
                    let (commands_per_s, p50_ms, p99_ms) = window.figures(Instant::now());
                    let at = crate::time::rfc3339(crate::time::now_ms());
                    events.publish(Event::Fleet(FleetFigures { at, bots, commands_per_s, p50_ms, p99_ms, rss_bytes: crate::metrics::node::rss_bytes() }));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::BotLogEvent;

    #[test]
    fn subscriptions_filter_by_topic_and_bot() {
        let log = |bot_id| {
            Event::BotLog(BotLogEvent {
                bot_id,
                at: String::new(),
                level: "info".into(),
                event: "connected".into(),
                message: String::new(),
            })
        };
        let all = Subscription { topics: vec![Topic::BotLogs], bot_id: None };
        let one = Subscription { topics: vec![Topic::BotLogs], bot_id: Some(2) };
        assert!(all.wants(&log(1)) && all.wants(&log(2)));
        assert!(!one.wants(&log(1)) && one.wants(&log(2)));
        assert!(!Subscription { topics: vec![Topic::Bots], bot_id: None }.wants(&log(1)));
    }

    #[test]
    fn figures_over_the_window() {
        let mut w = Window::default();
        let start = Instant::now();
        for i in 0..100 {
            w.push(start + Duration::from_millis(i * 10), Some(i as f64));
        }
        let (per_s, p50, p99) = w.figures(start + Duration::from_secs(1));
        assert!(per_s > 50.0, "{per_s}");
        assert_eq!((p50, p99), (Some(50.0), Some(98.0)));
        let (per_s, p50, _) = w.figures(start + Duration::from_secs(120));
        assert_eq!((per_s, p50), (0.0, None));
    }

    #[test]
    fn percentiles_by_selection_are_those_of_a_sort() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(26);
        let start = Instant::now();
        for len in [1usize, 2, 3, 7, 100, 101, 1_000, 4_321] {
            let mut w = Window::default();
            // Repeated values and commands without a latency (unanswered) among them.
            let values: Vec<Option<f64>> =
                (0..len).map(|_| rng.random_bool(0.9).then(|| f64::from(rng.random_range(0..500u32)) / 7.0)).collect();
            for v in &values {
                w.push(start, *v);
            }
            let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
            sorted.sort_by(f64::total_cmp);
            let pick = |q: f64| {
                let last = sorted.len().checked_sub(1)?;
                sorted.get(((last as f64) * q).round() as usize).copied()
            };
            let (_, p50, p99) = w.figures(start);
            assert_eq!((p50, p99), (pick(0.5), pick(0.99)), "{len} commands");
        }
    }
}
