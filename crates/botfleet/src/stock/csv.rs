//! CSV import and export of the catalogue. Import is all or nothing: every row is checked first
//! (each problem reported as `row N: field`), then every change is applied in one transaction —
//! or, with `dry_run`, only reported. Rows are matched to products by SKU.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::model::{Checker, NewProduct, Product};
use super::repo;
use crate::error::{Error, FieldError, Result};
use crate::store::Store;

/// The columns, in export order. `sku`, `name`, `price_minor` and `currency` are required.
pub const COLUMNS: [&str; 9] =
    ["sku", "name", "description", "price_minor", "currency", "stock", "low_stock_threshold", "visible", "sort_order"];
const MAX_ROWS: usize = 10_000;

/// What one row does.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RowPlan {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub sku: String,
    /// `create`, `update` or `unchanged`.
    pub action: &'static str,
    /// `{field: {old, new}}` for updates.
    #[schema(value_type = Object)]
    pub changes: Value,
}

/// The import's report.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ImportReport {
    pub dry_run: bool,
    /// The changes were made (false for a dry run).
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rows: Vec<RowPlan>,
}

/// The catalogue as CSV.
pub fn export(products: &[Product]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Config(format!("writing CSV: {e}"));
    w.write_record(COLUMNS).map_err(fail)?;
    for p in products {
        w.write_record([
            p.sku.clone(),
            p.name.clone(),
            p.description.clone(),
            p.price_minor.to_string(),
            p.currency.clone(),
            p.stock.to_string(),
            p.low_stock_threshold.to_string(),
            p.visible.to_string(),
            p.sort_order.to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Config(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Config(format!("writing CSV: {e}")))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" => Some(true),
        "false" | "no" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// Checks every row; the products each row describes (merged with the stored one for columns the
/// file does not have), with their line numbers.
fn parse(text: &str, existing: &HashMap<String, Product>) -> Result<Vec<(usize, NewProduct)>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::BadRequest(format!("the CSV header could not be read: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut errors = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(FieldError::new(
                "header",
                format!("unknown column {h:?}; the columns are {}", COLUMNS.join(", ")),
            ));
        }
    }
    for required in ["sku", "name", "price_minor", "currency"] {
        if !headers.iter().any(|h| h == required) {
            errors.push(FieldError::new("header", format!("the column {required:?} is required")));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if out.len() >= MAX_ROWS {
            errors.push(FieldError::new(format!("row {line}"), format!("a file may hold at most {MAX_ROWS} rows")));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(format!("row {line}"), format!("is not valid CSV: {e}")));
                continue;
            }
        };
        let get = |name: &str| col(name).and_then(|i| record.get(i)).map(str::to_owned);
        let mut c = Checker { errors: &mut errors, prefix: format!("row {line}: ") };
        let sku = c.sku(&get("sku").unwrap_or_default());
        let old = existing.get(&sku.to_lowercase());
        let number = |c: &mut Checker<'_>, name: &str, default: i64| -> i64 {
            match get(name) {
                None => old.map_or(default, |p| match name {
                    "stock" => p.stock,
                    "low_stock_threshold" => p.low_stock_threshold,
                    "sort_order" => p.sort_order,
                    _ => default,
                }),
                Some(text) => text.parse::<i64>().unwrap_or_else(|_| {
                    c.errors.push(FieldError::new(format!("{}{name}", c.prefix), "must be a whole number"));
                    0
                }),
            }
        };
        let price = number(&mut c, "price_minor", 0);
        let stock = number(&mut c, "stock", 0);
        let low = number(&mut c, "low_stock_threshold", 5);
        let order = number(&mut c, "sort_order", 0);
        let product = NewProduct {
            name: c.name(&get("name").unwrap_or_default()),
            description: c.description(
                &get("description").unwrap_or_else(|| old.map(|p| p.description.clone()).unwrap_or_default()),
            ),
            price_minor: c.amount("price_minor", price),
            currency: c.currency(&get("currency").unwrap_or_default()),
            stock: c.amount("stock", stock),
            low_stock_threshold: Some(c.amount("low_stock_threshold", low)),
            visible: Some(match get("visible") {
                None => old.is_none_or(|p| p.visible),
                Some(t) => parse_bool(&t).unwrap_or_else(|| {
                    c.errors.push(FieldError::new(format!("row {line}: visible"), "must be true or false"));
                    true
                }),
            }),
            sort_order: c.sort_order(order),
            sku: sku.clone(),
        };
        if !seen.insert(sku.to_lowercase()) {
            errors.push(FieldError::new(format!("row {line}: sku"), format!("{sku:?} appears twice in the file")));
        }
        out.push((line, product));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(errors))
    }
}

fn changes(old: &Product, new: &NewProduct) -> Value {
    let new_view = json!({
        "name": new.name, "description": new.description, "price_minor": new.price_minor, "currency": new.currency,
        "stock": new.stock, "low_stock_threshold": new.low_stock_threshold, "visible": new.visible, "sort_order": new.sort_order,
    });
    crate::audit::diff(
        old,
        &new_view,
        &["name", "description", "price_minor", "currency", "stock", "low_stock_threshold", "visible", "sort_order"],
    )
}

/// Imports `text`: checks everything, then applies it all in one transaction (unless `dry_run`).
/// Returns the report and the products created or changed (for events).
pub async fn import(store: &Store, text: &str, dry_run: bool, now: i64) -> Result<(ImportReport, Vec<Product>)> {
    let existing: HashMap<String, Product> =
        repo::list(store, false).await?.into_iter().map(|p| (p.sku.to_lowercase(), p)).collect();
    let rows = parse(text, &existing)?;
    let mut report = ImportReport { dry_run, applied: false, created: 0, updated: 0, unchanged: 0, rows: Vec::new() };
    let mut plans = Vec::new();
    for (line, product) in rows {
        let (action, diff) = match existing.get(&product.sku.to_lowercase()) {
            None => (
                "create",
                crate::audit::created(&json!({"sku": product.sku, "name": product.name, "stock": product.stock}), &[]),
            ),
            Some(old) => {
                let d = changes(old, &product);
                if d.as_object().is_some_and(|o| o.is_empty()) {
                    ("unchanged", d)
                } else {
                    ("update", d)
                }
            }
        };
        match action {
            "create" => report.created += 1,
            "update" => report.updated += 1,
            _ => report.unchanged += 1,
        }
        report.rows.push(RowPlan { line, sku: product.sku.clone(), action, changes: diff });
        plans.push((action, product));
    }
    if dry_run {
        return Ok((report, Vec::new()));
    }
    let mut changed = Vec::new();
    let mut tx = store.pool().begin().await?;
    for (action, product) in &plans {
        match *action {
            "create" => changed.push(repo::insert(&mut *tx, product, now).await?),
            "update" => changed.push(repo::replace_by_sku(&mut tx, product, now).await?),
            _ => {}
        }
    }
    tx.commit().await?;
    report.applied = true;
    Ok((report, changed))
}
