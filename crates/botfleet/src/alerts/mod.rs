//! Alerts: know a bot is failing before a customer does. Every few seconds the engine observes
//! the fleet and the node (statuses, running totals, memory, queues, a database ping), judges the
//! rules (`engine.rs`), and turns its decisions into incidents and notifications — stored first,
//! with a delivery per channel on the one delivery queue (`webhooks`), whose loop sends them with
//! retries and backoff, so a slow or failing receiver never delays the judgement and nothing is
//! lost across a restart. Every notification is also
//! published on the live bus (the dashboard's banner and alerts page). Time comes from the
//! injected clock, so tests step it instead of waiting.

pub mod deliver;
pub mod engine;
pub mod model;
pub mod repo;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use self::engine::{BotObservation, Counters, Decision, Engine, NodeObservation, Observation, Open};
use self::repo::{Incident, Window};
use crate::bots::DesiredState;
use crate::error::{Error, Result};
use crate::events::{AlertEvent, Event, EventBus};
use crate::fleet::Fleet;
use crate::secrets::TokenCipher;
use crate::store::Store;
use crate::time::Clock;
use crate::webhooks::Webhooks;

/// How long the database may take to answer the engine's ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The alert service. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Alerts {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    cipher: TokenCipher,
    clock: Clock,
    events: EventBus,
    fleet: Fleet,
    /// The delivery queue and its HTTP client.
    webhooks: Webhooks,
    node: String,
    // std Mutex: held for the engine's judgement only, never across an await.
    engine: Mutex<Engine>,
    evaluations: Arc<AtomicU64>,
    // What the database held at the last good evaluation, for when it does not answer.
    offline: Mutex<Offline>,
}

/// The "database unreachable" rules as last read, their channels opened, and what was sent
/// while the database was away (stored once it is back).
#[derive(Default)]
struct Offline {
    rules: Vec<model::Rule>,
    windows: Vec<Window>,
    channels: Vec<repo::Destination>,
    /// Per rule: failing evaluations in a row, and when it fired (sent directly).
    state: std::collections::HashMap<i64, (u32, Option<i64>)>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").field("node", &self.node).finish_non_exhaustive()
    }
}

/// The outcome of "send test".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    pub delivered: bool,
    /// Why not, when it was not.
    pub error: Option<String>,
}

impl Alerts {
    /// The service (nothing runs until `spawn`); `node` names this node in its own subjects
    /// (`node:NAME`), distinct among nodes sharing the database.
    pub fn new(
        store: Store,
        cipher: TokenCipher,
        clock: Clock,
        events: EventBus,
        fleet: Fleet,
        webhooks: Webhooks,
        node: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                cipher,
                clock,
                events,
                fleet,
                webhooks,
                node,
                engine: Mutex::new(Engine::default()),
                evaluations: Arc::new(AtomicU64::new(0)),
                offline: Mutex::new(Offline::default()),
            }),
        }
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.inner.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// How many evaluations have finished (tests wait on it instead of sleeping).
    pub fn evaluations(&self) -> u64 {
        self.inner.evaluations.load(Ordering::Relaxed)
    }

    /// The evaluation count itself, for a watcher that must not keep the service alive.
    pub fn evaluation_counter(&self) -> Arc<AtomicU64> {
        self.inner.evaluations.clone()
    }

    /// Takes the open incidents from the database (`Engine::sync`): at start, what was firing when
    /// the process stopped; each round, what other nodes opened, acknowledged or closed.
    pub async fn restore(&self) -> Result<()> {
        let rules = repo::list_rules(&self.inner.store).await?;
        self.sync(&rules).await
    }

    /// [`Alerts::restore`] with the rules already read.
    async fn sync(&self, rules: &[model::Rule]) -> Result<()> {
        let firing = repo::firing(&self.inner.store).await?;
        let open: Vec<(i64, String, Open, u32)> = firing
            .into_iter()
            .map(|(incident, last_sent_at, acknowledged)| {
                let threshold = rules.iter().find(|r| r.id == incident.rule_id).map_or(1, |r| r.failures_in_a_row);
                (incident.rule_id, incident.subject, Open { id: incident.id, last_sent_at, acknowledged }, threshold)
            })
            .collect();
        let elsewhere = self.inner.fleet.held_elsewhere();
        let own = format!("node:{}", self.inner.node);
        self.engine().sync(&open, |subject| match engine::bot_of(subject) {
            Some(bot) => !elsewhere.contains(&bot),
            None => subject == own,
        });
        Ok(())
    }

    /// What the rules are judged on, now.
    async fn observe(&self) -> Result<Observation> {
        let inner = &self.inner;
        let database_error = match tokio::time::timeout(PING_TIMEOUT, inner.store.ping()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
        };
        let rows: Vec<(i64, String, String)> = if database_error.is_none() {
            sqlx::query_as("SELECT id, name, desired_state FROM bots ORDER BY id").fetch_all(inner.store.pool()).await?
        } else {
            Vec::new()
        };
        let webhooks = if database_error.is_none() {
            let all = crate::webhooks::repo::all(&inner.store).await?;
            // A webhook paused by hand is not failing.
            let failing = |w: &crate::webhooks::model::WebhookView| {
                w.state == "paused" && w.paused_reason.as_deref() != Some(crate::webhooks::PAUSED_BY_HAND)
            };
            all.into_iter()
                .map(|w| {
                    let why = failing(&w).then(|| w.paused_reason.clone().unwrap_or_default());
                    (w.id, w.name, why)
                })
                .collect()
        } else {
            Vec::new()
        };
        let totals = inner.fleet.metrics().totals();
        let buckets = inner.fleet.metrics().latency_buckets();
        let bots = rows
            .into_iter()
            .map(|(id, name, desired)| {
                let (status, reason, runtime) = inner.fleet.runtime(id);
                let t = totals.get(&id).copied().unwrap_or_default();
                BotObservation {
                    id,
                    name,
                    should_run: DesiredState::parse(&desired) == Some(DesiredState::Running),
                    status,
                    reason,
                    counters: Counters {
                        reconnects: runtime.reconnects + runtime.resumes,
                        rate_limited: runtime.rate_limited,
                        commands: t.commands.saturating_sub(t.denied),
                        errors: t.errors,
                        latency: buckets.get(&id).copied().unwrap_or_default(),
                    },
                    session_starts_remaining: runtime.session_starts_remaining,
                }
            })
            .collect();
        Ok(Observation {
            now: self.now(),
            bots,
            elsewhere: inner.fleet.held_elsewhere(),
            node: NodeObservation {
                name: inner.node.clone(),
                rss_bytes: crate::metrics::node::rss_bytes(),
                queue_depth: u64::try_from(inner.fleet.tracking_queue_depth()).unwrap_or(u64::MAX),
                records_dropped: inner.fleet.tracking_dropped(),
                database_error,
                invalid_requests: inner.fleet.invalid_requests().0,
                webhooks,
            },
        })
    }

    /// One round: observe, judge, store and publish what was decided. Returns the decisions made.
    pub async fn evaluate(&self) -> Result<usize> {
        let obs = self.observe().await?;
        let store = &self.inner.store;
        if let Some(error) = &obs.node.database_error {
            // Nothing can be stored: only "database unreachable" is judged, from the rules last
            // read, and sent straight to its channels.
            let sent = self.offline(error, obs.now).await;
            self.inner.evaluations.fetch_add(1, Ordering::Relaxed);
            return Ok(sent);
        }
        let (rules, windows) = (repo::list_rules(store).await?, repo::list_windows(store).await?);
        self.settle_offline(&rules, obs.now).await?;
        // Other nodes may have opened, acknowledged or closed incidents since the last round.
        self.sync(&rules).await?;
        self.remember(&rules, &windows).await;
        let muted = |rule: &model::Rule, subject: &engine::Subject| {
            windows.iter().any(|w: &Window| w.mutes(rule.id, subject.bot_id, obs.now))
        };
        let decisions = {
            let mut engine = self.engine();
            let d = engine.evaluate(&rules, &obs, muted);
            engine.settle(&obs);
            d
        };
        let n = decisions.len();
        let mut failed = false;
        for decision in decisions {
            if let Err(e) = self.apply(decision, &rules, obs.now).await {
                tracing::warn!(error = %e, "an alert decision could not be stored; it will be judged again");
                failed = true;
            }
        }
        if failed {
            // The engine moved on but the database did not: take the firing incidents from the
            // database again, so an unstored recovery is decided again next round.
            if let Err(e) = self.restore().await {
                tracing::warn!(error = %e, "open incidents could not be re-read");
            }
        }
        self.inner.evaluations.fetch_add(1, Ordering::Relaxed);
        Ok(n)
    }

    async fn apply(&self, decision: Decision, rules: &[model::Rule], now: i64) -> Result<()> {
        let store = &self.inner.store;
        let rule_of = |id: i64| rules.iter().find(|r| r.id == id);
        let mut tx = store.pool().begin().await?;
        let (incident, kind, muted) = match decision {
            Decision::Fire { rule_id, subject, detail } => {
                let Some(rule) = rule_of(rule_id) else { return Ok(()) };
                let incident = match repo::open_incident(&mut tx, rule, &subject, &detail, now).await? {
                    repo::Opened::New(incident) => incident,
                    repo::Opened::Taken { incident, last_sent_at, acknowledged } => {
                        // Another node notified it already: carried on from where it stands.
                        tx.commit().await?;
                        let open = Open { id: incident.id, last_sent_at, acknowledged };
                        self.engine().opened(incident.rule_id, &incident.subject, open);
                        return Ok(());
                    }
                };
                let title = format!("🔴 {}: {}", rule.name, subject.label);
                repo::insert_notification(
                    &mut tx,
                    Some(&incident),
                    "firing",
                    &title,
                    &detail,
                    false,
                    &rule.channel_ids,
                    now,
                )
                .await?;
                (incident, "firing", false)
            }
            Decision::Resend { incident_id, detail } => {
                let incident = repo::update_incident(&mut *tx, incident_id, Some(&detail), Some(now), None).await?;
                let channels = rule_of(incident.rule_id).map(|r| r.channel_ids.clone()).unwrap_or_default();
                let title = format!("🔴 Still failing: {}: {}", incident.rule_name, incident.subject_label);
                repo::insert_notification(&mut tx, Some(&incident), "resent", &title, &detail, false, &channels, now)
                    .await?;
                (incident, "resent", false)
            }
            Decision::Recover { incident_id, detail, notify } => {
                let incident = repo::update_incident(&mut *tx, incident_id, None, None, Some(now)).await?;
                let channels = rule_of(incident.rule_id).map(|r| r.channel_ids.clone()).unwrap_or_default();
                let title = format!("✅ Recovered: {}: {}", incident.rule_name, incident.subject_label);
                repo::insert_notification(
                    &mut tx,
                    Some(&incident),
                    "recovered",
                    &title,
                    &detail,
                    !notify,
                    &channels,
                    now,
                )
                .await?;
                (incident, "recovered", !notify)
            }
        };
        tx.commit().await?;
        {
            let mut engine = self.engine();
            match kind {
                "firing" => {
                    let open = Open { id: incident.id, last_sent_at: now, acknowledged: false };
                    engine.opened(incident.rule_id, &incident.subject, open);
                }
                "resent" => engine.sent(incident.id, now),
                _ => {}
            }
        }
        tracing::info!(incident = incident.id, rule = %incident.rule_name, subject = %incident.subject, kind, "alert");
        self.publish(kind, incident, muted);
        Ok(())
    }

    fn publish(&self, kind: &str, incident: Incident, muted: bool) {
        if !muted {
            self.inner.webhooks.wake();
        }
        self.inner.events.publish(Event::Alert(AlertEvent { kind: kind.to_owned(), incident }));
    }

    fn offline_state(&self) -> MutexGuard<'_, Offline> {
        self.inner.offline.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the "database unreachable" rules, the windows and those rules' channels in memory.
    async fn remember(&self, rules: &[model::Rule], windows: &[Window]) {
        let watching: Vec<model::Rule> = rules
            .iter()
            .filter(|r| r.enabled && matches!(r.condition, model::Condition::DatabaseUnreachable {}))
            .cloned()
            .collect();
        // A channel that cannot be read now (the database going away in the middle of this
        // round, say) keeps the destination read before: the database-down alert needs it most
        // exactly then.
        let before = self.offline_state().channels.clone();
        let mut channels = Vec::new();
        for id in watching.iter().flat_map(|r| r.channel_ids.iter()) {
            if channels.iter().any(|c: &repo::Destination| c.id == *id) {
                continue;
            }
            match repo::destination(&self.inner.store, &self.inner.cipher, *id).await {
                Ok(d) => channels.push(d),
                Err(e) => {
                    let kept = before.iter().find(|c| c.id == *id).cloned();
                    tracing::warn!(channel = id, error = %e, kept = kept.is_some(), "alert channel unusable now");
                    channels.extend(kept);
                }
            }
        }
        let mut offline = self.offline_state();
        offline.rules = watching;
        offline.windows = windows.to_vec();
        offline.channels = channels;
    }

    /// The database does not answer: judges the "database unreachable" rules from memory and
    /// sends a firing or resent notice straight to their channels (one attempt each). Returns
    /// how many notices went out.
    async fn offline(&self, error: &str, now: i64) -> usize {
        let mut due = Vec::new();
        {
            let mut offline = self.offline_state();
            let Offline { rules, windows, state, .. } = &mut *offline;
            for rule in rules.iter() {
                let (failures, fired) = state.entry(rule.id).or_insert((0, None));
                *failures = failures.saturating_add(1);
                let muted = windows.iter().any(|w| w.mutes(rule.id, None, now));
                let every = i64::try_from(rule.resend_every_seconds).unwrap_or(i64::MAX).saturating_mul(1000);
                let kind = match *fired {
                    None if *failures >= rule.failures_in_a_row => "firing",
                    Some(at) if every > 0 && now - at >= every => "resent",
                    _ => continue,
                };
                if muted {
                    continue;
                }
                *fired = Some(now);
                due.push((rule.clone(), kind));
            }
        }
        let channels = self.offline_state().channels.clone();
        let detail = format!("the database does not answer: {error}");
        let mut sent = 0;
        for (rule, kind) in due {
            let node = &self.inner.node;
            let message = deliver::Message {
                kind: kind.to_owned(),
                notification_id: 0,
                delivery_id: 0,
                at: crate::time::rfc3339(now),
                title: format!("🔴 {}: node {node} (sent directly: the database is not answering)", rule.name),
                detail: detail.clone(),
                incident: None,
            };
            for to in channels.iter().filter(|c| rule.channel_ids.contains(&c.id)) {
                match deliver::send(self.inner.webhooks.http(), to, &message, now.div_euclid(1000)).await {
                    Ok(()) => sent += 1,
                    Err(f) => tracing::warn!(channel = to.id, error = %f.why, "database-down alert not delivered"),
                }
            }
            tracing::error!(rule = %rule.name, %detail, kind, "alert (database unreachable)");
        }
        sent
    }

    /// The database answers again: what fired while it was away is stored as an incident and
    /// resolved, with a recovery notice through the usual deliveries.
    async fn settle_offline(&self, rules: &[model::Rule], now: i64) -> Result<()> {
        let fired: Vec<(i64, i64)> = {
            let mut offline = self.offline_state();
            let fired = offline.state.iter().filter_map(|(rule, (_, at))| at.map(|at| (*rule, at))).collect();
            offline.state.clear();
            fired
        };
        for (rule_id, started) in fired {
            let Some(rule) = rules.iter().find(|r| r.id == rule_id) else { continue };
            let subject = engine::Subject {
                key: format!("node:{}", self.inner.node),
                label: format!("node {}", self.inner.node),
                bot_id: None,
            };
            let mut tx = self.inner.store.pool().begin().await?;
            let detail = "the database did not answer (notified directly while it was away)";
            let incident = match repo::open_incident(&mut tx, rule, &subject, detail, started).await? {
                repo::Opened::New(incident) | repo::Opened::Taken { incident, .. } => incident,
            };
            let title = format!("🔴 {}: {}", rule.name, subject.label);
            repo::insert_notification(&mut tx, Some(&incident), "firing", &title, detail, true, &[], started).await?;
            let incident = repo::update_incident(&mut *tx, incident.id, None, None, Some(now)).await?;
            let title = format!("✅ Recovered: {}: {}", rule.name, subject.label);
            let back = "the database answers again";
            let channels = if rule.notify_recovery { rule.channel_ids.clone() } else { Vec::new() };
            repo::insert_notification(
                &mut tx,
                Some(&incident),
                "recovered",
                &title,
                back,
                !rule.notify_recovery,
                &channels,
                now,
            )
            .await?;
            tx.commit().await?;
            self.publish("recovered", incident, !rule.notify_recovery);
        }
        Ok(())
    }

    /// Acknowledges a firing incident: resends stop, the channels are told who took it.
    pub async fn acknowledge(&self, id: i64, by: &str) -> Result<Incident> {
        let now = self.now();
        // Who to tell is read first: a rule that cannot be read fails the acknowledgement (nothing
        // changes) rather than telling no channel. A deleted rule has no channels to tell.
        let rule_id = repo::get_incident(&self.inner.store, id).await?.rule_id;
        let channels = match repo::get_rule(&self.inner.store, rule_id).await {
            Ok(rule) => rule.channel_ids,
            Err(Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let incident = repo::acknowledge(&self.inner.store, id, by, now).await?;
        self.engine().acknowledged(id);
        let title = format!("👀 Acknowledged by {by}: {}: {}", incident.rule_name, incident.subject_label);
        let mut tx = self.inner.store.pool().begin().await?;
        repo::insert_notification(
            &mut tx,
            Some(&incident),
            "acknowledged",
            &title,
            &incident.detail,
            false,
            &channels,
            now,
        )
        .await?;
        tx.commit().await?;
        self.publish("acknowledged", incident.clone(), false);
        Ok(incident)
    }

    /// Closes a rule's open incidents without notifying (the rule was deleted or disabled).
    pub async fn close_rule(&self, rule_id: i64, why: &str) -> Result<()> {
        let now = self.now();
        let open: Vec<Incident> = repo::firing(&self.inner.store)
            .await?
            .into_iter()
            .map(|(i, _, _)| i)
            .filter(|i| i.rule_id == rule_id)
            .collect();
        self.engine().forget_rule(rule_id);
        for incident in open {
            let mut tx = self.inner.store.pool().begin().await?;
            let incident = repo::update_incident(&mut *tx, incident.id, Some(why), None, Some(now)).await?;
            repo::insert_notification(&mut tx, Some(&incident), "recovered", "Closed", why, true, &[], now).await?;
            tx.commit().await?;
            self.publish("recovered", incident, true);
        }
        Ok(())
    }

    /// Sends a test notification to a channel now and says whether it arrived (recorded too).
    pub async fn send_test(&self, channel_id: i64, by: &str) -> Result<TestResult> {
        let store = &self.inner.store;
        let to = repo::destination(store, &self.inner.cipher, channel_id).await?;
        let now = self.now();
        let title = "🔔 Test notification from botfleet".to_owned();
        let detail =
            format!("{by} sent this test to the channel {:?}. If you can read it, alerts will arrive here.", to.name);
        let mut tx = store.pool().begin().await?;
        let notification_id =
            repo::insert_notification(&mut tx, None, "test", &title, &detail, false, &[], now).await?;
        let message = deliver::Message {
            kind: "test".into(),
            notification_id,
            delivery_id: 0,
            at: crate::time::rfc3339(now),
            title,
            detail,
            incident: None,
        };
        // Never due for the delivery loop: this request makes the one attempt itself.
        let due = repo::insert_test_delivery(&mut tx, channel_id, message, now).await?;
        tx.commit().await?;
        let attempt = self.inner.webhooks.test_once(&due).await?;
        Ok(TestResult { delivered: attempt.ok, error: attempt.error })
    }

    /// Runs the engine every `every` until aborted (the webhooks' loop delivers).
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if let Err(e) = self.restore().await {
                tracing::warn!(error = %e, "open incidents could not be restored; they may fire again");
            }
            match repo::render_waiting(&self.inner.store).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(deliveries = n, "alert deliveries from before the upgrade are queued again");
                    self.inner.webhooks.wake();
                }
                Err(e) => tracing::warn!(error = %e, "alert deliveries from before the upgrade could not be queued"),
            }
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.evaluate().await {
                    tracing::warn!(error = %e, "alert evaluation failed; will retry");
                }
            }
        })
    }
}
