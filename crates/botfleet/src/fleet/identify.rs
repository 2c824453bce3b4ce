//! Each bot's identify gate: Discord allows a bot `max_concurrency` identifies per 5 s, one per
//! rate-limit bucket (`shard % max_concurrency`; most bots have one bucket), and answers a sooner
//! one with op 9 (invalid session), which costs a reconnect and another wait. The gate outlives the
//! bot's shards, so a restart or a reconnect waits its turn instead of being refused; it spaces each
//! bucket's identifies 5 s apart plus a margin for the time a frame takes to arrive (twilight's own
//! queue spaces them exactly 5 s, which Discord can see as 4.99 s).
//!
//! With several nodes the turns are kept in the database (`identify_turns`, one row per bot and
//! bucket, moved by the database's clock in one statement), so a node that takes a bot over
//! right after another identified it waits its turn too. Should the database not answer, the
//! turn is kept by this process alone (a too-early identify costs one op 9 and a retry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use twilight_gateway::queue::Queue;

use crate::store::Store;

/// Discord's identify window for one bucket, plus the margin.
pub const IDENTIFY_SPACING: Duration = Duration::from_millis(5_500);

/// When each of the bot's buckets may identify next. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct IdentifyGate {
    inner: Arc<Mutex<Buckets>>,
    /// Several nodes: the database the turns are kept in, and the bot's id.
    shared: Option<(Store, i64)>,
}

#[derive(Debug, Default)]
struct Buckets {
    /// Identifies allowed per window (`max_concurrency`; 1 until told).
    concurrency: u32,
    /// Per bucket, the last identify granted (or to be granted).
    last: HashMap<u32, Instant>,
}

impl IdentifyGate {
    /// A gate whose turns the nodes sharing `store` (PostgreSQL) keep together, for `bot_id`.
    pub fn shared(store: Store, bot_id: i64) -> Self {
        Self { inner: Arc::default(), shared: Some((store, bot_id)) }
    }

    /// How long `shard` waits for its turn, reserved in the database; `None` without one (or
    /// when it does not answer: this process's own turn is used then).
    pub async fn shared_wait(&self, shard: u32) -> Option<Duration> {
        let (store, bot_id) = self.shared.as_ref()?;
        let bucket = shard % self.inner.lock().unwrap_or_else(PoisonError::into_inner).concurrency.max(1);
        let spacing = i64::try_from(IDENTIFY_SPACING.as_millis()).unwrap_or(i64::MAX);
        let wait: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO identify_turns (bot_id, bucket, turn_at) VALUES ($1, $2, botfleet_now_ms()) \
             ON CONFLICT (bot_id, bucket) DO UPDATE \
             SET turn_at = GREATEST(identify_turns.turn_at + $3, botfleet_now_ms()) \
             RETURNING turn_at - botfleet_now_ms()",
        )
        .bind(*bot_id)
        .bind(i64::from(bucket))
        .bind(spacing)
        .fetch_one(store.pool())
        .await;
        match wait {
            Ok(ms) => Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
            Err(e) => {
                tracing::warn!(bot_id, error = %e, "the identify turn could not be read from the database; this node's own is used");
                None
            }
        }
    }

    /// Sets the bot's `max_concurrency` (from `GET /gateway/bot`).
    pub fn set_concurrency(&self, concurrency: u32) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).concurrency = concurrency;
    }

    /// Reserves `shard`'s bucket's next turn: now when its last one is at least
    /// [`IDENTIFY_SPACING`] old, else that long after it.
    fn reserve(&self, shard: u32) -> Instant {
        let now = Instant::now();
        let mut buckets = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = shard % buckets.concurrency.max(1);
        let turn = buckets.last.get(&bucket).map_or(now, |last| (*last + IDENTIFY_SPACING).max(now));
        buckets.last.insert(bucket, turn);
        turn
    }
}

impl Queue for IdentifyGate {
    fn enqueue(&self, shard: u32) -> oneshot::Receiver<()> {
        let (permit, wait) = oneshot::channel();
        if self.shared.is_some() {
            let gate = self.clone();
            tokio::spawn(async move {
                let turn = match gate.shared_wait(shard).await {
                    Some(wait) => Instant::now() + wait,
                    None => gate.reserve(shard),
                };
                tokio::time::sleep_until(turn).await;
                let _ = permit.send(());
            });
            return wait;
        }
        let turn = self.reserve(shard);
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
        let first = gate.inner.lock().unwrap_or_else(PoisonError::into_inner).last[&0];
        let (second, third) = (gate.reserve(1), gate.reserve(0));
        assert_eq!(second - first, IDENTIFY_SPACING, "one bucket until told otherwise");
        assert_eq!(third - first, IDENTIFY_SPACING * 2);
        let other = IdentifyGate::default();
        assert!(other.reserve(0) <= Instant::now(), "each bot has its own gate");
        // max_concurrency 2: shards 0 and 1 are in two buckets, 2 shares shard 0's.
        let wide = IdentifyGate::default();
        wide.set_concurrency(2);
        let (a, b, c) = (wide.reserve(0), wide.reserve(1), wide.reserve(2));
        assert!(b.saturating_duration_since(a) < IDENTIFY_SPACING, "two buckets identify together");
        assert_eq!(c - a, IDENTIFY_SPACING);
    }
}
