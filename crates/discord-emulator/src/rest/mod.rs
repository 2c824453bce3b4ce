//! Discord's REST API (v10, also reachable as v9): routes, bot-token authentication and rate
//! limits. Handlers are thin: they parse, check permissions, and call the world.

pub mod channels;
pub mod commands;
pub mod error;
pub mod interactions;
pub mod me;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use std::time::Duration;

use crate::faults::{RestFault, Scope};
use crate::rate_limits::{self, BucketState, Caller, Verdict};
use crate::shared::Shared;
use error::ApiError;

/// The application a request's bot token belongs to (set by the auth guard).
#[derive(Debug, Clone, Copy)]
pub struct BotApp(pub u64);

/// The `/api/v10` router (mounted under `/api/v10` and `/api/v9`).
pub fn router(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/gateway", get(me::gateway))
        .route("/gateway/bot", get(me::gateway_bot))
        .route("/users/@me", get(me::current_user))
        .route("/users/@me/channels", post(me::create_dm))
        .route("/users/@me/guilds", get(me::current_user_guilds))
        .route("/oauth2/applications/@me", get(me::current_application))
        .route("/applications/@me", get(me::current_application))
        .route("/guilds/{guild_id}", get(channels::get_guild))
        .route("/guilds/{guild_id}/channels", get(channels::guild_channels))
        .route("/guilds/{guild_id}/roles", get(channels::guild_roles))
        .route("/guilds/{guild_id}/members/{user_id}", get(channels::guild_member))
        .route("/channels/{channel_id}", get(channels::get_channel))
        .route("/channels/{channel_id}/messages", get(channels::list_messages).post(channels::create_message))
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            get(channels::get_message).patch(channels::edit_message).delete(channels::delete_message),
        )
        .route(
            "/applications/{application_id}/commands",
            get(commands::list).put(commands::overwrite).post(commands::create),
        )
        .route(
            "/applications/{application_id}/commands/{command_id}",
            get(commands::get_one).patch(commands::edit).delete(commands::delete),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands",
            get(commands::list_guild).put(commands::overwrite_guild).post(commands::create_guild),
        )
        .route("/interactions/{interaction_id}/{interaction_token}/callback", post(interactions::callback))
        .route("/webhooks/{webhook_id}/{webhook_token}", get(webhooks::get).post(webhooks::execute))
        .route(
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            get(webhooks::get_message).patch(webhooks::edit_message).delete(webhooks::delete_message),
        )
        .route_layer(middleware::from_fn_with_state(shared, guard))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

/// The route template without its `/api/vN` prefix.
fn route_of(matched: &str) -> &str {
    let rest = matched.strip_prefix("/api/").unwrap_or(matched);
    rest.find('/').map_or(matched, |i| &rest[i..])
}

/// The major parameter's value: channel, guild, webhook (+ token) or interaction.
fn major_param(route: &str, path: &str) -> String {
    let template: Vec<&str> = route.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    let offset = actual.len().saturating_sub(template.len());
    let value = |name: &str| template.iter().position(|s| *s == name).and_then(|i| actual.get(i + offset)).copied();
    if let Some(hook) = value("{webhook_id}") {
        return format!("{hook}/{}", value("{webhook_token}").unwrap_or_default());
    }
    ["{channel_id}", "{guild_id}", "{interaction_id}"].iter().find_map(|n| value(n)).unwrap_or_default().to_owned()
}

/// Whether a route is an interaction endpoint, which Discord exempts from the global limit: the
/// callback, and `/webhooks/{application_id}/{interaction_token}…` (a channel webhook's id is
/// not an application's; `major` is `{webhook_id}/{webhook_token}` there).
fn interaction_endpoint(shared: &Shared, route: &str, major: &str) -> bool {
    if route.starts_with("/interactions/") {
        return true;
    }
    if !route.starts_with("/webhooks/") {
        return false;
    }
    let id = major.split('/').next().and_then(|id| id.parse::<u64>().ok());
    !id.is_some_and(|id| shared.state().webhooks.contains_key(&id))
}

/// Authenticates bot routes, applies injected faults and rate limits, and adds the bucket
/// headers to the response.
///
/// A request counts against the bot token it carries, on every route, and against its IP when
/// it carries none: `GET /gateway`, interaction callbacks and webhooks need no token (they are
/// open or authorised by their own token), but a bot that sends its token there is limited as
/// that bot, not lumped in with every other caller.
async fn guard(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    matched: MatchedPath,
    mut req: Request,
    next: Next,
) -> Response {
    let route = route_of(matched.as_str());
    let method = req.method().clone();
    let method = method.as_str();
    let token_free = route.starts_with("/interactions/") || route.starts_with("/webhooks/") || route == "/gateway";
    let now = shared.clock.now();
    let app = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("Bot "))
        .and_then(|t| shared.state().app_by_token(t));
    let identity = match app {
        Some(app) => {
            req.extensions_mut().insert(BotApp(app));
            Some(app)
        }
        // Without a valid bot token a token-free route is still served, as the IP's request.
        None if token_free => None,
        None => {
            let response = ApiError::unauthorized().into_response();
            return finish(&shared, peer, method, route, response, None);
        }
    };
    let caller = identity.map_or(Caller::Ip(peer.ip()), Caller::Bot);
    let (fault, latency, lost) = {
        let mut faults = shared.faults();
        (
            faults.rest_fault(identity, method, route, now),
            faults.rest_latency(identity, method, route, now),
            faults.rest_answer_lost(identity, method, route, now),
        )
    };
    if let Some(delay) = latency {
        tokio::time::sleep(delay).await;
    }
    let major = major_param(route, req.uri().path());
    let (response, scope) = match fault {
        Some(RestFault::Down(_)) => (ApiError::unavailable().into_response(), None),
        Some(RestFault::Error(code)) => (ApiError::from_code(code).into_response(), None),
        Some(RestFault::RateLimited { scope, retry_after }) => {
            let mut response = too_many(retry_after, scope);
            if scope != Scope::Global {
                let bucket = BucketState {
                    limit: 1,
                    remaining: 0,
                    reset_after: retry_after,
                    bucket: rate_limits::bucket_hash(method, route),
                };
                bucket_headers(&shared, response.headers_mut(), &bucket, scope);
            }
            (response, Some(scope))
        }
        None => {
            let global = !interaction_endpoint(&shared, route, &major);
            let verdict = shared.limits().check(&shared.config, now, peer.ip(), caller, method, route, &major, global);
            match verdict {
                Verdict::Allowed(bucket) => {
                    let mut response = next.run(req).await;
                    // Done; the answer is held back (the client gives up waiting for it).
                    if let Some(hold) = lost {
                        tokio::time::sleep(hold).await;
                    }
                    bucket_headers(&shared, response.headers_mut(), &bucket, Scope::User);
                    (response, None)
                }
                Verdict::Route(bucket) => {
                    let mut response = too_many(bucket.reset_after, Scope::User);
                    bucket_headers(&shared, response.headers_mut(), &bucket, Scope::User);
                    (response, Some(Scope::User))
                }
                Verdict::Global(retry) => (too_many(retry, Scope::Global), Some(Scope::Global)),
                Verdict::Banned(retry) => (banned(retry), Some(Scope::Global)),
            }
        }
    };
    finish(&shared, peer, method, route, response, scope)
}

/// Counts the response (and, for 401/403/429 other than `shared`, an invalid request).
fn finish(
    shared: &Shared,
    peer: SocketAddr,
    method: &str,
    route: &str,
    response: Response,
    scope: Option<Scope>,
) -> Response {
    let status = response.status();
    let invalid = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        || (status == StatusCode::TOO_MANY_REQUESTS && scope != Some(Scope::Shared));
    if invalid {
        shared.limits().invalid(&shared.config, shared.clock.now(), peer.ip());
    }
    let mut state = shared.state();
    state.counters.rest(method, route, scope.filter(|_| status == StatusCode::TOO_MANY_REQUESTS).map(Scope::as_str));
    if invalid {
        state.counters.invalid_requests += 1;
    }
    response
}

fn header_value(s: String) -> HeaderValue {
    HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static("0"))
}

fn bucket_headers(shared: &Shared, headers: &mut HeaderMap, b: &BucketState, scope: Scope) {
    let reset = (shared.clock.unix_millis() as f64 + b.reset_after.as_secs_f64() * 1000.0) / 1000.0;
    headers.insert("x-ratelimit-limit", header_value(b.limit.to_string()));
    headers.insert("x-ratelimit-remaining", header_value(b.remaining.to_string()));
    headers.insert("x-ratelimit-reset", header_value(format!("{reset:.3}")));
    headers.insert("x-ratelimit-reset-after", header_value(format!("{:.3}", b.reset_after.as_secs_f64())));
    headers.insert("x-ratelimit-bucket", header_value(b.bucket.clone()));
    headers.insert("x-ratelimit-scope", HeaderValue::from_static(scope.as_str()));
}

/// A 429 as Discord sends it: body `{message, retry_after, global}`, `Retry-After` in whole
/// seconds, and `X-RateLimit-Global` + `X-RateLimit-Scope: global` for the global limit.
fn too_many(retry: Duration, scope: Scope) -> Response {
    too_many_with(retry, scope, "You are being rate limited.")
}

fn banned(retry: Duration) -> Response {
    let message =
        "You are being blocked from accessing our API temporarily due to exceeding our rate limits frequently.";
    too_many_with(retry, Scope::Global, message)
}

fn too_many_with(retry: Duration, scope: Scope, message: &str) -> Response {
    let secs = retry.as_secs_f64();
    let global = scope == Scope::Global;
    let body = json!({"message": message, "retry_after": (secs * 1000.0).round() / 1000.0, "global": global});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    let h = response.headers_mut();
    h.insert(header::RETRY_AFTER, header_value(format!("{}", secs.ceil().max(1.0) as u64)));
    h.insert("x-ratelimit-scope", HeaderValue::from_static(scope.as_str()));
    if global {
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_major_parameters() {
        let route = route_of("/api/v10/channels/{channel_id}/messages/{message_id}");
        assert_eq!(route, "/channels/{channel_id}/messages/{message_id}");
        assert_eq!(major_param(route, "/api/v10/channels/42/messages/7"), "42");
        let hook = route_of("/api/v9/webhooks/{webhook_id}/{webhook_token}");
        assert_eq!(major_param(hook, "/api/v9/webhooks/5/abc"), "5/abc");
        assert_eq!(major_param(route_of("/api/v10/users/@me"), "/api/v10/users/@me"), "");
    }
}
