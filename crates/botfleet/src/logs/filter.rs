//! A small WHERE-clause builder with numbered placeholders (`$1`, `$2`, … work on both SQLite and
//! PostgreSQL), so filters are always bound, never spliced into SQL. Text filters follow the shared
//! control-character rule (`crate::text`): PostgreSQL refuses a NUL, so it is a 422, not a 500.
//! The values are kept as plain data until [`Where::finish`], so one set of filters can serve two
//! statements (the search's bounded scan reads its window, then the page within it).

use sqlx::any::AnyArguments;
use sqlx::Arguments;

use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
}

/// Conditions joined with AND, and their bound values.
#[derive(Debug, Default, Clone)]
pub struct Where {
    clauses: Vec<String>,
    values: Vec<Value>,
    /// Text filters refused by the control-character rule.
    errors: Vec<FieldError>,
}

impl Where {
    /// Binds `value` and returns its placeholder.
    pub fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    /// Adds a condition as written (its values bound with [`Self::bind`] first).
    pub fn clause(&mut self, sql: String) {
        self.clauses.push(sql);
    }

    /// `column op $n` with an integer.
    pub fn int(&mut self, column: &str, op: &str, value: Option<i64>) {
        if let Some(v) = value {
            let slot = self.bind(Value::Int(v));
            self.clauses.push(format!("{column} {op} {slot}"));
        }
    }

    /// `column = $n` with a string (the query parameter named `field`).
    pub fn text(&mut self, field: &str, column: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| text::push(&mut self.errors, field, v, Lines::Single)) {
            let slot = self.bind(Value::Text(v.to_owned()));
            self.clauses.push(format!("{column} = {slot}"));
        }
    }

    /// Whether no condition was added.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Checks a text parameter against the control-character rule; whether it passed (a refusal is
    /// reported by [`Self::finish`]).
    pub fn check(&mut self, field: &str, value: &str) -> bool {
        text::push(&mut self.errors, field, value, Lines::Single)
    }

    /// Records a refused parameter.
    pub fn refuse(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// A validation error when a parameter was refused.
    pub fn validate(&self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors.clone()))
        }
    }

    /// `WHERE …` (or nothing) and its bound values.
    pub fn build(&self) -> Result<(String, AnyArguments<'static>)> {
        self.validate()?;
        let mut args = AnyArguments::default();
        for v in &self.values {
            let _ = match v {
                Value::Int(n) => args.add(*n),
                Value::Text(s) => args.add(s.clone()),
            };
        }
        let clause =
            if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) };
        Ok((clause, args))
    }

    /// `WHERE …` (or nothing) and a placeholder for the LIMIT that follows; a validation error
    /// when a text filter was refused.
    pub fn finish(mut self, limit: i64) -> Result<(String, String, AnyArguments<'static>)> {
        let slot = self.bind(Value::Int(limit));
        let (clause, args) = self.build()?;
        Ok((clause, slot, args))
    }
}
