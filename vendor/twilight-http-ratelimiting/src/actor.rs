//! Rate limiting state manager.

use crate::{Endpoint, GLOBAL_LIMIT_PERIOD, RateLimitHeaders};
use hashbrown::{HashTable, hash_table::Entry as TableEntry};
use std::{
    collections::{HashMap, VecDeque, hash_map::Entry as MapEntry},
    future::poll_fn,
    hash::{BuildHasher, Hash, Hasher as _, RandomState},
    mem,
    num::NonZero,
    pin::{Pin, pin},
    task::{Context, Poll},
};
use tokio::{
    sync::{
        mpsc,
        oneshot::{self, error::RecvError},
    },
    time::{Duration, Instant, sleep},
};
use crate::resets::Resets;

/// Rate limiter hasher.
#[derive(Debug)]
struct Hasher(RandomState);

impl Hasher {
    /// Hashes a bucket and an endpoint's top-level resources.
    ///
    /// The resulting hash is globally unique.
    fn bucket(&self, bucket: &[u8], endpoint: &Endpoint) -> u64 {
        let mut hasher = self.0.build_hasher();
        endpoint.hash_resources(&mut hasher);
        bucket.hash(&mut hasher);
        hasher.finish()
    }

    /// Hashes an endpoint's top-level resources.
    fn endpoint(&self, endpoint: &Endpoint) -> u64 {
        let mut hasher = self.0.build_hasher();
        endpoint.hash_resources(&mut hasher);
        hasher.finish()
    }
}

/// Pending permit request state.
#[derive(Debug)]
pub struct Message {
    /// Endpoint the permit is for, mapping to a [`Queue`].
    pub endpoint: Endpoint,
    /// Completion handle.
    pub notifier: oneshot::Sender<oneshot::Sender<Option<RateLimitHeaders>>>,
}

/// Grouped pending permits holder.
///
/// Grouping is based on previous permits' response headers: by bucket (if known) or endpoint.
///
/// May not be rate limited, in which case [`limit`], [`reset`], and [`remaining`] are unused.
///
/// [`limit`]: Self::limit
/// [`reset`]: Self::reset
/// [`remaining`]: Self::remaining
#[derive(Debug, Default)]
struct Queue {
    /// Whether the queue has a request in flight.
    in_flight: bool,
    /// List of pending permit requests.
    pending: VecDeque<Message>,
    /// Total number of permits until the queue becomes exhausted.
    limit: u16,
    /// When the queue resets, if rate limited (botfleet's patch 4: the deadline itself, looked at
    /// by [`Resets`]; upstream held a key into a `DelayQueue`).
    reset: Option<Instant>,
    /// Number of remaining permits until the queue becomes exhausted.
    remaining: u16,
    /// botfleet's patch: one interaction's queue (its callback), removed as soon as it holds
    /// nothing: no request in flight or pending, and no exhaustion to wait out.
    transient: bool,
}

impl Queue {
    /// Whether the queue is exhausted.
    const fn is_exhasted(&self) -> bool {
        self.remaining == 0
    }

    /// Whether a transient queue holds nothing any more, so it can go.
    fn is_spent(&self) -> bool {
        self.transient
            && !self.in_flight
            && self.pending.is_empty()
            && !(self.is_exhasted() && self.reset.is_some())
    }
}

impl From<VecDeque<Message>> for Queue {
    fn from(pending: VecDeque<Message>) -> Self {
        Self {
            in_flight: false,
            pending,
            limit: 0,
            reset: None,
            remaining: 0,
            transient: false,
        }
    }
}

/// A permit handed out, waiting for its response's headers.
///
/// botfleet's patch: the actor polls these itself. Upstream spawned a task per permit (into a
/// `JoinSet`) only to await this receiver, so every request cost a task spawn and one more wake-up
/// of a task on its way back to the actor.
struct InFlight {
    /// Endpoint the permit is for.
    endpoint: Endpoint,
    /// Receives the response's headers when the permit completes; closed when it is dropped.
    rx: oneshot::Receiver<Option<RateLimitHeaders>>,
}

/// The first permit in flight that completed (or was cancelled); `None` when none is in flight.
#[allow(clippy::type_complexity)]
fn poll_in_flight(
    in_flight: &mut Vec<InFlight>,
    cx: &mut Context<'_>,
) -> Poll<Option<(Endpoint, Result<Option<RateLimitHeaders>, RecvError>)>> {
    if in_flight.is_empty() {
        return Poll::Ready(None);
    }
    for i in 0..in_flight.len() {
        if let Poll::Ready(result) = Pin::new(&mut in_flight[i].rx).poll(cx) {
            let done = in_flight.swap_remove(i);
            return Poll::Ready(Some((done.endpoint, result)));
        }
    }
    Poll::Pending
}

/// Interval at which to prune stale queues.
const GC_INTERVAL: Duration = Duration::from_secs(60 * 60 * 6);

/// Rate limiter actor runner.
#[allow(clippy::too_many_lines)]
pub async fn runner(
    global_limit: NonZero<u16>,
    mut rx: mpsc::UnboundedReceiver<(Message, Option<crate::Predicate>)>,
) {
    let global_limit = global_limit.get();
    let mut global_remaining = global_limit;
    let mut global_timer = pin!(sleep(Duration::ZERO));

    let mut buckets = HashMap::<Endpoint, Vec<u8>>::new();
    // Invariants: may never contain more than one permit per endpoint at once.
    let mut in_flight = Vec::<InFlight>::new();

    let mut gc_interval = pin!(sleep(GC_INTERVAL));
    let mut reset = Resets::default();
    let mut queues = HashTable::<(u64, Queue)>::new();
    let hasher = Hasher(RandomState::new());

    /// Updates global rate limit state.
    macro_rules! on_global {
        () => {
            debug_assert_ne!(global_remaining, 0);
            if global_remaining == global_limit {
                global_timer
                    .as_mut()
                    .reset(Instant::now() + GLOBAL_LIMIT_PERIOD);
            } else if global_remaining == 1 {
                tracing::info!(
                    reset_after = ?global_timer.deadline().saturating_duration_since(Instant::now()),
                    "globally exhausted"
                );
            }
            global_remaining -= 1;
        };
    }

    /// Tries to pop a pending request off a queue.
    macro_rules! try_pop {
        ($queue:ident) => {
            let (mut tx, rx) = oneshot::channel();
            while let Some(req) = $queue
                .pending
                .front()
                .is_some_and(|req| global_remaining != 0 || req.endpoint.is_interaction())
                .then(|| $queue.pending.pop_front())
                .flatten()
            {
                match req.notifier.send(tx) {
                    Ok(()) => {
                        tracing::debug!(
                            method = req.endpoint.method.name(),
                            path = req.endpoint.path,
                            "permitted",
                        );
                        if !req.endpoint.is_interaction() {
                            on_global!();
                        }
                        in_flight.push(InFlight { endpoint: req.endpoint, rx });
                        $queue.in_flight = true;
                        break;
                    }
                    Err(recover) => tx = recover,
                }
            }
        };
    }

    /// botfleet's patch 4: sets a queue's reset deadline, for [`Resets`] to look at then. A queue
    /// always has an entry at or before its deadline, except an interaction's that is not
    /// exhausted: it is retired as soon as it is spent, and its deadline would only wake the
    /// actor for nothing (upstream's `DelayQueue` removed such an entry with its queue).
    macro_rules! set_reset {
        ($queue:expr, $hash:expr, $at:expr) => {
            let at = Instant::from($at);
            let look = if $queue.transient {
                $queue.is_exhasted()
            } else {
                $queue.reset.is_none_or(|current| at < current)
            };
            if look {
                reset.look_at($hash, at);
            }
            $queue.reset = Some(at);
        };
    }

    /// botfleet's patch: removes a spent interaction queue and its reset timer. Upstream kept a
    /// queue (and a bucket entry) per interaction until the 6-hourly collection.
    macro_rules! retire_if_spent {
        ($hash:expr) => {
            let hash = $hash;
            if let Ok(entry) = queues.find_entry(hash, |&(key, _)| key == hash) {
                if entry.get().1.is_spent() {
                    // A reset it had set stays in `reset` as a stale entry until due.
                    entry.remove();
                    tracing::debug!(hash, "interaction done");
                }
            }
        };
    }

    loop {
        tokio::select! {
            biased;
            () = &mut gc_interval => {
                let _span = tracing::debug_span!("gc").entered();
                buckets.retain(|endpoint, bucket| {
                    let hash = hasher.bucket(bucket, endpoint);
                    match queues.find_entry(hash, |&(key, _)| key == hash) {
                        Ok(entry) => {
                            let (_, queue) = entry.get();

                            let retain = queue.in_flight || !queue.pending.is_empty() || queue.reset.is_some();
                            if !retain {
                                entry.remove();
                                tracing::debug!(hash, "removed");
                            }

                            retain
                        }
                        // Already removed.
                        Err(_) => false,
                    }
                });
                gc_interval.as_mut().reset(Instant::now() + GC_INTERVAL);
            }
            () = &mut global_timer, if global_remaining != global_limit => {
                global_remaining = global_limit;
                // Try resume all stopped queues.
                for (_, queue) in queues.iter_mut().filter(|(_, queue)| {
                    !queue.in_flight && (!queue.is_exhasted() || queue.reset.is_none())
                }) {
                    try_pop!(queue);
                }
            }
            Some(hash) = poll_fn(|cx| reset.poll_expired(cx, |hash| {
                queues.find(hash, |&(key, _)| key == hash).and_then(|(_, queue)| queue.reset)
            })) => {
                let (_, queue) = queues.find_mut(hash, |&(key, _)| key == hash).unwrap();

                queue.reset = None;
                // Note that non-exhausted queues are not stopped.
                if queue.is_exhasted() {
                    try_pop!(queue);
                }
                retire_if_spent!(hash);
            }
            Some((endpoint, headers)) = poll_fn(|cx| poll_in_flight(&mut in_flight, cx)) => {
                let _span = tracing::info_span!("response", method = endpoint.method.name(), path = endpoint.path).entered();
                if endpoint.is_interaction_callback() {
                    // botfleet's patch: an interaction's queue is its own (keyed by its id and
                    // token, never by the bucket header) and goes as soon as it is spent.
                    let hash = hasher.endpoint(&endpoint);
                    let Some((_, queue)) = queues.find_mut(hash, |&(key, _)| key == hash) else { continue };
                    queue.in_flight = false;
                    match headers {
                        Ok(Some(headers)) => {
                            queue.limit = headers.limit;
                            queue.remaining = headers.remaining;
                            set_reset!(queue, hash, headers.reset_at);
                        }
                        Ok(None) => {}
                        Err(_) => tracing::debug!("cancelled"),
                    }
                    if !(queue.is_exhasted() && queue.reset.is_some()) {
                        try_pop!(queue);
                    }
                    retire_if_spent!(hash);
                    continue;
                }
                if let Ok(Some(headers)) = headers {
                    tracing::trace!(?headers);

                    let hash = hasher.bucket(&headers.bucket, &endpoint);
                    let queue = match buckets.entry(endpoint.clone()) {
                        MapEntry::Occupied(entry) if *entry.get() == headers.bucket => {
                            &mut queues.find_mut(hash, |&(key, _)| key == hash).unwrap().1
                        }
                        old_entry => {
                            let old_hash = match &old_entry {
                                MapEntry::Occupied(entry) => hasher.bucket(entry.get(), entry.key()),
                                MapEntry::Vacant(entry) => hasher.endpoint(entry.key()),
                            };
                            tracing::debug!(new = hash, previous = old_hash, "updated bucket");

                            // Retrieve this endpoint's requests.
                            let (_, old_queue) = queues.find_mut(old_hash, |&(key, _)| key == old_hash).unwrap();
                            old_queue.in_flight = false;
                            let (pending, old_pending) = mem::take(&mut old_queue.pending)
                                .into_iter()
                                .filter(|req| !req.notifier.is_closed())
                                .partition::<VecDeque<_>, _>(|req| req.endpoint == *old_entry.key());
                            old_queue.pending = old_pending;
                            try_pop!(old_queue);

                            match old_entry {
                                MapEntry::Occupied(mut entry) => {
                                    entry.insert(headers.bucket);
                                }
                                MapEntry::Vacant(entry) => {
                                    entry.insert(headers.bucket);
                                }
                            }
                            // And move them into the new queue.
                            match queues.entry(hash, |&(key, _)| key == hash, |&(key, _)| key) {
                                TableEntry::Occupied(entry) => {
                                    let (_, incoming_queue) = entry.into_mut();
                                    incoming_queue.pending.extend(pending);

                                    if incoming_queue.in_flight {
                                        continue;
                                    }

                                    incoming_queue
                                }
                                TableEntry::Vacant(entry) => &mut entry.insert((hash, Queue::from(pending))).into_mut().1,
                            }
                        }
                    };

                    queue.in_flight = false;
                    queue.limit = headers.limit;
                    queue.remaining = headers.remaining;
                    set_reset!(queue, hash, headers.reset_at);
                    if queue.is_exhasted() {
                        tracing::info!(
                            reset_after = ?headers.reset_at.saturating_duration_since(Instant::now().into()),
                            "exhausted"
                        );
                        continue;
                    }

                    try_pop!(queue);
                } else {
                    if headers.is_err() {
                        tracing::debug!("cancelled");
                        if global_remaining != global_limit {
                            global_remaining += 1;
                        }
                    } else {
                        tracing::debug!(headers = "None");
                    }

                    let hash = buckets.get(&endpoint).map_or_else(|| hasher.endpoint(&endpoint), |bucket| hasher.bucket(bucket, &endpoint));
                    let (_, queue) = queues.find_mut(hash, |&(key, _)| key == hash).unwrap();
                    queue.in_flight = false;
                    try_pop!(queue);
                }
            }
            msg = rx.recv() => {
                // botfleet's patch: every `RateLimiter` (its client) is gone, so no request can
                // come: the actor ends. Upstream's loop waits on its garbage-collection timer for
                // ever, so each client ever made leaked this task and its timer wheel.
                let Some((msg, pred)) = msg else { break };
                if msg.notifier.is_closed() {
                    continue;
                }

                if !msg.endpoint.is_valid() {
                    tracing::warn!(path = msg.endpoint.path, "improperly formatted path");
                }
                let (hash, queue) = if let Some(bucket) = buckets.get(&msg.endpoint) {
                    let hash = hasher.bucket(bucket, &msg.endpoint);
                    queues.find_mut(hash, |&(key, _)| key == hash).unwrap()
                } else {
                    let hash = hasher.endpoint(&msg.endpoint);
                    match queues.entry(hash, |&(key, _)| key == hash, |&(key, _)| key) {
                        TableEntry::Occupied(entry) => entry.into_mut(),
                        TableEntry::Vacant(entry) => {
                            tracing::debug!(path = msg.endpoint.path, "new queue");
                            let transient = msg.endpoint.is_interaction_callback();
                            entry.insert((hash, Queue { transient, ..Queue::default() })).into_mut()
                        }
                    }
                };
                let hash = *hash;

                let is_cancelled = pred.is_some_and(|p| !p(queue.reset.map(|at| crate::Bucket {
                    limit: queue.limit,
                    remaining: queue.remaining,
                    reset_at: at.into(),
                })));

                let queue_active = queue.in_flight || (queue.is_exhasted() && queue.reset.is_some());
                if is_cancelled {
                    drop(msg);
                } else if queue_active || (global_remaining == 0 && !msg.endpoint.is_interaction()) {
                    queue.pending.push_back(msg);
                } else {
                    let (tx, rx) = oneshot::channel();
                    if msg.notifier.send(tx).is_ok() {
                        tracing::debug!(
                            method = msg.endpoint.method.name(),
                            path = msg.endpoint.path,
                            "permitted",
                        );
                        if !msg.endpoint.is_interaction() {
                            on_global!();
                        }
                        in_flight.push(InFlight { endpoint: msg.endpoint, rx });
                        queue.in_flight = true;
                    }
                }
                retire_if_spent!(hash);
            }
            else => break,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unchecked_time_subtraction)]

    use std::time::{Duration, Instant};
    use tokio::time;

    use crate::{Endpoint, Method, RateLimitHeaders, RateLimiter, actor::GC_INTERVAL};

    const RESET_AFTER: Duration = Duration::from_secs(5);
    const ENDPOINT: fn() -> Endpoint = || Endpoint {
        method: Method::Get,
        path: String::from("applications/@me"),
    };
    const ENDPOINT2: fn() -> Endpoint = || Endpoint {
        method: Method::Get,
        path: String::from("channels/1"),
    };

    #[tokio::test(start_paused = true)]
    async fn gc() {
        let rate_limiter = RateLimiter::default();

        rate_limiter
            .acquire(ENDPOINT())
            .await
            .complete(Some(RateLimitHeaders {
                bucket: vec![1, 2, 3],
                limit: 5,
                remaining: 4,
                reset_at: Instant::now() + RESET_AFTER,
            }));

        time::sleep(GC_INTERVAL - RESET_AFTER).await;

        rate_limiter
            .acquire(ENDPOINT2())
            .await
            .complete(Some(RateLimitHeaders {
                bucket: vec![2, 3, 4],
                limit: 5,
                remaining: 4,
                reset_at: Instant::now() + RESET_AFTER,
            }));

        time::sleep(RESET_AFTER).await;

        rate_limiter.acquire(ENDPOINT()).await.complete(None);
        rate_limiter.acquire(ENDPOINT2()).await.complete(None);
    }

    /// botfleet's patch 4: an exhausted queue waits for its reset, and for the later one when a
    /// response moved it.
    #[tokio::test(start_paused = true)]
    async fn an_exhausted_queue_waits_for_its_latest_reset() {
        let rate_limiter = RateLimiter::default();
        let headers = |remaining, reset_after| {
            Some(RateLimitHeaders {
                bucket: vec![1],
                limit: 2,
                remaining,
                reset_at: Instant::now() + reset_after,
            })
        };
        rate_limiter.acquire(ENDPOINT()).await.complete(headers(1, RESET_AFTER));
        // The second response moves the reset later and exhausts the bucket.
        rate_limiter.acquire(ENDPOINT()).await.complete(headers(0, RESET_AFTER * 2));
        let start = time::Instant::now();
        let waiting = rate_limiter.acquire(ENDPOINT());
        assert!(
            time::timeout(RESET_AFTER * 2 - Duration::from_millis(10), rate_limiter.acquire(ENDPOINT()))
                .await
                .is_err(),
            "no permit before the reset"
        );
        waiting.await.complete(None);
        assert!(time::Instant::now() - start >= RESET_AFTER * 2);
    }
}
