//! botfleet's patch 5: the rate limiter's state, under one lock, changed by the tasks that ask
//! for permits and complete them.
//!
//! Upstream ran an actor task per `RateLimiter`: every request sent it a message over an unbounded
//! channel and waited on a oneshot channel for its permit, and every response went back to it over
//! another. botfleet makes a client (so a rate limiter) per bot that answers commands; a heap
//! profile of 1,000 bots right after a burst held ≈ 2.8 MB in those actors (their tasks, futures
//! and the channels' first blocks), and each command paid two task wake-ups on its way through.
//!
//! Here a request that finds its queue free takes its permit at once, under the lock, and its
//! response is recorded by the task that got it. Only a request that must wait gets a channel, and
//! a timer task runs only while a queue is exhausted (or the global limit is) and a request waits
//! for the reset. The rules are upstream's: one request in flight per queue, queues found by
//! bucket once a response named it (by the endpoint's top-level resources before), a global limit
//! per second for requests that are not interactions, an interaction's callback in a queue of its
//! own that goes once spent (botfleet's patch 3), idle queues collected every six hours. Resets
//! are read when needed instead of being cleared by a timer: a reset in the past counts as none.
//!
//! Nothing here awaits while holding the lock, and no permit is dropped under it (a permit whose
//! requester is gone is defused first), since dropping one reports to this state.

use crate::{Bucket, Endpoint, GLOBAL_LIMIT_PERIOD, Permit, RateLimitHeaders};
use hashbrown::HashTable;
use std::{
    collections::{HashMap, VecDeque},
    fmt::{self, Debug},
    hash::{BuildHasher, Hash, Hasher as _, RandomState},
    mem,
    num::NonZero,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};
use tokio::{
    runtime::Handle,
    sync::oneshot,
    time::{Duration, Instant, sleep_until},
};

/// Interval at which to prune stale queues.
pub(crate) const GC_INTERVAL: Duration = Duration::from_secs(60 * 60 * 6);

/// How a permit's request ended.
pub(crate) enum Outcome {
    /// A response came, with these rate limit headers (if it had them).
    Response(Option<RateLimitHeaders>),
    /// The permit was dropped without a response.
    Cancelled,
}

/// A rate limiter's state and the runtime its reset timers run on.
pub(crate) struct Shared {
    /// Everything, under one lock.
    state: Mutex<State>,
    /// Where the reset timers are spawned.
    runtime: Handle,
}

impl Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// The rate limiter's state.
struct State {
    /// The global limit.
    global: Global,
    /// The bucket each endpoint's last response named.
    buckets: HashMap<Endpoint, Vec<u8>>,
    /// Queues by hash (of bucket and top-level resources, or of the resources alone).
    queues: HashTable<(u64, Queue)>,
    /// Hashes buckets and endpoints.
    hasher: RandomState,
    /// When idle queues are next collected.
    next_gc: Instant,
}

/// The global limit: so many requests that are not interactions per [`GLOBAL_LIMIT_PERIOD`].
struct Global {
    /// Requests allowed per period.
    limit: u16,
    /// Requests left in this period.
    remaining: u16,
    /// When this period ends (meaningful once a request took from it).
    reset: Instant,
    /// Whether a timer task waits for `reset` to resume the queues.
    timer: bool,
}

impl Global {
    /// Starts a new period if the current one is over.
    fn refresh(&mut self, now: Instant) {
        if self.remaining != self.limit && self.reset <= now {
            self.remaining = self.limit;
        }
    }

    /// Counts a permit for a request that is not an interaction.
    fn take(&mut self, now: Instant) {
        debug_assert_ne!(self.remaining, 0);
        if self.remaining == self.limit {
            self.reset = now + GLOBAL_LIMIT_PERIOD;
        } else if self.remaining == 1 {
            tracing::info!(reset_after = ?self.reset.saturating_duration_since(now), "globally exhausted");
        }
        self.remaining -= 1;
    }

    /// Makes sure a timer resumes the queues when this period ends.
    fn arm_timer(&mut self, shared: &Arc<Shared>) {
        if !self.timer {
            self.timer = true;
            shared.runtime.spawn(resume_all(Arc::clone(shared), self.reset));
        }
    }
}

/// A request waiting for its permit.
struct Waiter {
    /// Endpoint the permit is for.
    endpoint: Endpoint,
    /// Where the permit goes; closed if the requester gave up.
    notifier: oneshot::Sender<Permit>,
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
#[derive(Default)]
struct Queue {
    /// Whether the queue has a request in flight.
    in_flight: bool,
    /// Requests waiting, in the order they came.
    pending: VecDeque<Waiter>,
    /// Total number of permits until the queue becomes exhausted.
    limit: u16,
    /// Number of remaining permits until the queue becomes exhausted.
    remaining: u16,
    /// When the queue's bucket resets, as its last response said (a reset in the past is none).
    reset: Option<Instant>,
    /// botfleet's patch 3: one interaction's queue (its callback), removed as soon as it holds
    /// nothing: no request in flight or pending, and no exhaustion to wait out.
    transient: bool,
    /// Whether a timer task waits for `reset` to resume this queue.
    timer: bool,
}

impl Queue {
    /// A new queue for `endpoint`'s requests.
    fn for_endpoint(endpoint: &Endpoint) -> Self {
        Self {
            transient: endpoint.is_interaction_callback(),
            ..Self::default()
        }
    }

    /// The reset, if it is still to come.
    fn reset_ahead(&self, now: Instant) -> Option<Instant> {
        self.reset.filter(|&at| at > now)
    }

    /// Whether the queue is exhausted until a reset still to come.
    fn is_blocked(&self, now: Instant) -> bool {
        self.remaining == 0 && self.reset_ahead(now).is_some()
    }

    /// Whether a transient queue holds nothing any more, so it can go.
    fn is_spent(&self, now: Instant) -> bool {
        self.transient && !self.in_flight && self.pending.is_empty() && !self.is_blocked(now)
    }

    /// Records a response's headers.
    fn update(&mut self, headers: &RateLimitHeaders) {
        self.limit = headers.limit;
        self.remaining = headers.remaining;
        self.reset = Some(Instant::from_std(headers.reset_at));
    }

    /// The queue's bucket as [`crate::RateLimiter::bucket`] reports it: known while its reset is
    /// ahead.
    fn bucket(&self, now: Instant) -> Option<Bucket> {
        self.reset_ahead(now).map(|at| Bucket {
            limit: self.limit,
            remaining: self.remaining,
            reset_at: at.into_std(),
        })
    }

    /// Hands the next waiting request its permit, if the queue is free: nothing in flight, not
    /// exhausted, and (unless the request is an interaction) the global limit not reached. A
    /// queue left waiting for a reset gets a timer.
    fn try_pop(&mut self, hash: u64, global: &mut Global, shared: &Arc<Shared>, now: Instant) {
        if self.in_flight {
            return;
        }
        if self.is_blocked(now) {
            if !self.pending.is_empty() && !self.timer {
                self.timer = true;
                let at = self.reset.unwrap_or(now);
                shared.runtime.spawn(resume_queue(Arc::clone(shared), hash, at));
            }
            return;
        }
        global.refresh(now);
        while let Some(front) = self.pending.front() {
            if front.notifier.is_closed() {
                self.pending.pop_front();
                continue;
            }
            let global_bound = !front.endpoint.is_interaction();
            if global_bound && global.remaining == 0 {
                global.arm_timer(shared);
                return;
            }
            let Some(waiter) = self.pending.pop_front() else { break };
            match waiter.notifier.send(Permit::new(shared, waiter.endpoint)) {
                Ok(()) => {
                    if global_bound {
                        global.take(now);
                    }
                    self.in_flight = true;
                    return;
                }
                // The requester gave up meanwhile: the permit goes to the next one.
                Err(permit) => permit.defuse(),
            }
        }
    }
}

/// Finds a queue by hash.
fn find(queues: &mut HashTable<(u64, Queue)>, hash: u64) -> Option<&mut Queue> {
    queues.find_mut(hash, |&(key, _)| key == hash).map(|(_, queue)| queue)
}

/// Finds a queue by hash, or makes it.
fn find_or_insert(queues: &mut HashTable<(u64, Queue)>, hash: u64, new: impl FnOnce() -> Queue) -> &mut Queue {
    &mut queues
        .entry(hash, |&(key, _)| key == hash, |&(key, _)| key)
        .or_insert_with(|| (hash, new()))
        .into_mut()
        .1
}

/// botfleet's patch 3: removes a spent interaction queue. Upstream kept a queue (and a bucket
/// entry) per interaction until the 6-hourly collection.
fn retire_if_spent(queues: &mut HashTable<(u64, Queue)>, hash: u64, now: Instant) {
    if let Ok(entry) = queues.find_entry(hash, |&(key, _)| key == hash)
        && entry.get().1.is_spent(now)
    {
        entry.remove();
        tracing::debug!(hash, "interaction done");
    }
}

impl State {
    /// Hashes a bucket and an endpoint's top-level resources.
    ///
    /// The resulting hash is globally unique.
    fn hash_bucket(&self, bucket: &[u8], endpoint: &Endpoint) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        endpoint.hash_resources(&mut hasher);
        bucket.hash(&mut hasher);
        hasher.finish()
    }

    /// Hashes an endpoint's top-level resources.
    fn hash_endpoint(&self, endpoint: &Endpoint) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        endpoint.hash_resources(&mut hasher);
        hasher.finish()
    }

    /// The hash of the queue `endpoint`'s requests go to.
    fn queue_hash(&self, endpoint: &Endpoint) -> u64 {
        self.buckets
            .get(endpoint)
            .map_or_else(|| self.hash_endpoint(endpoint), |bucket| self.hash_bucket(bucket, endpoint))
    }

    /// Removes queues that hold nothing and whose reset is past, with their bucket entries.
    fn collect(&mut self, now: Instant) {
        let _span = tracing::debug_span!("gc").entered();
        let Self { buckets, queues, hasher, .. } = self;
        buckets.retain(|endpoint, bucket| {
            let mut state = hasher.build_hasher();
            endpoint.hash_resources(&mut state);
            bucket.hash(&mut state);
            let hash = state.finish();
            match queues.find_entry(hash, |&(key, _)| key == hash) {
                Ok(entry) => {
                    let queue = &entry.get().1;
                    let retain = queue.in_flight || !queue.pending.is_empty() || queue.reset_ahead(now).is_some();
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
        self.next_gc = now + GC_INTERVAL;
    }
}

impl Shared {
    /// A rate limiter's state with this global limit, its timers on `runtime`.
    pub(crate) fn new(global_limit: NonZero<u16>, runtime: Handle) -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                global: Global {
                    limit: global_limit.get(),
                    remaining: global_limit.get(),
                    reset: now,
                    timer: false,
                },
                buckets: HashMap::new(),
                queues: HashTable::new(),
                hasher: RandomState::new(),
                next_gc: now + GC_INTERVAL,
            }),
            runtime,
        }
    }

    /// The state. Nothing panics while holding it, but a poisoned lock would still hold
    /// consistent state (every change is a few assignments), so it is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A permit for `endpoint` now if its queue is free, or a channel its permit will come on.
    pub(crate) fn acquire(self: &Arc<Self>, endpoint: Endpoint) -> Result<Permit, oneshot::Receiver<Permit>> {
        let mut guard = self.lock();
        let now = Instant::now();
        if now >= guard.next_gc {
            guard.collect(now);
        }
        if !endpoint.is_valid() {
            tracing::warn!(path = endpoint.path, "improperly formatted path");
        }
        let hash = guard.queue_hash(&endpoint);
        let State { global, queues, .. } = &mut *guard;
        let queue = find_or_insert(queues, hash, || Queue::for_endpoint(&endpoint));
        let global_bound = !endpoint.is_interaction();
        global.refresh(now);
        if !queue.in_flight
            && queue.pending.is_empty()
            && !queue.is_blocked(now)
            && (!global_bound || global.remaining != 0)
        {
            if global_bound {
                global.take(now);
            }
            queue.in_flight = true;
            return Ok(Permit::new(self, endpoint));
        }
        let (notifier, rx) = oneshot::channel();
        queue.pending.push_back(Waiter { endpoint, notifier });
        // Whoever frees the queue passes the permit on; if nothing is in flight, that is a reset
        // (of the bucket or of the global limit), and `try_pop` sets its timer.
        queue.try_pop(hash, global, self, now);
        Err(rx)
    }

    /// The bucket of `endpoint`'s queue, while its reset is ahead.
    pub(crate) fn bucket(&self, endpoint: &Endpoint) -> Option<Bucket> {
        let mut guard = self.lock();
        let hash = guard.queue_hash(endpoint);
        find(&mut guard.queues, hash).and_then(|queue| queue.bucket(Instant::now()))
    }

    /// Records how a permit's request ended and frees its queue for the next request.
    pub(crate) fn respond(self: &Arc<Self>, endpoint: Endpoint, outcome: Outcome) {
        let _span = tracing::debug_span!("response", method = endpoint.method.name(), path = endpoint.path).entered();
        let mut guard = self.lock();
        let now = Instant::now();
        if endpoint.is_interaction_callback() {
            // botfleet's patch 3: an interaction's queue is its own (keyed by its id and token,
            // never by the bucket header) and goes as soon as it is spent.
            let hash = guard.hash_endpoint(&endpoint);
            let State { global, queues, .. } = &mut *guard;
            let Some(queue) = find(queues, hash) else { return };
            queue.in_flight = false;
            match outcome {
                Outcome::Response(Some(headers)) => queue.update(&headers),
                Outcome::Response(None) => {}
                Outcome::Cancelled => tracing::debug!("cancelled"),
            }
            queue.try_pop(hash, global, self, now);
            retire_if_spent(queues, hash, now);
            return;
        }
        let headers = match outcome {
            Outcome::Response(Some(headers)) => headers,
            other => {
                let global_bound = !endpoint.is_interaction();
                let State { global, .. } = &mut *guard;
                if matches!(other, Outcome::Cancelled) {
                    tracing::debug!("cancelled");
                    // The request did not count against the global limit after all.
                    if global_bound && global.remaining != global.limit {
                        global.remaining += 1;
                    }
                }
                let hash = guard.queue_hash(&endpoint);
                let State { global, queues, .. } = &mut *guard;
                if let Some(queue) = find(queues, hash) {
                    queue.in_flight = false;
                    queue.try_pop(hash, global, self, now);
                }
                return;
            }
        };
        tracing::trace!(?headers);
        let hash = guard.hash_bucket(&headers.bucket, &endpoint);
        let known = guard.buckets.get(&endpoint);
        if known == Some(&headers.bucket) {
            let State { global, queues, .. } = &mut *guard;
            let queue = find_or_insert(queues, hash, Queue::default);
            queue.in_flight = false;
            queue.update(&headers);
            if queue.is_blocked(now) {
                tracing::info!(reset_after = ?headers.reset_at.saturating_duration_since(now.into_std()), "exhausted");
            }
            queue.try_pop(hash, global, self, now);
            return;
        }
        // The endpoint's bucket is new (or changed): its waiting requests move to the bucket's
        // queue, the others stay in the old one.
        let old_hash = match known {
            Some(bucket) => guard.hash_bucket(bucket, &endpoint),
            None => guard.hash_endpoint(&endpoint),
        };
        tracing::debug!(new = hash, previous = old_hash, "updated bucket");
        let State { global, queues, buckets, .. } = &mut *guard;
        let mut moving = VecDeque::new();
        if let Some(old) = find(queues, old_hash) {
            old.in_flight = false;
            let (mine, others): (VecDeque<_>, VecDeque<_>) = mem::take(&mut old.pending)
                .into_iter()
                .filter(|waiter| !waiter.notifier.is_closed())
                .partition(|waiter| waiter.endpoint == endpoint);
            old.pending = others;
            moving = mine;
            old.try_pop(old_hash, global, self, now);
        }
        buckets.insert(endpoint, headers.bucket.clone());
        let queue = find_or_insert(queues, hash, Queue::default);
        queue.pending.extend(moving);
        if queue.in_flight {
            // Its own response will pass the permit on (upstream's rule: these headers are not
            // recorded then).
            return;
        }
        queue.update(&headers);
        if queue.is_blocked(now) {
            tracing::info!(reset_after = ?headers.reset_at.saturating_duration_since(now.into_std()), "exhausted");
        }
        queue.try_pop(hash, global, self, now);
    }
}

/// A queue's timer: at its reset (or the later one a response set meanwhile), hands its next
/// waiting request the permit.
async fn resume_queue(shared: Arc<Shared>, hash: u64, mut at: Instant) {
    loop {
        sleep_until(at).await;
        let mut guard = shared.lock();
        let now = Instant::now();
        let State { global, queues, .. } = &mut *guard;
        let Some(queue) = find(queues, hash) else { return };
        if let Some(later) = queue.reset_ahead(now)
            && queue.remaining == 0
        {
            at = later;
            continue;
        }
        queue.timer = false;
        // A reset still ahead (a response since made the queue no longer exhausted) stays known.
        if queue.reset.is_some_and(|reset| reset <= now) {
            queue.reset = None;
        }
        queue.try_pop(hash, global, &shared, now);
        retire_if_spent(queues, hash, now);
        return;
    }
}

/// The global limit's timer: when its period ends, resumes every queue that waited for it.
async fn resume_all(shared: Arc<Shared>, at: Instant) {
    sleep_until(at).await;
    let mut guard = shared.lock();
    let now = Instant::now();
    let State { global, queues, .. } = &mut *guard;
    global.timer = false;
    global.refresh(now);
    for (hash, queue) in queues.iter_mut() {
        queue.try_pop(*hash, global, &shared, now);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unchecked_time_subtraction)]

    use std::time::{Duration, Instant};
    use tokio::time;

    use crate::{Endpoint, Method, RateLimitHeaders, RateLimiter, state::GC_INTERVAL};

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
        let state = rate_limiter.shared.lock();
        assert!(state.buckets.is_empty(), "both idle buckets were collected at the interval");
    }

    /// An exhausted queue waits for its reset, and for the later one when a response moved it.
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

    /// Requests in one queue go one at a time and in order; a dropped permit (no response) frees
    /// the queue as a completed one does, and a requester that gave up is skipped.
    #[tokio::test(start_paused = true)]
    async fn one_queue_goes_in_order_and_skips_requesters_that_left() {
        let rate_limiter = RateLimiter::default();
        let first = rate_limiter.acquire(ENDPOINT2()).await;
        let second = rate_limiter.acquire(ENDPOINT2());
        let gave_up = rate_limiter.acquire(ENDPOINT2());
        let third = rate_limiter.acquire(ENDPOINT2());
        drop(gave_up);
        assert!(
            time::timeout(Duration::from_secs(60), rate_limiter.acquire(ENDPOINT2())).await.is_err(),
            "nothing goes while a request is in flight"
        );
        drop(first);
        let second = time::timeout(Duration::from_secs(1), second).await.expect("the next in line goes");
        second.complete(None);
        let third = time::timeout(Duration::from_secs(1), third).await.expect("the one that left is skipped");
        third.complete(None);
    }

    /// Requests that are not interactions stop at the global limit until its period ends;
    /// interactions do not, and a cancelled request gives its share back.
    #[tokio::test(start_paused = true)]
    async fn the_global_limit_holds_requests_until_its_period_ends() {
        let rate_limiter = RateLimiter::new(2);
        let channel = |id: u32| Endpoint {
            method: Method::Post,
            path: format!("channels/{id}/messages"),
        };
        let start = time::Instant::now();
        rate_limiter.acquire(channel(1)).await.complete(None);
        let cancelled = rate_limiter.acquire(channel(2)).await;
        drop(cancelled);
        rate_limiter.acquire(channel(3)).await.complete(None);
        assert_eq!(time::Instant::now(), start, "two taken, one given back: no wait yet");
        let webhook = Endpoint {
            method: Method::Post,
            path: String::from("webhooks/1/token"),
        };
        rate_limiter.acquire(webhook).await.complete(None);
        assert_eq!(time::Instant::now(), start, "an interaction is not globally limited");
        rate_limiter.acquire(channel(4)).await.complete(None);
        assert!(time::Instant::now() - start >= crate::GLOBAL_LIMIT_PERIOD, "the third waited for the period");
    }

    /// A request that finds its queue free costs no task, channel or timer, and a rate limiter
    /// that is not waiting on a reset runs no task at all.
    #[tokio::test(start_paused = true)]
    async fn a_free_queue_grants_at_once_without_a_task() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let rate_limiter = RateLimiter::default();
        assert_eq!(metrics.num_alive_tasks(), 0);
        for channel in 1..=20 {
            let endpoint = Endpoint {
                method: Method::Post,
                path: format!("channels/{channel}/messages"),
            };
            let grant = rate_limiter.acquire(endpoint);
            assert!(matches!(grant.0, crate::Grant::Ready(Some(_))), "granted when asked");
            grant.await.complete(Some(RateLimitHeaders {
                bucket: vec![7],
                limit: 5,
                remaining: 4,
                reset_at: Instant::now() + RESET_AFTER,
            }));
        }
        assert_eq!(metrics.num_alive_tasks(), 0, "no task, no timer");
        // An exhausted bucket with a request waiting has one timer, gone after the reset.
        let exhausted = Endpoint {
            method: Method::Post,
            path: String::from("channels/1/messages"),
        };
        rate_limiter.acquire(exhausted.clone()).await.complete(Some(RateLimitHeaders {
            bucket: vec![7],
            limit: 5,
            remaining: 0,
            reset_at: Instant::now() + RESET_AFTER,
        }));
        let waiting = rate_limiter.acquire(exhausted);
        assert_eq!(metrics.num_alive_tasks(), 1, "one timer while a request waits for the reset");
        waiting.await.complete(None);
        tokio::task::yield_now().await;
        assert_eq!(metrics.num_alive_tasks(), 0, "and none after");
    }

    /// A response naming a bucket moves the endpoint's waiting requests to the bucket's queue;
    /// other endpoints' requests stay where they were and go on.
    #[tokio::test(start_paused = true)]
    async fn a_named_bucket_takes_its_endpoints_waiting_requests() {
        let rate_limiter = RateLimiter::default();
        let messages = Endpoint {
            method: Method::Post,
            path: String::from("channels/1/messages"),
        };
        let typing = Endpoint {
            method: Method::Post,
            path: String::from("channels/1/typing"),
        };
        // Before any bucket is known both share the channel's queue.
        let first = rate_limiter.acquire(messages.clone()).await;
        let next_message = rate_limiter.acquire(messages.clone());
        let typing_waits = rate_limiter.acquire(typing.clone());
        first.complete(Some(RateLimitHeaders {
            bucket: b"messages".to_vec(),
            limit: 5,
            remaining: 0,
            reset_at: Instant::now() + RESET_AFTER,
        }));
        let start = time::Instant::now();
        time::timeout(Duration::from_secs(1), typing_waits)
            .await
            .expect("the other endpoint is not held by the exhausted bucket")
            .complete(None);
        next_message.await.complete(None);
        assert!(time::Instant::now() - start >= RESET_AFTER, "the message waited for its bucket's reset");
    }
}
