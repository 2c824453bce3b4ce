//! What each running bot's connection is doing, kept up to date by its runner as gateway events
//! arrive (a map update under a short std lock, no I/O): last event, heartbeat interval and last
//! ACK, reconnects and resumes, REST calls and the 429s met on them, the last REST call's outcome;
//! gateway events per second over the last minute; and the time the bot was up and was meant to
//! be, accumulated as its status changes. `fleet::health` turns them into checks a person can act
//! on (`GET /bots/{id}/health`); the history sampler writes their differences to
//! `discord_performance_metrics`; `/metrics` shows them.
//!
//! Uptime: a bot is *observed* from its start until it is stopped (starting, running,
//! reconnecting or failed: it should be running); it is *up* while `running`. A bot stopped on
//! purpose is neither, so stopping it is no downtime; a failed bot counts as down until someone
//! stops or restarts it. Time botfleet itself is not running is not observed at all.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use utoipa::ToSchema;

use super::Totals;
use crate::bots::Status;

/// One bot's connection figures (times in UTC ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct BotRuntime {
    /// When the bot's status last changed (how long it has been in it).
    pub status_since: Option<i64>,
    pub connected_at: Option<i64>,
    pub last_event_at: Option<i64>,
    pub heartbeat_interval_ms: Option<u64>,
    pub last_heartbeat_ack_at: Option<i64>,
    /// The shard's average heartbeat round trip.
    pub heartbeat_latency_ms: Option<f64>,
    /// Gateway events received since botfleet started.
    pub events: u64,
    pub reconnects: u64,
    pub resumes: u64,
    /// Sessions Discord ended without a resume (op 9 `d: false`): what happened while the bot was
    /// away from them is lost, by Discord's rule.
    pub sessions_lost: u64,
    /// Calls made to Discord's REST API (replies, interaction responses, stock message posts and
    /// edits, command registration, messages sent from the API), since botfleet started.
    pub rest_calls: u64,
    /// 429 answers met on those calls (twilight-http retries them by itself).
    pub rate_limited: u64,
    pub last_rest_ok_at: Option<i64>,
    /// The last failed REST call: when and why.
    pub last_rest_error: Option<(i64, String)>,
    /// Session starts (identifies) Discord still allows today, read from `GET /gateway/bot` at the
    /// last start; spending them all makes Discord reset the bot's token.
    pub session_starts_remaining: Option<u32>,
    /// The daily budget they come from (1,000 for most bots).
    pub session_starts_total: Option<u32>,
    /// When the budget is full again (UTC ms).
    pub session_starts_reset_at: Option<i64>,
    /// When a bot waiting after a failure that may pass by itself starts again (UTC ms; `None`
    /// when it is not waiting). A crash loop makes the wait longer (`fleet::crash_loop`).
    pub next_attempt_at: Option<i64>,
}

/// Gateway events in each of the last 60 seconds.
#[derive(Debug)]
struct EventWindow {
    /// (second since 1970, events in it), indexed by second modulo 60.
    slots: [(i64, u64); 60],
}

impl Default for EventWindow {
    fn default() -> Self {
        Self { slots: [(i64::MIN, 0); 60] }
    }
}

impl EventWindow {
    fn count(&mut self, now_ms: i64) {
        let second = now_ms.div_euclid(1000);
        let i = usize::try_from(second.rem_euclid(60)).unwrap_or(0);
        let slot = &mut self.slots[i];
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
    }

    /// Events per second over the minute before `now_ms`.
    fn per_second(&self, now_ms: i64) -> f64 {
        let second = now_ms.div_euclid(1000);
        let n: u64 = self.slots.iter().filter(|(s, _)| *s > second - 60 && *s <= second).map(|(_, n)| n).sum();
        n as f64 / 60.0
    }
}

/// Milliseconds a bot was observed and up so far, and what it is now (see the module doc).
#[derive(Debug, Default)]
struct UptimeClock {
    /// Up or not, since when; `None` while stopped.
    current: Option<(bool, i64)>,
    up_ms: u64,
    observed_ms: u64,
}

impl UptimeClock {
    fn totals(&self, now_ms: i64) -> (u64, u64) {
        let (mut up, mut observed) = (self.up_ms, self.observed_ms);
        if let Some((is_up, since)) = self.current {
            let d = u64::try_from(now_ms - since).unwrap_or(0);
            observed += d;
            if is_up {
                up += d;
            }
        }
        (up, observed)
    }

    fn status(&mut self, status: Status, now_ms: i64) {
        (self.up_ms, self.observed_ms) = self.totals(now_ms);
        let since = self.current.map_or(now_ms, |(_, since)| since.max(now_ms));
        self.current = match status {
            Status::Stopped => None,
            Status::Running => Some((true, since)),
            Status::Starting | Status::Reconnecting | Status::Failed => Some((false, since)),
        };
    }
}

#[derive(Debug, Default)]
struct Entry {
    figures: BotRuntime,
    events: EventWindow,
    uptime: UptimeClock,
}

/// Every bot's figures.
#[derive(Debug, Default)]
pub struct Runtimes {
    bots: Mutex<HashMap<i64, Entry>>,
}

impl Runtimes {
    fn with<T>(&self, bot_id: i64, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        f(bots.entry(bot_id).or_default())
    }

    /// Changes one bot's figures.
    pub fn update(&self, bot_id: i64, change: impl FnOnce(&mut BotRuntime)) {
        self.with(bot_id, |e| change(&mut e.figures));
    }

    /// Counts one gateway event at `now_ms` (the fleet's clock), then changes the figures.
    pub fn gateway_event(&self, bot_id: i64, now_ms: i64, change: impl FnOnce(&mut BotRuntime)) {
        self.with(bot_id, |e| {
            e.figures.events += 1;
            e.events.count(now_ms);
            change(&mut e.figures);
        });
    }

    /// A bot's status changed at `now_ms` (the fleet's clock).
    pub fn status(&self, bot_id: i64, status: Status, now_ms: i64) {
        self.with(bot_id, |e| e.uptime.status(status, now_ms));
    }

    /// One bot's figures (default when it never ran in this process).
    pub fn get(&self, bot_id: i64) -> BotRuntime {
        self.bots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&bot_id)
            .map(|e| e.figures.clone())
            .unwrap_or_default()
    }

    /// Every bot's figures that ran in this process, by id.
    pub fn all(&self) -> Vec<(i64, BotRuntime)> {
        let bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<(i64, BotRuntime)> = bots.iter().map(|(id, e)| (*id, e.figures.clone())).collect();
        drop(bots);
        all.sort_by_key(|(id, _)| *id);
        all
    }

    /// A bot's gateway events per second over the last minute.
    pub fn events_per_second(&self, bot_id: i64, now_ms: i64) -> f64 {
        self.bots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&bot_id)
            .map_or(0.0, |e| e.events.per_second(now_ms))
    }

    /// Every bot's running totals at `now_ms` of what the history records (events, REST calls,
    /// 429s, ms up and observed); the command figures are left at zero.
    pub fn totals(&self, now_ms: i64) -> Vec<(i64, Totals)> {
        let bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        bots.iter()
            .map(|(id, e)| {
                let (up_ms, span_ms) = e.uptime.totals(now_ms);
                let f = &e.figures;
                let t = Totals {
                    events: f.events,
                    rest_calls: f.rest_calls,
                    rate_limited: f.rate_limited,
                    up_ms,
                    span_ms,
                    ..Totals::default()
                };
                (*id, t)
            })
            .collect()
    }

    /// Forgets a deleted bot.
    pub fn forget(&self, bot_id: i64) {
        self.bots.lock().unwrap_or_else(PoisonError::into_inner).remove(&bot_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_counts_running_as_up_and_stopped_as_unobserved() {
        let r = Runtimes::default();
        r.status(1, Status::Starting, 0);
        r.status(1, Status::Running, 1_000);
        r.status(1, Status::Reconnecting, 11_000);
        r.status(1, Status::Running, 12_000);
        r.status(1, Status::Stopped, 20_000);
        // Stopped for a minute: neither up nor down.
        r.status(1, Status::Starting, 80_000);
        r.status(1, Status::Failed, 81_000);
        let t = r.totals(90_000)[0].1;
        assert_eq!((t.up_ms, t.span_ms), (18_000, 30_000));
    }

    #[test]
    fn events_per_second_over_the_last_minute() {
        let r = Runtimes::default();
        for i in 0..120 {
            r.gateway_event(1, 100_000 + i * 500, |_| {});
        }
        // 120 events in the 60 s before 159.5 s.
        assert!((r.events_per_second(1, 159_500) - 2.0).abs() < 1e-9);
        // 30 s later, half of them are older than a minute.
        assert!((r.events_per_second(1, 189_500) - 1.0).abs() < 1e-9);
        assert_eq!(r.get(1).events, 120);
        assert_eq!(r.events_per_second(1, 1_000_000), 0.0);
    }
}
