//! When the fleet gives a burst's memory back: when REST clients were dropped (their connections
//! and requests are freed), or as soon as it goes quiet after REST calls, at most once per
//! [`QUIET_RELEASE_GAP`] for the latter.
//!
//! Giving memory back is closing the idle database connections and trimming the allocator
//! (`Fleet::spawn_memory_release`). Waiting for the clients to be dropped alone left a burst's free
//! memory with the process for 30–45 s after it (issue 26: 1.18–1.21 × the idle figure per bot 3 s
//! after 10,000 commands, 1.02–1.04 × 75 s later).

use std::time::Duration;

use tokio::time::Instant;

/// How often the fleet looks: a burst's memory goes back within about this long of its end.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The least time between two releases for quiet alone: a fleet that answers now and then (a
/// command, a quiet second, a command) trims at most this often.
pub const QUIET_RELEASE_GAP: Duration = Duration::from_secs(30);

/// Decides, at each look, whether memory is given back now.
#[derive(Debug)]
pub struct ReleasePlan {
    /// REST calls counted at the last look.
    last_calls: u64,
    /// Whether calls were seen since the last release.
    busy_since_release: bool,
    /// When memory was last given back.
    last_release: Option<Instant>,
}

impl ReleasePlan {
    /// Nothing seen yet; `calls` is the count of REST calls so far.
    pub fn new(calls: u64) -> Self {
        Self { last_calls: calls, busy_since_release: false, last_release: None }
    }

    /// At a look at `now`: `dropped` clients since the last look, `calls` REST calls so far.
    /// True when memory should be given back now.
    pub fn due(&mut self, dropped: usize, calls: u64, now: Instant) -> bool {
        let busy = calls != self.last_calls;
        self.last_calls = calls;
        if busy {
            self.busy_since_release = true;
        }
        let quiet_after_calls = self.busy_since_release && !busy;
        let gap_passed = self.last_release.is_none_or(|at| now.saturating_duration_since(at) >= QUIET_RELEASE_GAP);
        let due = dropped > 0 || (quiet_after_calls && gap_passed);
        if due {
            self.busy_since_release = busy;
            self.last_release = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_released_when_it_ends_and_sporadic_calls_at_most_every_gap() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut plan = ReleasePlan::new(0);
        assert!(!plan.due(0, 0, at(1)), "nothing happened");
        assert!(!plan.due(0, 500, at(2)), "a burst is going on");
        assert!(!plan.due(0, 1000, at(3)));
        assert!(plan.due(0, 1000, at(4)), "the first quiet look after it releases");
        assert!(!plan.due(0, 1000, at(5)), "once");
        // A call now and then: the next quiet look waits for the gap.
        assert!(!plan.due(0, 1001, at(6)));
        assert!(!plan.due(0, 1001, at(7)), "within the gap of the last release");
        assert!(!plan.due(0, 1001, at(33)));
        assert!(plan.due(0, 1001, at(34)), "the gap passed, still quiet after a call");
        assert!(!plan.due(0, 1001, at(35)));
        // Dropped clients release at once, busy or not, gap or not.
        assert!(plan.due(3, 1002, at(36)), "busy, but clients were dropped");
        // The call seen at that look still counts: the first quiet look after the gap releases.
        assert!(!plan.due(0, 1002, at(37)), "quiet, within the gap");
        assert!(plan.due(0, 1002, at(66)));
        assert!(!plan.due(0, 1002, at(100)), "nothing since");
    }
}
