//! Fault injection: what later tests and benchmarks do to a client on purpose. A fault is applied
//! now or on a schedule with jitter, to one application or to all: instant gateway events (close
//! with a code, drop the TCP connection, op 7, op 9) or rules that hold for a while or a number of
//! requests (gateway down, gateway or REST latency, forced 429s, forced Discord errors, REST down).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

/// A REST route a rule applies to: method and template relative to `/api/v10`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteMatch {
    /// `GET`, `POST`, `PATCH`, …
    pub method: String,
    /// E.g. `/channels/{channel_id}/messages/{message_id}`.
    pub route: String,
}

impl RouteMatch {
    /// A route to match.
    pub fn new(method: &str, route: &str) -> Self {
        Self { method: method.to_owned(), route: route.to_owned() }
    }
}

/// The scope of a forced 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    User,
    Global,
    Shared,
}

impl Scope {
    /// The `X-RateLimit-Scope` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Global => "global",
            Self::Shared => "shared",
        }
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultAction {
    /// Close gateway connections with a close code.
    Close { code: u16 },
    /// Drop gateway connections without a close frame (a network failure).
    Drop,
    /// Send op 7 Reconnect.
    Reconnect,
    /// Send op 9 Invalid Session.
    InvalidSession { resumable: bool },
    /// Drop the connections; for `for_ms`, one application's identify/resume (and heartbeats)
    /// go unanswered, and with no application named, WebSocket upgrades get 503.
    GatewayDown { for_ms: u64 },
    /// Delay every gateway frame sent by `ms` (± `jitter_ms`).
    GatewayLatency {
        ms: u64,
        #[serde(default)]
        jitter_ms: u64,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    /// Delay REST responses by `ms` (± `jitter_ms`).
    RestLatency {
        ms: u64,
        #[serde(default)]
        jitter_ms: u64,
        #[serde(default)]
        route: Option<RouteMatch>,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    /// Let REST requests take effect, then hold their answers back by `ms` (an answer lost on the
    /// way: the client gives up though the message was posted).
    RestAnswerLost {
        ms: u64,
        #[serde(default)]
        route: Option<RouteMatch>,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    /// Answer REST requests with 429 in the given scope.
    RestRateLimit {
        scope: Scope,
        retry_after_ms: u64,
        #[serde(default)]
        route: Option<RouteMatch>,
        #[serde(default)]
        times: Option<u32>,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    /// Answer REST requests with a Discord error code (e.g. 30046, 10008, 50001, 0 for a 500).
    RestError {
        code: u32,
        #[serde(default)]
        route: Option<RouteMatch>,
        #[serde(default)]
        times: Option<u32>,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    /// Every REST request gets 503 for `for_ms`.
    RestDown { for_ms: u64 },
}

/// A fault to inject: an action, a target, and optionally a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(flatten)]
    pub action: FaultAction,
    /// Only this application (all when absent).
    #[serde(default)]
    pub application_id: Option<u64>,
    /// Repeat every `every_ms` (± `jitter_ms`) instead of once, now.
    #[serde(default)]
    pub every_ms: Option<u64>,
    #[serde(default)]
    pub jitter_ms: u64,
    /// How many times a scheduled fault fires (forever, until removed, when absent).
    #[serde(default)]
    pub repeat: Option<u32>,
}

impl FaultSpec {
    /// An action applied once, now, to every application.
    pub fn now(action: FaultAction) -> Self {
        Self { action, application_id: None, every_ms: None, jitter_ms: 0, repeat: None }
    }

    /// Narrows the fault to one application.
    pub fn for_application(mut self, application_id: u64) -> Self {
        self.application_id = Some(application_id);
        self
    }

    /// Repeats the fault every `every` ± `jitter`, `repeat` times (or until removed).
    pub fn every(mut self, every: Duration, jitter: Duration, repeat: Option<u32>) -> Self {
        self.every_ms = Some(u64::try_from(every.as_millis()).unwrap_or(u64::MAX));
        self.jitter_ms = u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX);
        self.repeat = repeat;
        self
    }
}

/// A rule in force (from a rule-type action).
#[derive(Debug, Clone)]
pub struct Rule {
    pub fault_id: u64,
    pub application_id: Option<u64>,
    pub action: FaultAction,
    pub until: Option<Instant>,
    pub remaining: Option<u32>,
}

/// What a REST request meets, decided by the rules in force.
#[derive(Debug, Clone, PartialEq)]
pub enum RestFault {
    Down(Duration),
    RateLimited { scope: Scope, retry_after: Duration },
    Error(u32),
}

/// Every fault in force and every schedule running.
#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    rules: Vec<Rule>,
    schedules: HashMap<u64, JoinHandle<()>>,
}

/// A delay of `ms` ± `jitter_ms`.
pub fn jittered(ms: u64, jitter_ms: u64) -> Duration {
    if jitter_ms == 0 {
        return Duration::from_millis(ms);
    }
    let low = ms.saturating_sub(jitter_ms);
    Duration::from_millis(rand::rng().random_range(low..=ms.saturating_add(jitter_ms)))
}

impl Faults {
    /// A fresh fault id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Installs a rule for a rule-type action; instant actions install nothing.
    pub fn install(&mut self, fault_id: u64, application_id: Option<u64>, action: &FaultAction, now: Instant) {
        let (for_ms, times) = match action {
            FaultAction::GatewayDown { for_ms } | FaultAction::RestDown { for_ms } => (Some(*for_ms), None),
            FaultAction::GatewayLatency { for_ms, .. }
            | FaultAction::RestLatency { for_ms, .. }
            | FaultAction::RestAnswerLost { for_ms, .. } => (*for_ms, None),
            FaultAction::RestRateLimit { for_ms, times, .. } | FaultAction::RestError { for_ms, times, .. } => {
                (*for_ms, *times)
            }
            _ => return,
        };
        self.rules.push(Rule {
            fault_id,
            application_id,
            action: action.clone(),
            until: for_ms.map(|ms| now + Duration::from_millis(ms)),
            remaining: times,
        });
    }

    /// Remembers a running schedule.
    pub fn scheduled(&mut self, fault_id: u64, task: JoinHandle<()>) {
        self.schedules.insert(fault_id, task);
    }

    /// Removes a fault: its rules and its schedule. Returns whether anything was there.
    pub fn remove(&mut self, fault_id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.fault_id != fault_id);
        let task = self.schedules.remove(&fault_id);
        if let Some(task) = &task {
            task.abort();
        }
        before != self.rules.len() || task.is_some()
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.rules.clear();
        for (_, task) in self.schedules.drain() {
            task.abort();
        }
    }

    /// Rules still in force (expired ones are dropped).
    pub fn active(&mut self, now: Instant) -> &[Rule] {
        self.rules.retain(|r| r.until.is_none_or(|u| u > now) && r.remaining != Some(0));
        &self.rules
    }

    /// Ids of the faults in force or scheduled.
    pub fn ids(&mut self, now: Instant) -> Vec<u64> {
        let mut ids: Vec<u64> = self.active(now).iter().map(|r| r.fault_id).collect();
        ids.extend(self.schedules.iter().filter(|(_, t)| !t.is_finished()).map(|(id, _)| *id));
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// A rule for all applications always applies; one for an application only to it (so a
    /// request whose application is unknown meets only the rules for all).
    fn applies(rule: &Rule, app: Option<u64>) -> bool {
        rule.application_id.is_none() || rule.application_id == app
    }

    /// Whether an application's gateway is down now.
    pub fn gateway_down(&mut self, app: Option<u64>, now: Instant) -> bool {
        self.gateway_down_for(app, now).is_some()
    }

    /// How much longer an application's gateway stays down, if it is down now.
    pub fn gateway_down_for(&mut self, app: Option<u64>, now: Instant) -> Option<Duration> {
        self.active(now)
            .iter()
            .filter(|r| matches!(r.action, FaultAction::GatewayDown { .. }) && Self::applies(r, app))
            .map(|r| r.until.map_or(Duration::ZERO, |u| u.saturating_duration_since(now)))
            .max()
    }

    /// Extra delay for a gateway frame to an application.
    pub fn gateway_latency(&mut self, app: Option<u64>, now: Instant) -> Option<Duration> {
        self.active(now).iter().filter(|r| Self::applies(r, app)).find_map(|r| match r.action {
            FaultAction::GatewayLatency { ms, jitter_ms, .. } => Some(jittered(ms, jitter_ms)),
            _ => None,
        })
    }

    /// Extra delay for a REST request.
    pub fn rest_latency(&mut self, app: Option<u64>, method: &str, route: &str, now: Instant) -> Option<Duration> {
        self.active(now).iter().filter(|r| Self::applies(r, app)).find_map(|r| match &r.action {
            FaultAction::RestLatency { ms, jitter_ms, route: m, .. } if route_matches(m.as_ref(), method, route) => {
                Some(jittered(*ms, *jitter_ms))
            }
            _ => None,
        })
    }

    /// How long a REST request's answer is held back after it took effect, if at all.
    pub fn rest_answer_lost(&mut self, app: Option<u64>, method: &str, route: &str, now: Instant) -> Option<Duration> {
        self.active(now).iter().filter(|r| Self::applies(r, app)).find_map(|r| match &r.action {
            FaultAction::RestAnswerLost { ms, route: m, .. } if route_matches(m.as_ref(), method, route) => {
                Some(Duration::from_millis(*ms))
            }
            _ => None,
        })
    }

    /// The fault a REST request meets, if any (counting down `times`).
    pub fn rest_fault(&mut self, app: Option<u64>, method: &str, route: &str, now: Instant) -> Option<RestFault> {
        self.active(now);
        for rule in self.rules.iter_mut().filter(|r| Self::applies(r, app)) {
            let fault = match &rule.action {
                FaultAction::RestDown { .. } => {
                    RestFault::Down(rule.until.map_or(Duration::ZERO, |u| u.saturating_duration_since(now)))
                }
                FaultAction::RestRateLimit { scope, retry_after_ms, route: m, .. }
                    if route_matches(m.as_ref(), method, route) =>
                {
                    RestFault::RateLimited { scope: *scope, retry_after: Duration::from_millis(*retry_after_ms) }
                }
                FaultAction::RestError { code, route: m, .. } if route_matches(m.as_ref(), method, route) => {
                    RestFault::Error(*code)
                }
                _ => continue,
            };
            if let Some(left) = rule.remaining.as_mut() {
                *left = left.saturating_sub(1);
            }
            return Some(fault);
        }
        None
    }
}

fn route_matches(m: Option<&RouteMatch>, method: &str, route: &str) -> bool {
    m.is_none_or(|m| m.method.eq_ignore_ascii_case(method) && m.route == route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_expire_by_time_and_by_count() {
        let mut faults = Faults::default();
        let now = crate::clock::Clock::new().now();
        let error = FaultAction::RestError {
            code: 30046,
            route: Some(RouteMatch::new("PATCH", "/x")),
            times: Some(2),
            for_ms: None,
        };
        faults.install(1, None, &error, now);
        faults.install(2, Some(7), &FaultAction::GatewayDown { for_ms: 1000 }, now);
        assert_eq!(faults.rest_fault(None, "GET", "/x", now), None, "other method");
        assert_eq!(faults.rest_fault(None, "PATCH", "/x", now), Some(RestFault::Error(30046)));
        assert_eq!(faults.rest_fault(None, "PATCH", "/x", now), Some(RestFault::Error(30046)));
        assert_eq!(faults.rest_fault(None, "PATCH", "/x", now), None, "used up");
        assert!(faults.gateway_down(Some(7), now));
        assert!(!faults.gateway_down(Some(8), now), "another application");
        assert!(!faults.gateway_down(Some(7), now + Duration::from_millis(1001)), "over");
    }

    #[test]
    fn a_lost_answer_holds_only_its_route_while_in_force() {
        let mut faults = Faults::default();
        let now = crate::clock::Clock::new().now();
        let lost = FaultAction::RestAnswerLost {
            ms: 500,
            route: Some(RouteMatch::new("POST", "/channels/{channel_id}/messages")),
            for_ms: Some(1000),
        };
        faults.install(1, None, &lost, now);
        let route = "/channels/{channel_id}/messages";
        assert_eq!(faults.rest_answer_lost(None, "POST", route, now), Some(Duration::from_millis(500)));
        assert_eq!(faults.rest_answer_lost(None, "GET", route, now), None, "other method");
        assert_eq!(faults.rest_latency(None, "POST", route, now), None, "not a delay before the request");
        assert_eq!(faults.rest_answer_lost(None, "POST", route, now + Duration::from_millis(1001)), None, "over");
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            let d = jittered(100, 20);
            assert!((80..=120).contains(&d.as_millis()));
        }
    }
}
