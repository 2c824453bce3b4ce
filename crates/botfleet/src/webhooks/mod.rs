//! Outgoing webhooks for any event, and the one delivery machinery: the queue, its loop, `target`
//! (where a delivery goes, its URL and secret checked) and `send` (one signed attempt) serve the
//! alert channels too — the alerts queue a delivery per channel and notification
//! (`repo::insert_for_channel`) and this loop sends it like any other.
//!
//! Each node follows the events that happen on it (the bus's local side, so with several nodes
//! every event is queued once), matches them against the webhooks (kept in memory, read again on
//! a change here and every `RELOAD` for changes made through other nodes), and queues a delivery
//! per (webhook, event) in batches — a bounded queue between the two, so a slow database never
//! holds the bus back. A separate loop claims due deliveries (one node each), sends them, and
//! records each attempt; failures are retried with backoff (5 s doubling to 10 min, or what a
//! 429 asks) up to `MAX_ATTEMPTS`, and a webhook failing `PAUSE_AFTER` attempts in a row is paused
//! (its deliveries wait) until someone resumes it; the alert rule `webhook_paused` tells people.
//! Alert channels are never paused.

pub mod happened;
pub mod model;
pub mod repo;
pub mod send;
pub mod target;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::{broadcast::error::RecvError, mpsc, watch, Notify};

use self::happened::{discord_body, happened, test_body, wants};
use self::model::{TestResult, WebhookView};
use self::repo::{Attempt, Due, Queued, Recipient};
use self::send::{backoff, Outgoing, To};
use crate::error::{Error, Result};
use crate::events::EventBus;
use crate::secrets::TokenCipher;
use crate::store::Store;
use crate::time::Clock;

/// Why a webhook paused through the API is paused (not a failure: no alert).
pub const PAUSED_BY_HAND: &str = "paused by hand";
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// Failed attempts in a row (over all its deliveries) after which a webhook is paused.
pub const PAUSE_AFTER: i64 = 10;
/// How often the webhooks are read again (changes made through other nodes).
const RELOAD: Duration = Duration::from_secs(10);
/// Deliveries waiting to be queued in the database, at most.
const QUEUE: usize = 4096;
/// Deliveries queued in one statement batch, at most.
const BATCH: usize = 500;
/// Deliveries attempted at once.
const CONCURRENT: usize = 8;

/// The webhooks service. Cloning shares it.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    cipher: TokenCipher,
    clock: Clock,
    events: EventBus,
    http: reqwest::Client,
    /// The webhooks as last read (a change wakes the follower).
    hooks: watch::Sender<Arc<Vec<WebhookView>>>,
    wake: Notify,
    /// Events that matched a webhook but could not be queued (the queue was full, or the bus
    /// dropped events because this node fell behind).
    lost: AtomicU64,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(store: Store, cipher: TokenCipher, clock: Clock, events: EventBus) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("botfleet/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("the webhook HTTP client could not be built: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                cipher,
                clock,
                events,
                http,
                hooks: watch::Sender::new(Arc::new(Vec::new())),
                wake: Notify::new(),
                lost: AtomicU64::new(0),
            }),
        })
    }

    /// The HTTP client deliveries use (alert channels use the same).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Events that matched a webhook but were not queued since start.
    pub fn lost(&self) -> u64 {
        self.inner.lost.load(Ordering::Relaxed)
    }

    fn hooks(&self) -> Arc<Vec<WebhookView>> {
        self.inner.hooks.borrow().clone()
    }

    /// Reads the webhooks again (after a change through this node; other nodes' every `RELOAD`).
    pub async fn reload(&self) -> Result<()> {
        let hooks = repo::all(&self.inner.store).await?;
        self.inner.hooks.send_replace(Arc::new(hooks));
        Ok(())
    }

    /// Wakes the delivery loop (a webhook was resumed, an alert queued deliveries).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Follows the bus, queues deliveries and runs the delivery loop every `every` (and when
    /// woken) until aborted.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if let Err(e) = self.reload().await {
                tracing::warn!(error = %e, "webhooks could not be read; trying again shortly");
            }
            let (queued, batches) = mpsc::channel(QUEUE);
            // One task: aborting it ends all three.
            tokio::join!(self.clone().follow(queued), self.clone().write(batches), self.deliver_loop(every));
        })
    }

    /// Attempts due deliveries every `every` (and when woken); reads the webhooks again every
    /// `RELOAD`.
    async fn deliver_loop(&self, every: Duration) {
        let mut reload = tokio::time::interval(RELOAD);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.inner.wake.notified() => {}
                _ = reload.tick() => {
                    if let Err(e) = self.reload().await {
                        tracing::warn!(error = %e, "webhooks could not be read again; using the last ones");
                    }
                    continue;
                }
            }
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "webhook deliveries could not be read; will retry");
            }
        }
    }

    /// Matches this node's events against the webhooks and hands the deliveries to the writer.
    /// With no webhook it does not follow the bus at all (the bus clones nothing for a listener
    /// that is not there).
    async fn follow(self, queued: mpsc::Sender<Queued>) {
        let mut changes = self.inner.hooks.subscribe();
        loop {
            while changes.borrow_and_update().is_empty() {
                if changes.changed().await.is_err() {
                    return;
                }
            }
            let mut bus = self.inner.events.subscribe_local();
            loop {
                let event = tokio::select! {
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if changes.borrow_and_update().is_empty() {
                            break;
                        }
                        continue;
                    }
                    event = bus.recv() => event,
                };
                let event = match event {
                    Ok(event) => event,
                    Err(RecvError::Lagged(n)) => {
                        self.inner.lost.fetch_add(n, Ordering::Relaxed);
                        tracing::warn!(
                            missed = n,
                            "the webhooks fell behind the event bus: {n} events were not matched"
                        );
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                self.queue(&event, &queued);
            }
        }
    }

    /// Queues `event` for every webhook that wants it.
    fn queue(&self, event: &crate::events::Event, queued: &mpsc::Sender<Queued>) {
        let hooks = self.hooks();
        let Some(h) = happened(event, self.inner.clock.now_ms()) else { return };
        let payload = h.body.to_string();
        for hook in hooks.iter().filter(|w| wants(w, &h)) {
            let item = Queued {
                webhook_id: hook.id,
                event_type: h.event_type.as_str(),
                event_id: h.event_id.clone(),
                payload: payload.clone(),
            };
            if queued.try_send(item).is_err() {
                self.inner.lost.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(webhook = hook.id, "the webhook queue is full: a delivery was not queued");
            }
        }
    }

    /// Writes queued deliveries in batches (what is waiting when one write ends is the next
    /// batch), then wakes the delivery loop.
    async fn write(self, mut batches: mpsc::Receiver<Queued>) {
        let mut batch = Vec::with_capacity(BATCH);
        while batches.recv_many(&mut batch, BATCH).await > 0 {
            let mut tries = 0u32;
            loop {
                match repo::enqueue(&self.inner.store, &batch, self.inner.clock.now_ms()).await {
                    Ok(_) => break,
                    Err(e) if tries < 5 => {
                        tries += 1;
                        tracing::warn!(error = %e, tries, "webhook deliveries could not be queued; retrying");
                        tokio::time::sleep(Duration::from_millis(200 << tries)).await;
                    }
                    Err(e) => {
                        self.inner.lost.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        tracing::error!(error = %e, count = batch.len(), "webhook deliveries could not be queued");
                        break;
                    }
                }
            }
            batch.clear();
            self.inner.wake.notify_one();
        }
    }

    /// Attempts every delivery that is due; returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize> {
        let due = repo::claim_due(&self.inner.store, self.inner.clock.now_ms(), 100).await?;
        let n = due.len();
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENT, |d| async move {
                if let Err(e) = self.attempt(&d).await {
                    tracing::warn!(delivery = d.id, error = %e, "a webhook delivery attempt could not be recorded");
                }
            })
            .await;
        Ok(n)
    }

    /// Sends one delivery and records how it went.
    async fn attempt(&self, due: &Due) -> Result<()> {
        let outcome = self.send(due).await;
        let now = self.inner.clock.now_ms();
        let attempts = due.attempts + 1;
        let attempt = match outcome {
            Ok(sent) => Attempt::sent(sent),
            Err(f) => {
                let wait = backoff(attempts).max(f.retry_after.unwrap_or_default());
                let retry_at = (attempts < MAX_ATTEMPTS)
                    .then(|| now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)));
                tracing::warn!(delivery = due.id, to = %due.to, attempts, error = %f.why, retry = retry_at.is_some(), "delivery failed");
                Attempt { ok: false, status: f.status, error: Some(f.why), duration_ms: None, retry_at }
            }
        };
        if let Some(why) = repo::attempted(&self.inner.store, due, &attempt, now, PAUSE_AFTER).await? {
            tracing::warn!(to = %due.to, reason = %why, "webhook paused");
            let _ = self.reload().await;
        }
        Ok(())
    }

    async fn send(&self, due: &Due) -> std::result::Result<send::Sent, send::Failed> {
        let target = repo::target(&self.inner.store, &self.inner.cipher, due.to)
            .await
            .map_err(|e| send::Failed::before_sending(format!("the {} cannot be used: {e}", kind_of(due.to))))?;
        let discord = match (target.kind, &due.discord) {
            (target::ChannelKind::HttpWebhook, _) => serde_json::Value::Null,
            (target::ChannelKind::DiscordWebhook, Some(rendered)) => serde_json::from_str(rendered)
                .map_err(|e| send::Failed::before_sending(format!("the stored message cannot be read: {e}")))?,
            (target::ChannelKind::DiscordWebhook, None) => {
                let body: serde_json::Value = serde_json::from_str(&due.payload)
                    .map_err(|e| send::Failed::before_sending(format!("the stored payload cannot be read: {e}")))?;
                discord_body(&body)
            }
        };
        let to = To { kind: target.kind, url: &target.url, secret: target.secret.as_ref() };
        let out =
            Outgoing { event: &due.event_type, delivery_id: due.id, json: due.payload.as_bytes(), discord: &discord };
        send::send(&self.inner.http, to, out, self.inner.clock.now_ms().div_euclid(1000)).await
    }

    /// Attempts a queued test delivery once, now, and records how it went (never retried).
    pub async fn test_once(&self, due: &Due) -> Result<Attempt> {
        let attempt = match self.send(due).await {
            Ok(sent) => Attempt::sent(sent),
            Err(f) => Attempt { ok: false, status: f.status, error: Some(f.why), duration_ms: None, retry_at: None },
        };
        repo::tested(&self.inner.store, due.id, &attempt, self.inner.clock.now_ms()).await?;
        Ok(attempt)
    }

    /// "Send test": one test delivery, attempted now (kept in the history, never retried).
    pub async fn send_test(&self, webhook_id: i64) -> Result<TestResult> {
        let webhook = repo::get(&self.inner.store, webhook_id).await?;
        let now = self.inner.clock.now_ms();
        let (event_id, body) = test_body(&webhook, now);
        let payload = body.to_string();
        let id = repo::insert_test(&self.inner.store, webhook_id, &event_id, &payload, now).await?;
        let due = Due {
            id,
            to: Recipient::Webhook(webhook_id),
            event_type: "test".into(),
            payload,
            discord: None,
            attempts: 0,
        };
        let attempt = self.test_once(&due).await?;
        Ok(TestResult { delivered: attempt.ok, status: attempt.status, error: attempt.error, delivery_id: id })
    }
}

fn kind_of(to: Recipient) -> &'static str {
    match to {
        Recipient::Webhook(_) => "webhook",
        Recipient::AlertChannel(_) => "channel",
    }
}
