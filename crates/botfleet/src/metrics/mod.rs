//! Prometheus metrics: counters and a reply-latency histogram per bot, kept in memory by the fleet
//! as each command finishes (a map update under a short std lock, no I/O), plus figures read at
//! scrape time (each bot's REST calls, 429s, gateway events, reconnects and heartbeat latency from
//! its runtime figures; bots by status, queue depth, uptime, memory), rendered in the Prometheus text exposition format (version 0.0.4) for
//! `GET /metrics`. Names follow Prometheus' rules: `botfleet_` prefix, base units, `_total` for
//! counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::bots::BotCounts;
use crate::logs::commands::{CommandKind, Outcome};
use runtime::{BotRuntime, Runtimes};

pub mod history;
pub mod node;
pub mod runtime;

/// Histogram bucket bounds, in seconds.
pub const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Cumulative-at-render counts per bucket (stored per bucket, summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// A fault that was handled (logged, and shown as unknown rather than as a made-up value) and is
/// counted so that an operator sees it happening: `botfleet_faults_total{fault="…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The live figures could not list the bots: their counts were sent as unknown.
    LiveBotCounts,
    /// A command panicked: the user got the friendly error reply, the record says `error`.
    CommandPanic,
    /// A bot's runner task panicked: the bot was restarted after a delay.
    BotPanic,
}

impl Fault {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiveBotCounts => "live_bot_counts",
            Self::CommandPanic => "command_panic",
            Self::BotPanic => "bot_panic",
        }
    }
}

/// The in-memory metrics of one process.
#[derive(Debug, Default)]
pub struct Metrics {
    commands: Mutex<BTreeMap<(i64, CommandKind, Outcome), u64>>,
    latency: Mutex<BTreeMap<i64, Histogram>>,
    faults: Mutex<BTreeMap<Fault, u64>>,
}

/// One bot's totals since start (what the history sampler takes differences of): commands from
/// these metrics, the rest from the bot's runtime figures (`Fleet::totals`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub commands: u64,
    pub errors: u64,
    pub denied: u64,
    pub latency_sum_us: u64,
    pub latency_count: u64,
    /// Gateway events.
    pub events: u64,
    /// Calls to Discord's REST API, and 429s met on them.
    pub rest_calls: u64,
    pub rate_limited: u64,
    /// Milliseconds the bot was `running`, and observed (meant to run; see `runtime`).
    pub up_ms: u64,
    pub span_ms: u64,
}

impl Totals {
    /// What happened between `earlier` and `self`.
    pub fn since(self, earlier: Totals) -> Totals {
        Totals {
            commands: self.commands.saturating_sub(earlier.commands),
            errors: self.errors.saturating_sub(earlier.errors),
            denied: self.denied.saturating_sub(earlier.denied),
            latency_sum_us: self.latency_sum_us.saturating_sub(earlier.latency_sum_us),
            latency_count: self.latency_count.saturating_sub(earlier.latency_count),
            events: self.events.saturating_sub(earlier.events),
            rest_calls: self.rest_calls.saturating_sub(earlier.rest_calls),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            up_ms: self.up_ms.saturating_sub(earlier.up_ms),
            span_ms: self.span_ms.saturating_sub(earlier.span_ms),
        }
    }

    /// Both added up (a node's row is the sum of its bots').
    pub fn plus(self, other: Totals) -> Totals {
        Totals {
            commands: self.commands + other.commands,
            errors: self.errors + other.errors,
            denied: self.denied + other.denied,
            latency_sum_us: self.latency_sum_us + other.latency_sum_us,
            latency_count: self.latency_count + other.latency_count,
            events: self.events + other.events,
            rest_calls: self.rest_calls + other.rest_calls,
            rate_limited: self.rate_limited + other.rate_limited,
            up_ms: self.up_ms + other.up_ms,
            span_ms: self.span_ms + other.span_ms,
        }
    }
}

/// Figures read when scraped.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub bots: BotCounts,
    /// Memory, CPU, sockets, database round trip.
    pub node: node::NodeFigures,
    pub uptime: Duration,
    /// Records waiting for the tracking writer (command rows, bot log lines and audit events
    /// share one queue).
    pub tracking_queue_depth: usize,
    /// Records that could not be stored since start.
    pub tracking_dropped: u64,
    /// Records kept in the spool until the database takes them.
    pub tracking_spooled_records: u64,
    /// Bytes of the spool not yet written back.
    pub tracking_spool_bytes: u64,
    /// The connection figures of each bot that ran in this process, by id.
    pub connections: Vec<(i64, BotRuntime)>,
    /// Invalid requests (401, 403, 429) the fleet made to Discord: (in its 10-minute window, since
    /// start).
    pub invalid_requests: (u64, u64),
    /// Each cache's hits, misses, evictions and invalidations (`crate::cache`).
    pub caches: Vec<crate::cache::CacheFigures>,
}

impl Metrics {
    /// Counts one finished command and, when it was answered, its reply latency.
    pub fn command(&self, bot_id: i64, kind: CommandKind, outcome: Outcome, latency: Option<Duration>) {
        *self.commands.lock().unwrap_or_else(PoisonError::into_inner).entry((bot_id, kind, outcome)).or_insert(0) += 1;
        if let Some(latency) = latency {
            let seconds = latency.as_secs_f64();
            let mut all = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
            let h = all.entry(bot_id).or_default();
            if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
                h.buckets[i] += 1;
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// Counts one handled fault.
    pub fn fault(&self, fault: Fault) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner).entry(fault).or_insert(0) += 1;
    }

    /// How many times `fault` happened since start.
    pub fn faults(&self, fault: Fault) -> u64 {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner).get(&fault).copied().unwrap_or(0)
    }

    /// Every bot's totals since start.
    pub fn totals(&self) -> BTreeMap<i64, Totals> {
        let mut out: BTreeMap<i64, Totals> = BTreeMap::new();
        for ((bot, _, outcome), n) in self.commands.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let t = out.entry(*bot).or_default();
            t.commands += n;
            match outcome {
                // An expired interaction went unanswered: an error to whoever sent it.
                Outcome::Error | Outcome::Expired => t.errors += n,
                Outcome::Denied => t.denied += n,
                Outcome::Ok => {}
            }
        }
        for (bot, h) in self.latency.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let t = out.entry(*bot).or_default();
            t.latency_count = h.count;
            t.latency_sum_us = (h.sum * 1_000_000.0) as u64;
        }
        out
    }

    /// Every bot's answered commands per latency bucket (`BUCKETS`, then one for above the last).
    pub fn latency_buckets(&self) -> BTreeMap<i64, [u64; BUCKETS.len() + 1]> {
        let all = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        all.iter()
            .map(|(bot, h)| {
                let mut out = [0; BUCKETS.len() + 1];
                out[..BUCKETS.len()].copy_from_slice(&h.buckets);
                out[BUCKETS.len()] = h.count.saturating_sub(h.buckets.iter().sum());
                (*bot, out)
            })
            .collect()
    }

    /// The exposition text.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let commands = self.commands.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let latency = self.latency.lock().unwrap_or_else(PoisonError::into_inner).clone();

        out.push_str("# HELP botfleet_commands_total Commands the bots handled, by bot, kind and outcome.\n");
        out.push_str("# TYPE botfleet_commands_total counter\n");
        for ((bot, kind, outcome), n) in &commands {
            let (kind, outcome) = (kind.as_str(), outcome.as_str());
            let _ =
                writeln!(out, "botfleet_commands_total{{bot_id=\"{bot}\",kind=\"{kind}\",outcome=\"{outcome}\"}} {n}");
        }

        out.push_str("# HELP botfleet_reply_latency_seconds From the event arriving to Discord accepting the reply.\n");
        out.push_str("# TYPE botfleet_reply_latency_seconds histogram\n");
        for (bot, h) in &latency {
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "botfleet_reply_latency_seconds_bucket{{bot_id=\"{bot}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(out, "botfleet_reply_latency_seconds_bucket{{bot_id=\"{bot}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "botfleet_reply_latency_seconds_sum{{bot_id=\"{bot}\"}} {}", h.sum);
            let _ = writeln!(out, "botfleet_reply_latency_seconds_count{{bot_id=\"{bot}\"}} {}", h.count);
        }

        /// A per-bot counter: name, help, its value in a bot's figures.
        type Counter = (&'static str, &'static str, fn(&BotRuntime) -> u64);
        let per_bot: [Counter; 5] = [
            ("botfleet_discord_rest_calls_total", "Calls the bot made to Discord's REST API.", |r| r.rest_calls),
            (
                "botfleet_discord_rate_limited_total",
                "429 answers the bot's REST calls met (twilight-http retried them).",
                |r| r.rate_limited,
            ),
            ("botfleet_gateway_events_total", "Gateway events the bot received.", |r| r.events),
            (
                "botfleet_gateway_reconnects_total",
                "Times the bot's gateway connection came back after dropping (new session or resumed).",
                |r| r.reconnects + r.resumes,
            ),
            (
                "botfleet_gateway_sessions_lost_total",
                "Sessions Discord ended without a resume (op 9 d: false): events sent meanwhile are lost.",
                |r| r.sessions_lost,
            ),
        ];
        for (name, help, value) in per_bot {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (bot, r) in &gauges.connections {
                let _ = writeln!(out, "{name}{{bot_id=\"{bot}\"}} {}", value(r));
            }
        }
        out.push_str("# HELP botfleet_gateway_heartbeat_latency_seconds The bot's average heartbeat round trip.\n");
        out.push_str("# TYPE botfleet_gateway_heartbeat_latency_seconds gauge\n");
        for (bot, r) in &gauges.connections {
            if let Some(ms) = r.heartbeat_latency_ms {
                let _ = writeln!(out, "botfleet_gateway_heartbeat_latency_seconds{{bot_id=\"{bot}\"}} {}", ms / 1000.0);
            }
        }

        out.push_str(
            "# HELP botfleet_session_starts_remaining Session starts (identifies) Discord still allows the bot \
             today, as read at its last start.\n# TYPE botfleet_session_starts_remaining gauge\n",
        );
        for (bot, r) in &gauges.connections {
            if let Some(n) = r.session_starts_remaining {
                let _ = writeln!(out, "botfleet_session_starts_remaining{{bot_id=\"{bot}\"}} {n}");
            }
        }
        out.push_str(
            "# HELP botfleet_session_starts_reset_timestamp_seconds When the bot's session-start budget is full \
             again (Unix time), as read at its last start.\n\
             # TYPE botfleet_session_starts_reset_timestamp_seconds gauge\n",
        );
        for (bot, r) in &gauges.connections {
            if let Some(at) = r.session_starts_reset_at {
                let seconds = at as f64 / 1000.0;
                let _ = writeln!(out, "botfleet_session_starts_reset_timestamp_seconds{{bot_id=\"{bot}\"}} {seconds}");
            }
        }
        out.push_str(
            "# HELP botfleet_discord_invalid_requests Invalid requests (401, 403, 429) to Discord in the last \
             10 minutes; Discord bans the IP for an hour at 10,000.\n# TYPE botfleet_discord_invalid_requests gauge\n",
        );
        let _ = writeln!(out, "botfleet_discord_invalid_requests {}", gauges.invalid_requests.0);
        out.push_str(
            "# HELP botfleet_discord_invalid_requests_total Invalid requests (401, 403, 429) to Discord since start.\n\
             # TYPE botfleet_discord_invalid_requests_total counter\n",
        );
        let _ = writeln!(out, "botfleet_discord_invalid_requests_total {}", gauges.invalid_requests.1);
        /// A per-cache figure: name, help, type, its value in a cache's figures.
        type CacheFigure = (&'static str, &'static str, &'static str, fn(&crate::cache::CacheFigures) -> u64);
        let per_cache: [CacheFigure; 5] = [
            ("botfleet_cache_hits_total", "Reads the cache answered.", "counter", |c| c.hits),
            ("botfleet_cache_misses_total", "Reads that went to the database.", "counter", |c| c.misses),
            ("botfleet_cache_evictions_total", "Entries that left by age or for room.", "counter", |c| c.evictions),
            (
                "botfleet_cache_invalidations_total",
                "Times a change (here or on another node) cleared the cache.",
                "counter",
                |c| c.invalidations,
            ),
            ("botfleet_cache_entries", "Entries held now.", "gauge", |c| c.entries),
        ];
        for (name, help, kind, value) in per_cache {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for c in &gauges.caches {
                let _ = writeln!(out, "{name}{{cache=\"{}\"}} {}", c.name, value(c));
            }
        }
        out.push_str("# HELP botfleet_bots Bots by runtime status.\n# TYPE botfleet_bots gauge\n");
        for (status, n) in gauges.bots.by_status() {
            let _ = writeln!(out, "botfleet_bots{{status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP botfleet_faults_total Faults handled (logged, shown as unknown), by kind.\n");
        out.push_str("# TYPE botfleet_faults_total counter\n");
        for (fault, n) in self.faults.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let _ = writeln!(out, "botfleet_faults_total{{fault=\"{}\"}} {n}", fault.as_str());
        }
        out.push_str("# HELP botfleet_tracking_queue_depth Records waiting for the tracking writer.\n");
        out.push_str("# TYPE botfleet_tracking_queue_depth gauge\n");
        let _ = writeln!(out, "botfleet_tracking_queue_depth {}", gauges.tracking_queue_depth);
        out.push_str("# HELP botfleet_uptime_seconds Seconds since this process started serving.\n");
        out.push_str("# TYPE botfleet_uptime_seconds gauge\n");
        let _ = writeln!(out, "botfleet_uptime_seconds {}", gauges.uptime.as_secs_f64());
        out.push_str("# HELP botfleet_tracking_records_dropped_total Tracking records that could not be stored.\n");
        out.push_str("# TYPE botfleet_tracking_records_dropped_total counter\n");
        let _ = writeln!(out, "botfleet_tracking_records_dropped_total {}", gauges.tracking_dropped);
        out.push_str("# HELP botfleet_tracking_spooled_records Tracking records kept in the spool until the database takes them.\n");
        out.push_str("# TYPE botfleet_tracking_spooled_records gauge\n");
        let _ = writeln!(out, "botfleet_tracking_spooled_records {}", gauges.tracking_spooled_records);
        out.push_str("# HELP botfleet_tracking_spool_bytes Bytes of the spool's files not yet written back.\n");
        out.push_str("# TYPE botfleet_tracking_spool_bytes gauge\n");
        let _ = writeln!(out, "botfleet_tracking_spool_bytes {}", gauges.tracking_spool_bytes);
        let node = &gauges.node;
        if let Some(rss) = node.rss_bytes {
            out.push_str("# HELP botfleet_resident_memory_bytes Resident memory of this process.\n");
            out.push_str("# TYPE botfleet_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "botfleet_resident_memory_bytes {rss}");
        }
        if let Some(cpu) = node.cpu_seconds {
            out.push_str("# HELP botfleet_process_cpu_seconds_total User and system CPU time of this process.\n");
            out.push_str("# TYPE botfleet_process_cpu_seconds_total counter\n");
            let _ = writeln!(out, "botfleet_process_cpu_seconds_total {cpu}");
        }
        if let Some(sockets) = node.open_sockets {
            out.push_str(
                "# HELP botfleet_open_sockets Open sockets: gateway connections, API clients, database pool.\n",
            );
            out.push_str("# TYPE botfleet_open_sockets gauge\n");
            let _ = writeln!(out, "botfleet_open_sockets {sockets}");
        }
        out.push_str("# HELP botfleet_database_up Whether the database answered a ping within 3 s.\n");
        out.push_str("# TYPE botfleet_database_up gauge\n");
        let _ = writeln!(out, "botfleet_database_up {}", u8::from(node.db_round_trip.is_some()));
        if let Some(rtt) = node.db_round_trip {
            out.push_str("# HELP botfleet_database_round_trip_seconds How long a trivial query took.\n");
            out.push_str("# TYPE botfleet_database_round_trip_seconds gauge\n");
            let _ = writeln!(out, "botfleet_database_round_trip_seconds {}", rtt.as_secs_f64());
        }
        #[cfg(feature = "alloc-count")]
        heap_figures(&mut out);
        out
    }
}

/// Every bot's totals at `now_ms` (what the history sampler takes differences of): commands from
/// the counters, events, REST calls, 429s and uptime from the runtime figures.
pub fn totals(metrics: &Metrics, runtimes: &Runtimes, now_ms: i64) -> BTreeMap<i64, Totals> {
    let mut out = metrics.totals();
    for (bot, figures) in runtimes.totals(now_ms) {
        let t = out.entry(bot).or_default();
        *t = t.plus(figures);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.command(1, CommandKind::Prefix, Outcome::Ok, Some(Duration::from_millis(3)));
        m.command(1, CommandKind::Prefix, Outcome::Ok, Some(Duration::from_millis(30)));
        m.command(1, CommandKind::Slash, Outcome::Denied, None);
        let figures = BotRuntime {
            rest_calls: 4,
            rate_limited: 2,
            events: 9,
            reconnects: 1,
            resumes: 2,
            heartbeat_latency_ms: Some(41.5),
            ..Default::default()
        };
        let text = m.render(&Gauges { connections: vec![(1, figures)], ..Default::default() });
        assert!(text.contains("botfleet_commands_total{bot_id=\"1\",kind=\"prefix\",outcome=\"ok\"} 2\n"), "{text}");
        assert!(text.contains("botfleet_discord_rest_calls_total{bot_id=\"1\"} 4\n"));
        assert!(text.contains("botfleet_discord_rate_limited_total{bot_id=\"1\"} 2\n"));
        assert!(text.contains("botfleet_gateway_events_total{bot_id=\"1\"} 9\n"));
        assert!(text.contains("botfleet_gateway_reconnects_total{bot_id=\"1\"} 3\n"));
        assert!(text.contains("botfleet_gateway_heartbeat_latency_seconds{bot_id=\"1\"} 0.0415\n"));
        assert!(text.contains("botfleet_commands_total{bot_id=\"1\",kind=\"slash\",outcome=\"denied\"} 1\n"));
        assert!(text.contains("botfleet_reply_latency_seconds_bucket{bot_id=\"1\",le=\"0.005\"} 1\n"));
        assert!(text.contains("botfleet_reply_latency_seconds_bucket{bot_id=\"1\",le=\"0.05\"} 2\n"));
        assert!(text.contains("botfleet_reply_latency_seconds_count{bot_id=\"1\"} 2\n"));
    }
}

/// The heap as the counting allocator saw it (`alloc-count` builds, for `alloc-check`): calls to
/// allocate (reallocations count as one each), bytes asked for, and bytes held now.
#[cfg(feature = "alloc-count")]
fn heap_figures(out: &mut String) {
    use std::fmt::Write as _;
    let s = stats_alloc::INSTRUMENTED_SYSTEM.stats();
    let allocations = s.allocations + s.reallocations;
    let asked = s.bytes_allocated as u64 + s.bytes_reallocated.max(0) as u64;
    let live = (s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64).max(0);
    let figures: [(&str, &str, &str, u64); 3] = [
        (
            "botfleet_heap_allocations_total",
            "Heap allocations and reallocations since start.",
            "counter",
            allocations as u64,
        ),
        (
            "botfleet_heap_allocated_bytes_total",
            "Bytes allocated (and grown by reallocation) since start.",
            "counter",
            asked,
        ),
        ("botfleet_heap_live_bytes", "Bytes allocated and not freed.", "gauge", live as u64),
    ];
    for (name, help, kind, value) in figures {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    }
}
