//! botfleet's patch 4: the queues' reset timers, a heap of deadlines under one timer.
//!
//! Upstream kept them in a `tokio_util` `DelayQueue`, whose timer wheel (six levels of 64 slots)
//! is allocated whole when the actor starts: ≈ 6 KB for every client, whether it ever waits on a
//! reset or not. botfleet makes a client per bot that answers commands, so after a burst over
//! 1,000 bots that was ≈ 6 MB. Here an actor holds nothing until a queue has a reset, then one
//! heap entry per reset it set (a few words) and one timer.
//!
//! A queue's current deadline lives in the queue itself (`Queue::reset`); an entry here only says
//! "look at this queue then". So moving a deadline later costs nothing (the entry, when due, finds
//! the later deadline and waits again), moving it earlier adds an entry, and clearing it leaves a
//! stale entry that is dropped when due.

use std::{
    cmp::Reverse,
    collections::BinaryHeap,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tokio::time::{Instant, Sleep, sleep_until};

/// Deadlines to look at, by queue hash.
#[derive(Debug, Default)]
pub struct Resets {
    /// (when, queue hash), soonest first.
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Wakes the actor at the soonest entry; made on first use and dropped when nothing is due.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Resets {
    /// Looks at queue `hash` at `at`: call when its deadline is set, or moved earlier.
    pub fn look_at(&mut self, hash: u64, at: Instant) {
        self.due.push(Reverse((at, hash)));
    }

    /// The next queue whose current deadline (`deadline(hash)`) has passed; `Ready(None)` when
    /// nothing is due any more (as a `DelayQueue` that is empty).
    pub fn poll_expired(
        &mut self,
        cx: &mut Context<'_>,
        deadline: impl Fn(u64) -> Option<Instant>,
    ) -> Poll<Option<u64>> {
        loop {
            let Some(&Reverse((at, hash))) = self.due.peek() else {
                // Nothing left: give the heap's and the timer's memory back.
                *self = Self::default();
                return Poll::Ready(None);
            };
            let now = Instant::now();
            if at > now {
                let timer = self.timer.get_or_insert_with(|| Box::pin(sleep_until(at)));
                if timer.deadline() != at {
                    timer.as_mut().reset(at);
                }
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            self.due.pop();
            match deadline(hash) {
                // Passed (possibly earlier than this entry, if it was moved earlier: then this is
                // a second look, and the first already fired or will fire first).
                Some(current) if current <= now.max(at) => return Poll::Ready(Some(hash)),
                // Moved later since this entry was made: look again then.
                Some(current) => self.due.push(Reverse((current, hash))),
                // Cleared, or the queue is gone: a stale entry.
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Resets;
    use std::{cell::RefCell, collections::HashMap, future::poll_fn, task::Poll};
    use tokio::time::{Duration, Instant, advance};

    /// Polls until something is due or nothing is (`None`), without waiting.
    async fn due_now(resets: &mut Resets, deadlines: &RefCell<HashMap<u64, Instant>>) -> Option<Option<u64>> {
        poll_fn(|cx| {
            Poll::Ready(match resets.poll_expired(cx, |h| deadlines.borrow().get(&h).copied()) {
                Poll::Ready(x) => Some(x),
                Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_fire_in_order_and_follow_their_queue() {
        let deadlines = RefCell::new(HashMap::new());
        let mut resets = Resets::default();
        assert_eq!(due_now(&mut resets, &deadlines).await, Some(None), "nothing set");

        let start = Instant::now();
        for (hash, secs) in [(1, 5), (2, 2), (3, 3)] {
            let at = start + Duration::from_secs(secs);
            deadlines.borrow_mut().insert(hash, at);
            resets.look_at(hash, at);
        }
        // Queue 3 moves later (no new entry), queue 1 earlier (a new one), queue 2 is cleared.
        deadlines.borrow_mut().insert(3, start + Duration::from_secs(6));
        let earlier = start + Duration::from_secs(1);
        deadlines.borrow_mut().insert(1, earlier);
        resets.look_at(1, earlier);
        deadlines.borrow_mut().remove(&2);

        assert_eq!(due_now(&mut resets, &deadlines).await, None, "nothing due yet");
        advance(Duration::from_secs(1)).await;
        assert_eq!(due_now(&mut resets, &deadlines).await, Some(Some(1)));
        deadlines.borrow_mut().remove(&1); // fired: the actor clears it
        advance(Duration::from_secs(4)).await; // t = 5: queue 2 cleared, queue 1's old entry stale
        assert_eq!(due_now(&mut resets, &deadlines).await, None, "queue 3 waits for its later deadline");
        advance(Duration::from_secs(1)).await;
        assert_eq!(due_now(&mut resets, &deadlines).await, Some(Some(3)));
        deadlines.borrow_mut().remove(&3);
        assert_eq!(due_now(&mut resets, &deadlines).await, Some(None), "all done");
        assert!(resets.due.capacity() == 0 && resets.timer.is_none(), "memory given back");
    }
}
