//! Discord's REST rate limits: per-route buckets keyed by caller + route + major parameter
//! (channel, guild, webhook or interaction), a global limit per caller (interaction routes
//! exempt), and a temporary ban for an IP that makes too many invalid requests. The caller is the
//! bot token a request carries, else the IP it comes from. Only the counting lives here, below
//! the shared state that holds the counters; `rest::guard` applies the verdicts.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::EmulatorConfig;

/// The state of one bucket after a request was counted.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    pub bucket: String,
}

/// What the limiter says about one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go ahead; send these bucket headers with the response.
    Allowed(BucketState),
    /// 429 on the route's bucket (`X-RateLimit-Scope: user`).
    Route(BucketState),
    /// 429 on the global limit.
    Global(Duration),
    /// The IP is temporarily banned for too many invalid requests.
    Banned(Duration),
}

/// Whom a request counts against. Discord: "Individuals are determined using a request's
/// authentication—for example, a bot token for a bot", and for the global limit "if no
/// authorization header is provided, then the limit is applied to the IP address"
/// (`topics/rate-limits.mdx`). So a bot token counts even on a route that does not need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A request with a valid bot token: that application's limits.
    Bot(u64),
    /// A request without one: the limits of the IP it came from.
    Ip(IpAddr),
}

#[derive(Debug)]
struct Bucket {
    remaining: u32,
    reset_at: Instant,
}

/// Every counter the REST limits need.
#[derive(Debug, Default)]
pub struct RestLimits {
    buckets: HashMap<(Caller, String, String), Bucket>,
    global: HashMap<Caller, (Instant, u32)>,
    invalid: HashMap<IpAddr, (Instant, u32)>,
    banned: HashMap<IpAddr, Instant>,
}

/// The `X-RateLimit-Bucket` hash of a route (stable, 32 hex characters, like Discord's).
pub fn bucket_hash(method: &str, route: &str) -> String {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    (method, route).hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (route, method, "bucket").hash(&mut b);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

impl RestLimits {
    /// Counts one request from `ip` against `caller`'s limits. `major` is the major parameter's
    /// value, `global` whether the global limit applies (not to interaction endpoints).
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        config: &EmulatorConfig,
        now: Instant,
        ip: IpAddr,
        caller: Caller,
        method: &str,
        route: &str,
        major: &str,
        global: bool,
    ) -> Verdict {
        if let Some(until) = self.banned.get(&ip).copied() {
            if until > now {
                return Verdict::Banned(until - now);
            }
            self.banned.remove(&ip);
        }
        if global {
            let entry = self.global.entry(caller).or_insert((now, 0));
            if now.saturating_duration_since(entry.0) >= Duration::from_secs(1) {
                *entry = (now, 0);
            }
            if entry.1 >= config.global_rate_limit {
                return Verdict::Global((entry.0 + Duration::from_secs(1)).saturating_duration_since(now));
            }
            entry.1 += 1;
        }
        let (limit, window) = config
            .route_limits
            .iter()
            .find(|r| r.method == method && r.route == route)
            .map_or(config.default_route_limit, |r| (r.limit, r.window));
        let bucket = self
            .buckets
            .entry((caller, format!("{method} {route}"), major.to_owned()))
            .or_insert(Bucket { remaining: limit, reset_at: now + window });
        if now >= bucket.reset_at {
            *bucket = Bucket { remaining: limit, reset_at: now + window };
        }
        let limited = bucket.remaining == 0;
        bucket.remaining = bucket.remaining.saturating_sub(1);
        let state = BucketState {
            limit,
            remaining: bucket.remaining,
            reset_after: bucket.reset_at.saturating_duration_since(now),
            bucket: bucket_hash(method, route),
        };
        if limited {
            Verdict::Route(state)
        } else {
            Verdict::Allowed(state)
        }
    }

    /// Counts an invalid request (401, 403 or a 429 that is not `shared`); past the limit the IP
    /// is banned until the window ends.
    pub fn invalid(&mut self, config: &EmulatorConfig, now: Instant, ip: IpAddr) {
        let entry = self.invalid.entry(ip).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= config.invalid_request_window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 >= config.invalid_request_limit {
            self.banned.insert(ip, entry.0 + config.invalid_request_window);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const BOT: Caller = Caller::Bot(1);

    #[test]
    fn route_bucket_empties_then_refills_after_window() {
        let config = EmulatorConfig::default();
        let mut limits = RestLimits::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = crate::clock::Clock::new().now();
        let route = "/channels/{channel_id}/messages";
        for expected in (0..5).rev() {
            match limits.check(&config, t0, ip, BOT, "POST", route, "10", true) {
                Verdict::Allowed(s) => assert_eq!((s.limit, s.remaining), (5, expected)),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(limits.check(&config, t0, ip, BOT, "POST", route, "10", true), Verdict::Route(_)));
        // Another channel is another bucket.
        assert!(matches!(limits.check(&config, t0, ip, BOT, "POST", route, "11", true), Verdict::Allowed(_)));
        let later = t0 + Duration::from_secs(5);
        assert!(matches!(limits.check(&config, later, ip, BOT, "POST", route, "10", true), Verdict::Allowed(_)));
    }

    #[test]
    fn global_limit_applies_per_token_and_not_to_exempt_routes() {
        let config =
            EmulatorConfig { default_route_limit: (1000, Duration::from_secs(1)), ..EmulatorConfig::default() };
        let mut limits = RestLimits::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = crate::clock::Clock::new().now();
        for _ in 0..50 {
            assert!(matches!(limits.check(&config, t0, ip, BOT, "GET", "/users/@me", "", true), Verdict::Allowed(_)));
        }
        assert!(matches!(limits.check(&config, t0, ip, BOT, "GET", "/users/@me", "", true), Verdict::Global(_)));
        assert!(matches!(
            limits.check(&config, t0, ip, Caller::Bot(2), "GET", "/users/@me", "", true),
            Verdict::Allowed(_)
        ));
        assert!(matches!(limits.check(&config, t0, ip, BOT, "POST", "/x", "", false), Verdict::Allowed(_)));
    }

    #[test]
    fn too_many_invalid_requests_ban_the_ip() {
        let config = EmulatorConfig { invalid_request_limit: 3, ..EmulatorConfig::default() };
        let mut limits = RestLimits::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = crate::clock::Clock::new().now();
        for _ in 0..3 {
            limits.invalid(&config, t0, ip);
        }
        assert!(matches!(limits.check(&config, t0, ip, BOT, "GET", "/users/@me", "", true), Verdict::Banned(_)));
        let after = t0 + config.invalid_request_window;
        assert!(matches!(limits.check(&config, after, ip, BOT, "GET", "/users/@me", "", true), Verdict::Allowed(_)));
    }

    #[test]
    fn token_less_callers_count_against_their_ip_and_tokens_against_themselves() {
        let config = EmulatorConfig::default();
        let mut limits = RestLimits::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let other_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let t0 = crate::clock::Clock::new().now();
        let gateway =
            |limits: &mut RestLimits, ip, caller| limits.check(&config, t0, ip, caller, "GET", "/gateway", "", true);
        // 100 bots from one IP, one request each: every token has its own global and route limits.
        for app in 1..=100 {
            assert!(matches!(gateway(&mut limits, ip, Caller::Bot(app)), Verdict::Allowed(_)), "bot {app}");
        }
        // Token-less requests from one IP share its global limit (50/s) and its route bucket.
        for _ in 0..50 {
            assert!(matches!(gateway(&mut limits, ip, Caller::Ip(ip)), Verdict::Allowed(_)));
        }
        assert!(matches!(gateway(&mut limits, ip, Caller::Ip(ip)), Verdict::Global(_)));
        assert!(matches!(gateway(&mut limits, other_ip, Caller::Ip(other_ip)), Verdict::Allowed(_)));
        assert!(
            matches!(gateway(&mut limits, ip, Caller::Bot(1)), Verdict::Allowed(_)),
            "the IP's limit is not the token's"
        );
        // Interaction endpoints are exempt from the global limit, for IPs as for tokens.
        let callback = "/interactions/{interaction_id}/{interaction_token}/callback";
        for i in 0..60 {
            let verdict = limits.check(&config, t0, ip, Caller::Ip(ip), "POST", callback, &i.to_string(), false);
            assert!(matches!(verdict, Verdict::Allowed(_)), "callback {i}");
        }
    }
}
