//! `/api/v1/auth/*`: sign in (password, then a TOTP or recovery code when enrolled), sign out,
//! who am I, change my password, enrol or remove two-factor. The session id travels only in the
//! `Set-Cookie` header of a successful sign-in.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::Body;
use super::guard::{AuditTrail, Caller, SECURE_SESSION_COOKIE, SESSION_COOKIE};
use super::respond::NoStore;
use super::AppState;
use crate::auth::keys::Grant;
use crate::auth::users::{self, UserView};
use crate::auth::{Enrolment, LoginStep, Principal, Role};
use crate::secrets::Secret;

type Reply<T> = Result<T, ApiError>;

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Any text without control characters (a name that is no account's is answered like a wrong
    /// password).
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: String,
}

/// `POST /auth/login/totp`: the challenge from step one and either code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginTotp {
    pub challenge: String,
    /// The 6 digits the authenticator app shows.
    pub code: Option<String>,
    /// One of the recovery codes (each works once).
    pub recovery_code: Option<String>,
}

/// The answer to a sign-in step.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResult {
    /// `signed_in` (the cookie is set) or `totp_required` (send `challenge` with a code).
    pub status: &'static str,
    pub user: Option<UserView>,
    pub challenge: Option<String>,
}

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `api_key`.
    pub kind: &'static str,
    pub name: String,
    pub user: Option<UserView>,
    pub role: Option<Role>,
    /// Scoped API keys: the actions they may perform.
    pub scopes: Option<Vec<String>>,
    /// Every action this credential may perform (the dashboard shows only what it can use).
    pub permissions: Vec<String>,
    /// An admin who must enrol two-factor before anything else.
    pub must_enrol_totp: bool,
    /// `/api/v1/live` is on; when false, poll the REST API.
    pub live: bool,
}

/// `POST /auth/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String, format = Password)]
    pub current_password: String,
    #[schema(value_type = String, format = Password)]
    pub new_password: String,
}

/// `POST /auth/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotp {
    pub code: String,
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `DELETE /auth/totp`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotp {
    #[schema(value_type = String, format = Password)]
    pub password: String,
}

fn cookie(caller: &Caller, value: &str, max_age: i64) -> Option<HeaderValue> {
    let (name, secure) = if caller.secure { (SECURE_SESSION_COOKIE, "; Secure") } else { (SESSION_COOKIE, "") };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")).ok()
}

fn step_response(app: &AppState, caller: &Caller, step: LoginStep) -> Response {
    match step {
        LoginStep::SignedIn { session, user } => {
            let body = LoginResult { status: "signed_in", user: Some(user), challenge: None };
            let mut response = Json(body).into_response();
            if let Some(c) = cookie(caller, &session, app.auth.session_lifetime_s()) {
                response.headers_mut().insert(header::SET_COOKIE, c);
            }
            response
        }
        LoginStep::TotpRequired { challenge } => {
            Json(LoginResult { status: "totp_required", user: None, challenge: Some(challenge) }).into_response()
        }
    }
}

/// Signs in with a user name and password. With two-factor on, answers `totp_required` and a
/// challenge for `/auth/login/totp`. The same answer for an unknown user and a wrong password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = LoginResult), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(State(app): State<AppState>, caller: Caller, Body(req): Body<Login>) -> Reply<NoStore<Response>> {
    let step = app.auth.login(&req.username, &Secret::new(req.password), &caller.client).await?;
    Ok(NoStore(step_response(&app, &caller, step)))
}

/// Second sign-in step: a TOTP code or a recovery code.
#[utoipa::path(post, path = "/api/v1/auth/login/totp", tag = "auth", request_body = LoginTotp,
    responses((status = 200, body = LoginResult), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login_totp(
    State(app): State<AppState>,
    caller: Caller,
    Body(req): Body<LoginTotp>,
) -> Reply<NoStore<Response>> {
    let step =
        app.auth.login_totp(&req.challenge, req.code.as_deref(), req.recovery_code.as_deref(), &caller.client).await?;
    Ok(NoStore(step_response(&app, &caller, step)))
}

/// Signs out (ends this session and clears the cookie).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(app): State<AppState>, caller: Caller, principal: Principal) -> Reply<Response> {
    app.auth.logout(&principal, &caller.client).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = cookie(&caller, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(response)
}

/// The caller: user or API key, role or scopes, and every permission it holds.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(app): State<AppState>, principal: Principal) -> Reply<Json<Me>> {
    let user = match principal.user_id {
        Some(id) => Some(users::get(&app.store, id).await?),
        None => None,
    };
    let permissions = crate::auth::Action::all()
        .filter(|a| *a != crate::auth::Action::Public && principal.may(*a).is_ok())
        .map(|a| a.name().to_owned())
        .collect();
    let scopes = match &principal.grant {
        Grant::Scopes(s) => Some(s.iter().map(|a| a.name().to_owned()).collect()),
        Grant::Role(_) => None,
    };
    Ok(Json(Me {
        kind: if principal.user_id.is_some() { "user" } else { "api_key" },
        name: principal.name.clone(),
        user,
        role: principal.role(),
        scopes,
        permissions,
        must_enrol_totp: principal.must_enrol_totp,
        live: app.live,
    }))
}

/// Changes your password; your other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    Body(req): Body<ChangePassword>,
) -> Reply<StatusCode> {
    let current = Secret::new(req.current_password);
    let ended = app.auth.change_password(&principal, &current, &Secret::new(req.new_password), &caller.client).await?;
    let id = principal.user_id.unwrap_or_default();
    trail.record("users.password", "user", id, json!({"password": "(changed)", "other_sessions_ended": ended}));
    Ok(StatusCode::NO_CONTENT)
}

/// Starts two-factor enrolment: the secret, its `otpauth://` URI and a QR code (shown this once).
#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth",
    responses((status = 200, body = Enrolment), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn totp_begin(
    State(app): State<AppState>,
    principal: Principal,
    trail: AuditTrail,
) -> Reply<NoStore<Json<Enrolment>>> {
    let enrolment = app.auth.totp_begin(&principal).await?;
    let id = principal.user_id.unwrap_or_default();
    trail.record("users.totp", "user", id, json!({"totp": {"old": "off", "new": "pending confirmation"}}));
    Ok(NoStore(Json(enrolment)))
}

/// Confirms enrolment with the app's first code; answers the recovery codes (shown once).
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", request_body = ConfirmTotp,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    Body(req): Body<ConfirmTotp>,
) -> Reply<NoStore<Json<RecoveryCodes>>> {
    let codes = app.auth.totp_confirm(&principal, &req.code, &caller.client).await?;
    let id = principal.user_id.unwrap_or_default();
    trail.record("users.totp", "user", id, json!({"totp_enabled": {"old": false, "new": true}}));
    Ok(NoStore(Json(RecoveryCodes { recovery_codes: codes })))
}

/// Turns two-factor off (your password is required).
#[utoipa::path(delete, path = "/api/v1/auth/totp", tag = "auth", request_body = DisableTotp,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_disable(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    trail: AuditTrail,
    Body(req): Body<DisableTotp>,
) -> Reply<StatusCode> {
    app.auth.totp_disable(&principal, &Secret::new(req.password), &caller.client).await?;
    let id = principal.user_id.unwrap_or_default();
    trail.record("users.totp", "user", id, json!({"totp_enabled": {"old": true, "new": false}}));
    Ok(StatusCode::NO_CONTENT)
}
