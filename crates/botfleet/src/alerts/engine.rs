//! The alert engine's judgement, free of I/O: given what the fleet and the node look like now (an
//! `Observation`), the rules, and which subjects a maintenance window mutes, it decides what to
//! send — fire after N failures in a row, resend at the rule's interval until acknowledged,
//! announce recovery — and remembers per (rule, subject) where it stands. Windowed conditions
//! (reconnects, 429s, latency, errors) are differences between samples of the running totals, so
//! nothing per command is kept here. Time is the observation's, from the injected clock.

use std::collections::{HashMap, HashSet, VecDeque};

use super::model::{Condition, Rule};
use crate::bots::Status;

/// A bot's running totals since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub reconnects: u64,
    pub rate_limited: u64,
    pub commands: u64,
    pub errors: u64,
    /// Answered commands per reply-latency bucket (`metrics::BUCKETS`, then one for above the last).
    pub latency: [u64; 13],
}

impl Counters {
    fn since(&self, earlier: &Counters) -> Counters {
        let mut latency = [0; 13];
        for (i, l) in latency.iter_mut().enumerate() {
            *l = self.latency[i].saturating_sub(earlier.latency[i]);
        }
        Counters {
            reconnects: self.reconnects.saturating_sub(earlier.reconnects),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            commands: self.commands.saturating_sub(earlier.commands),
            errors: self.errors.saturating_sub(earlier.errors),
            latency,
        }
    }

    /// The p99 reply latency's bucket bound, in ms (`None` without answered commands; infinite
    /// above the last bucket).
    fn p99_ms(&self) -> Option<f64> {
        let total: u64 = self.latency.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = (total * 99).div_ceil(100);
        let mut seen = 0;
        for (i, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                return Some(crate::metrics::BUCKETS.get(i).map_or(f64::INFINITY, |s| s * 1000.0));
            }
        }
        Some(f64::INFINITY)
    }
}

/// One bot, now.
#[derive(Debug, Clone)]
pub struct BotObservation {
    pub id: i64,
    pub name: String,
    /// An admin wants it running (a deliberately stopped bot is not down).
    pub should_run: bool,
    pub status: Status,
    pub reason: Option<String>,
    pub counters: Counters,
    /// Session starts Discord still allows today, as read at its last start.
    pub session_starts_remaining: Option<u32>,
}

/// This node, now.
#[derive(Debug, Clone, Default)]
pub struct NodeObservation {
    pub name: String,
    pub rss_bytes: Option<u64>,
    pub queue_depth: u64,
    pub records_dropped: u64,
    /// Why the database did not answer, when it did not.
    pub database_error: Option<String>,
    /// Invalid requests (401, 403, 429) the fleet made to Discord in the last 10 minutes.
    pub invalid_requests: u64,
    /// Every webhook: (id, name, why it is paused, when it is).
    pub webhooks: Vec<(i64, String, Option<String>)>,
}

/// Everything the rules are judged on.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub now: i64,
    pub bots: Vec<BotObservation>,
    pub node: NodeObservation,
    /// Bots another node runs (several nodes): that node judges them, this one leaves them be.
    pub elsewhere: HashSet<i64>,
}

impl Observation {
    /// The bots this node judges (not those another node runs).
    fn judged(&self) -> impl Iterator<Item = &BotObservation> {
        self.bots.iter().filter(|b| !self.elsewhere.contains(&b.id))
    }
}

/// The bot a subject key names (`bot:3`), if it names one.
pub fn bot_of(subject: &str) -> Option<i64> {
    subject.strip_prefix("bot:").and_then(|id| id.parse().ok())
}

/// Who a rule's verdict is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    /// `bot:3` or `node:NAME`.
    pub key: String,
    /// For people: `Shop (bot 3)`.
    pub label: String,
    pub bot_id: Option<i64>,
}

/// What to do, decided by one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Open an incident and notify.
    Fire { rule_id: i64, subject: Subject, detail: String },
    /// Notify again.
    Resend { incident_id: i64, detail: String },
    /// Close the incident; notify unless `muted` or the rule sends no recovery notices.
    Recover { incident_id: i64, detail: String, notify: bool },
}

/// Where one (rule, subject) stands.
#[derive(Debug, Clone, Default)]
struct Track {
    failures: u32,
    incident: Option<Open>,
}

/// An open incident as the engine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    pub id: i64,
    pub last_sent_at: i64,
    pub acknowledged: bool,
}

/// The engine's memory between evaluations.
#[derive(Debug, Default)]
pub struct Engine {
    tracks: HashMap<(i64, String), Track>,
    /// Per bot: (time, totals), oldest first, reaching back an hour.
    samples: HashMap<i64, VecDeque<(i64, Counters)>>,
    /// Per bot: since when it has been down (engine clock).
    down_since: HashMap<i64, i64>,
    /// The node's records-dropped count at the previous evaluation.
    dropped_before: Option<u64>,
}

const KEEP_MS: i64 = 3_600_000;
/// Samples younger than this are all kept (one per evaluation): windows up to this long are
/// measured from the evaluation just before them.
const FINE_MS: i64 = 5 * 60_000;
/// Older samples are kept one a minute, so a busy bot holds ≈ 115 samples at most (≈ 17 KB), not
/// one per evaluation for an hour (720 at the default 5 s, ≈ 100 KB): a longer window is measured
/// from a sample at most a minute before its start. A bot whose totals did not change adds no
/// sample (its newest one already says the same): an idle bot holds one.
const COARSE_MS: i64 = 60_000;

/// Thins a bot's samples (oldest first): all of the last `FINE_MS`; before that, the last one of
/// each minute (by the clock, `COARSE_MS`). Totals at a time are those of the newest sample at
/// or before it, so keeping a minute's last sample keeps every later time's totals exact and moves
/// a time inside that minute at most to the minute's start.
fn thin(ring: &mut VecDeque<(i64, Counters)>, now: i64) {
    let minute = |at: i64| at.div_euclid(COARSE_MS);
    let mut i = 0;
    while i + 1 < ring.len() {
        let (at, next) = (ring[i].0, ring[i + 1].0);
        if now - at >= FINE_MS && minute(at) == minute(next) {
            ring.remove(i);
        } else {
            i += 1;
        }
    }
    if ring.capacity() > 2 * ring.len() + 16 {
        ring.shrink_to(ring.len() + 8);
    }
}

impl Engine {
    /// Takes the open incidents as the database has them now (`(rule, subject, incident, the
    /// rule's failures in a row)`): with several nodes, the others open, resend, acknowledge and
    /// close them too. An incident closed elsewhere is forgotten here; one open for a subject this
    /// node judges (`judged_here`) is taken up, so it is not fired again; what was sent or
    /// acknowledged elsewhere counts. At start, it takes up what was firing when the process stopped.
    pub fn sync(&mut self, open: &[(i64, String, Open, u32)], judged_here: impl Fn(&str) -> bool) {
        let ids: HashSet<i64> = open.iter().map(|(_, _, o, _)| o.id).collect();
        for track in self.tracks.values_mut() {
            if track.incident.is_some_and(|o| !ids.contains(&o.id)) {
                track.incident = None;
            }
        }
        for (rule_id, subject, incident, threshold) in open {
            if !judged_here(subject) {
                continue;
            }
            let track = self.tracks.entry((*rule_id, subject.clone())).or_default();
            track.failures = track.failures.max(*threshold);
            track.incident = Some(match track.incident {
                Some(mine) if mine.id == incident.id => Open {
                    id: mine.id,
                    last_sent_at: mine.last_sent_at.max(incident.last_sent_at),
                    acknowledged: mine.acknowledged || incident.acknowledged,
                },
                _ => *incident,
            });
        }
    }

    /// Notes the incident a `Fire` opened.
    pub fn opened(&mut self, rule_id: i64, subject: &str, open: Open) {
        if let Some(t) = self.tracks.get_mut(&(rule_id, subject.to_owned())) {
            t.incident = Some(open);
        }
    }

    /// Notes that a `Resend` went out.
    pub fn sent(&mut self, incident_id: i64, at: i64) {
        if let Some(open) = self.tracks.values_mut().filter_map(|t| t.incident.as_mut()).find(|o| o.id == incident_id) {
            open.last_sent_at = at;
        }
    }

    /// Stops resending an incident someone acknowledged.
    pub fn acknowledged(&mut self, incident_id: i64) {
        if let Some(open) = self.tracks.values_mut().filter_map(|t| t.incident.as_mut()).find(|o| o.id == incident_id) {
            open.acknowledged = true;
        }
    }

    /// Forgets a rule's state (deleted or disabled: its incidents were closed by the caller).
    pub fn forget_rule(&mut self, rule_id: i64) {
        self.tracks.retain(|(r, _), _| *r != rule_id);
    }

    /// Judges every enabled rule on `obs`; `muted(rule, subject)` says whether a maintenance
    /// window silences it.
    pub fn evaluate(
        &mut self,
        rules: &[Rule],
        obs: &Observation,
        muted: impl Fn(&Rule, &Subject) -> bool,
    ) -> Vec<Decision> {
        self.observe(obs);
        let mut decisions = Vec::new();
        let mut seen: HashSet<(i64, String)> = HashSet::new();
        for rule in rules.iter().filter(|r| r.enabled) {
            for (subject, failing) in self.verdicts(rule, obs) {
                let key = (rule.id, subject.key.clone());
                seen.insert(key.clone());
                let mute = muted(rule, &subject);
                let track = self.tracks.entry(key).or_default();
                match (failing, track.incident) {
                    (Some(detail), None) => {
                        track.failures = track.failures.saturating_add(1);
                        if track.failures >= rule.failures_in_a_row && !mute {
                            decisions.push(Decision::Fire { rule_id: rule.id, subject, detail });
                        }
                    }
                    (Some(detail), Some(open)) => {
                        let every = i64::try_from(rule.resend_every_seconds).unwrap_or(i64::MAX).saturating_mul(1000);
                        if every > 0 && !open.acknowledged && !mute && obs.now - open.last_sent_at >= every {
                            decisions.push(Decision::Resend { incident_id: open.id, detail });
                        }
                    }
                    (None, open) => {
                        track.failures = 0;
                        if let Some(open) = open {
                            track.incident = None;
                            decisions.push(Decision::Recover {
                                incident_id: open.id,
                                detail: format!("{} is back to normal", subject.label),
                                notify: rule.notify_recovery && !mute,
                            });
                        }
                    }
                }
            }
        }
        // A bot another node runs now is that node's to judge: forgotten here, not recovered.
        self.tracks.retain(|(_, subject), _| bot_of(subject).is_none_or(|id| !obs.elsewhere.contains(&id)));
        // A subject that is gone (bot deleted or no longer meant to run, rule disabled) recovers.
        let rules_by_id: HashMap<i64, &Rule> = rules.iter().map(|r| (r.id, r)).collect();
        let gone: Vec<(i64, String)> = self.tracks.keys().filter(|k| !seen.contains(*k)).cloned().collect();
        for key in gone {
            if let Some(Track { incident: Some(open), .. }) = self.tracks.remove(&key) {
                let rule = rules_by_id.get(&key.0);
                decisions.push(Decision::Recover {
                    incident_id: open.id,
                    detail: format!("{} is no longer watched by this rule", key.1),
                    notify: rule.is_some_and(|r| r.notify_recovery),
                });
            }
        }
        decisions
    }

    fn observe(&mut self, obs: &Observation) {
        let ids: HashSet<i64> = obs.judged().map(|b| b.id).collect();
        self.samples.retain(|id, _| ids.contains(id));
        self.down_since.retain(|id, _| ids.contains(id));
        for bot in obs.judged() {
            let ring = self.samples.entry(bot.id).or_default();
            if ring.back().is_none_or(|(_, newest)| *newest != bot.counters) {
                ring.push_back((obs.now, bot.counters));
            }
            // Keep one sample older than an hour, so an hour's window has its baseline.
            while ring.len() > 2 && ring.get(1).is_some_and(|(at, _)| obs.now - at >= KEEP_MS) {
                ring.pop_front();
            }
            thin(ring, obs.now);
            if bot.should_run && bot.status != Status::Running {
                self.down_since.entry(bot.id).or_insert(obs.now);
            } else {
                self.down_since.remove(&bot.id);
            }
        }
    }

    /// Totals over the last `seconds` for a bot (from the newest sample at least that old, or
    /// the oldest there is).
    fn window(&self, bot: &BotObservation, now: i64, seconds: u64) -> Counters {
        let from = now - i64::try_from(seconds).unwrap_or(i64::MAX / 2).saturating_mul(1000);
        let Some(ring) = self.samples.get(&bot.id) else { return Counters::default() };
        let base = ring.iter().rev().find(|(at, _)| *at <= from).or_else(|| ring.front()).map(|(_, c)| *c);
        base.map(|b| bot.counters.since(&b)).unwrap_or_default()
    }

    /// Each subject of the rule with `Some(why)` when it fails.
    fn verdicts(&self, rule: &Rule, obs: &Observation) -> Vec<(Subject, Option<String>)> {
        let cond = &rule.condition;
        if let Condition::WebhookPaused {} = cond {
            return obs
                .node
                .webhooks
                .iter()
                .map(|(id, name, paused)| {
                    let subject =
                        Subject { key: format!("webhook:{id}"), label: format!("webhook {name}"), bot_id: None };
                    let why = paused
                        .as_ref()
                        .map(|why| format!("webhook {name} is {why}; resume it when its receiver works"));
                    (subject, why)
                })
                .collect();
        }
        if !cond.per_bot() {
            let node = &obs.node;
            let subject =
                Subject { key: format!("node:{}", node.name), label: format!("node {}", node.name), bot_id: None };
            let failing = match cond {
                Condition::TrackingBacklog { queue_depth } => {
                    let dropped =
                        node.records_dropped.saturating_sub(self.dropped_before.unwrap_or(node.records_dropped));
                    if dropped > 0 {
                        Some(format!("{dropped} tracking records were dropped"))
                    } else {
                        (node.queue_depth > *queue_depth).then(|| {
                            format!("{} records wait for the tracking writer (more than {queue_depth}): is the database slow?", node.queue_depth)
                        })
                    }
                }
                Condition::DatabaseUnreachable {} => {
                    node.database_error.as_ref().map(|e| format!("the database does not answer: {e}"))
                }
                Condition::MemoryOver { megabytes } => node.rss_bytes.and_then(|rss| {
                    let mb = rss / (1024 * 1024);
                    (rss > megabytes.saturating_mul(1024 * 1024))
                        .then(|| format!("resident memory is {mb} MiB (more than {megabytes} MiB)"))
                }),
                Condition::InvalidRequests { requests } => (node.invalid_requests > *requests).then(|| {
                    format!(
                        "{} invalid requests (401, 403, 429) to Discord in the last 10 minutes (more than {requests}); \
                         Discord bans the IP for an hour at 10,000: see which bot's calls fail",
                        node.invalid_requests
                    )
                }),
                _ => None,
            };
            return vec![(subject, failing)];
        }
        obs.judged()
            .filter(|b| rule.bot_id.is_none_or(|id| id == b.id))
            .filter(|b| b.should_run || b.status != Status::Stopped)
            .map(|bot| {
                let subject = Subject {
                    key: format!("bot:{}", bot.id),
                    label: format!("{} (bot {})", bot.name, bot.id),
                    bot_id: Some(bot.id),
                };
                let w = self.window(bot, obs.now, cond.window_seconds());
                let failing = match cond {
                    Condition::BotDown { for_seconds } => self.down_since.get(&bot.id).and_then(|since| {
                        let down_s = (obs.now - since) / 1000;
                        (down_s >= i64::try_from(*for_seconds).unwrap_or(i64::MAX)).then(|| {
                            format!(
                                "{} has been {} for {down_s} s{}",
                                bot.name,
                                bot.status.as_str(),
                                bot.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                            )
                        })
                    }),
                    Condition::ReconnectStorm { reconnects, within_seconds } => (w.reconnects >= *reconnects)
                        .then(|| format!("{} reconnected {} times in {within_seconds} s", bot.name, w.reconnects)),
                    Condition::ReplyLatency { p99_ms, within_seconds } => w.p99_ms().and_then(|p99| {
                        (p99 > *p99_ms as f64).then(|| {
                            let shown = if p99.is_finite() { format!("{p99} ms") } else { "over 5 s".into() };
                            format!(
                                "{}'s p99 reply latency over {within_seconds} s is {shown} (limit {p99_ms} ms)",
                                bot.name
                            )
                        })
                    }),
                    Condition::ErrorRate { percent, within_seconds, min_commands } => {
                        let rate = if w.commands == 0 { 0.0 } else { w.errors as f64 * 100.0 / w.commands as f64 };
                        (w.commands >= *min_commands && rate > *percent).then(|| {
                            format!(
                                "{}: {} of {} commands failed in {within_seconds} s ({rate:.1} %, limit {percent} %)",
                                bot.name, w.errors, w.commands
                            )
                        })
                    }
                    Condition::RateLimited { count, within_seconds } => (w.rate_limited > *count).then(|| {
                        format!(
                            "{} met {} rate limits (429) from Discord in {within_seconds} s (limit {count})",
                            bot.name, w.rate_limited
                        )
                    }),
                    Condition::SessionStartsLow { below } => {
                        bot.session_starts_remaining.filter(|left| u64::from(*left) < *below).map(|left| {
                            format!(
                                "{} has {left} session starts left today (fewer than {below}); spending them all \
                                 resets its token: avoid restarts until the reset",
                                bot.name
                            )
                        })
                    }
                    _ => None,
                };
                (subject, failing)
            })
            .collect()
    }

    /// Call after `evaluate`: remembers the node's dropped count for the next one.
    pub fn settle(&mut self, obs: &Observation) {
        self.dropped_before = Some(obs.node.records_dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: Condition, failures_in_a_row: u32, resend: u64) -> Rule {
        Rule {
            id: 1,
            name: "r".into(),
            condition,
            bot_id: None,
            failures_in_a_row,
            resend_every_seconds: resend,
            notify_recovery: true,
            channel_ids: vec![],
            enabled: true,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn obs(now: i64, status: Status) -> Observation {
        Observation {
            now,
            bots: vec![BotObservation {
                id: 7,
                name: "Shop".into(),
                should_run: true,
                status,
                reason: None,
                counters: Counters::default(),
                session_starts_remaining: None,
            }],
            node: NodeObservation::default(),
            elsewhere: HashSet::new(),
        }
    }

    #[test]
    fn a_bot_run_elsewhere_is_left_to_its_node_and_open_incidents_are_taken_up() {
        let rules = [rule(Condition::BotDown { for_seconds: 0 }, 1, 60)];
        let never = |_: &Rule, _: &Subject| false;
        let mut e = Engine::default();
        let d = e.evaluate(&rules, &obs(0, Status::Failed), never);
        assert!(matches!(&d[..], [Decision::Fire { .. }]), "{d:?}");
        e.opened(1, "bot:7", Open { id: 9, last_sent_at: 0, acknowledged: false });
        // The bot moved to another node: forgotten here, not recovered.
        let mut moved = obs(1_000, Status::Failed);
        moved.elsewhere.insert(7);
        assert!(e.evaluate(&rules, &moved, never).is_empty());
        assert!(e.tracks.is_empty());
        // Back here, the incident is still open (another node resent it and someone acknowledged
        // it): taken up, not fired again, not resent.
        let open = Open { id: 9, last_sent_at: 30_000, acknowledged: true };
        e.sync(&[(1, "bot:7".into(), open, 1), (1, "node:other".into(), open, 1)], |s| s != "node:other");
        assert_eq!(e.tracks.len(), 1, "another node's own subject is not judged here");
        assert!(e.evaluate(&rules, &obs(200_000, Status::Failed), never).is_empty());
        // Closed elsewhere (the other node saw it recover): forgotten, then fired anew if failing.
        e.sync(&[], |_| true);
        let d = e.evaluate(&rules, &obs(201_000, Status::Failed), never);
        assert!(matches!(&d[..], [Decision::Fire { .. }]), "{d:?}");
    }

    #[test]
    fn invalid_requests_and_few_session_starts_fire() {
        let never = |_: &Rule, _: &Subject| false;
        let invalid = [rule(Condition::InvalidRequests { requests: 100 }, 1, 0)];
        let mut e = Engine::default();
        let mut o = obs(0, Status::Running);
        o.node.invalid_requests = 100;
        assert!(e.evaluate(&invalid, &o, never).is_empty(), "at the limit: not over it");
        o.node.invalid_requests = 101;
        let d = e.evaluate(&invalid, &o, never);
        assert!(matches!(&d[..], [Decision::Fire { detail, .. }] if detail.contains("101 invalid requests")), "{d:?}");

        let starts = [rule(Condition::SessionStartsLow { below: 50 }, 1, 0)];
        let mut e = Engine::default();
        let mut o = obs(0, Status::Running);
        assert!(e.evaluate(&starts, &o, never).is_empty(), "unknown: nothing to say");
        o.bots[0].session_starts_remaining = Some(50);
        assert!(e.evaluate(&starts, &o, never).is_empty());
        o.bots[0].session_starts_remaining = Some(49);
        let d = e.evaluate(&starts, &o, never);
        assert!(
            matches!(&d[..], [Decision::Fire { detail, .. }] if detail.contains("49 session starts left")),
            "{d:?}"
        );
    }

    #[test]
    fn fires_after_the_threshold_and_failures_in_a_row_then_resends_and_recovers() {
        let rules = [rule(Condition::BotDown { for_seconds: 30 }, 2, 60)];
        let mut e = Engine::default();
        let never = |_: &Rule, _: &Subject| false;
        assert!(e.evaluate(&rules, &obs(0, Status::Reconnecting), never).is_empty());
        assert!(e.evaluate(&rules, &obs(30_000, Status::Reconnecting), never).is_empty(), "one failure only");
        let d = e.evaluate(&rules, &obs(35_000, Status::Reconnecting), never);
        assert!(matches!(&d[..], [Decision::Fire { .. }]), "{d:?}");
        e.opened(1, "bot:7", Open { id: 9, last_sent_at: 35_000, acknowledged: false });
        assert!(e.evaluate(&rules, &obs(60_000, Status::Reconnecting), never).is_empty());
        let d = e.evaluate(&rules, &obs(95_000, Status::Reconnecting), never);
        assert_eq!(d.len(), 1);
        assert!(matches!(d[0], Decision::Resend { incident_id: 9, .. }));
        e.sent(9, 95_000);
        e.acknowledged(9);
        assert!(e.evaluate(&rules, &obs(200_000, Status::Reconnecting), never).is_empty(), "acknowledged: quiet");
        let d = e.evaluate(&rules, &obs(201_000, Status::Running), never);
        assert!(matches!(d[0], Decision::Recover { incident_id: 9, notify: true, .. }));
    }

    #[test]
    fn a_muted_subject_does_not_fire_and_a_stopped_bot_is_not_down() {
        let rules = [rule(Condition::BotDown { for_seconds: 0 }, 1, 0)];
        let mut e = Engine::default();
        assert!(e.evaluate(&rules, &obs(0, Status::Failed), |_, _| true).is_empty());
        let mut o = obs(1000, Status::Stopped);
        o.bots[0].should_run = false;
        assert!(e.evaluate(&rules, &o, |_, _| false).is_empty());
    }

    /// Evaluation `i` of `evaluations` at `i` × 5 s: `change` edits the observation, then the
    /// engine observes it.
    fn every_5s(
        e: &mut Engine,
        o: &mut Observation,
        evaluations: std::ops::RangeInclusive<i64>,
        mut change: impl FnMut(i64, &mut Observation),
    ) {
        for i in evaluations {
            o.now = i * 5_000;
            change(i, o);
            e.observe(o);
        }
    }

    /// An idle bot (totals unchanged) holds one sample however long it runs; a burst of 429s 19
    /// minutes ago is outside a 5-minute window even after the samples around it were thinned.
    #[test]
    fn unchanged_totals_add_no_sample_and_thinning_keeps_windows_exact() {
        let mut e = Engine::default();
        let mut o = obs(0, Status::Running);
        every_5s(&mut e, &mut o, 0..=1_440, |_, _| {});
        assert_eq!(e.samples[&7].len(), 1, "two idle hours, one sample");
        // A burst: one 429 per evaluation for 50 s, from 2 h 1 min on; then quiet for 20 minutes.
        every_5s(&mut e, &mut o, 1_452..=1_692, |i, o| {
            if i < 1_462 {
                o.bots[0].counters.rate_limited += 1;
            }
        });
        let bot = &o.bots[0];
        assert!(e.samples[&7].len() <= 12, "{} samples", e.samples[&7].len());
        assert_eq!(e.window(bot, o.now, 300).rate_limited, 0, "the burst ended 19 minutes ago");
        assert_eq!(e.window(bot, o.now, 1_800).rate_limited, 10, "all of it within half an hour");
        assert_eq!(e.window(bot, o.now, 3_600).rate_limited, 10);
    }

    #[test]
    /// Two hours of evaluations every 5 s: a bot keeps about two a minute's worth of samples, not
    /// 720; a 2-minute window is exact, a 30-minute one starts at most a minute early.
    fn samples_are_kept_coarser_with_age() {
        let mut e = Engine::default();
        let mut o = obs(0, Status::Running);
        every_5s(&mut e, &mut o, 0..=1_440, |i, o| {
            o.bots[0].counters.commands = u64::try_from(i).unwrap_or(0); // one command per evaluation
        });
        let ring = &e.samples[&7];
        assert!(ring.len() <= 60 + 60 + 2, "{} samples kept", ring.len());
        assert!(ring.capacity() <= 2 * ring.len() + 16, "capacity {} for {}", ring.capacity(), ring.len());
        let bot = &o.bots[0];
        assert_eq!(e.window(bot, o.now, 120).commands, 24, "two minutes: 24 evaluations");
        let half_hour = e.window(bot, o.now, 1_800).commands;
        assert!((360..=372).contains(&half_hour), "30 minutes: 360 evaluations, at most a minute more: {half_hour}");
        let hour = e.window(bot, o.now, 3_600).commands;
        assert!((720..=732).contains(&hour), "an hour: {hour}");
    }

    #[test]
    fn windows_are_differences_of_totals() {
        let rules = [rule(Condition::RateLimited { count: 3, within_seconds: 60 }, 1, 0)];
        let mut e = Engine::default();
        let mut o = obs(0, Status::Running);
        assert!(e.evaluate(&rules, &o, |_, _| false).is_empty());
        o.now = 30_000;
        o.bots[0].counters.rate_limited = 4;
        assert_eq!(e.evaluate(&rules, &o, |_, _| false).len(), 1);
        let mut c = Counters::default();
        c.latency[7] = 99;
        c.latency[9] = 1;
        assert_eq!(c.p99_ms(), Some(250.0));
        c.latency[12] = 5;
        assert_eq!(c.p99_ms(), Some(f64::INFINITY));
    }
}
