//! One REST client per bot, shared by everything that calls Discord as that bot: its command
//! replies, its stock message, and sends from the API (`send-message`, later batches). A twilight
//! client carries the in-memory rate limiter that reads Discord's `X-RateLimit-*` headers per
//! bucket, so only calls made through the same client see each other's budget: two clients of one
//! bot posting to one channel would each believe they have the channel's 5 messages per 5 s.
//!
//! Clients are made on demand (1,000 idle bots hold none), kept with a fingerprint of the token
//! they carry (a changed token makes a new one), dropped when no one used them for
//! [`CLIENT_IDLE`] and no one holds them, at most [`MAX_CLIENTS`] kept (the least recently used
//! one that no one holds goes first), and forgotten when their bot is deleted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;
use twilight_http::Client;

use crate::discord::DiscordApi;
use crate::secrets::Secret;

/// A client no one used this long (and no one holds) is dropped, with its rate-limit state; the
/// next call makes a new one (cheap: connections are the fleet's, `DiscordApi`). A bot's runner
/// looks every quarter of it, so a burst of commands leaves nothing behind after 40 s.
pub const CLIENT_IDLE: Duration = Duration::from_secs(30);

/// Most clients kept at once (a bound on memory, beyond the idle sweep).
pub const MAX_CLIENTS: usize = 512;

struct Slot {
    /// A digest of the token the client carries (not the token).
    fingerprint: [u8; 16],
    client: Arc<Client>,
    used: Instant,
}

/// The fleet's clients, by bot id.
pub struct RestClients {
    discord: Arc<DiscordApi>,
    // A std Mutex: held for map operations only, never across an await.
    slots: Mutex<HashMap<i64, Slot>>,
    /// When idle clients were last looked for.
    swept: Mutex<Instant>,
    max: usize,
    /// [`CLIENT_IDLE`] (shorter in tests).
    idle: Duration,
    /// Clients dropped since [`RestClients::take_dropped`] last looked.
    dropped: AtomicUsize,
    /// Clients handed out (each a REST call or a few): how busy the fleet's REST traffic is.
    calls: AtomicU64,
}

impl std::fmt::Debug for RestClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClients").field("kept", &self.kept()).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn fingerprint(token: &Secret) -> [u8; 16] {
    let digest = Sha256::digest(token.expose().as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

impl RestClients {
    /// No clients yet.
    pub fn new(discord: Arc<DiscordApi>) -> Self {
        Self::with_limits(discord, MAX_CLIENTS, CLIENT_IDLE)
    }

    /// No clients yet, keeping at most `max`, dropping those unused for `idle`.
    pub fn with_limits(discord: Arc<DiscordApi>, max: usize, idle: Duration) -> Self {
        let swept = Mutex::new(Instant::now());
        let dropped = AtomicUsize::new(0);
        let calls = AtomicU64::new(0);
        Self { discord, slots: Mutex::new(HashMap::new()), swept, max: max.max(1), idle, dropped, calls }
    }

    /// The bot's client for `token`: the one kept if it carries this token, else a new one (which
    /// replaces it).
    pub fn get(&self, bot_id: i64, token: &Secret) -> Arc<Client> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.sweep_now_and_then();
        let print = fingerprint(token);
        let now = Instant::now();
        let mut slots = lock(&self.slots);
        if let Some(slot) = slots.get_mut(&bot_id).filter(|s| s.fingerprint == print) {
            slot.used = now;
            return slot.client.clone();
        }
        let client = Arc::new(self.discord.client(token));
        slots.insert(bot_id, Slot { fingerprint: print, client: client.clone(), used: now });
        if slots.len() > self.max {
            // The least recently used client no one holds (a running call keeps its own).
            let oldest = slots
                .iter()
                .filter(|(id, s)| **id != bot_id && Arc::strong_count(&s.client) == 1)
                .min_by_key(|(_, s)| s.used)
                .map(|(id, _)| *id);
            if let Some(id) = oldest {
                slots.remove(&id);
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        client
    }

    /// Drops the bot's client if it is idle and no one holds it.
    pub fn drop_idle(&self, bot_id: i64) {
        let mut slots = lock(&self.slots);
        if slots.get(&bot_id).is_some_and(|s| s.idle(self.idle)) {
            slots.remove(&bot_id);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops every idle client no one holds.
    pub fn sweep(&self) {
        let mut slots = lock(&self.slots);
        let before = slots.len();
        slots.retain(|_, s| !s.idle(self.idle));
        self.dropped.fetch_add(before - slots.len(), Ordering::Relaxed);
    }

    /// How many clients were dropped since the last call: after a burst of commands, the memory
    /// their connections and requests used is free to give back (`Fleet::spawn_memory_release`).
    pub fn take_dropped(&self) -> usize {
        self.dropped.swap(0, Ordering::Relaxed)
    }

    /// Sweeps at most every half [`CLIENT_IDLE`] (clients of bots that are not running have no
    /// runner to drop them).
    fn sweep_now_and_then(&self) {
        {
            let mut swept = lock(&self.swept);
            if swept.elapsed() < self.idle / 2 {
                return;
            }
            *swept = Instant::now();
        }
        self.sweep();
    }

    /// Forgets a deleted bot's client.
    pub fn forget(&self, bot_id: i64) {
        if lock(&self.slots).remove(&bot_id).is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Clients handed out so far (`Fleet::spawn_memory_release` sees a burst end by it).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// How many clients are kept.
    pub fn kept(&self) -> usize {
        lock(&self.slots).len()
    }

    /// Whether the bot has a client now.
    pub fn has(&self, bot_id: i64) -> bool {
        lock(&self.slots).contains_key(&bot_id)
    }
}

impl Slot {
    /// Unused for `after` and held by no one.
    fn idle(&self, after: Duration) -> bool {
        self.used.elapsed() >= after && Arc::strong_count(&self.client) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(max: usize, idle: Duration) -> RestClients {
        let api = DiscordApi::new("http://127.0.0.1:9").expect("a valid URL");
        RestClients::with_limits(Arc::new(api), max, idle)
    }

    #[tokio::test]
    async fn one_client_per_bot_and_token_made_on_demand() {
        let kept = clients(8, CLIENT_IDLE);
        assert_eq!(kept.kept(), 0, "nothing is made before it is asked for");
        let (a, b) = (Secret::new("token-a"), Secret::new("token-b"));
        let first = kept.get(1, &a);
        assert!(Arc::ptr_eq(&first, &kept.get(1, &a)), "the same bot and token share one client");
        assert!(!Arc::ptr_eq(&first, &kept.get(2, &a)), "another bot has its own");
        let changed = kept.get(1, &b);
        assert!(!Arc::ptr_eq(&first, &changed), "a changed token makes a new client");
        assert_eq!(kept.kept(), 2);
        kept.forget(1);
        assert!(!kept.has(1) && kept.has(2));
    }

    #[tokio::test]
    async fn idle_clients_no_one_holds_are_dropped_and_the_count_is_bounded() {
        // Idle at once: what matters is who holds a client.
        let kept = clients(2, Duration::ZERO);
        let token = Secret::new("t");
        let held = kept.get(1, &token);
        drop(kept.get(2, &token));
        assert_eq!(kept.take_dropped(), 0);
        kept.sweep();
        assert!(kept.has(1) && !kept.has(2), "a held client stays; an idle one goes");
        assert_eq!(kept.take_dropped(), 1, "the drop is counted");
        assert_eq!(kept.take_dropped(), 0, "once");
        drop(held);
        kept.drop_idle(1);
        assert!(!kept.has(1));
        assert_eq!(kept.take_dropped(), 1);
        let bounded = clients(2, CLIENT_IDLE);
        let held = bounded.get(1, &token);
        for bot in 10..20 {
            drop(bounded.get(bot, &token));
        }
        assert_eq!(bounded.kept(), 2, "at most `max` kept");
        assert!(bounded.has(1) && bounded.has(19), "the held one and the newest stay");
        drop(held);
    }

    /// A client runs no task of its own, held or dropped: its rate limiter is state under a lock
    /// (`vendor/twilight-http-ratelimiting`, patch 5; upstream ran an actor task per client and
    /// never ended it), so clients made and dropped on demand do not add up.
    #[tokio::test]
    async fn a_client_runs_no_task() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let api = DiscordApi::new("http://127.0.0.1:9").expect("a valid URL");
        let made: Vec<Client> = (0..20).map(|i| api.client(&Secret::new(format!("token-{i}")))).collect();
        assert_eq!(metrics.num_alive_tasks(), before, "twenty clients, no task for them");
        drop(made);
        assert_eq!(metrics.num_alive_tasks(), before);
    }

    /// A request whose queue is free costs no task, channel or wake-up: the permit is decided by
    /// the requesting task under the limiter's lock, and its completion frees the queue for the
    /// next request (`vendor/twilight-http-ratelimiting`, patch 5; upstream passed both through
    /// an actor task, and before patch 2 spawned a task per permit).
    #[tokio::test]
    async fn a_permit_in_flight_costs_no_task() {
        use twilight_http_ratelimiting::{Endpoint, Method, RateLimiter};
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let limiter = RateLimiter::default();
        let mut permits = Vec::new();
        for channel in 1..=5 {
            let endpoint = Endpoint { method: Method::Post, path: format!("channels/{channel}/messages") };
            permits.push(limiter.acquire(endpoint).await);
        }
        assert_eq!(metrics.num_alive_tasks(), before, "five permits in flight, no task for them");
        let endpoint = || Endpoint { method: Method::Post, path: "channels/1/messages".to_owned() };
        let waiting = limiter.acquire(endpoint());
        for permit in permits {
            permit.complete(None);
        }
        let next = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        next.expect("the completed permit passed its queue to the waiting request").complete(None);
        let again = tokio::time::timeout(Duration::from_secs(10), limiter.acquire(endpoint())).await;
        again.expect("and that one freed it").complete(None);
        assert_eq!(metrics.num_alive_tasks(), before);
    }

    fn callback(interaction: u64) -> twilight_http_ratelimiting::Endpoint {
        use twilight_http_ratelimiting::{Endpoint, Method};
        Endpoint { method: Method::Post, path: format!("interactions/{interaction}/token-{interaction}/callback") }
    }

    /// One bot's answers to different interactions do not wait for each other: each interaction
    /// has its own queue in the rate limiter (`vendor/twilight-http-ratelimiting`, patch 3;
    /// upstream gave all of a client's callbacks one queue with one request in flight).
    #[tokio::test(start_paused = true)]
    async fn callbacks_to_different_interactions_go_out_together() {
        let limiter = twilight_http_ratelimiting::RateLimiter::default();
        let first = limiter.acquire(callback(1)).await;
        let second = tokio::time::timeout(Duration::from_secs(10), limiter.acquire(callback(2))).await;
        let second = second.expect("a second interaction's callback is not queued behind the first's");
        first.complete(None);
        second.complete(None);
    }

    /// An interaction's queue goes once it is done, and a callback that used its bucket up still
    /// waits for the reset before it is sent again (patch 3 keeps the backoff).
    #[tokio::test(start_paused = true)]
    async fn a_done_interaction_is_forgotten_and_an_exhausted_one_waits_for_its_reset() {
        use twilight_http_ratelimiting::RateLimitHeaders;
        let limiter = twilight_http_ratelimiting::RateLimiter::default();
        let headers = |remaining, after| RateLimitHeaders {
            bucket: b"callback".to_vec(),
            limit: 5,
            remaining,
            reset_at: (tokio::time::Instant::now() + after).into_std(),
        };
        limiter.acquire(callback(1)).await.complete(Some(headers(4, Duration::from_secs(5))));
        tokio::task::yield_now().await;
        assert_eq!(limiter.bucket(callback(1)).await, None, "a done interaction's bucket is not kept");

        let reset_after = Duration::from_secs(5);
        limiter.acquire(callback(2)).await.complete(Some(headers(0, reset_after)));
        let exhausted = limiter.bucket(callback(2)).await.expect("an exhausted interaction is kept until its reset");
        assert_eq!(exhausted.remaining, 0);
        let asked = tokio::time::Instant::now();
        let retry = limiter.acquire(callback(2)).await;
        assert!(asked.elapsed() >= reset_after - Duration::from_millis(10), "granted after {:?}", asked.elapsed());
        retry.complete(None);
        tokio::task::yield_now().await;
        assert_eq!(limiter.bucket(callback(2)).await, None, "forgotten once its retry is done");
    }
}
