//! The `products` table: insert, read, list, edit with optimistic concurrency, atomic stock
//! adjustments that never go below zero, "set" with a version, visibility, delete. A stock change
//! that takes a product from above its low-stock threshold to at or below it marks the crossing
//! (`low_stock_crossed_version`) in the same statement and records the notices (`super::low`) in
//! the same transaction.

use sqlx::any::AnyArguments;
use sqlx::any::AnyRow;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

use super::low;
use super::model::{availability, NewProduct, Product, ProductEdit, MAX_AMOUNT};
use crate::error::{Error, Result};
use crate::page::{KeyCursor, Page};
use crate::store::{self, is_unique_violation, Store};
use crate::time::rfc3339;

const COLUMNS: &str = "id, sku, name, description, price_minor, currency, stock, low_stock_threshold, visible, \
                       sort_order, version, created_at, updated_at, low_stock_crossed_version";

/// Marks a low-stock crossing (in an UPDATE's SET, where columns are the row before the update):
/// `{was_above}` and `{now_low}` are SQL conditions; the product's new version names the crossing.
fn crossing(was_above: &str, now_low: &str) -> String {
    format!(
        "low_stock_crossed_version = CASE WHEN {was_above} AND {now_low} THEN version + 1 \
         ELSE low_stock_crossed_version END"
    )
}

/// The product an UPDATE returned; records its low-stock notices when this update crossed.
async fn changed(conn: &mut AnyConnection, row: &AnyRow, now: i64) -> Result<Product> {
    let product = view(row)?;
    if row.try_get::<i64, _>("low_stock_crossed_version")? == product.version {
        low::record(conn, &product, now).await?;
    }
    Ok(product)
}

fn view(row: &AnyRow) -> Result<Product> {
    let stock: i64 = row.try_get("stock")?;
    let low: i64 = row.try_get("low_stock_threshold")?;
    Ok(Product {
        id: row.try_get("id")?,
        sku: row.try_get("sku")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_minor: row.try_get("price_minor")?,
        currency: row.try_get("currency")?,
        stock,
        low_stock_threshold: low,
        visible: row.try_get::<i64, _>("visible")? != 0,
        sort_order: row.try_get("sort_order")?,
        version: row.try_get("version")?,
        availability: availability(stock, low).to_owned(),
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

pub(crate) fn not_found(id: i64) -> Error {
    Error::NotFound { what: "product", id: id.to_string() }
}

fn sku_taken(e: sqlx::Error, sku: &str) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict(format!("a product with SKU {sku:?} already exists"))
    } else {
        e.into()
    }
}

fn stale(id: i64, sent: i64, current: i64) -> Error {
    Error::Conflict(format!(
        "product {id} was changed by someone else (you sent version {sent}, the current version is {current}); reload it and apply your change again"
    ))
}

/// Saves a new product (already validated).
pub async fn insert<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    p: &NewProduct,
    now: i64,
) -> Result<Product> {
    let sql = format!(
        "INSERT INTO products (name, description, price_minor, currency, stock, low_stock_threshold, visible, \
         sort_order, created_at, sku, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $9) \
         RETURNING {COLUMNS}"
    );
    let row = bind_product(sqlx::query(&sql), p, now).fetch_one(db).await.map_err(|e| sku_taken(e, &p.sku))?;
    view(&row)
}

/// One product.
pub async fn get(store: &Store, id: i64) -> Result<Product> {
    store::get_by_id(store, "products", COLUMNS, "product", id, view).await
}

/// Every product in display order (sort order, then name); only visible ones when asked.
pub async fn list(store: &Store, visible_only: bool) -> Result<Vec<Product>> {
    let filter = if visible_only { "WHERE visible = 1" } else { "" };
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM products {filter} ORDER BY sort_order, name, id"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(view).collect()
}

/// Every product in display order, read on `conn` (a configuration export or import).
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<Product>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM products ORDER BY sort_order, name, id"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(view).collect()
}

/// The position of a product in display order (sort order, name, then id), for a page's cursor.
pub type ProductCursor = KeyCursor<(i64, String)>;

/// A page of the catalogue in display order (sort order, name, id), after `after` (keyset: a
/// product added meanwhile is on a later page or an earlier one, never shifting this one).
pub async fn page(store: &Store, after: Option<&ProductCursor>, limit: u32) -> Result<Page<Product>> {
    let rows = match after {
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM products ORDER BY sort_order, name, id LIMIT $1"))
                .bind(i64::from(limit) + 1)
                .fetch_all(store.pool())
                .await?
        }
        Some(c) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM products WHERE (sort_order, name, id) > ($1, $2, $3) \
                 ORDER BY sort_order, name, id LIMIT $4"
            ))
            .bind(c.key.0)
            .bind(c.key.1.clone())
            .bind(c.id)
            .bind(i64::from(limit) + 1)
            .fetch_all(store.pool())
            .await?
        }
    };
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch_keyed(items, limit, |p: &Product| KeyCursor {
        key: (p.sort_order, p.name.clone()),
        id: p.id,
    }))
}

/// Applies an edit (already validated) if `version` is current.
pub async fn edit(store: &Store, id: i64, e: &ProductEdit, now: i64) -> Result<Product> {
    let row = sqlx::query(&format!(
        "UPDATE products SET sku = COALESCE($1, sku), name = COALESCE($2, name), description = COALESCE($3, description), \
         price_minor = COALESCE($4, price_minor), currency = COALESCE($5, currency), \
         low_stock_threshold = COALESCE($6, low_stock_threshold), sort_order = COALESCE($7, sort_order), \
         version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10 RETURNING {COLUMNS}"
    ))
    .bind(e.sku.clone())
    .bind(e.name.clone())
    .bind(e.description.clone())
    .bind(e.price_minor)
    .bind(e.currency.clone())
    .bind(e.low_stock_threshold)
    .bind(e.sort_order)
    .bind(now)
    .bind(id)
    .bind(e.version)
    .fetch_optional(store.pool())
    .await
    .map_err(|err| sku_taken(err, e.sku.as_deref().unwrap_or_default()))?;
    match row {
        Some(row) => view(&row),
        None => Err(stale(id, e.version, get(store, id).await?.version)),
    }
}

/// Adds `by` (may be negative) atomically; refused when it would go below zero or above
/// `MAX_AMOUNT`. `by` is within ±`MAX_AMOUNT` (checked before), so the sum cannot overflow.
pub async fn adjust(store: &Store, id: i64, by: i64, now: i64) -> Result<Product> {
    // Most changes cross no threshold: one statement, no transaction (a sale is a hot path). One
    // that crosses (or is refused) matches nothing here and takes the transaction below, which
    // decides again on the row as it is then.
    let quick = sqlx::query(&format!(
        "UPDATE products SET stock = stock + $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND stock + $1 >= 0 AND stock + $1 <= $4 \
         AND NOT (stock > low_stock_threshold AND stock + $1 <= low_stock_threshold) RETURNING {COLUMNS}"
    ))
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(MAX_AMOUNT)
    .fetch_optional(store.pool())
    .await?;
    if let Some(row) = quick {
        return view(&row);
    }
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE products SET stock = stock + $1, {}, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND stock + $1 >= 0 AND stock + $1 <= $4 RETURNING {COLUMNS}",
        crossing("stock > low_stock_threshold", "stock + $1 <= low_stock_threshold")
    ))
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(MAX_AMOUNT)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(row) => {
            let product = changed(&mut tx, &row, now).await?;
            tx.commit().await?;
            Ok(product)
        }
        None => {
            drop(tx);
            let current = get(store, id).await?;
            Err(Error::Conflict(if by > 0 {
                format!(
                    "{} ({}) has {} in stock; adding {by} would pass the most a product may hold ({MAX_AMOUNT})",
                    current.name, current.sku, current.stock
                )
            } else if current.stock == 0 {
                format!("{} ({}) is out of stock", current.name, current.sku)
            } else {
                format!("{} ({}) has only {} in stock; cannot take {}", current.name, current.sku, current.stock, -by)
            }))
        }
    }
}

/// Sets the stock to `to` if `version` is current.
pub async fn set(store: &Store, id: i64, to: i64, version: i64, now: i64) -> Result<Product> {
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE products SET stock = $1, {}, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4 \
         RETURNING {COLUMNS}",
        crossing("stock > low_stock_threshold", "$1 <= low_stock_threshold")
    ))
    .bind(to)
    .bind(now)
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(row) => {
            let product = changed(&mut tx, &row, now).await?;
            tx.commit().await?;
            Ok(product)
        }
        None => {
            drop(tx);
            Err(stale(id, version, get(store, id).await?.version))
        }
    }
}

/// Shows or hides a product.
pub async fn set_visible(store: &Store, id: i64, visible: bool, now: i64) -> Result<Product> {
    let row = sqlx::query(&format!(
        "UPDATE products SET visible = $1, version = version + 1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}"
    ))
    .bind(i64::from(visible))
    .bind(now)
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| not_found(id))?;
    view(&row)
}

/// Deletes a product.
pub async fn delete(store: &Store, id: i64) -> Result<()> {
    store::delete_by_id(store.pool(), "products", "product", id).await
}

/// Binds a product's fields in the order both the INSERT and the UPDATE number them: $1 name,
/// $2 description, $3 price, $4 currency, $5 stock, $6 low-stock threshold, $7 visible, $8 sort
/// order, $9 now, $10 SKU.
fn bind_product<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    p: &NewProduct,
    now: i64,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(p.name.clone())
        .bind(p.description.clone())
        .bind(p.price_minor)
        .bind(p.currency.clone())
        .bind(p.stock)
        .bind(p.low_stock_threshold.unwrap_or(5))
        .bind(i64::from(p.visible.unwrap_or(true)))
        .bind(p.sort_order)
        .bind(now)
        .bind(p.sku.clone())
}

/// Replaces every field of the product with this SKU (CSV import), inside a transaction. A stock
/// that falls from above the old threshold to at or below the new one is a low-stock crossing.
pub async fn replace_by_sku(conn: &mut AnyConnection, p: &NewProduct, now: i64) -> Result<Product> {
    let sql = format!(
        "UPDATE products SET name = $1, description = $2, price_minor = $3, currency = $4, stock = $5, \
         low_stock_threshold = $6, visible = $7, sort_order = $8, {}, version = version + 1, updated_at = $9 \
         WHERE sku = $10 RETURNING {COLUMNS}",
        crossing("stock > low_stock_threshold AND $5 < stock", "$5 <= $6")
    );
    let row = bind_product(sqlx::query(&sql), p, now).fetch_one(&mut *conn).await?;
    changed(conn, &row, now).await
}
