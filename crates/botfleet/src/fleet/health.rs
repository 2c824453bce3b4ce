//! A bot's health, check by check, from its status and connection figures
//! (`metrics::runtime`): gateway connected, heartbeat acknowledged within its interval, recent
//! events, the last call to Discord's API — each with what to do when it is not ok
//! (`GET /bots/{id}/health`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::bots::Status;
use crate::metrics::runtime::BotRuntime;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Fine.
    Ok,
    /// Cannot be judged yet (a bot that just connected: its first heartbeat is not due).
    Pending,
    /// Working, but not as it should: the node keeps serving (e.g. tracking records are kept in
    /// the spool until the database takes them). Readiness answers 200 with `degraded`.
    Degraded,
    /// Something is wrong: the detail says what to do.
    Failed,
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = HealthCheck)]
pub struct Check {
    /// `gateway`, `heartbeat`, `events`, `rest`, `database`, `queues`, `tracking_spool`.
    pub name: &'static str,
    /// `false` only when the check failed (a pending or degraded check has not).
    pub ok: bool,
    pub state: CheckState,
    /// What was seen, and what to do when it is not ok.
    pub detail: String,
}

impl Check {
    /// A check that passed.
    pub fn passed(name: &'static str, detail: impl Into<String>) -> Self {
        Self { name, ok: true, state: CheckState::Ok, detail: detail.into() }
    }

    /// A check that cannot be judged yet.
    pub fn pending(name: &'static str, detail: impl Into<String>) -> Self {
        Self { name, ok: true, state: CheckState::Pending, detail: detail.into() }
    }

    /// A check that passes with a warning: the detail says what is wrong and what it costs.
    pub fn degraded(name: &'static str, detail: impl Into<String>) -> Self {
        Self { name, ok: true, state: CheckState::Degraded, detail: detail.into() }
    }

    /// A check that failed.
    pub fn failed(name: &'static str, detail: impl Into<String>) -> Self {
        Self { name, ok: false, state: CheckState::Failed, detail: detail.into() }
    }
}

/// The checks of a bot, from its status and figures at `now` (ms).
pub fn checks(status: Status, reason: Option<&str>, r: &BotRuntime, now: i64) -> Vec<Check> {
    let age = |t: Option<i64>| t.map(|t| (now - t).max(0));
    let secs = |ms: i64| format!("{:.1} s", ms as f64 / 1000.0);
    let mut out = Vec::new();
    out.push(match status {
        Status::Running => Check::passed("gateway", "connected"),
        Status::Stopped => Check::failed("gateway", "the bot is stopped: start it to connect"),
        other => Check::failed(
            "gateway",
            format!(
                "{other}{}{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default(),
                if other == Status::Failed {
                    " (fix the cause, then start it again)"
                } else {
                    " (botfleet is retrying)"
                }
            ),
        ),
    });
    if status != Status::Stopped {
        let interval = r.heartbeat_interval_ms.map(|i| i64::try_from(i).unwrap_or(i64::MAX));
        out.push(match (interval, age(r.last_heartbeat_ack_at)) {
            (Some(i), Some(a)) if a <= i + i / 2 => Check::passed("heartbeat", format!("last ACK {} ago (interval {}){}", secs(a), secs(i), r
                    .heartbeat_latency_ms
                    .map(|l| format!(", round trip {l:.0} ms"))
                    .unwrap_or_default())),
            (Some(i), Some(a)) => Check::failed("heartbeat", format!("no heartbeat ACK for {} (interval {}): the connection looks stalled; it will be replaced, or restart the bot", secs(a), secs(i))),
            // Just connected: the first heartbeat is sent within one interval, so its ACK is not
            // due yet (Discord's interval is 41.25 s): pending, not failed.
            (Some(i), None) if age(r.connected_at).is_some_and(|c| c <= i + i / 2) => Check::pending(
                "heartbeat",
                format!("connected {} ago; the first heartbeat ACK is due within {}", secs(age(r.connected_at).unwrap_or(0)), secs(i + i / 2)),
            ),
            _ => Check::failed("heartbeat", "no heartbeat acknowledged yet"),
        });
        out.push(match (interval, age(r.last_event_at)) {
            (Some(i), Some(a)) if a <= 2 * i => Check::passed("events", format!("last event {} ago", secs(a))),
            (_, Some(a)) => Check::failed("events", format!("nothing from Discord for {}", secs(a))),
            _ => Check::failed("events", "nothing received from Discord yet"),
        });
    }
    if let (Some(left), Some(total)) = (r.session_starts_remaining, r.session_starts_total) {
        let resets = r
            .session_starts_reset_at
            .map(|t| format!(", full again in {}", secs((t - now).max(0))))
            .unwrap_or_default();
        let detail = format!("{left} of {total} left today{resets}");
        // Under a tenth of the budget: worth a look before restarts spend the rest.
        out.push(if u64::from(left) * 10 < u64::from(total) {
            Check::failed(
                "session_starts",
                format!("{detail}: few are left; avoid restarts until the reset (spending them all resets the token)"),
            )
        } else {
            Check::passed("session_starts", detail)
        });
    }
    out.push(match (&r.last_rest_error, r.last_rest_ok_at) {
        (Some((at, why)), ok) if ok.is_none_or(|ok| ok < *at) => {
            Check::failed("rest", format!("the last call to Discord's API failed {} ago: {why}", secs(now - at)))
        }
        (_, Some(ok)) => Check::passed("rest", format!("last call answered {} ago", secs(now - ok))),
        _ => Check::passed("rest", "no call made yet"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat(r: &BotRuntime, now: i64) -> Check {
        checks(Status::Running, None, r, now)
            .into_iter()
            .find(|c| c.name == "heartbeat")
            .unwrap_or_else(|| Check::failed("heartbeat", "missing"))
    }

    #[test]
    fn a_just_connected_bot_waits_for_its_first_heartbeat_ack_without_failing() {
        let connected = BotRuntime {
            connected_at: Some(100_000),
            last_event_at: Some(100_000),
            heartbeat_interval_ms: Some(41_250),
            ..BotRuntime::default()
        };
        let early = heartbeat(&connected, 101_000);
        assert_eq!((early.state, early.ok), (CheckState::Pending, true), "{early:?}");
        assert!(checks(Status::Running, None, &connected, 101_000).iter().all(|c| c.ok));
        // Past the interval and its slack, no ACK is a failure.
        let late = heartbeat(&connected, 100_000 + 62_000);
        assert_eq!((late.state, late.ok), (CheckState::Failed, false), "{late:?}");
        // Acknowledged: ok.
        let acked = BotRuntime { last_heartbeat_ack_at: Some(130_000), ..connected };
        assert_eq!(heartbeat(&acked, 131_000).state, CheckState::Ok);
    }
}
