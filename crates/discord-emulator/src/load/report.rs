//! Matching replies to commands and summarising a load run: per kind, sent / answered /
//! unanswered / answered twice and HDR-histogram latencies; and whether the emulator's own
//! dispatch counters agree with what was sent and answered. Everything counts from the run's
//! baseline: runs of one shape reuse their channels, which still hold earlier runs' messages.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Kind, Scenario, Sent};
use crate::world::{Counters, State};

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// One command kind's results.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KindReport {
    pub sent: u64,
    pub answered: u64,
    pub unanswered: u64,
    /// Commands that got more than one reply (or a refused second acknowledgement).
    pub answered_twice: u64,
    /// Dispatch → reply reaching REST, over answered commands.
    pub latency_ms: Latency,
}

/// Dispatch counters over the run, and what they should be.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Agreement {
    pub interaction_create_dispatched: u64,
    pub interaction_create_expected: u64,
    pub message_create_dispatched: u64,
    /// Prefix commands sent plus every bot reply message (each is dispatched to its bot).
    pub message_create_expected: u64,
    pub consistent: bool,
}

/// A load run's report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub scenario: Scenario,
    pub bots: usize,
    pub channels: usize,
    /// Time spent sending.
    pub elapsed_secs: f64,
    pub achieved_rate: f64,
    /// `prefix` and `slash`.
    pub kinds: BTreeMap<String, KindReport>,
    /// Bot messages in the load channels that answered no command.
    pub unmatched_replies: u64,
    pub dispatches: Agreement,
}

/// Where a run starts: the dispatch counters and the last id handed out, taken together under
/// the world's lock before the first command. A message with a greater id was created during
/// the run; counter deltas from here are the run's dispatches.
#[derive(Debug, Clone)]
pub struct Baseline {
    counters: Counters,
    last_id: u64,
}

impl Baseline {
    /// The world as it is now.
    pub fn take(state: &State) -> Self {
        Self { counters: state.counters.clone(), last_id: state.ids.last() }
    }
}

/// Whether every command has at least one reply.
pub fn all_answered(state: &State, sent: &[Sent], baseline: &Baseline) -> bool {
    let replies = Replies::collect(state, sent, baseline);
    sent.iter().all(|s| replies.first.contains_key(&s.id))
}

/// Replies found for the commands: first reply time per command id and reply counts, over the
/// messages created since the baseline.
struct Replies {
    first: HashMap<u64, SystemTime>,
    count: HashMap<u64, u64>,
    unmatched: u64,
    bot_messages: u64,
}

impl Replies {
    fn collect(state: &State, sent: &[Sent], baseline: &Baseline) -> Self {
        let mut out = Self { first: HashMap::new(), count: HashMap::new(), unmatched: 0, bot_messages: 0 };
        // Slash: the interaction's callback (one accepted, any refused ones counted as extra).
        for s in sent.iter().filter(|s| s.kind == Kind::Slash) {
            let Some(i) = state.interactions.get(&s.id) else {
                continue;
            };
            let callbacks = i.responses.iter().filter(|r| r.action == "callback").count() as u64;
            if let Some(first) = i.responses.iter().find(|r| r.action == "callback") {
                out.first.insert(s.id, first.at);
            }
            out.count.insert(s.id, callbacks + u64::from(i.duplicate_acks));
        }
        // Prefix: per channel, a bot message answers the command it references, else the oldest
        // unanswered one before it.
        let prefix: HashSet<u64> = sent.iter().filter(|s| s.kind == Kind::Prefix).map(|s| s.id).collect();
        let channels: HashMap<u64, u64> = sent.iter().map(|s| (s.channel_id, s.bot_user)).collect();
        for (channel_id, bot_user) in channels {
            let Some(channel) = state.channels.get(&channel_id) else {
                continue;
            };
            let mut waiting: VecDeque<u64> = VecDeque::new();
            let this_run = channel.messages.range((Bound::Excluded(baseline.last_id), Bound::Unbounded));
            for m in this_run.map(|(_, m)| m) {
                if prefix.contains(&m.id) {
                    waiting.push_back(m.id);
                    continue;
                }
                if m.author_id != bot_user {
                    continue;
                }
                out.bot_messages += 1;
                if m.interaction.is_some() {
                    continue; // a slash reply, counted above
                }
                let referenced = m
                    .message_reference
                    .as_ref()
                    .and_then(|r| r.get("message_id")?.as_str()?.parse::<u64>().ok())
                    .filter(|id| prefix.contains(id));
                let target = referenced.or_else(|| waiting.front().copied());
                match target {
                    Some(id) => {
                        waiting.retain(|w| *w != id);
                        out.first.entry(id).or_insert(m.created_at);
                        *out.count.entry(id).or_default() += 1;
                    }
                    None => out.unmatched += 1,
                }
            }
        }
        out
    }
}

fn latency(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Latency {
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
        mean: h.mean() / 1000.0,
    }
}

/// Builds the report after the run.
pub fn build(
    state: &State,
    scenario: Scenario,
    sent: &[Sent],
    bots: usize,
    channels: usize,
    sending: Duration,
    baseline: &Baseline,
) -> Report {
    let replies = Replies::collect(state, sent, baseline);
    let mut kinds = BTreeMap::new();
    for (name, kind) in [("prefix", Kind::Prefix), ("slash", Kind::Slash)] {
        let mut k = KindReport::default();
        // 1 µs to 10 min at 3 significant digits; the bounds are constants, so creation succeeds.
        let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).ok();
        for s in sent.iter().filter(|s| s.kind == kind) {
            k.sent += 1;
            match replies.first.get(&s.id) {
                Some(at) => {
                    k.answered += 1;
                    let us = at.duration_since(s.at).unwrap_or(Duration::ZERO).as_micros();
                    if let Some(h) = h.as_mut() {
                        let _ = h.record(u64::try_from(us).unwrap_or(u64::MAX).clamp(1, 600_000_000));
                    }
                }
                None => k.unanswered += 1,
            }
            if replies.count.get(&s.id).copied().unwrap_or(0) > 1 {
                k.answered_twice += 1;
            }
        }
        k.latency_ms = h.as_ref().map(latency).unwrap_or_default();
        kinds.insert(name.to_owned(), k);
    }
    let delta = |event: &str| state.counters.of_event(event).saturating_sub(baseline.counters.of_event(event));
    let prefix_sent = kinds.get("prefix").map_or(0, |k| k.sent);
    let slash_sent = kinds.get("slash").map_or(0, |k| k.sent);
    let mut dispatches = Agreement {
        interaction_create_dispatched: delta("INTERACTION_CREATE"),
        interaction_create_expected: slash_sent,
        message_create_dispatched: delta("MESSAGE_CREATE"),
        message_create_expected: prefix_sent + replies.bot_messages,
        consistent: false,
    };
    dispatches.consistent = dispatches.interaction_create_dispatched == dispatches.interaction_create_expected
        && dispatches.message_create_dispatched == dispatches.message_create_expected;
    let elapsed_secs = sending.as_secs_f64();
    Report {
        achieved_rate: if elapsed_secs > 0.0 { sent.len() as f64 / elapsed_secs } else { 0.0 },
        scenario,
        bots,
        channels,
        elapsed_secs,
        kinds,
        unmatched_replies: replies.unmatched,
        dispatches,
    }
}
