//! `/api/v1/products`: the catalogue (admin creates, edits and deletes), stock changes and the
//! show/hide switch (operators), CSV import (all or nothing, dry run first) and export.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, CsvBody, Params, PathId};
use super::guard::AuditTrail;
use super::AppState;
use crate::audit;
use crate::error::Error;
use crate::page::{limit, Limit, Page};
use crate::stock::csv::{self as stock_csv, ImportReport};
use crate::stock::model::{
    validate_change, validate_edit, validate_new, Change, NewProduct, ProductEdit, StockChange, Visibility,
};
use crate::stock::{repo, Product};

type Reply<T> = Result<T, ApiError>;

/// Fields an audit row compares.
const AUDITED: &[&str] =
    &["sku", "name", "description", "price_minor", "currency", "stock", "low_stock_threshold", "visible", "sort_order"];

/// The largest CSV accepted.
pub const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

/// Paging of `GET /products`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// From `next_cursor` of the previous page; absent: the first page.
    pub cursor: Option<String>,
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<Limit>,
}

fn now(app: &AppState) -> i64 {
    app.auth.clock().now_ms()
}

/// The catalogue in display order (sort order, then name, then id), a page at a time.
#[utoipa::path(get, path = "/api/v1/products", tag = "stock", params(ProductListQuery),
    responses((status = 200, body = Page<Product>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<AppState>, Params(q): Params<ProductListQuery>) -> Reply<Json<Page<Product>>> {
    let limit = limit(q.limit, 50, 500)?;
    let after = q.cursor.as_deref().map(repo::ProductCursor::decode).transpose()?;
    Ok(Json(repo::page(&app.store, after.as_ref(), limit).await?))
}

/// Adds a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "stock", request_body = NewProduct,
    responses((status = 201, body = Product), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    trail: AuditTrail,
    Body(req): Body<NewProduct>,
) -> Reply<(StatusCode, Json<Product>)> {
    let product = repo::insert(app.store.pool(), &validate_new(&req)?, now(&app)).await?;
    trail.record("products.create", "product", product.id, audit::created(&product, AUDITED));
    app.events.stock_changed(&product, false);
    Ok((StatusCode::CREATED, Json(product)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<AppState>, PathId(id): PathId) -> Reply<Json<Product>> {
    Ok(Json(repo::get(&app.store, id).await?))
}

/// Edits a product's details (not its stock or visibility); `version` must be current.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "stock", params(("id" = i64, Path)), request_body = ProductEdit,
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<ProductEdit>,
) -> Reply<Json<Product>> {
    let checked = validate_edit(&req)?;
    let old = repo::get(&app.store, id).await?;
    let product = repo::edit(&app.store, id, &checked, now(&app)).await?;
    let changes = audit::diff(&old, &product, AUDITED);
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        trail.record("products.update", "product", id, changes);
    }
    app.events.stock_changed(&product, false);
    Ok(Json(product))
}

/// Deletes a product.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "stock", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(app): State<AppState>, trail: AuditTrail, PathId(id): PathId) -> Reply<StatusCode> {
    let old = repo::get(&app.store, id).await?;
    repo::delete(&app.store, id).await?;
    trail.record("products.delete", "product", id, audit::removed(&old, AUDITED));
    app.events.stock_changed(&old, true);
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the stock: `{"adjust": -1, "reason": "sold"}` (atomic, never below zero: 409 when there
/// is not enough) or `{"set": 12, "version": 7}` (409 when the version is stale).
#[utoipa::path(post, path = "/api/v1/products/{id}/stock", tag = "stock", params(("id" = i64, Path)), request_body = StockChange,
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_stock(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<StockChange>,
) -> Reply<Json<Product>> {
    let (product, old, how) = match validate_change(&req)? {
        Change::Adjust { by, reason } => {
            let p = repo::adjust(&app.store, id, by, now(&app)).await?;
            // Cannot fail: the new stock and `by` are both within ±MAX_AMOUNT.
            let old = p.stock.checked_sub(by).unwrap_or(p.stock);
            (p, old, json!({"adjust": by, "reason": reason}))
        }
        Change::Set { to, version } => {
            let old = repo::get(&app.store, id).await?.stock;
            (repo::set(&app.store, id, to, version, now(&app)).await?, old, json!({"set": to}))
        }
    };
    if old != product.stock {
        let changes = json!({"stock": {"old": old, "new": product.stock}, "how": how});
        trail.record("products.stock", "product", id, changes);
    }
    app.events.stock_changed(&product, false);
    Ok(Json(product))
}

/// Shows or hides a product on Discord.
#[utoipa::path(put, path = "/api/v1/products/{id}/visible", tag = "stock", params(("id" = i64, Path)), request_body = Visibility,
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn set_visible(
    State(app): State<AppState>,
    trail: AuditTrail,
    PathId(id): PathId,
    Body(req): Body<Visibility>,
) -> Reply<Json<Product>> {
    let old = repo::get(&app.store, id).await?;
    if old.visible == req.visible {
        return Ok(Json(old));
    }
    let product = repo::set_visible(&app.store, id, req.visible, now(&app)).await?;
    trail.record("products.visible", "product", id, json!({"visible": {"old": old.visible, "new": product.visible}}));
    app.events.stock_changed(&product, false);
    Ok(Json(product))
}

/// `POST /products/import` options.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Report what would change, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports a CSV (`text/csv` body, header row first; columns in docs/api.md), matched by SKU.
/// All or nothing: one bad row changes nothing and is reported as `row N: field`.
#[utoipa::path(post, path = "/api/v1/products/import", tag = "stock", params(ImportOptions),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody, description = "`bad_request`: the body is empty or not UTF-8"), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(app): State<AppState>,
    trail: AuditTrail,
    Params(options): Params<ImportOptions>,
    CsvBody(text): CsvBody,
) -> Reply<Json<ImportReport>> {
    if text.trim().is_empty() {
        return Err(Error::BadRequest("send the CSV as the request body (header row first)".into()).into());
    }
    let (report, changed) = stock_csv::import(&app.store, &text, options.dry_run, now(&app)).await?;
    if report.applied && !changed.is_empty() {
        let rows: Vec<_> = report.rows.iter().filter(|r| r.action != "unchanged").collect();
        trail.record(
            "products.import",
            "products",
            format!("{} created, {} updated", report.created, report.updated),
            json!({"rows": rows}),
        );
        for p in &changed {
            app.events.stock_changed(p, false);
        }
    }
    Ok(Json(report))
}

/// The catalogue as CSV (the import's format).
#[utoipa::path(get, path = "/api/v1/products/export", tag = "stock",
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export(State(app): State<AppState>) -> Reply<Response> {
    let text = stock_csv::export(&repo::list(&app.store, false).await?)?;
    let disposition = "attachment; filename=\"products.csv\"";
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, disposition)], text)
        .into_response())
}
