//! Which gateway events a bot has finished with. Commands are answered in tasks of their own, so
//! the gateway's sequence runs ahead of the answers; a saved session must resume from the last
//! event before the oldest answer still running, or a crash would skip it. Resuming earlier than
//! needed only replays events already handled, which event ids and reply nonces make harmless.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The events of a bot's current session still being answered. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Handled {
    // A std Mutex: held for map operations only, never across an await.
    inner: Arc<Mutex<Running>>,
    /// The sequence of the event the gateway loop is handling now: after a panic there, the
    /// resume skips past it (replaying it would panic again).
    current: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Running {
    /// Bumped when a new session starts: answers from an older session no longer count.
    generation: u64,
    /// Sequence → answers running for it, in the current session.
    running: BTreeMap<u64, u32>,
}

/// Held by an answer while it runs; dropping it marks its event finished.
#[derive(Debug)]
pub struct Answering {
    handled: Handled,
    generation: u64,
    sequence: u64,
}

impl Handled {
    fn running(&self) -> MutexGuard<'_, Running> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The gateway loop starts handling the event `sequence`.
    pub fn handling(&self, sequence: u64) {
        self.current.store(sequence, Ordering::Relaxed);
    }

    /// The event the gateway loop was handling last.
    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Relaxed)
    }

    /// A new session started (identified): sequences start again.
    pub fn new_session(&self) {
        let mut r = self.running();
        r.generation += 1;
        r.running.clear();
    }

    /// An event is being answered.
    pub fn begin(&self, sequence: u64) -> Answering {
        let mut r = self.running();
        *r.running.entry(sequence).or_default() += 1;
        Answering { handled: self.clone(), generation: r.generation, sequence }
    }

    /// The sequence a resume may start from, given the last sequence received: every event up to
    /// it has finished.
    pub fn watermark(&self, received: u64) -> u64 {
        let r = self.running();
        r.running.keys().next().map_or(received, |oldest| oldest.saturating_sub(1).min(received))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        let mut r = self.handled.running();
        if r.generation != self.generation {
            return;
        }
        if let Some(n) = r.running.get_mut(&self.sequence) {
            *n -= 1;
            if *n == 0 {
                r.running.remove(&self.sequence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_waits_for_the_oldest_answer() {
        let h = Handled::default();
        assert_eq!(h.watermark(7), 7);
        let a = h.begin(8);
        let b = h.begin(9);
        assert_eq!(h.watermark(10), 7);
        drop(b);
        assert_eq!(h.watermark(10), 7, "9 finished, 8 still runs");
        drop(a);
        assert_eq!(h.watermark(10), 10);
    }

    #[test]
    fn answers_from_an_older_session_do_not_hold_the_new_one() {
        let h = Handled::default();
        let old = h.begin(50);
        h.new_session();
        assert_eq!(h.watermark(3), 3);
        let new = h.begin(4);
        drop(old);
        assert_eq!(h.watermark(5), 3);
        drop(new);
        assert_eq!(h.watermark(5), 5);
    }
}
