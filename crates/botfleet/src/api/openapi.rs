//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/openapi.json`.

use axum::Json;
use utoipa::OpenApi;

use super::{alerts, audit, auth, bots, fleet, health, keys, live, logs, stock, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "botfleet", description = "Run a shop's fleet of Discord bots: bot configurations, command and bot logs, stock, health, metrics and alerts. Every route but health, sign-in and the sign-in page needs a session cookie or an API key (Authorization: Bearer bf_…); each operation names the permission it needs."),
    paths(
        health::live, health::ready, health::metrics, health::bot, health::performance,
        bots::list, bots::create, bots::get, bots::update, bots::replace_token, bots::delete, bots::test_saved, bots::test_unsaved,
        fleet::start, fleet::stop, fleet::restart, fleet::bulk, fleet::send_message, fleet::latency,
        logs::list_commands, logs::get_command, logs::delete_command, logs::list_bot_logs, logs::get_bot_log, logs::delete_bot_log,
        auth::login, auth::login_totp, auth::logout, auth::me, auth::change_password, auth::totp_begin, auth::totp_confirm, auth::totp_disable,
        users::list, users::create, users::get, users::update, users::delete, users::reset_password, users::end_sessions, users::unlock,
        keys::list, keys::create, keys::get, keys::revoke,
        audit::list, audit::settings, audit::save_settings,
        live::live,
        stock::list, stock::create, stock::get, stock::edit, stock::delete, stock::change_stock, stock::set_visible, stock::import, stock::export,
        alerts::list_rules, alerts::create_rule, alerts::get_rule, alerts::replace_rule, alerts::delete_rule,
        alerts::list_channels, alerts::create_channel, alerts::edit_channel, alerts::delete_channel, alerts::test_channel,
        alerts::list_windows, alerts::create_window, alerts::delete_window,
        alerts::list_incidents, alerts::get_incident, alerts::acknowledge,
    ),
    tags((name = "bots"), (name = "fleet"), (name = "logs"), (name = "health"), (name = "auth"), (name = "users"), (name = "api-keys"), (name = "audit"), (name = "live"), (name = "stock"), (name = "alerts"))
)]
pub struct ApiDoc;

/// The document, each operation's description ending with the permission it needs.
pub fn build() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("bf_… API key").build();
    components.add_security_scheme("api_key", SecurityScheme::Http(bearer));
    components
        .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("botfleet_session"))));
    doc.security = Some(vec![
        SecurityRequirement::new("api_key", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()),
    ]);
    let table = super::route_table();
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ];
        for (method, op) in ops {
            let (Some(op), Ok(m)) = (op.as_mut(), method.parse::<axum::http::Method>()) else { continue };
            let Some(action) = table.action(&m, path) else { continue };
            let roles: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
            let who = if action == crate::auth::Action::Public { "anyone".to_owned() } else { roles.join(", ") };
            let line = format!("Permission: `{action}` ({who}).");
            if action == crate::auth::Action::Public {
                op.security = Some(vec![SecurityRequirement::default()]);
            }
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
                _ => line,
            });
        }
    }
    doc
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(build())
}
