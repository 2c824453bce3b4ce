//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/openapi.json`.

use axum::Json;
use utoipa::OpenApi;

use super::{bots, fleet, health, logs};

#[derive(OpenApi)]
#[openapi(
    info(title = "botfleet", description = "Run a shop's fleet of Discord bots: bot configurations, command and bot logs, health. Until the security issue lands this API has no authentication: keep it on 127.0.0.1."),
    paths(
        health::live, health::ready,
        bots::list, bots::create, bots::get, bots::update, bots::replace_token, bots::delete, bots::test_saved, bots::test_unsaved,
        fleet::start, fleet::stop, fleet::restart, fleet::bulk, fleet::send_message, fleet::latency,
        logs::list_commands, logs::get_command, logs::delete_command, logs::list_bot_logs, logs::get_bot_log, logs::delete_bot_log,
    ),
    tags((name = "bots"), (name = "fleet"), (name = "logs"), (name = "health"))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
