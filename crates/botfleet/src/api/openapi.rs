//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/openapi.json`.

use axum::http::Method;
use axum::Json;
use utoipa::OpenApi;

use super::error::ErrorBody;
use super::{
    alerts, audit, auth, bots, exports, fleet, health, jobs, keys, live, logs, messages, schedules, servers,
    status_page, stock, transfer, users, webhooks,
};
use crate::auth::Action;

#[derive(OpenApi)]
#[openapi(
    info(title = "botfleet", description = "Run a shop's fleet of Discord bots: bot configurations, command and bot logs, stock, health, metrics and alerts. Every route but health, sign-in, the sign-in page and the public status page (/status, /status.json) needs a session cookie or an API key (Authorization: Bearer bf_…); each operation names the permission it needs."),
    paths(
        health::live, health::ready, health::nodes, health::change_node, health::metrics, health::bot, health::performance,
        bots::list, bots::create, bots::get, bots::update, bots::replace_token, bots::delete, bots::test_saved, bots::test_unsaved, bots::guilds, bots::guilds_of_token,
        servers::list_server_settings, servers::get_server_settings, servers::put_server_settings, servers::delete_server_settings,
        fleet::start, fleet::stop, fleet::restart, fleet::bulk, fleet::send_message, fleet::latency,
        logs::list_commands, logs::get_command, logs::delete_command, logs::list_bot_logs, logs::get_bot_log, logs::delete_bot_log,
        auth::login, auth::login_totp, auth::logout, auth::me, auth::change_password, auth::totp_begin, auth::totp_confirm, auth::totp_disable,
        users::list, users::create, users::get, users::update, users::delete, users::reset_password, users::end_sessions, users::unlock,
        keys::list, keys::create, keys::get, keys::revoke,
        audit::list, audit::settings, audit::save_settings, audit::retention, audit::save_retention, audit::run_retention,
        live::live,
        stock::list, stock::create, stock::get, stock::edit, stock::delete, stock::change_stock, stock::set_visible, stock::import, stock::export,
        alerts::list_rules, alerts::create_rule, alerts::get_rule, alerts::replace_rule, alerts::delete_rule,
        alerts::list_channels, alerts::create_channel, alerts::edit_channel, alerts::delete_channel, alerts::test_channel,
        alerts::list_windows, alerts::create_window, alerts::delete_window,
        alerts::list_incidents, alerts::get_incident, alerts::acknowledge,
        jobs::list, jobs::get, jobs::cancel, jobs::retry, jobs::skip, messages::batch,
        exports::command_logs, exports::bot_logs, exports::audit_logs, exports::file,
        schedules::list, schedules::create, schedules::get, schedules::update, schedules::delete, schedules::runs, schedules::preview,
        webhooks::list, webhooks::create, webhooks::get, webhooks::update, webhooks::delete, webhooks::deliveries, webhooks::send_test,
        webhooks::resume, webhooks::pause,
        status_page::settings, status_page::save, status_page::html, status_page::json,
        transfer::export, transfer::import,
    ),
    components(schemas(ErrorBody)),
    tags((name = "bots"), (name = "fleet"), (name = "logs"), (name = "health"), (name = "auth"), (name = "users"), (name = "api-keys"), (name = "audit"), (name = "live"), (name = "stock"), (name = "alerts"), (name = "jobs"), (name = "messages"), (name = "schedules"), (name = "webhooks"), (name = "status-page"), (name = "config"))
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
    close_variants(&mut doc, "Condition");
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
            let (Some(op), Ok(m)) = (op.as_mut(), method.parse::<Method>()) else { continue };
            let Some(action) = table.action(&m, path) else { continue };
            let roles: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
            let who = if action == Action::Public { "anyone".to_owned() } else { roles.join(", ") };
            let line = format!("Permission: `{action}` ({who}).");
            if action == Action::Public {
                op.security = Some(vec![SecurityRequirement::default()]);
            }
            add_generic_statuses(op, &m, path, action);
            if table.idempotent(&m, path) {
                add_idempotency_key(op);
            }
            // Handler names repeat across areas (`list`, `get`): the tag makes the id unique.
            if let (Some(tag), Some(id)) = (op.tags.as_ref().and_then(|t| t.first()), op.operation_id.as_ref()) {
                op.operation_id = Some(format!("{}_{id}", tag.replace('-', "_")));
            }
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
                _ => line,
            });
        }
    }
    doc
}

/// What an operation's request is made of, for [`generic_statuses`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The path has an `{id}` (read by the id extractor).
    pub path_id: bool,
    /// It takes query parameters (read by the query extractor).
    pub query: bool,
    /// It takes a JSON body (read by the body extractor).
    pub body: bool,
}

/// The statuses an operation can answer whatever its handler does: those of the guard (credential,
/// CSRF, permission, rate limit), of the extractors its request goes through (path id, query,
/// JSON body) and of the store (database down, internal error), with the error codes each carries.
/// [`build`] adds each to every operation that does not document it itself, so a new route gets
/// them without a hand edit; docs/api.md's "Which status each mistake gets" says the same.
pub fn generic_statuses(method: &Method, action: Action, shape: Shape) -> Vec<(u16, String)> {
    let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let public = action == Action::Public;
    let mut out: Vec<(u16, String)> = Vec::new();
    let mut bad = Vec::new();
    if shape.path_id {
        bad.push("the id in the path is not a positive whole number");
    }
    if shape.query {
        bad.push(
            "a query parameter is unknown, repeated or not of its type (a word for a number, `5.0` for a whole number)",
        );
    }
    if shape.body {
        bad.push("the body is missing, is not JSON, or does not fit the schema (a wrong type, `5.0` for a whole number, an unknown or missing field)");
    }
    if !bad.is_empty() {
        out.push((400, format!("`bad_request`: {}.", bad.join("; "))));
    }
    if !public {
        out.push((
            401,
            "`unauthenticated`: no session cookie or API key, or one that is not (or no longer) valid.".into(),
        ));
    }
    let mut refused = Vec::new();
    if !public {
        refused.push("`forbidden`: the credential lacks this permission");
        refused.push("`totp_required`: an admin who must use two-factor sign-in has not enrolled");
    }
    if write {
        refused.push("`csrf`: a write carrying a session cookie (or any `Origin`) that does not come from this site");
    }
    if !refused.is_empty() {
        out.push((403, format!("{}.", refused.join("; "))));
    }
    if shape.path_id {
        out.push((404, "`not_found`: nothing has this id.".into()));
    }
    if shape.body {
        out.push((
            413,
            "`payload_too_large`: the body is larger than the limit (64 KiB; the product import's is larger).".into(),
        ));
        out.push((415, "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`.".into()));
    }
    if shape.body || shape.query {
        out.push((422, "`validation`: a value is out of its range or breaks a rule (a `limit` out of range, a name too long); `fields` names each.".into()));
    }
    out.push((
        429,
        "`rate_limited`: too many requests from this caller; `Retry-After` says how many seconds to wait.".into(),
    ));
    out.push((500, "`internal`: a fault of the server; its log says more.".into()));
    out.push((503, "`unavailable`: the database is not answering; try again shortly.".into()));
    out
}

/// Adds [`generic_statuses`] to `op` (those it documents itself keep their own description).
fn add_generic_statuses(op: &mut utoipa::openapi::path::Operation, method: &Method, path: &str, action: Action) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    // The id extractors take 1 to i64::MAX (an item's `seq` and a Discord server's id too);
    // anything else is their 400.
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Path && matches!(p.name.as_str(), "id" | "seq" | "guild_id") {
            let id = utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
                .minimum(Some(1))
                .maximum(Some(i64::MAX));
            p.schema = Some(id.into());
        }
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let shape = Shape {
        path_id: path.contains("{id}"),
        query: params.iter().any(|p| p.parameter_in == ParameterIn::Query),
        body: op.request_body.is_some(),
    };
    let media = op.request_body.as_ref().and_then(|b| b.content.keys().next().cloned());
    for (status, mut description) in generic_statuses(method, action, shape) {
        if let Some(media) = media.as_deref().filter(|m| status == 415 && *m != "application/json") {
            description = format!("`unsupported_media_type`: the body is not sent as `Content-Type: {media}`.");
        }
        let error = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", error).build();
        op.responses.responses.entry(status.to_string()).or_insert(response.into());
    }
}

/// Declares the optional `Idempotency-Key` header of a route that takes one, the answers it can
/// bring (a replay marked `Idempotent-Replayed`, 400 for a malformed key, 409 while the first
/// request runs, 422 for a key used for another request) — so that schema-driven tests send it only there.
fn add_idempotency_key(op: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::Type;
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder};
    let key = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(super::idempotency::KEY_MAX))
        .pattern(Some("^[!-~]+$"));
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any 1 to 255 visible ASCII characters (a UUID will do). The same key from the same credential \
             within 24 hours returns the first answer (with `Idempotent-Replayed: true`) instead of acting again.",
        ))
        .schema(Some(key))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(parameter);
    let error = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let conflict = "`conflict`: a request with this `Idempotency-Key` is still being processed.";
    let reused =
        "`idempotency_key_reused`: this `Idempotency-Key` was used for another request (method, path or body) \
                  in the last 24 hours.";
    let malformed = "`bad_request`: the `Idempotency-Key` header is not 1 to 255 visible ASCII characters.";
    for (status, line) in [("400", malformed), ("409", conflict), ("422", reused)] {
        match op.responses.responses.get_mut(status) {
            Some(RefOr::T(response)) => response.description = format!("{} {line}", response.description),
            _ => {
                let response = ResponseBuilder::new().description(line).content("application/json", error()).build();
                op.responses.responses.insert(status.to_owned(), response.into());
            }
        }
    }
    let replayed = HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true"])))
        .description(Some("`true` when this is the stored answer to an earlier request with the same key."))
        .build();
    for (status, response) in op.responses.responses.iter_mut() {
        if let (true, RefOr::T(response)) = (status.starts_with('2') || status.starts_with('4'), response) {
            response.headers.insert("Idempotent-Replayed".to_owned(), replayed.clone());
        }
    }
}

/// The variants of an internally tagged enum that denies unknown fields, as the server reads
/// them: no other properties (utoipa says so for structs, not for enum variants).
fn close_variants(doc: &mut utoipa::openapi::OpenApi, name: &str) {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::RefOr;
    let schemas = doc.components.as_mut().map(|c| &mut c.schemas);
    let Some(RefOr::T(Schema::OneOf(one_of))) = schemas.and_then(|s| s.get_mut(name)) else { return };
    for item in one_of.items.iter_mut() {
        if let RefOr::T(Schema::Object(variant)) = item {
            variant.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(build())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every operation of the route table lists what the guard and the extractors can answer,
    /// read from the served document itself (so a new route cannot miss them).
    #[test]
    fn every_operation_documents_the_generic_statuses() {
        let doc = serde_json::to_value(build()).unwrap();
        let mut seen = 0;
        for (method, path, action) in super::super::route_table().routes() {
            if !(path.starts_with("/api/v1/") || path == "/metrics") {
                continue;
            }
            let op = &doc["paths"][&path][method.as_str().to_lowercase()];
            assert!(op.is_object(), "{method} {path} is not in the document");
            let responses = op["responses"].as_object().unwrap();
            let mut want = vec!["429", "500", "503"];
            if action != Action::Public {
                want.extend(["401", "403"]);
            }
            if method != Method::GET {
                want.push("403");
            }
            if path.contains("{id}") {
                want.extend(["400", "404"]);
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["in"] == "query") {
                want.extend(["400", "422"]);
            }
            if op.get("requestBody").is_some() {
                want.extend(["400", "413", "415", "422"]);
            }
            for status in want {
                let response = &responses.get(status).unwrap_or_else(|| panic!("{method} {path} lacks {status}"));
                if status != "503" || path != "/api/v1/health/ready" {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
                }
            }
            seen += 1;
        }
        assert!(seen > 70, "only {seen} operations checked");
    }

    /// `Condition` refuses unknown fields in every variant, as the server does.
    #[test]
    fn condition_variants_take_no_other_fields() {
        let doc = serde_json::to_value(build()).unwrap();
        let variants = doc["components"]["schemas"]["Condition"]["oneOf"].as_array().unwrap();
        assert_eq!(variants.len(), 11);
        for v in variants {
            assert_eq!(v["additionalProperties"], false, "{v}");
        }
        let unknown = serde_json::json!({"kind": "database_unreachable", "megabytes": 5});
        assert!(serde_json::from_value::<crate::alerts::model::Condition>(unknown).is_err());
    }

    /// The gateway intents the schema lists are those the server knows.
    #[test]
    fn intent_names_match_the_server() {
        let doc = serde_json::to_value(build()).unwrap();
        let listed: Vec<&str> = doc["components"]["schemas"]["IntentName"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let known: Vec<&str> = crate::bots::model::INTENTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(listed, known);
    }

    /// Operation ids are unique (OpenAPI requires it; tools link operations by them).
    #[test]
    fn operation_ids_are_unique() {
        let doc = serde_json::to_value(build()).unwrap();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                assert!(ids.insert(id.to_owned()), "operationId {id} is used twice ({method} {path})");
            }
        }
    }
}
