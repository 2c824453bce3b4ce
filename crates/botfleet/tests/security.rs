//! Security end to end, on SQLite and PostgreSQL: every route × every kind of caller against the
//! permission table; sign-in with TOTP and recovery codes; lockout; CSRF; session expiry on a
//! manual clock; password changes ending sessions; API keys shown once, revoked, expired; 429 with
//! Retry-After; one audit action row per change (none when refused or invalid); and no secret in
//! any response, log line or audit row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use botfleet::auth::{Action, Role};
use botfleet::time::Clock;
use common::{captured_logs, token, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

const START: i64 = 1_800_000_000_000;
const PASSWORD: &str = "correct horse battery";

/// A caller's credential.
#[derive(Clone, Debug)]
enum Cred {
    None,
    Key(String),
    Cookie(String),
}

struct Sec {
    app: TestApp,
    clock: Clock,
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    general: u64,
    /// Every response body and Set-Cookie seen, for the secret-leak check.
    seen: std::sync::Mutex<String>,
}

async fn setup(backend: Backend, adjust: impl FnOnce(&mut botfleet::config::ServeConfig)) -> Option<Sec> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let clock = Clock::manual(START);
    let c = clock.clone();
    let app = TestApp::spawn_configured(backend, emulator.http_url(), move |config| {
        config.clock = c;
        adjust(config);
    })
    .await?;
    Some(Sec { app, clock, emulator, shop, alice, general, seen: std::sync::Mutex::new(String::new()) })
}

impl Sec {
    async fn send(&self, cred: &Cred, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, body, _) = self.send_full(cred, method, path, body, true).await;
        (status, body)
    }

    /// One request; cookie writes carry this site's Origin unless `same_origin` is false.
    async fn send_full(
        &self,
        cred: &Cred,
        method: Method,
        path: &str,
        body: Option<Value>,
        same_origin: bool,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req = reqwest::Client::new().request(method, format!("{}{path}", self.app.url));
        match cred {
            Cred::None => {}
            Cred::Key(k) => req = req.header("authorization", format!("Bearer {k}")),
            Cred::Cookie(c) => {
                req = req.header("cookie", c.clone());
                req = req
                    .header("origin", if same_origin { self.app.url.clone() } else { "https://evil.example".into() });
            }
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap();
        if let Ok(mut seen) = self.seen.lock() {
            seen.push_str(&text);
            for c in headers.get_all("set-cookie") {
                seen.push_str(c.to_str().unwrap_or_default());
            }
        }
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value, headers)
    }

    fn admin(&self) -> Cred {
        Cred::Key(self.app.admin_key.clone())
    }

    async fn key(&self, body: Value) -> String {
        let (status, created) = self.send(&self.admin(), Method::POST, "/api/v1/api-keys", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["key"].as_str().unwrap().to_owned()
    }

    async fn user(&self, name: &str, role: &str) -> i64 {
        let body = json!({"username": name, "password": PASSWORD, "role": role});
        let (status, user) = self.send(&self.admin(), Method::POST, "/api/v1/users", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user["id"].as_i64().unwrap()
    }

    /// Signs in; the cookie (`name=value`) on success, else the status and body.
    async fn login(&self, name: &str, password: &str) -> Result<Cred, (StatusCode, Value)> {
        let body = json!({"username": name, "password": password});
        let (status, value, headers) =
            self.send_full(&Cred::None, Method::POST, "/api/v1/auth/login", Some(body), true).await;
        match headers.get("set-cookie") {
            Some(c) if status == StatusCode::OK => Ok(cookie_pair(c.to_str().unwrap())),
            _ => Err((status, value)),
        }
    }

    async fn action_rows(&self) -> i64 {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM discord_audit_logs WHERE kind = 'action'")
            .fetch_one(self.app.store.pool())
            .await
            .unwrap();
        row.try_get("n").unwrap()
    }

    async fn audit(&self, action: &str) -> Vec<Value> {
        let q = format!("/api/v1/audit-logs?action={action}&limit=500");
        let (status, page) = self.send(&self.admin(), Method::GET, &q, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().clone()
    }
}

fn cookie_pair(set_cookie: &str) -> Cred {
    Cred::Cookie(set_cookie.split(';').next().unwrap().trim().to_owned())
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
}

/// What the permission table says a caller with `grant` may do.
fn allowed(cred: &str, action: Action) -> bool {
    let role = |r: Role| action == Action::Me || action.allows(r);
    match cred {
        "viewer key" => action != Action::Account && role(Role::Viewer),
        "admin key" => action != Action::Account && role(Role::Admin),
        "operator session" => role(Role::Operator),
        "logs.read key" => matches!(action, Action::Me | Action::LogsRead),
        _ => false,
    }
}

async fn every_route_answers_exactly_as_the_permission_table_says(t: Sec) {
    let (status, doc) = t.send(&t.admin(), Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let table = botfleet::api::route_table();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m: Method = method.to_uppercase().parse().unwrap();
            let action = table.action(&m, path).unwrap_or_else(|| panic!("{method} {path} declares no action"));
            routes.push((m, path.clone(), action));
        }
    }
    for (m, path, _) in table.routes().into_iter().filter(|(_, p, _)| p.starts_with("/api/v1/")) {
        assert!(routes.iter().any(|(rm, rp, _)| *rm == m && *rp == path), "{m} {path} is not in the OpenAPI document");
    }
    // Sign-out last: it ends the session the other rows use.
    routes.sort_by_key(|(_, p, _)| p.ends_with("/logout"));

    t.user("eve", "viewer").await;
    let expired = t.login("eve", PASSWORD).await.unwrap();
    t.clock.advance(Duration::from_secs(61 * 60));
    t.user("otto", "operator").await;
    let operator = t.login("otto", PASSWORD).await.unwrap();
    let viewer = t.key(json!({"name": "viewer", "role": "viewer"})).await;
    let scoped = t.key(json!({"name": "logs", "scopes": ["logs.read"]})).await;
    let creds = [
        ("no credential", Cred::None),
        ("bad key", Cred::Key("bf_thisisnotakeythisisnotakeythisisnotakey123".into())),
        ("expired session", expired),
        ("viewer key", Cred::Key(viewer)),
        ("operator session", operator),
        ("admin key", t.admin()),
        ("logs.read key", Cred::Key(scoped)),
    ];
    let mut checked = 0;
    for (method, path, action) in &routes {
        for (name, cred) in &creds {
            let body = (*method != Method::GET).then(|| json!({}));
            let (status, answer) = t.send(cred, method.clone(), &concrete(path), body).await;
            let verdict = format!("{method} {path} ({action}) as {name}: {status} {answer}");
            if *action == Action::Public {
                assert!(status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN, "{verdict}");
            } else if matches!(*name, "no credential" | "bad key" | "expired session") {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{verdict}");
                assert_eq!(answer["error"]["code"], "unauthenticated", "{verdict}");
            } else if allowed(name, *action) {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS].contains(&status),
                    "{verdict}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{verdict}");
                assert!(answer["error"]["message"].as_str().unwrap().len() > 10, "{verdict}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 40 * creds.len(), "{checked}");
    // The denials came in bursts: one row per burst of 10 per IP/credential, not one per answer.
    let bursts = t.audit("access.refused_burst").await;
    assert!(!bursts.is_empty() && bursts.len() < 20, "{}", bursts.len());
}

async fn totp_enrolment_codes_and_recovery_codes(t: Sec) {
    t.user("tina", "admin").await;
    let session = t.login("tina", PASSWORD).await.unwrap();
    let (status, enrol) = t.send(&session, Method::POST, "/api/v1/auth/totp", None).await;
    assert_eq!(status, StatusCode::OK, "{enrol}");
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    assert!(enrol["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/botfleet:tina?secret="));
    assert!(enrol["qr_svg"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    // A wrong first code does not enable it.
    let (status, _) =
        t.send(&session, Method::POST, "/api/v1/auth/totp/confirm", Some(json!({"code": "000000"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = botfleet::auth::totp::code_at(&secret, t.clock.now_ms()).unwrap();
    let (status, codes) =
        t.send(&session, Method::POST, "/api/v1/auth/totp/confirm", Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let recovery: Vec<String> =
        codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);

    // Password alone is no longer enough.
    t.clock.advance(Duration::from_secs(60));
    let (status, step) = t.login("tina", PASSWORD).await.unwrap_err();
    assert_eq!((status, step["status"].as_str()), (StatusCode::OK, Some("totp_required")));
    let challenge = step["challenge"].as_str().unwrap().to_owned();
    let (status, _) = t
        .send(
            &Cred::None,
            Method::POST,
            "/api/v1/auth/login/totp",
            Some(json!({"challenge": challenge, "code": "123456"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let code = botfleet::auth::totp::code_at(&secret, t.clock.now_ms()).unwrap();
    let body = json!({"challenge": challenge, "code": code});
    let (status, signed, headers) =
        t.send_full(&Cred::None, Method::POST, "/api/v1/auth/login/totp", Some(body.clone()), true).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "signed_in");
    let cookie = cookie_pair(headers.get("set-cookie").unwrap().to_str().unwrap());
    assert_eq!(t.send(&cookie, Method::GET, "/api/v1/users", None).await.0, StatusCode::OK);
    // The same code cannot be used twice (a fresh challenge, the same step).
    let (_, step) = t.login("tina", PASSWORD).await.unwrap_err();
    let again = json!({"challenge": step["challenge"], "code": code});
    assert_eq!(
        t.send(&Cred::None, Method::POST, "/api/v1/auth/login/totp", Some(again)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A recovery code works once.
    let (_, step) = t.login("tina", PASSWORD).await.unwrap_err();
    let body = json!({"challenge": step["challenge"], "recovery_code": recovery[0].to_uppercase()});
    assert_eq!(t.send(&Cred::None, Method::POST, "/api/v1/auth/login/totp", Some(body)).await.0, StatusCode::OK);
    let (_, step) = t.login("tina", PASSWORD).await.unwrap_err();
    let body = json!({"challenge": step["challenge"], "recovery_code": recovery[0]});
    assert_eq!(
        t.send(&Cred::None, Method::POST, "/api/v1/auth/login/totp", Some(body)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.audit("totp.enabled").await.len(), 1);
    assert_eq!(t.audit("totp.recovery_code_used").await.len(), 1);

    // An admin can require two-factor for admins: one without it may only enrol.
    t.user("adam", "admin").await;
    let adam = t.login("adam", PASSWORD).await.unwrap();
    let on = json!({"require_totp_for_admins": true});
    assert_eq!(t.send(&cookie, Method::PUT, "/api/v1/settings/security", Some(on)).await.0, StatusCode::OK);
    let (status, refused) = t.send(&adam, Method::GET, "/api/v1/bots", None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("totp_required")));
    assert_eq!(t.send(&adam, Method::POST, "/api/v1/auth/totp", None).await.0, StatusCode::OK);
    assert_eq!(t.send(&cookie, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK, "tina has two-factor");
}

async fn lockout_grows_and_is_audited_and_unknown_users_look_the_same(t: Sec) {
    t.user("lou", "viewer").await;
    // Threshold 3 in this test: three failures lock for 60 s.
    for _ in 0..3 {
        let (status, body) = t.login("lou", "wrong password!").await.unwrap_err();
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong user name or password"))
        );
    }
    let (status, body) = t.login("lou", PASSWORD).await.unwrap_err();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // An unknown name gets the same answers, lockout included.
    for _ in 0..3 {
        let (status, body) = t.login("nobody", "wrong password!").await.unwrap_err();
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong user name or password"))
        );
    }
    assert_eq!(t.login("nobody", PASSWORD).await.unwrap_err().0, StatusCode::TOO_MANY_REQUESTS);
    t.clock.advance(Duration::from_secs(61));
    // The lock has ended (a wrong password is judged again); three more failures: the second
    // lock is longer (120 s).
    for _ in 0..3 {
        assert_eq!(t.login("lou", "wrong password!").await.unwrap_err().0, StatusCode::UNAUTHORIZED);
    }
    t.clock.advance(Duration::from_secs(61));
    assert_eq!(t.login("lou", PASSWORD).await.unwrap_err().0, StatusCode::TOO_MANY_REQUESTS, "still locked");
    t.clock.advance(Duration::from_secs(60));
    let (_, before) = (0, t.audit("login.lockout").await);
    assert!(t.login("lou", PASSWORD).await.is_ok());
    assert_eq!(before.len(), 3, "two lockouts of lou and one of the unknown name");
    let failed = t.audit("login.failed").await;
    assert_eq!(failed.len(), 9);
    assert!(failed.iter().all(|r| r["ip"].as_str().is_some() && r["kind"] == "security"));
    assert_eq!(t.audit("login.succeeded").await.len(), 1);
}

/// Failed sign-ins lock an account for its owner too; an admin lifts the lock (the route, audited),
/// a narrower credential may not lift an admin's, and the command line does it with no server.
async fn an_admin_unlocks_a_locked_account(t: Sec) {
    let lou = t.user("lou", "viewer").await;
    let ada = t.user("ada", "admin").await;
    for name in ["lou", "ada"] {
        for _ in 0..3 {
            assert_eq!(t.login(name, "wrong password!").await.unwrap_err().0, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(t.login(name, PASSWORD).await.unwrap_err().0, StatusCode::TOO_MANY_REQUESTS, "{name} locked");
    }
    let (status, user) = t.send(&t.admin(), Method::GET, &format!("/api/v1/users/{lou}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(user["locked_until"].is_string(), "{user}");

    // An operator-level key with users.manage holds less than an admin: it may unlock lou, not ada.
    let mut scopes: Vec<String> =
        Action::all().filter(|a| a.scopable() && a.allows(Role::Viewer)).map(|a| a.name().to_owned()).collect();
    scopes.push("users.manage".into());
    let narrow = Cred::Key(t.key(json!({"name": "helpdesk", "scopes": scopes})).await);
    let (status, refused) = t.send(&narrow, Method::POST, &format!("/api/v1/users/{ada}/unlock"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("unlock"), "{refused}");
    assert_eq!(t.login("ada", PASSWORD).await.unwrap_err().0, StatusCode::TOO_MANY_REQUESTS, "still locked");

    let (status, user) = t.send(&t.admin(), Method::POST, &format!("/api/v1/users/{lou}/unlock"), None).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert!(user["locked_until"].is_null(), "{user}");
    assert!(t.login("lou", PASSWORD).await.is_ok(), "lou signs in at once, without waiting for the lock");
    let unlocked = t.audit("login.unlocked").await;
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert_eq!(unlocked[0]["target_id"].as_str(), Some(lou.to_string().as_str()), "{unlocked:?}");
    assert_eq!(t.audit("users.unlock").await.len(), 1);
    let (status, _) = t.send(&t.admin(), Method::POST, "/api/v1/users/999999/unlock", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Unlocking an account that is not locked changes nothing and writes no action row.
    let before = t.action_rows().await;
    assert_eq!(t.send(&t.admin(), Method::POST, &format!("/api/v1/users/{lou}/unlock"), None).await.0, StatusCode::OK);
    assert_eq!(t.action_rows().await, before);
}

/// With `require_totp_for_admin_keys`, a key holding an admin-only permission works only when its
/// creator has two-factor; narrower keys are untouched, and it is off by default.
async fn admin_keys_can_be_made_to_need_two_factor(t: Sec) {
    // Keys made by a user with two-factor (tina) and by one without (adam).
    t.user("tina", "admin").await;
    t.user("adam", "admin").await;
    let tina = t.login("tina", PASSWORD).await.unwrap();
    let (status, enrol) = t.send(&tina, Method::POST, "/api/v1/auth/totp", None).await;
    assert_eq!(status, StatusCode::OK, "{enrol}");
    let code = botfleet::auth::totp::code_at(enrol["secret"].as_str().unwrap(), t.clock.now_ms()).unwrap();
    let (status, body) = t.send(&tina, Method::POST, "/api/v1/auth/totp/confirm", Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let adam = t.login("adam", PASSWORD).await.unwrap();
    let sec = &t;
    let made_by = |cookie: Cred, body: Value| async move {
        let (status, created) = sec.send(&cookie, Method::POST, "/api/v1/api-keys", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        Cred::Key(created["key"].as_str().unwrap().to_owned())
    };
    let tinas_admin_key = made_by(tina.clone(), json!({"name": "t", "role": "admin"})).await;
    let adams_admin_key = made_by(adam.clone(), json!({"name": "a", "role": "admin"})).await;
    let adams_keys_key = made_by(adam.clone(), json!({"name": "k", "scopes": ["keys.manage"]})).await;
    let adams_operator_key = made_by(adam.clone(), json!({"name": "o", "role": "operator"})).await;
    let cli_admin_key = t.admin();

    // Off (the default): every key works.
    for key in [&tinas_admin_key, &adams_admin_key, &adams_keys_key, &adams_operator_key, &cli_admin_key] {
        assert_eq!(t.send(key, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK);
    }
    let on = json!({"require_totp_for_admins": false, "require_totp_for_admin_keys": true});
    let (status, saved) = t.send(&tinas_admin_key, Method::PUT, "/api/v1/settings/security", Some(on)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["require_totp_for_admin_keys"], true, "{saved}");

    for key in [&adams_admin_key, &adams_keys_key, &cli_admin_key] {
        let (status, refused) = t.send(key, Method::GET, "/api/v1/bots", None).await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("totp_required")),
            "{refused}"
        );
        assert!(refused["error"]["message"].as_str().unwrap().contains("two-factor"), "{refused}");
    }
    assert_eq!(t.send(&tinas_admin_key, Method::GET, "/api/v1/users", None).await.0, StatusCode::OK);
    assert_eq!(
        t.send(&adams_operator_key, Method::GET, "/api/v1/bots", None).await.0,
        StatusCode::OK,
        "not admin-level"
    );
    // Adam enrols: his keys work again; the setting is read back as saved.
    let (_, enrol) = t.send(&adam, Method::POST, "/api/v1/auth/totp", None).await;
    let code = botfleet::auth::totp::code_at(enrol["secret"].as_str().unwrap(), t.clock.now_ms()).unwrap();
    assert_eq!(
        t.send(&adam, Method::POST, "/api/v1/auth/totp/confirm", Some(json!({"code": code}))).await.0,
        StatusCode::OK
    );
    assert_eq!(t.send(&adams_admin_key, Method::GET, "/api/v1/users", None).await.0, StatusCode::OK);
    let (_, settings) = t.send(&tinas_admin_key, Method::GET, "/api/v1/settings/security", None).await;
    assert_eq!(settings["require_totp_for_admin_keys"], true, "{settings}");
}

/// A key that manages keys revokes only keys whose permissions it holds: not an admin's.
async fn a_narrow_key_cannot_revoke_a_stronger_one(t: Sec) {
    let keys_only = Cred::Key(t.key(json!({"name": "keys", "scopes": ["keys.manage"]})).await);
    let (_, list) = t.send(&t.admin(), Method::GET, "/api/v1/api-keys", None).await;
    let admin_id =
        list["items"].as_array().unwrap().iter().find(|k| k["role"] == "admin").unwrap()["id"].as_i64().unwrap();
    let (status, refused) = t.send(&keys_only, Method::DELETE, &format!("/api/v1/api-keys/{admin_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("may not revoke"), "{refused}");
    assert_eq!(
        t.send(&t.admin(), Method::GET, "/api/v1/auth/me", None).await.0,
        StatusCode::OK,
        "the admin key still works"
    );
    // Its own kind it may revoke (itself included).
    let (_, created) = t
        .send(&keys_only, Method::POST, "/api/v1/api-keys", Some(json!({"name": "k2", "scopes": ["keys.manage"]})))
        .await;
    let k2 = created["api_key"]["id"].as_i64().unwrap();
    assert_eq!(
        t.send(&keys_only, Method::DELETE, &format!("/api/v1/api-keys/{k2}"), None).await.0,
        StatusCode::NO_CONTENT
    );
}

async fn csrf_and_session_lifetimes(t: Sec) {
    t.user("cara", "operator").await;
    let session = t.login("cara", PASSWORD).await.unwrap();
    let body = Some(json!({"current_password": PASSWORD, "new_password": "another long password"}));
    let (status, refused, _) = t.send_full(&session, Method::POST, "/api/v1/auth/password", body.clone(), false).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")));
    // Cross-site sign-in attempts are refused too.
    let login = json!({"username": "cara", "password": PASSWORD});
    let (status, _, _) = t.send_full(&session, Method::POST, "/api/v1/auth/login", Some(login), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Reads need no Origin; API keys need none.
    assert_eq!(t.send_full(&session, Method::GET, "/api/v1/bots", None, false).await.0, StatusCode::OK);

    // Idle: 60 minutes without a request ends it; activity keeps it alive.
    for _ in 0..3 {
        t.clock.advance(Duration::from_secs(50 * 60));
        assert_eq!(t.send(&session, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK);
    }
    // Absolute: 12 hours after sign-in, however active (150 + 11 × 50 = 700 minutes, then 750).
    for _ in 0..11 {
        t.clock.advance(Duration::from_secs(50 * 60));
        assert_eq!(t.send(&session, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK);
    }
    t.clock.advance(Duration::from_secs(50 * 60));
    let (status, body) = t.send(&session, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("expired"));
    let fresh = t.login("cara", PASSWORD).await.unwrap();
    t.clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(t.send(&fresh, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED, "idle");
}

async fn password_change_ends_other_sessions_and_admin_can_end_all(t: Sec) {
    let id = t.user("pat", "viewer").await;
    let (a, b) = (t.login("pat", PASSWORD).await.unwrap(), t.login("pat", PASSWORD).await.unwrap());
    let body = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});
    assert_eq!(t.send(&a, Method::POST, "/api/v1/auth/password", Some(body)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(t.send(&a, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::OK, "this session stays");
    assert_eq!(t.send(&b, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED, "others end");
    assert!(t.login("pat", PASSWORD).await.is_err());
    let c = t.login("pat", "a brand new passphrase").await.unwrap();
    let (status, ended) = t.send(&t.admin(), Method::DELETE, &format!("/api/v1/users/{id}/sessions"), None).await;
    assert_eq!((status, ended["sessions_ended"].as_u64()), (StatusCode::OK, Some(2)));
    for s in [&a, &c] {
        assert_eq!(t.send(s, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(t.audit("password.changed").await.len(), 1);
}

async fn api_keys_are_shown_once_and_refused_after_revoke_or_expiry(t: Sec) {
    let (status, created) =
        t.send(&t.admin(), Method::POST, "/api/v1/api-keys", Some(json!({"name": "ci", "role": "viewer"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["api_key"]["id"].as_i64().unwrap();
    assert!(key.starts_with("bf_") && key.len() > 40);
    let (_, listed) = t.send(&t.admin(), Method::GET, "/api/v1/api-keys", None).await;
    let (_, one) = t.send(&t.admin(), Method::GET, &format!("/api/v1/api-keys/{id}"), None).await;
    assert!(listed["items"].as_array().unwrap().iter().any(|k| k["id"] == id), "listed: {listed}");
    assert!(!listed.to_string().contains(&key) && !one.to_string().contains(&key), "shown once");
    assert!(one["last_used_at"].is_null());
    let k = Cred::Key(key.clone());
    assert_eq!(t.send(&k, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
    let (_, one) = t.send(&t.admin(), Method::GET, &format!("/api/v1/api-keys/{id}"), None).await;
    assert!(one["last_used_at"].is_string(), "{one}");
    assert_eq!(
        t.send(&t.admin(), Method::DELETE, &format!("/api/v1/api-keys/{id}"), None).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, refused) = t.send(&k, Method::GET, "/api/v1/bots", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused["error"]["message"].as_str().unwrap().contains("revoked"));

    let expires = botfleet::time::rfc3339(START + 3_600_000);
    let key = t.key(json!({"name": "short", "role": "viewer", "expires_at": expires})).await;
    let k = Cred::Key(key);
    assert_eq!(t.send(&k, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
    t.clock.advance(Duration::from_secs(3601));
    let (status, refused) = t.send(&k, Method::GET, "/api/v1/bots", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused["error"]["message"].as_str().unwrap().contains("expired"));
    // Invalid requests are explained field by field.
    let bad = json!({"name": "", "scopes": ["logs.read", "users.fly"], "expires_at": "2001-01-01T00:00:00Z"});
    let (status, errors) = t.send(&t.admin(), Method::POST, "/api/v1/api-keys", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        errors["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes[1]", "expires_at"]);
    assert_eq!(t.audit("api_key.created").await.len(), 2);
    assert_eq!(t.audit("api_key.revoked").await.len(), 1);
}

async fn rate_limits_answer_429_with_retry_after(t: Sec) {
    // This test's limits: 20 requests and 3 bot operations a minute.
    let key = t.key(json!({"name": "busy", "role": "operator"})).await;
    let k = Cred::Key(key);
    let bot =
        t.send(&t.admin(), Method::POST, "/api/v1/bots", Some(json!({"name": "B", "token": t.shop.token}))).await.1;
    let id = bot["id"].as_i64().unwrap();
    let bulk = json!({"action": "stop", "bot_ids": [id, id, id, id, id]});
    assert_eq!(
        t.send(&k, Method::POST, "/api/v1/bots/bulk", Some(bulk)).await.0,
        StatusCode::ACCEPTED,
        "a bulk counts once"
    );
    for _ in 0..2 {
        assert_eq!(t.send(&k, Method::POST, &format!("/api/v1/bots/{id}/stop"), None).await.0, StatusCode::OK);
    }
    let (status, body, headers) = t.send_full(&k, Method::POST, &format!("/api/v1/bots/{id}/stop"), None, true).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    let wait: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Reads are still within the general budget.
    assert_eq!(t.send(&k, Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
    let mut limited = None;
    for i in 0..30 {
        let (status, _, headers) = t.send_full(&k, Method::GET, "/api/v1/bots", None, true).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, headers.get("retry-after").cloned()));
            break;
        }
    }
    let (i, retry) = limited.expect("the general limit applies");
    assert!(i < 20 && retry.is_some());
    // Other credentials have their own budget; time refills it.
    assert_eq!(t.send(&t.admin(), Method::GET, "/api/v1/bots", None).await.0, StatusCode::OK);
    t.clock.advance(Duration::from_secs(wait));
    assert_eq!(t.send(&k, Method::POST, &format!("/api/v1/bots/{id}/stop"), None).await.0, StatusCode::OK);
}

/// Each mutating route: refused (no row), invalid (no row), valid (its rows). The routes not
/// covered here must be sign-in/sign-out (security events, not actions).
async fn every_change_writes_one_action_row_and_nothing_else_does(t: Sec) {
    let viewer = Cred::Key(t.key(json!({"name": "v", "role": "viewer"})).await);
    let mut covered = BTreeSet::new();
    let bot_token = token("audit");
    let admin = t.admin();

    macro_rules! case {
        ($cred:expr, $method:expr, $template:expr, $path:expr, invalid: $invalid:expr, valid: $valid:expr, rows: $rows:expr) => {{
            let (method, template, path): (Method, &str, String) = ($method, $template, $path);
            covered.insert(format!("{method} {template}"));
            let before = t.action_rows().await;
            let refuser = if template.starts_with("/api/v1/auth/") { admin.clone() } else { viewer.clone() };
            let (status, body) = t.send(&refuser, method.clone(), &path, $valid).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {template} refused: {body}");
            let (status, _) = t.send(&Cred::None, method.clone(), &path, $valid).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            let invalid: Option<(String, Option<Value>)> = $invalid;
            if let Some((ipath, ibody)) = invalid {
                let (status, body) = t.send(&$cred, method.clone(), &ipath, ibody).await;
                assert!(
                    status.is_client_error() && status != StatusCode::FORBIDDEN,
                    "{method} {template} invalid: {status} {body}"
                );
            }
            assert_eq!(t.action_rows().await, before, "{method} {template}: refused or invalid requests write nothing");
            let (status, body) = t.send(&$cred, method.clone(), &path, $valid).await;
            assert!(status.is_success(), "{method} {template} valid: {status} {body}");
            assert_eq!(t.action_rows().await, before + $rows, "{method} {template}: {body}");
            body
        }};
    }

    let (p, b) = ("/api/v1/bots", Some(json!({"name": "Audited", "token": bot_token})));
    let bot = case!(admin, Method::POST, p, p.into(), invalid: Some((p.into(), Some(json!({"name": ""})))), valid: b.clone(), rows: 1);
    let id = bot["id"].as_i64().unwrap();
    let bp = format!("/api/v1/bots/{id}");
    case!(admin, Method::PATCH, "/api/v1/bots/{id}", bp.clone(),
        invalid: Some((bp.clone(), Some(json!({"version": 1, "prefix": ""})))), valid: Some(json!({"version": 1, "prefix": "?"})), rows: 1);
    let new_token = t.shop.token.clone();
    case!(admin, Method::PUT, "/api/v1/bots/{id}/token", format!("{bp}/token"),
        invalid: Some((format!("{bp}/token"), Some(json!({"version": 2, "token": "x"})))),
        valid: Some(json!({"version": 2, "token": new_token})), rows: 1);
    let sp = format!("{bp}/server-settings/123456789012345678");
    case!(admin, Method::PUT, "/api/v1/bots/{id}/server-settings/{guild_id}", sp.clone(),
        invalid: Some((sp.clone(), Some(json!({"version": 0, "prefix": ""})))),
        valid: Some(json!({"version": 0, "prefix": "$"})), rows: 1);
    case!(admin, Method::DELETE, "/api/v1/bots/{id}/server-settings/{guild_id}", sp.clone(),
        invalid: Some((format!("{bp}/server-settings/1"), None)), valid: None, rows: 1);
    case!(admin, Method::POST, "/api/v1/bots/{id}/test", format!("{bp}/test"),
        invalid: Some(("/api/v1/bots/abc/test".into(), None)), valid: None, rows: 0);
    case!(admin, Method::POST, "/api/v1/bots/guilds", "/api/v1/bots/guilds".into(),
        invalid: Some(("/api/v1/bots/guilds".into(), Some(json!({"token": "x"})))), valid: Some(json!({"token": t.shop.token.clone()})), rows: 0);
    case!(admin, Method::POST, "/api/v1/bots/test", "/api/v1/bots/test".into(),
        invalid: Some(("/api/v1/bots/test".into(), Some(json!({"token": "x"})))), valid: Some(json!({"token": bot_token})), rows: 0);
    case!(admin, Method::POST, "/api/v1/bots/{id}/start", format!("{bp}/start"),
        invalid: Some(("/api/v1/bots/abc/start".into(), None)), valid: None, rows: 1);
    // Starting a running bot changes nothing.
    assert_eq!(t.send(&admin, Method::POST, &format!("{bp}/start"), None).await.0, StatusCode::OK);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while t.send(&admin, Method::GET, &bp, None).await.1["status"] != "running" {
        assert!(tokio::time::Instant::now() < deadline, "the bot never ran");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    t.emulator.user_message(t.alice, t.general, "?ping").unwrap(); // its prefix is now ?
    let command_id = loop {
        let (_, logs) = t.send(&admin, Method::GET, "/api/v1/command-logs", None).await;
        if let Some(id) = logs["items"][0]["id"].as_i64() {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no command was tracked");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    case!(admin, Method::POST, "/api/v1/bots/{id}/restart", format!("{bp}/restart"),
        invalid: Some(("/api/v1/bots/abc/restart".into(), None)), valid: None, rows: 1);
    case!(admin, Method::POST, "/api/v1/bots/{id}/stop", format!("{bp}/stop"),
        invalid: Some(("/api/v1/bots/0/stop".into(), None)), valid: None, rows: 1);
    // The gateway is down for a while: the bulk start's one item waits for the bot, so the job is
    // still running when it is cancelled.
    t.emulator
        .inject(discord_emulator::FaultSpec::now(discord_emulator::FaultAction::GatewayDown { for_ms: 5_000 }))
        .unwrap();
    let job = case!(admin, Method::POST, "/api/v1/bots/bulk", "/api/v1/bots/bulk".into(),
        invalid: Some(("/api/v1/bots/bulk".into(), Some(json!({"action": "fly", "bot_ids": [id]})))),
        valid: Some(json!({"action": "start", "bot_ids": [id]})), rows: 1);
    let jp = format!("/api/v1/jobs/{}", job["id"]);
    case!(admin, Method::POST, "/api/v1/jobs/{id}/cancel", format!("{jp}/cancel"),
        invalid: Some(("/api/v1/jobs/999999/cancel".into(), None)), valid: None, rows: 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while t.send(&admin, Method::GET, &jp, None).await.1["state"] != "cancelled" {
        assert!(tokio::time::Instant::now() < deadline, "the cancelled job never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.emulator.clear_faults();
    case!(admin, Method::POST, "/api/v1/jobs/{id}/retry", format!("{jp}/retry"),
        invalid: Some(("/api/v1/jobs/999999/retry".into(), None)), valid: None, rows: 1);
    let general = t.general.to_string();
    case!(admin, Method::POST, "/api/v1/bots/{id}/send-message", format!("{bp}/send-message"),
        invalid: Some((format!("{bp}/send-message"), Some(json!({"channel_id": "x", "content": "hi"})))),
        valid: Some(json!({"channel_id": general, "content": "Restocked!"})), rows: 1);
    // A batch of messages: one `messages.batch` row (its job is the target).
    let mb = "/api/v1/messages/batch";
    let to = json!([{"bot_id": id, "channel_id": general}]);
    case!(admin, Method::POST, mb, mb.into(),
        invalid: Some((mb.into(), Some(json!({"messages": [{"content": "x".repeat(2001)}], "channels": to})))),
        valid: Some(json!({"messages": [{"content": "Sale starts now"}], "channels": to})), rows: 1);
    // Skipping a failed item: a bulk start of a bot that does not exist fails its one item.
    let failed = t
        .send(&admin, Method::POST, "/api/v1/bots/bulk", Some(json!({"action": "start", "bot_ids": [999_999]})))
        .await
        .1;
    let fp = format!("/api/v1/jobs/{}", failed["id"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while t.send(&admin, Method::GET, &fp, None).await.1["state"] != "failed" {
        assert!(tokio::time::Instant::now() < deadline, "the failing job never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    case!(admin, Method::POST, "/api/v1/jobs/{id}/items/{seq}/skip", format!("{fp}/items/1/skip"),
        invalid: Some((format!("{fp}/items/9/skip"), None)), valid: None, rows: 1);
    // Schedules: made, changed and deleted by an operator's permission (a viewer is refused); the
    // preview changes nothing, so a viewer may ask it and no row is written.
    let sp = "/api/v1/schedules";
    let daily = json!({"bot_id": id, "channel_id": general, "message": {"content": "Opening"}, "cron": "0 9 * * *", "time_zone": "Europe/Berlin"});
    let schedule = case!(admin, Method::POST, sp, sp.into(),
        invalid: Some((sp.into(), Some(json!({"bot_id": id, "channel_id": general, "message": {"content": "x"}, "cron": "0 0 31 2 *"})))),
        valid: Some(daily.clone()), rows: 1);
    let sip = format!("{sp}/{}", schedule["id"]);
    case!(admin, Method::PATCH, "/api/v1/schedules/{id}", sip.clone(),
        invalid: Some((sip.clone(), Some(json!({"time_zone": "Mars/Olympus"})))), valid: Some(json!({"enabled": false})), rows: 1);
    {
        let path = "/api/v1/schedules/preview";
        covered.insert(format!("POST {path}"));
        let before = t.action_rows().await;
        assert_eq!(
            t.send(&Cred::None, Method::POST, path, Some(json!({"cron": "0 9 * * *"}))).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (status, body) = t.send(&viewer, Method::POST, path, Some(json!({"cron": "0 9 * * *"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(t.action_rows().await, before, "a preview writes nothing");
    }
    case!(admin, Method::DELETE, "/api/v1/schedules/{id}", sip.clone(), invalid: Some((format!("{sp}/abc"), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/command-logs/{id}", format!("/api/v1/command-logs/{command_id}"),
        invalid: Some(("/api/v1/command-logs/abc".into(), None)), valid: None, rows: 1);
    let (_, logs) = t.send(&admin, Method::GET, "/api/v1/bot-logs", None).await;
    let log_id = logs["items"][0]["id"].as_i64().unwrap();
    case!(admin, Method::DELETE, "/api/v1/bot-logs/{id}", format!("/api/v1/bot-logs/{log_id}"),
        invalid: Some(("/api/v1/bot-logs/abc".into(), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/bots/{id}", bp.clone(), invalid: Some(("/api/v1/bots/abc".into(), None)), valid: None, rows: 1);

    let user = case!(admin, Method::POST, "/api/v1/users", "/api/v1/users".into(),
        invalid: Some(("/api/v1/users".into(), Some(json!({"username": "x", "password": "short", "role": "viewer"})))),
        valid: Some(json!({"username": "uma", "password": PASSWORD, "role": "viewer"})), rows: 1);
    let uid = user["id"].as_i64().unwrap();
    let up = format!("/api/v1/users/{uid}");
    case!(admin, Method::PATCH, "/api/v1/users/{id}", up.clone(),
        invalid: Some((up.clone(), Some(json!({"role": "god"})))), valid: Some(json!({"role": "operator"})), rows: 1);
    case!(admin, Method::PUT, "/api/v1/users/{id}/password", format!("{up}/password"),
        invalid: Some((format!("{up}/password"), Some(json!({"password": "short"})))), valid: Some(json!({"password": "uma's new passphrase"})), rows: 1);
    t.login("uma", "uma's new passphrase").await.unwrap();
    for _ in 0..5 {
        assert_eq!(t.login("uma", "not uma's passphrase").await.unwrap_err().0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(t.login("uma", "uma's new passphrase").await.unwrap_err().0, StatusCode::TOO_MANY_REQUESTS);
    case!(admin, Method::POST, "/api/v1/users/{id}/unlock", format!("{up}/unlock"),
        invalid: Some(("/api/v1/users/abc/unlock".into(), None)), valid: None, rows: 1);
    t.login("uma", "uma's new passphrase").await.unwrap();
    case!(admin, Method::DELETE, "/api/v1/users/{id}/sessions", format!("{up}/sessions"),
        invalid: Some(("/api/v1/users/abc/sessions".into(), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/users/{id}", up.clone(), invalid: Some(("/api/v1/users/abc".into(), None)), valid: None, rows: 1);
    let created = case!(admin, Method::POST, "/api/v1/api-keys", "/api/v1/api-keys".into(),
        invalid: Some(("/api/v1/api-keys".into(), Some(json!({"name": ""})))), valid: Some(json!({"name": "k", "role": "viewer"})), rows: 1);
    let kid = created["api_key"]["id"].as_i64().unwrap();
    case!(admin, Method::DELETE, "/api/v1/api-keys/{id}", format!("/api/v1/api-keys/{kid}"),
        invalid: Some(("/api/v1/api-keys/abc".into(), None)), valid: None, rows: 1);
    case!(admin, Method::PUT, "/api/v1/settings/security", "/api/v1/settings/security".into(),
        invalid: Some(("/api/v1/settings/security".into(), Some(json!({"require_totp_for_admins": "yes"})))),
        valid: Some(json!({"require_totp_for_admins": true})), rows: 1);
    t.send(&admin, Method::PUT, "/api/v1/settings/security", Some(json!({"require_totp_for_admins": false}))).await;
    case!(admin, Method::PUT, "/api/v1/settings/retention", "/api/v1/settings/retention".into(),
        invalid: Some(("/api/v1/settings/retention".into(), Some(json!({"audit_days": 5000})))),
        valid: Some(json!({"audit_days": 400})), rows: 1);
    case!(admin, Method::PUT, "/api/v1/status-page", "/api/v1/status-page".into(),
        invalid: Some(("/api/v1/status-page".into(), Some(json!({"enabled": true, "title": "Shop", "version": 1, "bots": [{"bot_id": 999999}]})))),
        valid: Some(json!({"enabled": true, "title": "Shop status", "version": 1, "bots": []})), rows: 1);
    case!(admin, Method::POST, "/api/v1/config/export", "/api/v1/config/export".into(),
        invalid: Some(("/api/v1/config/export".into(), Some(json!({"passphrase": "short"})))),
        valid: Some(json!({})), rows: 1);
    let config = json!({"format": "botfleet-config", "version": 1, "exported_at": "2026-12-01T00:00:00Z",
        "products": [{"sku": "CFG-1", "name": "From a document", "price_minor": 100, "currency": "EUR", "stock": 1,
                      "low_stock_threshold": 0, "visible": true}]});
    case!(admin, Method::POST, "/api/v1/config/import", "/api/v1/config/import".into(),
        invalid: Some(("/api/v1/config/import".into(), Some(json!({"document": {"format": "other", "version": 1, "exported_at": ""}})))),
        valid: Some(json!({"document": config})), rows: 1);
    // A retention run: one row when it is asked for, and the run's own `retention.sweep` row when
    // its job ends (so waited for here, by hand).
    {
        let path = "/api/v1/settings/retention/run";
        covered.insert(format!("POST {path}"));
        let before = t.action_rows().await;
        assert_eq!(t.send(&Cred::None, Method::POST, path, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(t.send(&viewer, Method::POST, path, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(t.action_rows().await, before, "a refused run writes nothing");
        let (status, job) = t.send(&admin, Method::POST, path, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let jp = format!("/api/v1/jobs/{}", job["id"]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while t.action_rows().await < before + 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the run never ended: {}",
                t.send(&admin, Method::GET, &jp, None).await.1
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(t.send(&admin, Method::GET, &jp, None).await.1["state"], "succeeded");
        assert_eq!(t.action_rows().await, before + 2, "retention.run and retention.sweep");
    }
    // Exports: the audit log's needs audit.read (a viewer is refused); the logs' need logs.read,
    // which a viewer has, so by hand: no credential 401, invalid nothing, valid one row.
    case!(admin, Method::POST, "/api/v1/audit-logs/export", "/api/v1/audit-logs/export".into(),
        invalid: Some(("/api/v1/audit-logs/export".into(), Some(json!({"filter": {"kind": "other"}})))),
        valid: Some(json!({"format": "jsonl"})), rows: 1);
    for path in ["/api/v1/command-logs/export", "/api/v1/bot-logs/export"] {
        covered.insert(format!("POST {path}"));
        let before = t.action_rows().await;
        assert_eq!(t.send(&Cred::None, Method::POST, path, Some(json!({}))).await.0, StatusCode::UNAUTHORIZED);
        let (status, body) = t.send(&viewer, Method::POST, path, Some(json!({"format": "xml"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(t.action_rows().await, before, "{path}: an invalid export writes nothing");
        let (status, body) = t.send(&viewer, Method::POST, path, Some(json!({"filter": {"bot_id": 1}}))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{path}: {body}");
        assert_eq!(t.action_rows().await, before + 1, "{path}");
    }

    t.user("sam", "viewer").await;
    let sam = t.login("sam", PASSWORD).await.unwrap();
    case!(sam, Method::POST, "/api/v1/auth/password", "/api/v1/auth/password".into(),
        invalid: Some(("/api/v1/auth/password".into(), Some(json!({"current_password": "not it at all", "new_password": "whatever long"})))),
        valid: Some(json!({"current_password": PASSWORD, "new_password": "sam's second password"})), rows: 1);
    let enrol = case!(sam, Method::POST, "/api/v1/auth/totp", "/api/v1/auth/totp".into(),
        invalid: None, valid: None, rows: 1);
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let code = botfleet::auth::totp::code_at(&secret, t.clock.now_ms()).unwrap();
    case!(sam, Method::POST, "/api/v1/auth/totp/confirm", "/api/v1/auth/totp/confirm".into(),
        invalid: Some(("/api/v1/auth/totp/confirm".into(), Some(json!({"code": "abc"})))), valid: Some(json!({"code": code})), rows: 1);
    case!(sam, Method::DELETE, "/api/v1/auth/totp", "/api/v1/auth/totp".into(),
        invalid: Some(("/api/v1/auth/totp".into(), Some(json!({"password": "not my password"})))),
        valid: Some(json!({"password": "sam's second password"})), rows: 1);

    let created = case!(admin, Method::POST, "/api/v1/products", "/api/v1/products".into(),
        invalid: Some(("/api/v1/products".into(), Some(json!({"sku": "", "name": "x", "price_minor": 1, "currency": "EUR"})))),
        valid: Some(json!({"sku": "MUG", "name": "Mug", "price_minor": 900, "currency": "EUR", "stock": 3})), rows: 1);
    let pp = format!("/api/v1/products/{}", created["id"]);
    case!(admin, Method::PATCH, "/api/v1/products/{id}", pp.clone(),
        invalid: Some((pp.clone(), Some(json!({"version": 1, "currency": "x"})))), valid: Some(json!({"version": 1, "price_minor": 950})), rows: 1);
    case!(admin, Method::POST, "/api/v1/products/{id}/stock", format!("{pp}/stock"),
        invalid: Some((format!("{pp}/stock"), Some(json!({"adjust": 0, "reason": "none"})))),
        valid: Some(json!({"adjust": -1, "reason": "sold"})), rows: 1);
    case!(admin, Method::PUT, "/api/v1/products/{id}/visible", format!("{pp}/visible"),
        invalid: Some((format!("{pp}/visible"), Some(json!({"visible": "no"})))), valid: Some(json!({"visible": false})), rows: 1);
    {
        // CSV bodies: by hand, the same three steps.
        covered.insert("POST /api/v1/products/import".to_owned());
        let before = t.action_rows().await;
        let csv_post = |cred: &Cred, body: &str| {
            let mut req = reqwest::Client::new()
                .post(format!("{}/api/v1/products/import", t.app.url))
                .header("content-type", "text/csv")
                .body(body.to_owned());
            if let Cred::Key(k) = cred {
                req = req.header("authorization", format!("Bearer {k}"));
            }
            req.send()
        };
        let good = "sku,name,price_minor,currency,stock\nCAP,Cap,1500,EUR,8\n";
        assert_eq!(csv_post(&viewer, good).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(
            csv_post(&admin, "sku,name,price_minor,currency\nCAP,,x,EUR\n").await.unwrap().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(t.action_rows().await, before);
        assert_eq!(csv_post(&admin, good).await.unwrap().status(), StatusCode::OK);
        assert_eq!(t.action_rows().await, before + 1);
    }
    case!(admin, Method::DELETE, "/api/v1/products/{id}", pp.clone(), invalid: Some(("/api/v1/products/abc".into(), None)), valid: None, rows: 1);

    // Alerts: channels, rules, windows, acknowledgement (a memory rule over 1 MB fires at once).
    let cp = "/api/v1/alerts/channels";
    let ch = case!(admin, Method::POST, cp, cp.into(),
        invalid: Some((cp.into(), Some(json!({"name": "Ops", "kind": "http_webhook", "url": "ftp://x", "secret": "0123456789abcdef"})))),
        valid: Some(json!({"name": "Ops", "kind": "http_webhook", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"})), rows: 1);
    let chp = format!("{cp}/{}", ch["id"]);
    case!(admin, Method::PATCH, "/api/v1/alerts/channels/{id}", chp.clone(),
        invalid: Some((chp.clone(), Some(json!({"url": "nope"})))), valid: Some(json!({"name": "Ops 2"})), rows: 1);
    case!(admin, Method::POST, "/api/v1/alerts/channels/{id}/test", format!("{chp}/test"),
        invalid: Some(("/api/v1/alerts/channels/abc/test".into(), None)), valid: None, rows: 1);
    let rp = "/api/v1/alerts/rules";
    let memory =
        json!({"name": "Memory", "condition": {"kind": "memory_over", "megabytes": 1}, "channel_ids": [ch["id"]]});
    let rule = case!(admin, Method::POST, rp, rp.into(),
        invalid: Some((rp.into(), Some(json!({"name": "", "condition": {"kind": "memory_over", "megabytes": 1}})))),
        valid: Some(memory.clone()), rows: 1);
    let rip = format!("{rp}/{}", rule["id"]);
    let mut resend = memory.clone();
    resend["resend_every_seconds"] = json!(600);
    case!(admin, Method::PUT, "/api/v1/alerts/rules/{id}", rip.clone(),
        invalid: Some((rip.clone(), Some(json!({"name": "Memory", "condition": {"kind": "warp"}})))), valid: Some(resend.clone()), rows: 1);
    let mp = "/api/v1/alerts/maintenance";
    let window = case!(admin, Method::POST, mp, mp.into(),
        invalid: Some((mp.into(), Some(json!({"name": "Sunday"})))),
        valid: Some(json!({"name": "Sunday", "rule_id": rule["id"], "weekly": {"days": ["sun"], "start": "03:00", "duration_minutes": 30}})), rows: 1);
    case!(admin, Method::DELETE, "/api/v1/alerts/maintenance/{id}", format!("{mp}/{}", window["id"]),
        invalid: Some((format!("{mp}/abc"), None)), valid: None, rows: 1);
    let incident = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, list) = t.send(&admin, Method::GET, "/api/v1/alerts/incidents?state=firing", None).await;
            if let Some(id) = list["items"][0]["id"].as_i64() {
                break id;
            }
            assert!(tokio::time::Instant::now() < deadline, "the memory rule never fired");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    case!(admin, Method::POST, "/api/v1/alerts/incidents/{id}/acknowledge", format!("/api/v1/alerts/incidents/{incident}/acknowledge"),
        invalid: Some(("/api/v1/alerts/incidents/999999/acknowledge".into(), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/alerts/rules/{id}", rip.clone(), invalid: Some((format!("{rp}/abc"), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/alerts/channels/{id}", chp.clone(), invalid: Some((format!("{cp}/abc"), None)), valid: None, rows: 1);

    // Webhooks: made, changed, tested, paused, resumed and deleted by admins (a viewer is refused).
    let wp = "/api/v1/webhooks";
    let hook = json!({"name": "Ops", "kind": "http_webhook", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef", "events": ["job"]});
    let made = case!(admin, Method::POST, wp, wp.into(),
        invalid: Some((wp.into(), Some(json!({"name": "Ops", "kind": "http_webhook", "url": "ftp://x", "secret": "0123456789abcdef", "events": ["job"]})))),
        valid: Some(hook.clone()), rows: 1);
    let whp = format!("{wp}/{}", made["id"]);
    case!(admin, Method::PUT, "/api/v1/webhooks/{id}", whp.clone(),
        invalid: Some((whp.clone(), Some(json!({"version": 1, "name": "Ops", "events": []})))),
        valid: Some(json!({"version": 1, "name": "Ops 2", "events": ["job", "alert"]})), rows: 1);
    case!(admin, Method::POST, "/api/v1/webhooks/{id}/test", format!("{whp}/test"),
        invalid: Some((format!("{wp}/999999/test"), None)), valid: None, rows: 1);
    case!(admin, Method::POST, "/api/v1/webhooks/{id}/pause", format!("{whp}/pause"),
        invalid: Some((format!("{wp}/999999/pause"), None)), valid: None, rows: 1);
    case!(admin, Method::POST, "/api/v1/webhooks/{id}/resume", format!("{whp}/resume"),
        invalid: Some((format!("{wp}/999999/resume"), None)), valid: None, rows: 1);
    case!(admin, Method::DELETE, "/api/v1/webhooks/{id}", whp.clone(), invalid: Some((format!("{wp}/abc"), None)), valid: None, rows: 1);

    // A node alone may not be drained (nowhere for its bots to go); taking it back is allowed.
    let (_, nodes) = t.send(&admin, Method::GET, "/api/v1/nodes", None).await;
    let np = format!("/api/v1/nodes/{}", nodes["items"][0]["id"].as_str().unwrap());
    case!(admin, Method::PATCH, "/api/v1/nodes/{id}", np.clone(),
        invalid: Some((np.clone(), Some(json!({"draining": true})))), valid: Some(json!({"draining": false})), rows: 1);

    let exempt = ["POST /api/v1/auth/login", "POST /api/v1/auth/login/totp", "POST /api/v1/auth/logout"];
    for (method, path, _) in botfleet::api::route_table().routes() {
        let name = format!("{method} {path}");
        if method != Method::GET && !exempt.contains(&name.as_str()) {
            assert!(covered.contains(&name), "{name} has no audit case");
        }
    }
    // Rows say who, what, old → new, from where; secrets never.
    let (_, page) = t.send(&admin, Method::GET, "/api/v1/audit-logs?kind=action&action=bots.update", None).await;
    let row = &page["items"][0];
    assert_eq!(row["changes"], json!({"prefix": {"old": "!", "new": "?"}}));
    assert_eq!(
        (row["actor_type"].as_str(), row["target_id"].as_str()),
        (Some("api_key"), Some(id.to_string().as_str()))
    );
    assert!(row["ip"].is_string() && row["user_agent"].is_string());

    // No secret anywhere but where it is handed over once.
    let rows = sqlx::query("SELECT * FROM discord_audit_logs").fetch_all(t.app.store.pool()).await.unwrap();
    let mut audit_text = String::new();
    for r in &rows {
        for c in ["changes", "detail", "actor_name", "target_id"] {
            audit_text.push_str(&r.try_get::<Option<String>, _>(c).unwrap().unwrap_or_default());
        }
    }
    let seen = t.seen.lock().unwrap().clone();
    // What botfleet logged (the emulator is Discord: its own transport logs see tokens, as
    // Discord does).
    let logs: String = captured_logs()
        .lines()
        .filter(|l| !l.contains(" tungstenite::") && !l.contains(" discord_emulator"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(logs.contains("bot created"), "logging was captured");
    let Cred::Cookie(sam_cookie) = &sam else { unreachable!() };
    let sam_session = sam_cookie.split('=').nth(1).unwrap().to_owned();
    for secret_text in
        [bot_token.as_str(), t.shop.token.as_str(), PASSWORD, "sam's second password", secret.as_str(), &sam_session]
    {
        let at = logs.find(secret_text).map(|i| &logs[i.saturating_sub(300)..(i + 40).min(logs.len())]);
        assert!(!audit_text.contains(secret_text), "an audit row holds a secret");
        assert!(at.is_none(), "the log holds a secret: {at:?}");
    }
    for secret_text in [bot_token.as_str(), t.shop.token.as_str(), PASSWORD, "sam's second password", &t.app.admin_key]
    {
        assert!(!seen.contains(secret_text), "a response holds a secret");
    }
    assert!(!logs.contains(&t.app.admin_key) && !audit_text.contains(&t.app.admin_key));
    let _ = (t.shop.bot_user_id, &t.emulator);
}

async fn forwarded_addresses_are_believed_only_from_trusted_proxies(t: Sec) {
    // This test trusts 127.0.0.1 as a proxy: the client is the right-most untrusted address.
    let login = json!({"username": "ghost", "password": "wrong password!"});
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", t.app.url))
        .header("x-forwarded-for", "198.51.100.9, 203.0.113.7")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let rows = t.audit("login.failed").await;
    assert_eq!(rows[0]["ip"], "203.0.113.7");
}

async fn forwarded_addresses_from_anyone_else_are_ignored(t: Sec) {
    let login = json!({"username": "ghost", "password": "wrong password!"});
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", t.app.url))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(t.audit("login.failed").await[0]["ip"], "127.0.0.1");
}

async fn refusals_are_audited_once_per_burst_and_old_rows_age_out(t: Sec) {
    for _ in 0..25 {
        assert_eq!(t.send(&Cred::None, Method::GET, "/api/v1/bots", None).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(t.audit("access.refused_burst").await.len(), 1, "25 refusals in a minute are one burst");
    t.clock.advance(Duration::from_secs(61));
    for _ in 0..9 {
        t.send(&Cred::None, Method::GET, "/api/v1/bots", None).await;
    }
    assert_eq!(t.audit("access.refused_burst").await.len(), 1, "nine is not a burst");
    t.send(&Cred::None, Method::GET, "/api/v1/bots", None).await;
    let rows = t.audit("access.refused_burst").await;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0]["kind"].as_str(), rows[0]["actor_type"].as_str()), (Some("security"), Some("anonymous")));

    // Retention: with 1 day, a sweep two days later removes those rows and keeps newer ones
    // (tests/retention.rs covers every table).
    let settings = botfleet::retention::RetentionSettings { audit_days: 1, ..Default::default() };
    t.clock.advance(Duration::from_secs(2 * 86_400));
    t.user("late", "viewer").await;
    let continue_ = |_| async { std::ops::ControlFlow::Continue(()) };
    botfleet::retention::sweep(&t.app.store, &settings, t.clock.now_ms(), 5_000, continue_).await.unwrap();
    assert!(t.audit("access.refused_burst").await.is_empty());
    assert_eq!(t.audit("users.create").await.len(), 1, "recent rows stay");
}

async fn the_dashboard_is_public_with_a_strict_content_security_policy(t: Sec) {
    let res = reqwest::get(format!("{}/", t.app.url)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("/assets/app.js"));
    let js = reqwest::get(format!("{}/assets/app.js", t.app.url)).await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    for path in ["/assets/nope.js", "/assets/..%2Fsrc%2Fmain.rs", "/assets/%2E%2E/Cargo.toml"] {
        let res = reqwest::get(format!("{}{path}", t.app.url)).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

macro_rules! security_tests {
    ($($name:ident $(with $adjust:expr)?),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut, unused_assignments)]
                    let mut adjust: fn(&mut botfleet::config::ServeConfig) = |_| {};
                    $(adjust = $adjust;)?
                    if let Some(t) = super::setup(super::Backend::Sqlite, adjust).await {
                        super::$name(t).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut, unused_assignments)]
                    let mut adjust: fn(&mut botfleet::config::ServeConfig) = |_| {};
                    $(adjust = $adjust;)?
                    if let Some(t) = super::setup(super::Backend::Postgres, adjust).await {
                        super::$name(t).await;
                    }
                }
            )*
        }
    };
}

security_tests!(
    every_route_answers_exactly_as_the_permission_table_says,
    totp_enrolment_codes_and_recovery_codes,
    lockout_grows_and_is_audited_and_unknown_users_look_the_same with |c| c.auth.lockout_threshold = 3,
    an_admin_unlocks_a_locked_account with |c| c.auth.lockout_threshold = 3,
    admin_keys_can_be_made_to_need_two_factor,
    a_narrow_key_cannot_revoke_a_stronger_one,
    csrf_and_session_lifetimes,
    password_change_ends_other_sessions_and_admin_can_end_all,
    api_keys_are_shown_once_and_refused_after_revoke_or_expiry,
    rate_limits_answer_429_with_retry_after with |c| {
        c.auth.requests_per_minute = 20;
        c.auth.bot_ops_per_minute = 3;
    },
    every_change_writes_one_action_row_and_nothing_else_does,
    forwarded_addresses_are_believed_only_from_trusted_proxies with |c| {
        c.trusted_proxies = botfleet::net::TrustedProxies::parse("127.0.0.1").unwrap();
    },
    forwarded_addresses_from_anyone_else_are_ignored,
    refusals_are_audited_once_per_burst_and_old_rows_age_out,
    the_dashboard_is_public_with_a_strict_content_security_policy,
);

/// HEAD is answered by the GET handler, so it needs what GET needs: no credential, no answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_needs_the_same_permission_as_get() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let anonymous = reqwest::Client::new();
    for path in ["/api/v1/bots", "/api/v1/audit-logs", "/api/v1/users"] {
        let answer = anonymous.head(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(answer.status(), 401, "HEAD {path} without a credential");
        let with_key = app.http.head(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(with_key.status(), 200, "HEAD {path} with the admin key");
    }
    app.stop().await;
}
