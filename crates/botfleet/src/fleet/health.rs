//! A bot's health, check by check, from its status and connection figures
//! (`metrics::runtime`): gateway connected, heartbeat acknowledged within its interval, recent
//! events, the last call to Discord's API — each with what to do when it is not ok
//! (`GET /bots/{id}/health`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::bots::Status;
use crate::metrics::runtime::BotRuntime;

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
pub fn checks(status: Status, reason: Option<&str>, r: &BotRuntime, now: i64) -> Vec<Check> {
    let age = |t: Option<i64>| t.map(|t| (now - t).max(0));
    let secs = |ms: i64| format!("{:.1} s", ms as f64 / 1000.0);
    let mut out = Vec::new();
    out.push(match status {
        Status::Running => Check { name: "gateway", ok: true, detail: "connected".into() },
        Status::Stopped => {
            Check { name: "gateway", ok: false, detail: "the bot is stopped: start it to connect".into() }
        }
        other => Check {
            name: "gateway",
            ok: false,
            detail: format!(
                "{other}{}{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default(),
                if other == Status::Failed {
                    " (fix the cause, then start it again)"
                } else {
                    " (botfleet is retrying)"
                }
            ),
        },
    });
    if status != Status::Stopped {
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
