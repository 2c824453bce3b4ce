//! What each running bot's connection is doing, kept up to date by its runner as gateway events
//! arrive (a map update under a short std lock, no I/O): last event, heartbeat interval and last
//! ACK, reconnects and resumes, the last REST call's outcome. `GET /bots/{id}/health` turns it
//! into checks a person can act on.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use utoipa::ToSchema;

/// One bot's connection figures (times in UTC ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct BotRuntime {
    pub connected_at: Option<i64>,
    pub last_event_at: Option<i64>,
    pub heartbeat_interval_ms: Option<u64>,
    pub last_heartbeat_ack_at: Option<i64>,
    /// The shard's average heartbeat round trip.
    pub heartbeat_latency_ms: Option<f64>,
    pub events: u64,
    pub reconnects: u64,
    pub resumes: u64,
    /// Calls made to Discord's REST API.
    pub rest_calls: u64,
    /// 429 answers met on those calls (twilight-http retries them by itself).
    pub rate_limited: u64,
    pub last_rest_ok_at: Option<i64>,
    /// The last failed REST call: when and why.
    pub last_rest_error: Option<(i64, String)>,
}

/// Every bot's figures.
#[derive(Debug, Default)]
pub struct Runtimes {
    bots: Mutex<HashMap<i64, BotRuntime>>,
}

impl Runtimes {
    /// Changes one bot's figures.
    pub fn update(&self, bot_id: i64, change: impl FnOnce(&mut BotRuntime)) {
        let mut bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        change(bots.entry(bot_id).or_default());
    }

    /// One bot's figures (default when it never ran in this process).
    pub fn get(&self, bot_id: i64) -> BotRuntime {
        self.bots.lock().unwrap_or_else(PoisonError::into_inner).get(&bot_id).cloned().unwrap_or_default()
    }

    /// Forgets a deleted bot.
    pub fn forget(&self, bot_id: i64) {
        self.bots.lock().unwrap_or_else(PoisonError::into_inner).remove(&bot_id);
    }
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Check {
    /// `gateway`, `heartbeat`, `events`, `rest`, `database`, `queues`.
    pub name: &'static str,
    pub ok: bool,
    /// What was seen, and what to do when it is not ok.
    pub detail: String,
}

/// The checks of a bot, from its status and figures at `now` (ms).
pub fn checks(status: &str, reason: Option<&str>, r: &BotRuntime, now: i64) -> Vec<Check> {
    let age = |t: Option<i64>| t.map(|t| (now - t).max(0));
    let secs = |ms: i64| format!("{:.1} s", ms as f64 / 1000.0);
    let mut out = Vec::new();
    out.push(match status {
        "running" => Check { name: "gateway", ok: true, detail: "connected".into() },
        "stopped" => Check { name: "gateway", ok: false, detail: "the bot is stopped: start it to connect".into() },
        other => Check {
            name: "gateway",
            ok: false,
            detail: format!(
                "{other}{}{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default(),
                if other == "failed" { " (fix the cause, then start it again)" } else { " (botfleet is retrying)" }
            ),
        },
    });
    if status != "stopped" {
        let interval = r.heartbeat_interval_ms.map(|i| i64::try_from(i).unwrap_or(i64::MAX));
        out.push(match (interval, age(r.last_heartbeat_ack_at)) {
            (Some(i), Some(a)) if a <= i + i / 2 => Check {
                name: "heartbeat",
                ok: true,
                detail: format!("last ACK {} ago (interval {}){}", secs(a), secs(i), r
                    .heartbeat_latency_ms
                    .map(|l| format!(", round trip {l:.0} ms"))
                    .unwrap_or_default()),
            },
            (Some(i), Some(a)) => Check {
                name: "heartbeat",
                ok: false,
                detail: format!("no heartbeat ACK for {} (interval {}): the connection looks stalled; it will be replaced, or restart the bot", secs(a), secs(i)),
            },
            _ => Check { name: "heartbeat", ok: false, detail: "no heartbeat acknowledged yet".into() },
        });
        out.push(match (interval, age(r.last_event_at)) {
            (Some(i), Some(a)) if a <= 2 * i => {
                Check { name: "events", ok: true, detail: format!("last event {} ago", secs(a)) }
            }
            (_, Some(a)) => {
                Check { name: "events", ok: false, detail: format!("nothing from Discord for {}", secs(a)) }
            }
            _ => Check { name: "events", ok: false, detail: "nothing received from Discord yet".into() },
        });
    }
    out.push(match (&r.last_rest_error, r.last_rest_ok_at) {
        (Some((at, why)), ok) if ok.is_none_or(|ok| ok < *at) => Check {
            name: "rest",
            ok: false,
            detail: format!("the last call to Discord's API failed {} ago: {why}", secs(now - at)),
        },
        (_, Some(ok)) => Check { name: "rest", ok: true, detail: format!("last call answered {} ago", secs(now - ok)) },
        _ => Check { name: "rest", ok: true, detail: "no call made yet".into() },
    });
    out
}
