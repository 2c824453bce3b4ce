//! Running totals of what the emulator saw and did, for tests and benchmarks to read back
//! (`GET /_emulator/counters`, `Emulator::counters`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Gateway and REST activity since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    /// Gateway connections accepted.
    pub connections: u64,
    /// Of those, connections that asked for `compress=zlib-stream`.
    pub zlib_connections: u64,
    /// Of those, connections that asked for `compress=zstd-stream`.
    pub zstd_connections: u64,
    /// Successful identifies (new sessions).
    pub identifies: u64,
    /// Successful resumes.
    pub resumes: u64,
    /// Dispatches re-sent on resume.
    pub replayed: u64,
    /// Dispatches queued to sessions, in all.
    pub dispatches: u64,
    /// Dispatches queued, by event name (`MESSAGE_CREATE`, `INTERACTION_CREATE`, …).
    pub dispatches_by_event: BTreeMap<String, u64>,
    /// REST requests answered.
    pub rest_requests: u64,
    /// REST requests by `METHOD /route/{template}`.
    pub rest_by_route: BTreeMap<String, u64>,
    /// REST responses with status 429.
    pub rate_limited: u64,
    /// 429s by scope (`user`, `global`, `shared`).
    pub rate_limited_by_scope: BTreeMap<String, u64>,
    /// Invalid requests (401, 403, 429 other than `shared`) counted towards the IP ban.
    pub invalid_requests: u64,
    /// Messages not created because `enforce_nonce` found the same author's message with the
    /// same nonce (the first one was returned instead).
    pub nonce_duplicates: u64,
    /// Most sessions attached at once, per application id. More than the application's shard
    /// count means a client runs two sessions of one bot.
    pub max_live_sessions: BTreeMap<u64, usize>,
    /// Most sessions attached at once for one shard of an application, per application id. Above 1
    /// is always a client bug (two connections for the same shard).
    pub max_live_sessions_per_shard: BTreeMap<u64, usize>,
}

impl Counters {
    /// Counts `n` dispatches of one event.
    pub fn dispatched(&mut self, event: &str, n: u64) {
        if n == 0 {
            return;
        }
        self.dispatches += n;
        // Looked up by `&str` first: the key is allocated once per event name, not per dispatch.
        match self.dispatches_by_event.get_mut(event) {
            Some(count) => *count += n,
            None => {
                self.dispatches_by_event.insert(event.to_owned(), n);
            }
        }
    }

    /// Counts one answered REST request.
    pub fn rest(&mut self, method: &str, route: &str, limited_scope: Option<&str>) {
        self.rest_requests += 1;
        *self.rest_by_route.entry(format!("{method} {route}")).or_default() += 1;
        if let Some(scope) = limited_scope {
            self.rate_limited += 1;
            *self.rate_limited_by_scope.entry(scope.to_owned()).or_default() += 1;
        }
    }

    /// Records how many sessions of an application (and of one of its shards) are live now.
    pub fn live_sessions(&mut self, app_id: u64, total: usize, same_shard: usize) {
        let max = self.max_live_sessions.entry(app_id).or_default();
        *max = (*max).max(total);
        let max = self.max_live_sessions_per_shard.entry(app_id).or_default();
        *max = (*max).max(same_shard);
    }

    /// Dispatches of one event so far.
    pub fn of_event(&self, event: &str) -> u64 {
        self.dispatches_by_event.get(event).copied().unwrap_or(0)
    }
}
