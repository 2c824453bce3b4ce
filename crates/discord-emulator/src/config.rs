//! Tunable limits and windows. Defaults follow Discord's documented or observed values; tests
//! shrink windows (or advance the clock) so nothing waits for real minutes.

use std::time::Duration;

/// One per-route REST bucket: `limit` requests per `window`, per major parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLimit {
    /// HTTP method, upper case (`POST`).
    pub method: String,
    /// Route template relative to `/api/v10`, e.g. `/channels/{channel_id}/messages`.
    pub route: String,
    /// Requests allowed per window.
    pub limit: u32,
    /// Length of the window.
    pub window: Duration,
}

impl RouteLimit {
    /// A bucket for `method route`.
    pub fn new(method: &str, route: &str, limit: u32, window: Duration) -> Self {
        Self { method: method.to_owned(), route: route.to_owned(), limit, window }
    }
}

/// Every knob of the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// `heartbeat_interval` sent in Hello.
    pub heartbeat_interval: Duration,
    /// Extra time past the interval before a silent client is closed with 4009.
    pub heartbeat_grace: Duration,
    /// How long a disconnected session stays resumable.
    pub resume_window: Duration,
    /// Dispatches kept per session for replay on resume.
    pub replay_capacity: usize,
    /// Identify window per rate-limit bucket (`max_concurrency` identifies per window).
    pub identify_window: Duration,
    /// Session-start budget window (Discord: 24 h).
    pub session_start_window: Duration,
    /// Gateway payloads a client may send per `gateway_payload_window` (Discord: 120 per 60 s).
    pub gateway_payload_limit: u32,
    /// See `gateway_payload_limit`.
    pub gateway_payload_window: Duration,
    /// Largest gateway payload accepted from a client, in bytes (Discord: 4096).
    pub gateway_max_payload: usize,
    /// Global REST limit per second per caller: the bot token a request carries, else its IP
    /// (interaction endpoints exempt).
    pub global_rate_limit: u32,
    /// Per-route buckets; routes not listed use `default_route_limit`.
    pub route_limits: Vec<RouteLimit>,
    /// Bucket for every other bot route: (limit, window).
    pub default_route_limit: (u32, Duration),
    /// Invalid requests (401/403/429) per IP per `invalid_request_window` before a temporary ban.
    pub invalid_request_limit: u32,
    /// See `invalid_request_limit`.
    pub invalid_request_window: Duration,
    /// Time a client must respond to an interaction in (Discord: 3 s).
    pub interaction_response_deadline: Duration,
    /// Lifetime of an interaction token (Discord: 15 min).
    pub interaction_token_lifetime: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let s = Duration::from_secs;
        Self {
            heartbeat_interval: Duration::from_millis(41_250),
            heartbeat_grace: Duration::from_secs(10),
            resume_window: s(180),
            replay_capacity: 2048,
            identify_window: s(5),
            session_start_window: s(24 * 60 * 60),
            gateway_payload_limit: 120,
            gateway_payload_window: s(60),
            gateway_max_payload: 4096,
            global_rate_limit: 50,
            route_limits: vec![
                RouteLimit::new("POST", "/channels/{channel_id}/messages", 5, s(5)),
                RouteLimit::new("PATCH", "/channels/{channel_id}/messages/{message_id}", 5, s(5)),
                RouteLimit::new("DELETE", "/channels/{channel_id}/messages/{message_id}", 5, s(1)),
                RouteLimit::new("GET", "/channels/{channel_id}/messages", 5, s(1)),
                RouteLimit::new("PUT", "/applications/{application_id}/commands", 10, s(20)),
                RouteLimit::new("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", 10, s(20)),
                RouteLimit::new("POST", "/webhooks/{webhook_id}/{webhook_token}", 5, s(2)),
            ],
            default_route_limit: (50, s(1)),
            invalid_request_limit: 10_000,
            invalid_request_window: s(600),
            interaction_response_deadline: s(3),
            interaction_token_lifetime: s(15 * 60),
        }
    }
}

impl EmulatorConfig {
    /// Defaults with windows short enough for tests (heartbeats every 1 s, 2 s grace).
    pub fn fast() -> Self {
        Self { heartbeat_interval: Duration::from_secs(1), heartbeat_grace: Duration::from_secs(2), ..Self::default() }
    }
}
