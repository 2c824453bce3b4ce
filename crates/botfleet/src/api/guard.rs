//! The gate every API request passes: routes are declared with the action they perform
//! ([`Routes::add`]), and [`guard`] — before any handler runs — finds the caller's credential,
//! checks CSRF on cookie writes, the permission table and the rate limits, then, after a handler
//! that changed something, writes its one audit action row. A route declared without an action
//! cannot be added; one added around this builder is refused with a 500, never served.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde_json::Value;

use super::error::ApiError;
use super::AppState;
use crate::audit::{Actor, Entry};
use crate::auth::{Action, Client, Principal};
use crate::error::{Error, Refusal};
use crate::net::client::ClientMeta;
use crate::net::NetConfig;

/// The session cookie's name over plain HTTP.
pub const SESSION_COOKIE: &str = "botfleet_session";
/// The session cookie's name over HTTPS (`__Host-`: Secure, Path=/, no Domain).
pub const SECURE_SESSION_COOKIE: &str = "__Host-botfleet_session";

/// Which action each (method, path) performs, as declared.
#[derive(Debug, Default)]
pub struct RouteTable {
    actions: HashMap<(Method, String), Action>,
    paths: HashSet<String>,
    /// The routes that take an `Idempotency-Key` ([`Routes::add_idempotent`]).
    idempotent: HashSet<(Method, String)>,
}

impl RouteTable {
    /// The declared action of a route.
    pub fn action(&self, method: &Method, path: &str) -> Option<Action> {
        self.actions.get(&(method.clone(), path.to_owned())).copied()
    }

    /// Whether a route takes an `Idempotency-Key` (what the OpenAPI document declares).
    pub fn idempotent(&self, method: &Method, path: &str) -> bool {
        self.idempotent.contains(&(method.clone(), path.to_owned()))
    }

    /// Every declared route, for docs and tests.
    pub fn routes(&self) -> Vec<(Method, String, Action)> {
        let mut all: Vec<_> = self.actions.iter().map(|((m, p), a)| (m.clone(), p.clone(), *a)).collect();
        all.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
        all
    }
}

/// A router under construction whose every route names its action.
pub struct Routes {
    router: Router<AppState>,
    table: RouteTable,
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self { router: Router::new(), table: RouteTable::default() }
    }

    /// `method path` runs `handler`, performing `action`.
    pub fn add<H, T>(mut self, method: Method, path: &str, action: Action, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        self.router = self.router.route(path, on(filter, handler));
        self.table.actions.insert((method, path.to_owned()), action);
        self.table.paths.insert(path.to_owned());
        self
    }

    /// Like [`Routes::add`], for a route that acts (starts something, sends something): a request
    /// with an `Idempotency-Key` header acts once, its retries get the first answer
    /// (`api::idempotency`).
    pub fn add_idempotent<H, T>(mut self, method: Method, path: &str, action: Action, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.table.idempotent.insert((method.clone(), path.to_owned()));
        self.add(method, path, action, super::idempotency::Idempotent(handler))
    }

    /// The router and its table.
    pub fn finish(self) -> (Router<AppState>, Arc<RouteTable>) {
        (self.router, Arc::new(self.table))
    }
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

/// What a handler that changed something records for its audit row.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub changes: Value,
}

/// Handed to handlers: `record` what changed; the guard writes the row when the answer is a
/// success. One row per request: a later `record` replaces an earlier one.
#[derive(Debug, Clone, Default)]
pub struct AuditTrail(Arc<Mutex<Option<Change>>>);

impl AuditTrail {
    /// Notes the change this request made.
    pub fn record(&self, action: &str, target_type: &str, target_id: impl ToString, changes: Value) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Change {
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_string(),
            changes,
        });
    }

    fn take(&self) -> Option<Change> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuditTrail {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(parts.extensions.get::<AuditTrail>().cloned().unwrap_or_default())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Error::NotSignedIn("sign in, or send an API key".into()).into())
    }
}

/// The request's origin facts (after trusted-proxy resolution).
#[derive(Debug, Clone)]
pub struct Caller {
    pub client: Client,
    /// The connection to the client is HTTPS.
    pub secure: bool,
    /// `scheme://host[:port]` this request was addressed to.
    pub origin: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or_else(|| caller(parts)))
    }
}

/// The caller's address, scheme and origin, as the client-meta layer resolved them (trusted
/// proxies included), or from the connection alone.
fn caller(parts: &Parts) -> Caller {
    let meta = parts.extensions.get::<ClientMeta>().cloned().unwrap_or_else(|| {
        ClientMeta::from_request(&NetConfig::default(), &parts.extensions, &parts.uri, &parts.headers)
    });
    let user_agent = header_str(&parts.headers, header::USER_AGENT).unwrap_or_default().chars().take(512).collect();
    Caller { client: Client { ip: meta.ip.to_string(), user_agent }, secure: meta.secure, origin: meta.origin }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == SECURE_SESSION_COOKIE || name == SESSION_COOKIE).then(|| value.trim().to_owned())
    })
}

/// A write from a page of another site carrying our cookie is refused: the `Origin` header (or,
/// without one, `Sec-Fetch-Site`) must say the request comes from this site.
fn same_origin(headers: &HeaderMap, own: &str) -> bool {
    match header_str(headers, header::ORIGIN) {
        Some(origin) => origin.eq_ignore_ascii_case(own),
        None => header_str(headers, header::HeaderName::from_static("sec-fetch-site")) == Some("same-origin"),
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// State of the guard layer.
#[derive(Clone)]
pub struct Guard {
    pub state: AppState,
    pub table: Arc<RouteTable>,
}

/// The middleware (see the module doc).
pub async fn guard(State(g): State<Guard>, matched: Option<MatchedPath>, mut req: Request, next: Next) -> Response {
    let path = matched.map(|m| m.as_str().to_owned()).unwrap_or_default();
    let method = req.method().clone();
    let (mut parts, body) = req.into_parts();
    let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_else(|| caller(&parts));
    parts.extensions.insert(caller.clone());
    req = Request::from_parts(parts, body);
    let auth = &g.state.auth;
    let client = &caller.client;
    let ip_key = format!("ip:{}", client.ip);

    // HEAD is answered by the GET handler (without its body): it needs what GET needs.
    let lookup = if method == Method::HEAD { Method::GET } else { method.clone() };
    let Some(action) = g.table.action(&lookup, &path) else {
        if g.table.paths.contains(&path) {
            return next.run(req).await; // the method router answers 405
        }
        tracing::error!(%method, path, "route has no declared action; refused");
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "this route has no declared permission")
            .into_response();
    };

    // A readiness probe without a credential, where allowed: `health::ready` answers its status
    // alone.
    let probe = g.state.public_readiness
        && path == super::health::READY_PATH
        && !req.headers().contains_key(header::AUTHORIZATION)
        && session_cookie(req.headers()).is_none();
    if action == Action::Public || probe {
        if is_write(&method)
            && req.headers().contains_key(header::ORIGIN)
            && !same_origin(req.headers(), &caller.origin)
        {
            return refuse(auth, &ip_key, Actor::Anonymous { name: None }, client, &path, csrf()).await;
        }
        if let Err(e) = auth.check_rate(&ip_key, false, true).await {
            return ApiError::from(e).into_response();
        }
        return next.run(req).await;
    }

    let bearer = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            Some(key) => Some(key.to_owned()),
            None => {
                let e = Error::NotSignedIn("the Authorization header must be \"Bearer bf_…\" (an API key)".into());
                return refuse(auth, &ip_key, Actor::Anonymous { name: None }, client, &path, e).await;
            }
        },
    };
    let cookie = if bearer.is_none() { session_cookie(req.headers()) } else { None };
    let principal = match auth.authenticate(bearer.as_deref(), cookie.as_deref()).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            let e = Error::NotSignedIn(
                "sign in (POST /api/v1/auth/login), or send an API key as Authorization: Bearer bf_…".into(),
            );
            return refuse(auth, &ip_key, Actor::Anonymous { name: None }, client, &path, e).await;
        }
        Err(e @ Error::NotSignedIn(_)) => {
            if let Err(limited) = auth.check_rate(&ip_key, false, true).await {
                return ApiError::from(limited).into_response();
            }
            return refuse(auth, &ip_key, Actor::Anonymous { name: None }, client, &path, e).await;
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let key = principal.limit_key();
    if principal.via_cookie() && is_write(&method) && !same_origin(req.headers(), &caller.origin) {
        return refuse(auth, &key, principal.actor(), client, &path, csrf()).await;
    }
    if let Err(e) = principal.may(action) {
        return refuse(auth, &key, principal.actor(), client, &path, e).await;
    }
    if let Err(e) = auth.check_rate(&key, action.is_bot_operation(), false).await {
        return ApiError::from(e).into_response();
    }

    let trail = AuditTrail::default();
    req.extensions_mut().insert(principal.clone());
    req.extensions_mut().insert(trail.clone());
    let response = next.run(req).await;
    if response.status().is_success() {
        if let Some(change) = trail.take() {
            let at = auth.clock().now_ms();
            // Followers (webhooks, the live feed) hear of it at once; the row is written just after.
            let event = crate::events::AuditEvent {
                id: format!("{at}-{:016x}", rand::random::<u64>()),
                at: crate::time::rfc3339(at),
                action: change.action.clone(),
                actor: actor_name(&principal.actor()),
                target_type: change.target_type.clone(),
                target_id: change.target_id.clone(),
                changes: change.changes.clone(),
            };
            let entry = Entry::action(&change.action, principal.actor(), at)
                .target(&change.target_type, change.target_id)
                .changes(change.changes)
                .from_client(Some(client.ip.clone()), Some(client.user_agent.clone()));
            auth.audit(entry).await;
            g.state.events.publish(crate::events::Event::Audit(event));
        }
    }
    response
}

/// Who did it, as the audit log names them.
fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::User { name, .. } | Actor::ApiKey { name, .. } | Actor::DiscordUser { name, .. } => name.clone(),
        Actor::Anonymous { name } => name.clone().unwrap_or_else(|| "anonymous".into()),
        Actor::System => "botfleet".into(),
    }
}

fn csrf() -> Error {
    Error::Refused {
        why: Refusal::CrossSite,
        message: "cross-site request refused: the Origin header is missing or is not this site's".into(),
    }
}

async fn refuse(auth: &crate::auth::Auth, key: &str, actor: Actor, client: &Client, path: &str, e: Error) -> Response {
    auth.note_refusal(key, actor, client, path).await;
    ApiError::from(e).into_response()
}
