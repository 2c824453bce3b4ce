//! `/api/v1/config`: the whole configuration exported as one document (secrets only sealed under
//! a passphrase) and imported from one (a dry run shows the diff; all or nothing; audited).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, LargeBody};
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::auth::permissions::IMPORT_WRITES;
use crate::auth::{Action, Principal};
use crate::secrets::Secret;
use crate::transfer::{self, Document, Report};

type Reply<T> = Result<T, ApiError>;

/// The largest import accepted (a shop's whole configuration, with thousands of products).
pub const IMPORT_LIMIT: usize = 8 * 1024 * 1024;

/// `POST /config/export`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigExportRequest {
    /// Include bot tokens and alert channels' and webhooks' URLs and secrets, sealed under this
    /// passphrase (12 characters or more); absent: leave them out.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 12, max_length = 1024)]
    pub passphrase: Option<Secret>,
}

/// `POST /config/import`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigImportRequest {
    /// A document from `POST /config/export` (or written by hand: see docs/api.md).
    pub document: Document,
    /// The passphrase the document's secrets were sealed with.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 12, max_length = 1024)]
    pub passphrase: Option<Secret>,
    /// Show what would change and change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

fn now(app: &AppState) -> i64 {
    app.auth.clock().now_ms()
}

/// The whole configuration as one JSON document: bots, server settings, products, alert
/// channels, rules and maintenance windows, schedules, webhooks and settings. Bot tokens and alert
/// channels' and webhooks' URLs and secrets only with a passphrase (which also needs
/// `bots.token`), sealed under it.
#[utoipa::path(post, path = "/api/v1/config/export", tag = "config", request_body = ConfigExportRequest,
    responses((status = 200, body = Document), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<ConfigExportRequest>,
) -> Reply<Response> {
    let passphrase = req.passphrase;
    if passphrase.is_some() {
        principal.may(Action::BotsToken)?;
    }
    let document = transfer::export(&app.store, &app.cipher, passphrase.as_ref(), now(&app)).await?;
    let counts = json!({
        "bots": document.bots.as_ref().map_or(0, Vec::len),
        "products": document.products.as_ref().map_or(0, Vec::len),
        "secrets": document.secrets.is_some(),
    });
    trail.record("config.export", "config", "export", counts);
    let disposition = "attachment; filename=\"botfleet-config.json\"";
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(document)).into_response())
}

/// Imports a configuration document: checked whole with the API's rules (422 naming each
/// problem by its path in the document, e.g. `bots[2].prefix`), compared with the database item by
/// name (created / changed / unchanged; what only the database has is kept), then written in one
/// transaction. `dry_run` answers the same report and changes nothing.
#[utoipa::path(post, path = "/api/v1/config/import", tag = "config", request_body = ConfigImportRequest,
    responses((status = 200, body = Report), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    LargeBody(req): LargeBody<ConfigImportRequest>,
) -> Reply<Json<Report>> {
    for action in IMPORT_WRITES {
        principal.may(*action)?;
    }
    let passphrase = req.passphrase;
    if let Some(p) = &passphrase {
        crate::transfer::seal::check_passphrase(p)?;
    }
    let (report, applied) = transfer::import(
        &app.store,
        &app.cipher,
        &req.document,
        passphrase.as_ref(),
        req.dry_run,
        &creator(&principal),
        now(&app),
    )
    .await?;
    if report.applied {
        let t = report.totals;
        trail.record(
            "config.import",
            "config",
            format!("{} created, {} changed", t.created, t.changed),
            json!({"totals": t, "items": report.changed_items()}),
        );
        for product in &applied.products {
            app.events.stock_changed(product, false);
        }
        for bot in &applied.server_bots {
            app.fleet.server_settings_changed(*bot).await;
        }
        if applied.schedules {
            app.schedules.changed();
        }
        if applied.security {
            app.auth.settings_changed().await?;
        }
        if applied.webhooks {
            app.webhooks.reload().await?;
        }
        tracing::info!(created = t.created, changed = t.changed, kept = t.kept, "configuration imported");
    }
    Ok(Json(report))
}
