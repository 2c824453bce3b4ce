//! Each bot's identify gate: Discord allows a bot one identify per 5 s (`max_concurrency` 1) and
//! answers a sooner one with op 9 (invalid session), which costs a reconnect and another wait. The
//! gate outlives the bot's shard, so a restart or a reconnect waits its turn instead of being
//! refused; it spaces identifies 5 s apart plus a margin for the time a frame takes to arrive
//! (twilight's own queue spaces them exactly 5 s, which Discord can see as 4.99 s).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use twilight_gateway::queue::Queue;

/// Discord's identify window for one bucket, plus the margin.
pub const IDENTIFY_SPACING: Duration = Duration::from_millis(5_500);

/// When the bot may identify next. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct IdentifyGate {
    /// The last identify granted (or to be granted).
    last: Arc<Mutex<Option<Instant>>>,
}

impl IdentifyGate {
    /// Reserves the next turn: now when the last one is at least [`IDENTIFY_SPACING`] old, else
    /// that long after it.
    fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let turn = last.map_or(now, |l| (l + IDENTIFY_SPACING).max(now));
        *last = Some(turn);
        turn
    }
}

impl Queue for IdentifyGate {
    fn enqueue(&self, _shard: u32) -> oneshot::Receiver<()> {
        let (permit, wait) = oneshot::channel();
        let turn = self.reserve();
        if turn <= Instant::now() {
            let _ = permit.send(());
        } else {
            tokio::spawn(async move {
                tokio::time::sleep_until(turn).await;
                // The shard may be gone (stopped meanwhile): nothing to do then.
                let _ = permit.send(());
            });
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identifies_are_spaced_by_the_window_and_its_margin() {
        let gate = IdentifyGate::default();
        assert!(gate.enqueue(0).await.is_ok(), "the first goes at once");
        let first = gate.last.lock().unwrap_or_else(PoisonError::into_inner).unwrap_or_else(Instant::now);
        let (second, third) = (gate.reserve(), gate.reserve());
        assert_eq!(second - first, IDENTIFY_SPACING);
        assert_eq!(third - first, IDENTIFY_SPACING * 2);
        let other = IdentifyGate::default();
        assert!(other.reserve() <= Instant::now(), "each bot has its own gate");
    }
}
