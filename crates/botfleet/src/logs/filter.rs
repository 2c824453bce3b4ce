//! A small WHERE-clause builder with numbered placeholders (`$1`, `$2`, … work on both SQLite and
//! PostgreSQL), so filters are always bound, never spliced into SQL. Text filters follow the shared
//! control-character rule (`crate::text`): PostgreSQL refuses a NUL, so it is a 422, not a 500.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};

/// Conditions joined with AND, and their bound values.
#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    args: AnyArguments<'static>,
    n: usize,
    /// Text filters refused by the control-character rule.
    errors: Vec<FieldError>,
}

impl Where {
    /// The next placeholder.
    fn slot(&mut self) -> String {
        self.n += 1;
        format!("${}", self.n)
    }

    /// `column op $n` with an integer.
    pub fn int(&mut self, column: &str, op: &str, value: Option<i64>) {
        if let Some(v) = value {
            let slot = self.slot();
            self.clauses.push(format!("{column} {op} {slot}"));
            let _ = self.args.add(v);
        }
    }

    /// `column = $n` with a string (the query parameter of the same name).
    pub fn text(&mut self, column: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| text::push(&mut self.errors, column, v, Lines::Single)) {
            let slot = self.slot();
            self.clauses.push(format!("{column} = {slot}"));
            let _ = self.args.add(v.to_owned());
        }
    }

    /// Case-insensitive substring search over several columns (the query parameter `q`).
    pub fn contains(&mut self, columns: &[&str], needle: Option<&str>) {
        let Some(needle) = needle.filter(|n| !n.is_empty() && text::push(&mut self.errors, "q", n, Lines::Single))
        else {
            return;
        };
        let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let slot = self.slot();
        let any: Vec<String> = columns.iter().map(|c| format!("LOWER({c}) LIKE {slot} ESCAPE '\\'")).collect();
        self.clauses.push(format!("({})", any.join(" OR ")));
        let _ = self.args.add(format!("%{escaped}%"));
    }

    /// `WHERE …` (or nothing) and a placeholder for the LIMIT that follows; a validation error
    /// when a text filter was refused.
    pub fn finish(mut self, limit: i64) -> Result<(String, String, AnyArguments<'static>)> {
        if !self.errors.is_empty() {
            return Err(Error::Validation(self.errors));
        }
        let slot = self.slot();
        let _ = self.args.add(limit);
        let clause =
            if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) };
        Ok((clause, slot, self.args))
    }
}
