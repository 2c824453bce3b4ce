//! Spacing of each bot's bulk REST calls (a batch's messages, the channel checks before it) under
//! Discord's global limit (50 requests/s per bot).
//!
//! twilight-http keeps that limit too, but counts its second from the moment it lets the first
//! request go, while Discord counts from the moment that request arrives; a burst of 50 just
//! after twilight's second restarts can arrive before Discord's has, and gets a global 429
//! (measured: 7 in a batch of 1,000, `docs/benchmarks.md`, "Batch announcements"). So these calls
//! go at most [`SENDS`] per bot in any [`WINDOW`] of 1.1 s: the 100 ms over the second take up the
//! difference between when a request leaves and when Discord counts it, and twilight never has
//! to hold one back (which would bunch them at the start of its next second). A bot's replies
//! are not paced here: they are few, and twilight retries the rare 429 they might meet.
//!
//! A slot is a time reserved in order (first come, first served) under a short std lock; the
//! caller then sleeps until it, holding nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Sends a bot's batches make in any [`WINDOW`]: Discord's global limit per second.
pub const SENDS: usize = 50;
/// The window [`SENDS`] are counted over: Discord's second and a margin for the way there.
pub const WINDOW: Duration = Duration::from_millis(1100);

/// The reserved send times of each bot's last [`SENDS`] sends.
#[derive(Debug, Default)]
pub struct Pace {
    bots: Mutex<HashMap<i64, VecDeque<Instant>>>,
}

impl Pace {
    /// Waits for `bot`'s next send slot.
    pub async fn slot(&self, bot: i64) {
        let at = self.reserve(bot, Instant::now());
        tokio::time::sleep_until(at).await;
    }

    /// Reserves `bot`'s next send time: now, or later in order, so that no [`WINDOW`] holds
    /// more than [`SENDS`] reserved times.
    fn reserve(&self, bot: i64, now: Instant) -> Instant {
        let mut bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        let times = bots.entry(bot).or_default();
        while times.front().is_some_and(|t| *t + WINDOW <= now) {
            times.pop_front();
        }
        let mut at = times.back().map_or(now, |last| now.max(*last));
        if times.len() >= SENDS {
            at = at.max(times[times.len() - SENDS] + WINDOW);
        }
        times.push_back(at);
        while times.len() > SENDS {
            times.pop_front();
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_window_holds_more_than_the_limit_and_bots_are_apart() {
        let pace = Pace::default();
        let start = Instant::now();
        let times: Vec<Instant> = (0..130).map(|_| pace.reserve(1, start)).collect();
        // The first 50 at once, the next 50 a window later, then the rest.
        assert!(times[..SENDS].iter().all(|t| *t == start));
        assert_eq!(times[SENDS], start + WINDOW);
        assert_eq!(times[2 * SENDS], start + 2 * WINDOW);
        for pair in times.windows(SENDS + 1) {
            assert!(pair[SENDS] - pair[0] >= WINDOW, "51 sends within one window");
        }
        // Another bot is not held up.
        assert_eq!(pace.reserve(2, start), start);
        // After a quiet window, a send goes at once.
        let later = start + 3 * WINDOW + Duration::from_secs(1);
        assert_eq!(pace.reserve(1, later), later);
        // A bot with room: its slot is now.
        tokio::time::timeout(Duration::from_secs(1), pace.slot(3)).await.expect("at once");
    }
}
