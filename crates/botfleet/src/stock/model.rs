//! Products as the API takes and shows them, and the rules their fields follow (each broken rule
//! is one field error, all reported at once).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: i64,
    /// Unique stock-keeping unit, e.g. `TSHIRT-RED-M`.
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price in minor units (cents), e.g. 1999 for 19.99.
    pub price_minor: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    pub stock: i64,
    /// At or below this, the product is shown as low on stock.
    pub low_stock_threshold: i64,
    /// Shown on Discord (the stock message and `/stock`).
    pub visible: bool,
    /// Smaller first.
    pub sort_order: i64,
    /// Send it back with edits and with "set stock to N".
    pub version: i64,
    /// `in_stock`, `low` or `out`.
    pub availability: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether a stock level is fine, low or out.
pub fn availability(stock: i64, low: i64) -> &'static str {
    if stock <= 0 {
        "out"
    } else if stock <= low {
        "low"
    } else {
        "in_stock"
    }
}

/// `POST /products`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// 1 to 64 of A-Z a-z 0-9 `-` `_` `.`; unique (case-insensitively).
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    /// 1 to 100 characters (spaces around it are trimmed).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// At most 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")]
    pub description: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub price_minor: i64,
    /// ISO 4217, e.g. `EUR` (stored in upper case).
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    pub currency: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: i64,
    /// Default 5.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub low_stock_threshold: Option<i64>,
    /// Default true.
    pub visible: Option<bool>,
    #[serde(default)]
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub sort_order: i64,
}

/// `PATCH /products/{id}`: any of the descriptive fields (stock and visibility have their own
/// routes), with the `version` the change is based on.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductEdit {
    pub version: i64,
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    pub sku: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 1000, pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub price_minor: Option<i64>,
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub low_stock_threshold: Option<i64>,
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub sort_order: Option<i64>,
}

/// `POST /products/{id}/stock`: either `adjust` (±N, with a reason; atomic, never below zero, no
/// version) or `set` (N, with the product's `version`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockChange {
    /// ±1 to 1,000,000,000 (not 0), with `reason`.
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub adjust: Option<i64>,
    /// 1 to 200 characters (spaces around it are trimmed).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reason: Option<String>,
    /// 0 to 1,000,000,000, with `version`.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub set: Option<i64>,
    pub version: Option<i64>,
}

/// `PUT /products/{id}/visible`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    pub visible: bool,
}

/// The largest stock, price and threshold accepted.
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// Checks one field set into `errors` (field names prefixed by `prefix`, e.g. `row 3: `).
pub struct Checker<'a> {
    pub errors: &'a mut Vec<FieldError>,
    pub prefix: String,
}

impl Checker<'_> {
    fn push(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(format!("{}{field}", self.prefix), message));
    }

    /// The shared control-character rule (`crate::text`), under this checker's prefix.
    fn text(&mut self, field: &str, value: &str, lines: Lines) {
        text::push(self.errors, &format!("{}{field}", self.prefix), value, lines);
    }

    /// 1 to 64 of A-Z a-z 0-9 `-` `_` `.`; stored as given, compared case-insensitively.
    pub fn sku(&mut self, sku: &str) -> String {
        let sku = sku.trim();
        let ok = sku.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if sku.is_empty() || sku.len() > 64 || !ok {
            self.push("sku", "must be 1 to 64 letters, digits, '-', '_' or '.'");
        }
        sku.to_owned()
    }

    pub fn name(&mut self, name: &str) -> String {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            self.push("name", "must be 1 to 100 characters");
        } else {
            self.text("name", name, Lines::Single);
        }
        name.to_owned()
    }

    pub fn description(&mut self, text: &str) -> String {
        if text.chars().count() > 1000 {
            self.push("description", "must be at most 1,000 characters");
        } else {
            self.text("description", text, Lines::Multi);
        }
        text.trim().to_owned()
    }

    pub fn amount(&mut self, field: &str, value: i64) -> i64 {
        if !(0..=MAX_AMOUNT).contains(&value) {
            self.push(field, "must be a whole number from 0 to 1,000,000,000");
        }
        value
    }

    pub fn currency(&mut self, code: &str) -> String {
        let code = code.trim().to_uppercase();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            self.push("currency", "must be a three-letter ISO 4217 code such as EUR or USD");
        }
        code
    }

    pub fn sort_order(&mut self, value: i64) -> i64 {
        if !(-1_000_000..=1_000_000).contains(&value) {
            self.push("sort_order", "must be from -1,000,000 to 1,000,000");
        }
        value
    }
}

/// A checked new product.
pub fn validate_new(p: &NewProduct) -> Result<NewProduct> {
    let mut errors = Vec::new();
    let mut c = Checker { errors: &mut errors, prefix: String::new() };
    let checked = NewProduct {
        sku: c.sku(&p.sku),
        name: c.name(&p.name),
        description: c.description(&p.description),
        price_minor: c.amount("price_minor", p.price_minor),
        currency: c.currency(&p.currency),
        stock: c.amount("stock", p.stock),
        low_stock_threshold: Some(c.amount("low_stock_threshold", p.low_stock_threshold.unwrap_or(5))),
        visible: Some(p.visible.unwrap_or(true)),
        sort_order: c.sort_order(p.sort_order),
    };
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(Error::Validation(errors))
    }
}

/// A checked edit.
pub fn validate_edit(e: &ProductEdit) -> Result<ProductEdit> {
    let mut errors = Vec::new();
    let mut c = Checker { errors: &mut errors, prefix: String::new() };
    let checked = ProductEdit {
        version: e.version,
        sku: e.sku.as_deref().map(|s| c.sku(s)),
        name: e.name.as_deref().map(|s| c.name(s)),
        description: e.description.as_deref().map(|s| c.description(s)),
        price_minor: e.price_minor.map(|v| c.amount("price_minor", v)),
        currency: e.currency.as_deref().map(|s| c.currency(s)),
        low_stock_threshold: e.low_stock_threshold.map(|v| c.amount("low_stock_threshold", v)),
        sort_order: e.sort_order.map(|v| c.sort_order(v)),
    };
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(Error::Validation(errors))
    }
}

/// What a stock change asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Adjust { by: i64, reason: String },
    Set { to: i64, version: i64 },
}

/// Checks a stock change: exactly one of adjust (non-zero, with a reason) or set (with version).
pub fn validate_change(c: &StockChange) -> Result<Change> {
    let field = |f: &str, m: &str| Err(Error::field(f, m));
    match (c.adjust, c.set) {
        (Some(by), None) => {
            // `unsigned_abs`: `i64::MIN.abs()` overflows (a panic in a debug build, a negative
            // number that passes the bound in a release one).
            if by == 0 || by.unsigned_abs() > MAX_AMOUNT.unsigned_abs() {
                return field("adjust", "must be a non-zero whole number from -1,000,000,000 to 1,000,000,000");
            }
            let reason = c.reason.as_deref().map(str::trim).unwrap_or_default();
            if reason.is_empty() || reason.chars().count() > 200 {
                return field("reason", "say why in 1 to 200 characters (e.g. \"sold at the fair\")");
            }
            text::require("reason", reason, Lines::Single)?;
            if c.version.is_some() {
                return field("version", "adjust needs no version (it is atomic); version goes with set");
            }
            Ok(Change::Adjust { by, reason: reason.to_owned() })
        }
        (None, Some(to)) => {
            if !(0..=MAX_AMOUNT).contains(&to) {
                return field("set", "must be a whole number from 0 to 1,000,000,000");
            }
            match c.version {
                Some(version) => Ok(Change::Set { to, version }),
                None => field("version", "set needs the product's current version"),
            }
        }
        _ => field("adjust", "give either adjust (±N with a reason) or set (N with the version)"),
    }
}
