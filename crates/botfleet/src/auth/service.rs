//! `Auth`: the security domain's one entry point. It checks credentials (session cookie or API
//! key), signs people in (password, then TOTP or a recovery code), throttles and locks out,
//! manages users, keys and two-factor, applies the API rate limits, and writes the security
//! events of the audit log. The HTTP layer only translates.
//!
//! Credentials are cached (`crate::cache`): a key or session found valid is kept for the cache's
//! time to live (an expiry in the meantime still counts), and every change to users, keys or
//! sessions clears them here at once and on the other nodes when the notice arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::keys::{self, Grant, KeyView};
use super::permissions::Role;
use super::principal::{Credential, Principal};
use super::settings::{self, SecuritySettings};
use super::throttle::{Limiter, Phantom, PhantomAccounts, RefusalBursts};
use super::users::{self, Account, UserView};
use super::{password, sessions, totp};
use crate::audit::{Actor, Entry};
use crate::cache::{Cache, CacheFigures, Caching, Clear, Topic};
use crate::config::AuthConfig;
use crate::error::{Error, Refusal, Result};
use crate::secrets::{Secret, TokenCipher};
use crate::store::Store;
use crate::time::Clock;
use crate::tracking::Tracker;

/// Where a request came from, for audit rows and per-IP limits.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

/// The answer to a correct password.
#[derive(Debug)]
pub enum LoginStep {
    /// Signed in: the new session id (for the cookie) and the user.
    SignedIn { session: String, user: UserView },
    /// Two-factor is next: send the challenge back with a code.
    TotpRequired { challenge: String },
}

/// What a user sees when enrolling two-factor (the secret, this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    /// Base32 secret, for typing into an app by hand.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG `data:` URL.
    pub qr_svg: String,
}

const WRONG: &str = "wrong user name or password";
const CHALLENGE_MS: i64 = 5 * 60_000;

struct Inner {
    store: Store,
    cipher: TokenCipher,
    clock: Clock,
    config: AuthConfig,
    /// Takes the security rows the database refuses at once.
    tracker: Tracker,
    api: Limiter,
    bot_ops: Limiter,
    anonymous: Limiter,
    login_ip: Limiter,
    login_name: Limiter,
    bursts: RefusalBursts,
    phantoms: PhantomAccounts,
    settings: RwLock<SecuritySettings>,
    /// Valid API keys by the digest of the presented key; valid sessions by their id's digest.
    keys: Cache<String, keys::ValidKey>,
    sessions: Cache<String, sessions::SessionUser>,
    caching: Caching,
    key_touched: Mutex<HashMap<i64, i64>>,
    dummy_hash: String,
}

/// The security service; cloning shares it.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth")
    }
}

fn too_many(seconds: u64, what: &str) -> Error {
    Error::RateLimited {
        retry_after: std::time::Duration::from_secs(seconds.max(1)),
        message: format!("{what}; try again in {} s", seconds.max(1)),
    }
}

impl Auth {
    /// The service, with its settings loaded.
    /// `tracker` takes the security rows the database refuses at once (see
    /// [`Tracker::audit_now`]); tools pass [`Tracker::disabled`].
    pub async fn new(
        store: Store,
        cipher: TokenCipher,
        clock: Clock,
        config: AuthConfig,
        tracker: Tracker,
        caching: Caching,
    ) -> Result<Self> {
        let dummy_hash = password::hash(&Secret::new(super::token::random())).await?;
        let loaded = settings::load(&store).await?;
        let limiter = |n| Limiter::per_minute(n, &clock);
        let keys = Cache::new("api_keys", caching.settings, 10_000);
        let sessions = Cache::new("sessions", caching.settings, 10_000);
        caching.bus.register(Topic::Credentials, Arc::new(keys.clone()));
        caching.bus.register(Topic::Credentials, Arc::new(sessions.clone()));
        let auth = Self {
            inner: Arc::new(Inner {
                api: limiter(config.requests_per_minute),
                bot_ops: limiter(config.bot_ops_per_minute),
                anonymous: limiter(config.requests_per_minute),
                login_ip: limiter(config.login_attempts_per_minute),
                login_name: limiter(config.login_attempts_per_minute),
                bursts: RefusalBursts::default(),
                phantoms: PhantomAccounts::default(),
                settings: RwLock::new(loaded),
                keys,
                sessions,
                caching: caching.clone(),
                key_touched: Mutex::new(HashMap::new()),
                dummy_hash,
                store,
                cipher,
                clock,
                config,
                tracker,
            }),
        };
        let reload = SettingsReload { inner: Arc::downgrade(&auth.inner), reloads: Default::default() };
        caching.bus.register(Topic::Settings, Arc::new(reload));
        Ok(auth)
    }

    /// Users, keys or sessions changed (or may have, when the change failed half way): the cached
    /// credentials go, here and on the other nodes.
    async fn credentials_changed(&self) {
        self.inner.caching.bus.changed(Topic::Credentials).await;
    }

    /// The clock this service reads.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether a new session's cookie should last (seconds), for `Max-Age`.
    pub fn session_lifetime_s(&self) -> i64 {
        i64::from(self.inner.config.session_lifetime_hours) * 3600
    }

    async fn security(&self, entry: Entry) {
        self.audit(entry).await;
    }

    /// Writes an audit row now, or hands it to the tracking writer when the database refuses it
    /// at once ([`Tracker::audit_now`]): a change made is never left without its row.
    pub async fn audit(&self, entry: Entry) {
        self.inner.tracker.audit_now(self.store(), entry).await;
    }

    fn event(&self, name: &str, actor: Actor, client: &Client) -> Entry {
        Entry::security(name, actor, self.now()).from_client(Some(client.ip.clone()), Some(client.user_agent.clone()))
    }

    // ----- credentials -----

    /// The caller behind a bearer key or a session cookie; `Ok(None)` when neither was given,
    /// a 401 when the one given is not valid.
    pub async fn authenticate(&self, bearer: Option<&str>, cookie: Option<&str>) -> Result<Option<Principal>> {
        let now = self.now();
        if let Some(presented) = bearer {
            return match self.key(presented.trim(), now).await? {
                Ok(key) => {
                    if self.settings().require_totp_for_admin_keys
                        && key.holds_admin_permissions()
                        && !key.creator_has_totp
                    {
                        return Err(Error::Refused {
                            why: Refusal::TwoFactorRequired,
                            message: "this API key holds admin permissions, and admin keys must be created by a \
                                      user with two-factor sign-in (require_totp_for_admin_keys): have such a user \
                                      create a new key"
                                .into(),
                        });
                    }
                    self.touch_key(key.id, key.last_used_at, now).await;
                    Ok(Some(Principal {
                        credential: Credential::ApiKey { id: key.id },
                        user_id: None,
                        name: key.name,
                        grant: key.grant,
                        must_enrol_totp: false,
                    }))
                }
                Err(keys::Refused::Expired) => Err(Error::NotSignedIn("this API key has expired".into())),
                Err(keys::Refused::Revoked) => Err(Error::NotSignedIn("this API key has been revoked".into())),
                Err(keys::Refused::Unknown) => Err(Error::NotSignedIn(
                    "the API key is not valid (send Authorization: Bearer bf_…, as shown once at creation)".into(),
                )),
            };
        }
        let Some(id) = cookie else { return Ok(None) };
        let idle = i64::from(self.inner.config.session_idle_minutes) * 60_000;
        match self.session(id, now, idle).await? {
            Ok(s) => {
                let required = self.settings().require_totp_for_admins;
                Ok(Some(Principal {
                    credential: Credential::Session { id_hash: s.id_hash },
                    user_id: Some(s.user_id),
                    name: s.username,
                    grant: Grant::Role(s.role),
                    must_enrol_totp: required && s.role == Role::Admin && !s.totp_enabled,
                }))
            }
            Err(sessions::Rejected::Expired) => {
                Err(Error::NotSignedIn("your session has expired; sign in again".into()))
            }
            Err(sessions::Rejected::Unknown) => {
                Err(Error::NotSignedIn("you are signed out (the session is unknown or was ended); sign in".into()))
            }
        }
    }

    /// The key behind a presented string: from the cache while it is valid there, else from the
    /// database (and kept when valid).
    async fn key(&self, presented: &str, now: i64) -> Result<std::result::Result<keys::ValidKey, keys::Refused>> {
        let digest = super::token::digest(presented);
        let cache = &self.inner.keys;
        if let Some(key) = cache.get(&digest).filter(|k| k.expires_at.is_none_or(|at| at > now)) {
            return Ok(Ok(key));
        }
        let loaded_at = cache.generation();
        let found = keys::lookup(self.store(), presented, now).await?;
        if let Ok(key) = &found {
            cache.insert(loaded_at, digest, key.clone());
        }
        Ok(found)
    }

    /// The session behind a cookie value: from the cache while it is live there and was seen in
    /// the last minute (the database's `last_seen_at` is refreshed once a minute), else from the
    /// database (and kept when live).
    async fn session(
        &self,
        id: &str,
        now: i64,
        idle: i64,
    ) -> Result<std::result::Result<sessions::SessionUser, sessions::Rejected>> {
        let digest = super::token::digest(id);
        let cache = &self.inner.sessions;
        let fresh = |s: &sessions::SessionUser| now < s.expires_at && now - s.last_seen_at < idle.min(60_000);
        if let Some(session) = cache.get(&digest).filter(fresh) {
            return Ok(Ok(session));
        }
        let loaded_at = cache.generation();
        let found = sessions::lookup(self.store(), id, now, idle).await?;
        if let Ok(session) = &found {
            cache.insert(loaded_at, digest, session.clone());
        }
        Ok(found)
    }

    async fn touch_key(&self, id: i64, last_used: Option<i64>, now: i64) {
        let due = {
            let Ok(mut touched) = self.inner.key_touched.lock() else { return };
            let last = touched.get(&id).copied().or(last_used).unwrap_or(i64::MIN);
            let due = now.saturating_sub(last) >= 60_000;
            if due {
                touched.insert(id, now);
            }
            due
        };
        if due {
            if let Err(e) = keys::touch(self.store(), id, now).await {
                tracing::warn!(error = %e, "could not record an API key's last use");
            }
        }
    }

    /// Applies the API rate limits: per credential (`key`), plus the bot-operation bucket. Each
    /// node keeps its own buckets; with Redis the nodes also count each credential's requests
    /// together, per minute, so a client spread over several nodes gets the limit once.
    pub async fn check_rate(&self, key: &str, bot_operation: bool, anonymous: bool) -> Result<()> {
        let bucket = if anonymous { &self.inner.anonymous } else { &self.inner.api };
        bucket.check(key).map_err(|s| too_many(s, "too many requests"))?;
        if bot_operation {
            self.inner.bot_ops.check(key).map_err(|s| too_many(s, "too many bot operations"))?;
        }
        let config = &self.inner.config;
        self.shared_rate("api", key, config.requests_per_minute, "too many requests").await?;
        if bot_operation {
            self.shared_rate("bot_ops", key, config.bot_ops_per_minute, "too many bot operations").await?;
        }
        Ok(())
    }

    /// The nodes' shared count of `key`'s requests in this minute (Redis): over `per_minute`, the
    /// seconds until the next minute. Without Redis, or when it does not answer, nothing more is
    /// checked than this node's own bucket.
    async fn shared_rate(&self, bucket: &str, key: &str, per_minute: u32, what: &str) -> Result<()> {
        let now = self.now();
        let minute = now.div_euclid(60_000);
        let name = format!("rate:{bucket}:{key}:{minute}");
        match self.inner.caching.bus.count(&name, std::time::Duration::from_secs(120)).await {
            Some(Ok(n)) if n > i64::from(per_minute) => {
                let left_ms = 60_000 - now.rem_euclid(60_000);
                Err(too_many(u64::try_from(left_ms.div_euclid(1000) + 1).unwrap_or(1), what))
            }
            Some(Err(why)) => {
                tracing::debug!(error = %why, "the shared rate count is unavailable; this node's own limit applies");
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Notes a 401/403 answer to `key` (an IP or a credential); the tenth within a minute writes
    /// one `access.refused_burst` security row.
    pub async fn note_refusal(&self, key: &str, actor: Actor, client: &Client, path: &str) {
        if self.inner.bursts.note(key, self.now()) {
            let detail = json!({"key": key, "refusals": super::throttle::BURST_THRESHOLD, "window_seconds": 60, "last_path": path});
            self.security(self.event("access.refused_burst", actor, client).detail(detail)).await;
        }
    }

    // ----- signing in -----

    fn lock_until(&self, lockouts: i64) -> i64 {
        let base = i64::from(self.inner.config.lockout_seconds.max(1)) * 1000;
        let factor = 1i64 << lockouts.clamp(0, 12);
        self.now() + (base.saturating_mul(factor)).min(3_600_000)
    }

    fn locked(&self, until: Option<i64>) -> Result<()> {
        match until {
            Some(t) if t > self.now() => {
                let s = u64::try_from((t - self.now() + 999) / 1000).unwrap_or(1);
                Err(too_many(s, "this account is locked after repeated failed sign-ins"))
            }
            _ => Ok(()),
        }
    }

    /// A failed password or code for a real account: counted, maybe a lock, audited.
    async fn failed(&self, account: &Account, event: &str, client: &Client) -> Result<()> {
        let threshold = i64::from(self.inner.config.lockout_threshold.max(1));
        let until = users::record_failure(self.store(), account, threshold, |n| self.lock_until(n)).await?;
        let actor = Actor::User { id: account.id, name: account.username.clone() };
        self.security(self.event(event, actor.clone(), client)).await;
        if let Some(until) = until {
            let detail = json!({"locked_until": crate::time::rfc3339(until), "lockouts": account.lockouts + 1});
            self.security(self.event("login.lockout", actor, client).detail(detail)).await;
        }
        Ok(())
    }

    /// Step one: user name and password.
    pub async fn login(&self, username: &str, password: &Secret, client: &Client) -> Result<LoginStep> {
        // No account name holds a control character; refused before it reaches a log or a query.
        crate::text::require("username", username, crate::text::Lines::Single)?;
        self.inner
            .login_ip
            .check(&client.ip)
            .map_err(|s| too_many(s, "too many sign-in attempts from this address"))?;
        let name = username.trim().to_lowercase();
        self.inner.login_name.check(&name).map_err(|s| too_many(s, "too many sign-in attempts for this account"))?;
        let account = match users::normalize_username("username", &name) {
            Ok(n) => users::account_by_name(self.store(), &n).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            return self.phantom_login(&name, password, client).await;
        };
        self.locked(account.locked_until)?;
        if !password::verify(password, &account.password_hash).await {
            self.failed(&account, "login.failed", client).await?;
            return Err(Error::NotSignedIn(WRONG.into()));
        }
        if account.totp_confirmed {
            let challenge = sessions::create_challenge(self.store(), account.id, self.now() + CHALLENGE_MS).await?;
            return Ok(LoginStep::TotpRequired { challenge });
        }
        self.signed_in(&account, "password", client).await
    }

    /// An unknown user name: the same work (a dummy hash) and the same answers, lockout included.
    async fn phantom_login(&self, name: &str, password: &Secret, client: &Client) -> Result<LoginStep> {
        let mut state = self.inner.phantoms.get(name);
        self.locked(state.locked_until)?;
        let _ = password::verify(password, &self.inner.dummy_hash).await;
        state.failed += 1;
        let actor = Actor::Anonymous { name: Some(name.chars().take(64).collect()) };
        self.security(self.event("login.failed", actor.clone(), client).detail(json!({"reason": "unknown user"})))
            .await;
        if state.failed >= i64::from(self.inner.config.lockout_threshold.max(1)) {
            state = Phantom {
                failed: 0,
                lockouts: state.lockouts + 1,
                locked_until: Some(self.lock_until(state.lockouts)),
            };
            self.security(self.event("login.lockout", actor, client).detail(json!({"reason": "unknown user"}))).await;
        }
        self.inner.phantoms.set(name, state);
        Err(Error::NotSignedIn(WRONG.into()))
    }

    async fn signed_in(&self, account: &Account, method: &str, client: &Client) -> Result<LoginStep> {
        users::clear_failures(self.store(), account.id).await?;
        let lifetime = self.session_lifetime_s() * 1000;
        let session =
            sessions::create(self.store(), account.id, self.now(), lifetime, &client.ip, &client.user_agent).await?;
        let actor = Actor::User { id: account.id, name: account.username.clone() };
        self.security(self.event("login.succeeded", actor, client).detail(json!({"method": method}))).await;
        Ok(LoginStep::SignedIn { session, user: users::get(self.store(), account.id).await? })
    }

    /// Step two: a TOTP code or a recovery code for a challenge from step one.
    pub async fn login_totp(
        &self,
        challenge: &str,
        code: Option<&str>,
        recovery_code: Option<&str>,
        client: &Client,
    ) -> Result<LoginStep> {
        self.inner
            .login_ip
            .check(&client.ip)
            .map_err(|s| too_many(s, "too many sign-in attempts from this address"))?;
        let Some(user_id) = sessions::challenge_user(self.store(), challenge, self.now()).await? else {
            return Err(Error::NotSignedIn("the sign-in step has expired; enter your password again".into()));
        };
        let account = users::account_by_id(self.store(), user_id).await?;
        self.locked(account.locked_until)?;
        let ok = match (code, recovery_code) {
            (Some(code), None) => self.accept_code(&account, code).await?,
            (None, Some(rc)) => {
                let used =
                    users::use_recovery_code(self.store(), account.id, &totp::recovery_digest(rc), self.now()).await?;
                if used {
                    let left = users::recovery_codes_left(self.store(), account.id).await?;
                    let actor = Actor::User { id: account.id, name: account.username.clone() };
                    let entry =
                        self.event("totp.recovery_code_used", actor, client).detail(json!({"codes_left": left}));
                    self.security(entry).await;
                }
                used
            }
            _ => return Err(Error::field("code", "send either code (from the app) or recovery_code")),
        };
        if !ok {
            self.failed(&account, "login.totp_failed", client).await?;
            return Err(Error::NotSignedIn("that code is not valid (or was already used)".into()));
        }
        sessions::end_challenge(self.store(), challenge).await?;
        self.signed_in(&account, if code.is_some() { "totp" } else { "recovery_code" }, client).await
    }

    async fn accept_code(&self, account: &Account, code: &str) -> Result<bool> {
        let Some(sealed) = &account.totp_secret else { return Ok(false) };
        let secret = self.inner.cipher.open(sealed)?;
        match totp::matching_step(secret.expose(), code, self.now())? {
            Some(step) => users::use_totp_step(self.store(), account.id, step).await,
            None => Ok(false),
        }
    }

    /// Ends the caller's session.
    pub async fn logout(&self, principal: &Principal, client: &Client) -> Result<()> {
        if let Credential::Session { id_hash } = &principal.credential {
            let ended = sessions::end(self.store(), id_hash).await;
            self.credentials_changed().await;
            ended?;
            self.security(self.event("logout", principal.actor(), client)).await;
        }
        Ok(())
    }

    // ----- own account -----

    fn own_id(principal: &Principal) -> Result<i64> {
        principal
            .user_id
            .ok_or_else(|| Error::Refused { why: Refusal::Permission, message: "this needs a signed-in user".into() })
    }

    /// Changes the caller's password (the current one is required); ends their other sessions.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &Secret,
        new: &Secret,
        client: &Client,
    ) -> Result<u64> {
        let id = Self::own_id(principal)?;
        password::check_new("new_password", new)?;
        let account = users::account_by_id(self.store(), id).await?;
        self.locked(account.locked_until)?;
        if !password::verify(current, &account.password_hash).await {
            self.failed(&account, "password.change_failed", client).await?;
            return Err(Error::field("current_password", "is not your current password"));
        }
        users::set_password(self.store(), id, &password::hash(new).await?, self.now()).await?;
        let keep = match &principal.credential {
            Credential::Session { id_hash } => Some(id_hash.as_str()),
            Credential::ApiKey { .. } => None,
        };
        let ended = sessions::end_all(self.store(), id, keep).await;
        self.credentials_changed().await;
        let ended = ended?;
        self.security(
            self.event("password.changed", principal.actor(), client).detail(json!({"sessions_ended": ended})),
        )
        .await;
        Ok(ended)
    }

    /// Starts two-factor enrolment: a new secret, pending until confirmed with a first code.
    pub async fn totp_begin(&self, principal: &Principal) -> Result<Enrolment> {
        let id = Self::own_id(principal)?;
        let account = users::account_by_id(self.store(), id).await?;
        if account.totp_confirmed {
            return Err(Error::Conflict("two-factor is already on; turn it off first to enrol a new device".into()));
        }
        let secret = totp::new_secret();
        users::set_pending_totp(self.store(), id, &self.inner.cipher.seal(&Secret::new(secret.clone()))?, self.now())
            .await?;
        let otpauth_uri = totp::otpauth_uri(&secret, &account.username);
        let (_, qr_svg) = totp::qr_svg(&otpauth_uri)?;
        Ok(Enrolment { secret, otpauth_uri, qr_svg })
    }

    /// Confirms enrolment with a first code; returns the recovery codes (shown once).
    pub async fn totp_confirm(&self, principal: &Principal, code: &str, client: &Client) -> Result<Vec<String>> {
        let id = Self::own_id(principal)?;
        let account = users::account_by_id(self.store(), id).await?;
        self.locked(account.locked_until)?;
        if account.totp_confirmed {
            return Err(Error::Conflict("two-factor is already on".into()));
        }
        let Some(sealed) = &account.totp_secret else {
            return Err(Error::Conflict("start enrolment first (POST /api/v1/auth/totp)".into()));
        };
        let secret = self.inner.cipher.open(sealed)?;
        let Some(step) = totp::matching_step(secret.expose(), code, self.now())? else {
            self.failed(&account, "totp.confirm_failed", client).await?;
            return Err(Error::field("code", "is not the code the app shows now"));
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_digest(c)).collect();
        let confirmed = users::confirm_totp(self.store(), id, step, &hashes, self.now()).await;
        self.credentials_changed().await;
        confirmed?;
        self.security(self.event("totp.enabled", principal.actor(), client)).await;
        Ok(codes)
    }

    /// Turns two-factor off (password required).
    pub async fn totp_disable(&self, principal: &Principal, password: &Secret, client: &Client) -> Result<()> {
        let id = Self::own_id(principal)?;
        let account = users::account_by_id(self.store(), id).await?;
        self.locked(account.locked_until)?;
        if !password::verify(password, &account.password_hash).await {
            self.failed(&account, "totp.disable_failed", client).await?;
            return Err(Error::field("password", "is not your current password"));
        }
        if account.totp_secret.is_none() {
            return Err(Error::Conflict("two-factor is not on".into()));
        }
        let disabled = users::disable_totp(self.store(), id, self.now()).await;
        self.credentials_changed().await;
        disabled?;
        self.security(self.event("totp.disabled", principal.actor(), client)).await;
        Ok(())
    }

    // ----- admin: users -----
    //
    // Through the API each of these is checked twice: the route's action (`users.manage`), then
    // the user's role against the caller's permissions (`Principal::may_manage_user`): a
    // credential creates, changes, resets, signs out or deletes only users whose role's
    // permissions it holds all of, and makes nobody stronger than itself.

    /// Creates a user for `by` (the API), who must hold every permission of `role`.
    pub async fn add_user(&self, by: &Principal, username: &str, password: &Secret, role: Role) -> Result<UserView> {
        by.may_manage_user(role, "create")?;
        self.create_user(username, password, role).await
    }

    /// Creates a user, unchecked: what `botfleet user add` and the demo call (the API calls
    /// [`Auth::add_user`]).
    pub async fn create_user(&self, username: &str, password: &Secret, role: Role) -> Result<UserView> {
        let mut problems = Vec::new();
        let name = users::normalize_username("username", username).map_err(|e| problems.push(e));
        let _ = password::check_new("password", password).map_err(|e| problems.push(e));
        let fields: Vec<_> = problems
            .into_iter()
            .flat_map(|e| match e {
                Error::Validation(f) => f,
                _ => Vec::new(),
            })
            .collect();
        let name = match name {
            Ok(n) if fields.is_empty() => n,
            _ => return Err(Error::Validation(fields)),
        };
        users::insert(self.store(), &name, &password::hash(password).await?, role, self.now()).await
    }

    /// Creates the user, or (when the name exists) sets their role and password and ends their
    /// sessions — for the demo's admin and `botfleet user add --reset`. Unchecked but for one
    /// rule: the last admin stays an admin (409).
    pub async fn ensure_user(&self, username: &str, password: &Secret, role: Role) -> Result<UserView> {
        let name = users::normalize_username("username", username)?;
        match users::account_by_name(self.store(), &name).await? {
            None => self.create_user(&name, password, role).await,
            Some(account) => {
                password::check_new("password", password)?;
                let hash = password::hash(password).await?;
                // The role first: demoting the last admin is refused before anything changes.
                let (_, user) = users::set_role(self.store(), account.id, role, self.now(), |_| Ok(())).await?;
                users::set_password(self.store(), account.id, &hash, self.now()).await?;
                sessions::end_all(self.store(), account.id, None).await?;
                Ok(user)
            }
        }
    }

    /// Changes a user's role; `by` must hold every permission of the old role and of the new one.
    /// The check and the change are one step, and the last admin stays an admin (409), however
    /// many requests race. Sessions read the role on every request, so it applies at once.
    /// Returns the user before and after.
    pub async fn set_role(&self, id: i64, role: Role, by: &Principal) -> Result<(UserView, UserView)> {
        let changed = users::set_role(self.store(), id, role, self.now(), |old| {
            by.may_manage_user(old.role, "change the role of")?;
            by.may_manage_user(role, "make someone")
        })
        .await;
        self.credentials_changed().await;
        changed
    }

    /// Sets a user's password (a reset by `by`, who must hold every permission of the user's
    /// role); ends all their sessions.
    pub async fn reset_password(&self, id: i64, new: &Secret, by: &Principal, client: &Client) -> Result<u64> {
        password::check_new("password", new)?;
        // Refuse before the (slow) hash when the user is already out of reach; checked again
        // with the change.
        by.may_manage_user(users::get(self.store(), id).await?.role, "reset the password of")?;
        let hash = password::hash(new).await?;
        let user = users::reset_password(self.store(), id, &hash, self.now(), |user| {
            by.may_manage_user(user.role, "reset the password of")
        })
        .await?;
        let ended = sessions::end_all(self.store(), id, None).await;
        self.credentials_changed().await;
        let ended = ended?;
        let entry = self
            .event("password.changed", by.actor(), client)
            .target("user", id)
            .detail(json!({"by_admin": true, "user": user.username, "sessions_ended": ended}));
        self.security(entry).await;
        Ok(ended)
    }

    /// Ends every session of a user (`by` must hold every permission of their role); returns
    /// how many.
    pub async fn end_sessions(&self, id: i64, by: &Principal) -> Result<u64> {
        by.may_manage_user(users::get(self.store(), id).await?.role, "end the sessions of")?;
        let ended = sessions::end_all(self.store(), id, None).await;
        self.credentials_changed().await;
        ended
    }

    /// Lifts a user's sign-in lock (failed sign-ins lock an account for everyone, the owner
    /// included, so an admin must be able to lift it); `by` must hold every permission of the
    /// user's role. Audited as `login.unlocked`. Returns the user before and after.
    pub async fn unlock_user(&self, id: i64, by: &Principal, client: &Client) -> Result<(UserView, UserView)> {
        by.may_manage_user(users::get(self.store(), id).await?.role, "unlock")?;
        self.unlock(id, by.actor(), client).await
    }

    /// Lifts a user's sign-in lock, unchecked: what `botfleet user unlock` calls (the API calls
    /// [`Auth::unlock_user`]). Audited as `login.unlocked`; returns the user before and after.
    pub async fn unlock(&self, id: i64, actor: Actor, client: &Client) -> Result<(UserView, UserView)> {
        let before = users::unlock(self.store(), id).await?;
        let entry = self
            .event("login.unlocked", actor, client)
            .target("user", id)
            .detail(json!({"user": before.username, "was_locked_until": before.locked_until}));
        self.security(entry).await;
        Ok((before, users::get(self.store(), id).await?))
    }

    /// `botfleet user unlock`: lifts the lock of the user with this name (404 when there is none),
    /// audited as done by botfleet itself from the command line.
    pub async fn unlock_by_name(&self, username: &str) -> Result<(UserView, UserView)> {
        let name = users::normalize_username("username", username)?;
        let account = users::account_by_name(self.store(), &name)
            .await?
            .ok_or_else(|| Error::NotFound { what: "user", id: name.clone() })?;
        let client = Client { ip: "local".into(), user_agent: "botfleet user unlock".into() };
        self.unlock(account.id, Actor::System, &client).await
    }

    /// Deletes a user: not yourself, only one whose role's permissions `by` holds, and never the
    /// last admin (409) — checked and deleted in one step, however many requests race.
    pub async fn delete_user(&self, id: i64, by: &Principal) -> Result<UserView> {
        let deleted = users::delete(self.store(), id, |user| {
            if by.user_id == Some(id) {
                return Err(Error::Conflict("you cannot delete your own account".into()));
            }
            by.may_manage_user(user.role, "delete")
        })
        .await;
        self.credentials_changed().await;
        deleted
    }

    // ----- admin: API keys -----

    /// Creates a key holding no permission `by` lacks (a credential grants only permissions it
    /// holds: 403 naming the missing ones); the key itself is returned this once.
    pub async fn create_key(
        &self,
        name: &str,
        grant: &Grant,
        expires_at: Option<i64>,
        by: &Principal,
        client: &Client,
    ) -> Result<(String, KeyView)> {
        by.may_grant(grant)?;
        let (key, view) = keys::create(self.store(), name, grant, by.user_id, self.now(), expires_at).await?;
        let entry = self.event("api_key.created", by.actor(), client).target("api_key", view.id).detail(
            json!({"name": view.name, "role": view.role, "scopes": view.scopes, "expires_at": view.expires_at}),
        );
        self.security(entry).await;
        Ok((key, view))
    }

    /// Revokes a key holding no permission `by` lacks (403 naming them otherwise); `false` when it
    /// already was revoked.
    pub async fn revoke_key(&self, id: i64, by: &Principal, client: &Client) -> Result<bool> {
        by.may_revoke(&keys::get(self.store(), id).await?.grant())?;
        let revoked = keys::revoke(self.store(), id, self.now()).await;
        self.credentials_changed().await;
        let revoked = revoked?;
        if revoked {
            self.security(self.event("api_key.revoked", by.actor(), client).target("api_key", id)).await;
        }
        Ok(revoked)
    }

    // ----- settings and housekeeping -----

    /// The security settings in force.
    pub fn settings(&self) -> SecuritySettings {
        self.inner.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Saves new settings; returns the old ones.
    pub async fn save_settings(&self, new: SecuritySettings) -> Result<SecuritySettings> {
        settings::save(self.store(), &new).await?;
        let old = self.settings();
        if let Ok(mut s) = self.inner.settings.write() {
            *s = new;
        }
        self.inner.caching.bus.changed(Topic::Settings).await;
        Ok(old)
    }

    /// Reads the security settings again after they were written elsewhere (a configuration
    /// import), and tells the other nodes.
    pub async fn settings_changed(&self) -> Result<()> {
        self.inner.reload_settings().await?;
        self.inner.caching.bus.changed(Topic::Settings).await;
        Ok(())
    }

    /// Periodic housekeeping: prune limiters, sweep expired sessions, forget idempotency keys older
    /// than a day, and pick up settings changed by another node. (Audit rows age out with the
    /// other logs: `retention`.)
    pub async fn maintain(&self) -> Result<()> {
        for l in
            [&self.inner.api, &self.inner.bot_ops, &self.inner.anonymous, &self.inner.login_ip, &self.inner.login_name]
        {
            l.prune();
        }
        let now = self.now();
        self.inner.bursts.prune(now);
        let idle = i64::from(self.inner.config.session_idle_minutes) * 60_000;
        sessions::sweep(self.store(), now, idle).await?;
        let forgotten = super::idempotency::sweep(self.store(), now - super::idempotency::KEEP_MS).await?;
        if forgotten > 0 {
            tracing::debug!(rows = forgotten, "idempotency keys older than a day deleted");
        }
        self.inner.reload_settings().await
    }

    /// Runs `maintain` every minute until the returned task is aborted.
    pub fn spawn_maintenance(&self) -> tokio::task::JoinHandle<()> {
        let auth = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Err(e) = auth.maintain().await {
                    tracing::warn!(error = %e, "security housekeeping failed; will retry");
                }
            }
        })
    }
}

impl Inner {
    /// Reads the security settings saved in the database into memory.
    async fn reload_settings(&self) -> Result<()> {
        let loaded = settings::load(&self.store).await?;
        if let Ok(mut s) = self.settings.write() {
            *s = loaded;
        }
        Ok(())
    }
}

/// Reloads the security settings when another node saved new ones (they are held in memory, and
/// also reloaded every minute by the housekeeping). Holds the service weakly: the bus must not
/// keep it alive.
struct SettingsReload {
    inner: std::sync::Weak<Inner>,
    reloads: std::sync::atomic::AtomicU64,
}

impl Clear for SettingsReload {
    fn clear(&self) {
        let Some(inner) = self.inner.upgrade() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        self.reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.spawn(async move {
            if let Err(e) = inner.reload_settings().await {
                tracing::warn!(error = %e, "security settings changed elsewhere could not be reloaded; the \
                                            housekeeping tries again within a minute");
            }
        });
    }

    fn figures(&self) -> CacheFigures {
        CacheFigures {
            name: "security_settings",
            hits: 0,
            misses: 0,
            evictions: 0,
            invalidations: self.reloads.load(std::sync::atomic::Ordering::Relaxed),
            entries: 1,
        }
    }
}
