//! The nonces of messages sent with `enforce_nonce`, remembered for [`NONCE_WINDOW`] and
//! forgotten oldest first, so a lookup costs the same however many messages the window holds.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

/// How long a nonce sent with `enforce_nonce` is remembered. Discord documents "the past few
/// minutes"; five is the emulator's reading of that.
pub const NONCE_WINDOW: Duration = Duration::from_secs(300);

/// (author, nonce) → (channel, message, when), with the keys in the order they were remembered.
#[derive(Debug, Default)]
pub struct Nonces {
    sent: HashMap<(u64, String), (u64, u64, SystemTime)>,
    order: VecDeque<(SystemTime, (u64, String))>,
}

impl Nonces {
    /// The (channel, message) `author` sent with this nonce within the window before `now`.
    pub fn get(&mut self, now: SystemTime, author: u64, nonce: &str) -> Option<(u64, u64)> {
        self.forget_before(now);
        let (channel, message, _) = *self.sent.get(&(author, nonce.to_owned()))?;
        Some((channel, message))
    }

    /// Remembers that `author` sent `message` in `channel` with this nonce at `now`.
    pub fn remember(&mut self, now: SystemTime, author: u64, nonce: String, channel: u64, message: u64) {
        self.forget_before(now);
        self.order.push_back((now, (author, nonce.clone())));
        self.sent.insert((author, nonce), (channel, message, now));
    }

    /// How many nonces are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.sent.len()
    }

    /// Forgets the nonces older than the window. A clock set back keeps what it holds until
    /// time passes them again.
    fn forget_before(&mut self, now: SystemTime) {
        let stale = |at: &SystemTime| now.duration_since(*at).is_ok_and(|age| age >= NONCE_WINDOW);
        while let Some((at, _)) = self.order.front().filter(|(at, _)| stale(at)) {
            let at = *at;
            let Some((_, key)) = self.order.pop_front() else { break };
            // The key may have been remembered again since; only its own entry goes.
            if self.sent.get(&key).is_some_and(|(_, _, when)| *when == at) {
                self.sent.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_found_within_the_window_and_forgotten_after_it() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut nonces = Nonces::default();
        nonces.remember(t0, 1, "a".into(), 10, 100);
        nonces.remember(t0 + Duration::from_secs(60), 1, "b".into(), 10, 101);
        assert_eq!(nonces.get(t0 + Duration::from_secs(299), 1, "a"), Some((10, 100)));
        assert_eq!(nonces.get(t0, 2, "a"), None, "another author's nonce is another key");
        assert_eq!(nonces.get(t0 + NONCE_WINDOW, 1, "a"), None, "forgotten after the window");
        assert_eq!(nonces.len(), 1, "and dropped, not only hidden");
        assert_eq!(nonces.get(t0 + NONCE_WINDOW, 1, "b"), Some((10, 101)));
        nonces.remember(t0 + NONCE_WINDOW + Duration::from_secs(1), 1, "a".into(), 11, 102);
        assert_eq!(nonces.get(t0 + NONCE_WINDOW + Duration::from_secs(2), 1, "a"), Some((11, 102)));
    }

    #[test]
    fn a_key_remembered_again_keeps_its_newer_entry_when_the_old_one_expires() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut nonces = Nonces::default();
        nonces.remember(t0, 1, "a".into(), 10, 100);
        nonces.remember(t0 + Duration::from_secs(200), 1, "a".into(), 10, 200);
        assert_eq!(nonces.get(t0 + Duration::from_secs(400), 1, "a"), Some((10, 200)));
    }
}
