//! The clock that time-dependent rules read (sessions, lockouts, rate limits, cooldowns, restart
//! delays): the system's, or a manual one that tests step forward instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// Wall-clock milliseconds since the Unix epoch. Cloning shares a manual clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// A manual clock's time; a watch channel so that `sleep_until` wakes when `advance` moves it.
    manual: Option<Arc<watch::Sender<i64>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `start_ms` until `advance` moves it.
    pub fn manual(start_ms: i64) -> Self {
        Self { manual: Some(Arc::new(watch::Sender::new(start_ms))) }
    }

    /// Now, in milliseconds since 1970.
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(ms) => *ms.borrow(),
            None => super::now_ms(),
        }
    }

    /// Moves a manual clock forward (no-op on the system clock), waking the waits it reaches.
    pub fn advance(&self, by: Duration) {
        if let Some(ms) = &self.manual {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            ms.send_modify(|ms| *ms = ms.saturating_add(by));
        }
    }

    /// Returns once this clock reads `at_ms` or later: after a tokio sleep on the system clock, or
    /// when a test's `advance` gets there on a manual one (real time does not move it).
    pub async fn sleep_until(&self, at_ms: i64) {
        match &self.manual {
            Some(ms) => {
                let mut now = ms.subscribe();
                // The sender lives as long as this clock: an error cannot happen while we wait.
                let _ = now.wait_for(|ms| *ms >= at_ms).await;
            }
            None => {
                let left = at_ms.saturating_sub(super::now_ms()).max(0);
                tokio::time::sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0))).await;
            }
        }
    }
}

impl governor::clock::Clock for Clock {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> Self::Instant {
        let ms = u64::try_from(self.now_ms()).unwrap_or(0);
        governor::nanos::Nanos::from(ms.saturating_mul(1_000_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000);
        let shared = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        shared.advance(Duration::from_secs(2));
        assert_eq!(clock.now_ms(), 3_000);
        assert!(Clock::system().now_ms() > 1_700_000_000_000);
    }

    #[test]
    fn a_manual_sleep_ends_when_the_clock_gets_there() {
        use futures_util::FutureExt;
        let clock = Clock::manual(1_000);
        let mut sleep = std::pin::pin!(clock.sleep_until(5_000));
        assert!(sleep.as_mut().now_or_never().is_none());
        clock.advance(Duration::from_secs(3));
        assert!(sleep.as_mut().now_or_never().is_none(), "4,000 ms is not yet 5,000 ms");
        clock.advance(Duration::from_secs(1));
        assert!(sleep.as_mut().now_or_never().is_some());
        // A time already passed is no wait.
        assert!(std::pin::pin!(clock.sleep_until(0)).now_or_never().is_some());
    }
}
