//! The emulator's clock: real time plus an offset a test can advance.
//!
//! Every time-dependent rule (rate-limit windows, identify budget, heartbeat deadlines, resume
//! windows, interaction token expiry) reads this clock, so a test can jump past a window with
//! `Emulator::advance_time` instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic and wall-clock time, both shifted by the same test-controlled offset.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    offset_ms: AtomicU64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock at real time with no offset.
    #[allow(clippy::disallowed_methods)] // This is the emulator's clock: its one reading of real time.
    pub fn new() -> Self {
        Self { start: Instant::now(), offset_ms: AtomicU64::new(0) }
    }

    /// Monotonic "now", including the offset.
    pub fn now(&self) -> Instant {
        self.start + self.start.elapsed() + self.offset()
    }

    /// Wall-clock "now" (for timestamps, snowflakes and `X-RateLimit-Reset`), including the offset.
    #[allow(clippy::disallowed_methods)] // The clock's one reading of the wall clock.
    pub fn system_now(&self) -> SystemTime {
        SystemTime::now() + self.offset()
    }

    /// Milliseconds since the Unix epoch, including the offset.
    pub fn unix_millis(&self) -> u64 {
        self.system_now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// Moves time forward for every rule that reads this clock.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}
