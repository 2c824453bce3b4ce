//! Discord's invalid-request budget: an IP that makes 10,000 invalid requests (401, 403, 429) in
//! 10 minutes is banned for an hour — every bot behind it with it. Every bot's REST calls are
//! counted here, fleet-wide and per bot, over that window on the injected clock. Past the warning
//! level the alert condition `invalid_requests` fires and a line is logged; past the danger level
//! the bot at fault (the one that made at least half of them) has its calls refused locally until
//! the window lets it go, rather than the whole fleet being banned.
//!
//! twilight-http retries 429s by itself and does not say whether one was of the `shared` scope
//! (which Discord does not count): all are counted, which errs on the safe side.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use crate::time::Clock;

/// Discord's window.
pub const WINDOW_MS: i64 = 600_000;
/// Each window is counted in 60 slots of 10 s.
const SLOT_MS: i64 = 10_000;
const SLOTS: usize = 60;

/// Where warning and pausing start (Discord bans at 10,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    pub warning: u64,
    pub danger: u64,
}

impl Default for Levels {
    fn default() -> Self {
        Self { warning: 5_000, danger: 8_000 }
    }
}

/// Counts in the last ten minutes, slot by slot.
#[derive(Debug, Clone, Default)]
struct Window {
    /// (slot number since 1970, count) of the slots that counted something, oldest first; those
    /// out of the window go at the next count. A bot with one 429 holds one slot, not all 60
    /// (1,000 bots that each met a 429 in a burst held ≈ 1 KB each for ten minutes).
    slots: VecDeque<(i64, u64)>,
}

impl Window {
    fn add(&mut self, now_ms: i64) {
        let slot = now_ms.div_euclid(SLOT_MS);
        let oldest = slot - (SLOTS as i64 - 1);
        while self.slots.front().is_some_and(|&(s, _)| s < oldest) {
            self.slots.pop_front();
        }
        match self.slots.iter_mut().rev().find(|(s, _)| *s <= slot) {
            Some(entry) if entry.0 == slot => entry.1 += 1,
            // A clock set back lands between the slots it already counted.
            _ => {
                let at = self.slots.partition_point(|&(s, _)| s < slot);
                self.slots.insert(at, (slot, 1));
            }
        }
    }

    fn sum(&self, now_ms: i64) -> u64 {
        let newest = now_ms.div_euclid(SLOT_MS);
        let oldest = newest - (SLOTS as i64 - 1);
        self.slots.iter().filter(|(slot, _)| (oldest..=newest).contains(slot)).map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Default)]
struct Counts {
    fleet: Window,
    bots: HashMap<i64, Window>,
    /// Since start, for `/metrics`.
    total: u64,
    /// The warning was logged in this window (slot number), so it is logged once per crossing.
    warned_at: Option<i64>,
}

/// The fleet's invalid-request counts.
#[derive(Debug)]
pub struct InvalidRequests {
    clock: Clock,
    levels: Levels,
    counts: Mutex<Counts>,
}

impl InvalidRequests {
    /// Counts read off `clock`, judged against `levels`.
    pub fn new(clock: Clock, levels: Levels) -> Self {
        Self { clock, levels, counts: Mutex::new(Counts::default()) }
    }

    /// One invalid request (by `bot`, when a bot made it).
    pub fn note(&self, bot: Option<i64>) {
        let now = self.clock.now_ms();
        let warn = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.total += 1;
            counts.fleet.add(now);
            if let Some(bot) = bot {
                if counts.bots.len() > 10_000 {
                    counts.bots.retain(|_, w| w.sum(now) > 0);
                }
                counts.bots.entry(bot).or_default().add(now);
            }
            let in_window = counts.fleet.sum(now);
            let slot = now.div_euclid(WINDOW_MS);
            let warn = in_window >= self.levels.warning && counts.warned_at != Some(slot);
            if warn {
                counts.warned_at = Some(slot);
            }
            warn.then_some(in_window)
        };
        if let Some(n) = warn {
            tracing::warn!(
                invalid_requests = n,
                "Discord bans an IP for an hour after 10,000 invalid requests (401, 403, 429) in 10 minutes: \
                 {n} in the last 10 minutes"
            );
        }
    }

    /// Invalid requests in the last ten minutes: (the fleet's, `bot`'s).
    pub fn in_window(&self, bot: Option<i64>) -> (u64, u64) {
        let now = self.clock.now_ms();
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let of_bot = bot.and_then(|b| counts.bots.get(&b)).map_or(0, |w| w.sum(now));
        (counts.fleet.sum(now), of_bot)
    }

    /// Invalid requests since start.
    pub fn total(&self) -> u64 {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).total
    }

    /// `Some(why)` when `bot`'s calls must wait: the fleet is past the danger level and this bot
    /// made at least half of the window's invalid requests.
    pub fn paused(&self, bot: i64) -> Option<String> {
        let (all, mine) = self.in_window(Some(bot));
        (all >= self.levels.danger && mine * 2 >= all).then(|| {
            format!(
                "paused: this bot made {mine} of the {all} invalid requests (401, 403, 429) of the last 10 minutes, \
                 and Discord bans the whole IP at 10,000; its calls resume as the window moves on"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_at_fault_is_paused_past_the_danger_level_until_the_window_moves_on() {
        let clock = Clock::manual(1_800_000_000_000);
        let invalid = InvalidRequests::new(clock.clone(), Levels { warning: 5, danger: 10 });
        for _ in 0..7 {
            invalid.note(Some(1));
        }
        for _ in 0..2 {
            invalid.note(Some(2));
        }
        invalid.note(None);
        assert_eq!(invalid.in_window(Some(1)), (10, 7));
        assert!(invalid.paused(1).is_some_and(|why| why.contains("7 of the 10")), "bot 1 is at fault");
        assert_eq!(invalid.paused(2), None, "bot 2 is not");
        clock.advance(std::time::Duration::from_secs(300));
        assert_eq!(invalid.in_window(Some(1)), (10, 7), "still within 10 minutes");
        clock.advance(std::time::Duration::from_secs(301));
        assert_eq!(invalid.in_window(Some(1)), (0, 0), "the window moved on");
        assert_eq!(invalid.paused(1), None);
        assert_eq!(invalid.total(), 10);
    }

    #[test]
    fn a_window_holds_only_the_slots_that_counted_and_forgets_old_ones() {
        let mut w = Window::default();
        w.add(5_000);
        w.add(6_000);
        assert_eq!(w.slots.len(), 1, "one slot for two counts in the same 10 s");
        w.add(25_000);
        w.add(15_000); // a clock set back
        assert_eq!(w.slots.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(w.sum(25_000), 4);
        // Eleven minutes on: the first three slots left the window, and go with the next count.
        let later = 25_000 + 11 * 60_000;
        assert_eq!(w.sum(later), 0);
        w.add(later);
        assert_eq!(w.slots.len(), 1);
        assert_eq!(w.sum(later), 1);
    }
}
