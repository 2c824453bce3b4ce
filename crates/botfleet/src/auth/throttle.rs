//! Rate limits and refusal tracking, all read off the injected clock: API requests per credential
//! (per IP when anonymous) with a tighter bucket for bot operations, sign-in attempts per IP and
//! per account name (governor's GCRA), and bursts of 401/403 answers (one audit row per burst).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::time::Clock;

type Keyed = RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    Clock,
    governor::middleware::NoOpMiddleware<governor::nanos::Nanos>,
>;

/// Refusals to one IP or credential within this window count as one burst.
pub const BURST_WINDOW_MS: i64 = 60_000;
/// Refusals in a window that make a burst worth an audit row.
pub const BURST_THRESHOLD: u32 = 10;

fn keyed(per_minute: u32, clock: &Clock) -> Keyed {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::new(Quota::per_minute(n), DefaultKeyedStateStore::default(), clock.clone())
}

/// A keyed limiter: `check` says how long to wait when the key is over its quota.
pub struct Limiter {
    limiter: Keyed,
    clock: Clock,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limiter")
    }
}

impl Limiter {
    /// `per_minute` requests per minute per key, in a burst of up to the same number.
    pub fn per_minute(per_minute: u32, clock: &Clock) -> Self {
        Self { limiter: keyed(per_minute, clock), clock: clock.clone() }
    }

    /// `Ok` to go ahead, or the whole seconds to wait (at least 1).
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets keys that are back to a full bucket (bounded memory).
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Counts 401/403 answers per IP or credential; says when a burst reaches the threshold (once per
/// window).
#[derive(Debug, Default)]
pub struct RefusalBursts {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RefusalBursts {
    /// Notes one refusal to `key` at `now`; `true` exactly when this one completes a burst.
    pub fn note(&self, key: &str, now: i64) -> bool {
        let Ok(mut windows) = self.windows.lock() else { return false };
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now - *start < BURST_WINDOW_MS);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now - entry.0 >= BURST_WINDOW_MS {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 == BURST_THRESHOLD
    }

    /// Drops finished windows.
    pub fn prune(&self, now: i64) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.retain(|_, (start, _)| now - *start < BURST_WINDOW_MS);
        }
    }
}

/// Failure counts and locks for user names that do not exist, so that an unknown name is
/// answered exactly like a known one (including its lockout).
#[derive(Debug, Default)]
pub struct PhantomAccounts {
    by_name: Mutex<HashMap<String, Phantom>>,
}

/// The lockout state of a name with no account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phantom {
    pub failed: i64,
    pub lockouts: i64,
    pub locked_until: Option<i64>,
}

impl PhantomAccounts {
    /// The state of `name`.
    pub fn get(&self, name: &str) -> Phantom {
        self.by_name.lock().ok().and_then(|m| m.get(name).copied()).unwrap_or_default()
    }

    /// Replaces the state of `name` (bounded: the oldest half goes when full).
    pub fn set(&self, name: &str, state: Phantom) {
        if let Ok(mut m) = self.by_name.lock() {
            if m.len() >= 10_000 {
                m.clear();
            }
            m.insert(name.to_owned(), state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn limiter_refuses_past_quota_until_the_clock_moves() {
        let clock = Clock::manual(1_000_000);
        let l = Limiter::per_minute(3, &clock);
        assert!((0..3).all(|_| l.check("k").is_ok()));
        let wait = l.check("k").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check("other").is_ok());
        clock.advance(Duration::from_secs(wait));
        assert!(l.check("k").is_ok());
    }

    #[test]
    fn a_burst_is_reported_once_per_window() {
        let b = RefusalBursts::default();
        let hits: Vec<bool> = (0..25).map(|i| b.note("ip:1", 1000 + i)).collect();
        assert_eq!(hits.iter().filter(|h| **h).count(), 1);
        assert!(hits[9]);
        assert!(!(0..9).any(|i| b.note("ip:1", 61_000 + i)));
        assert!(b.note("ip:1", 61_100));
    }
}
