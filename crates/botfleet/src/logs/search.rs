//! The `q` search of the log lists (command logs, bot logs, audit logs) and the page it reads.
//!
//! `q` is parsed by [`parse`] (pure): terms separated by spaces, all of which must match;
//! `"a phrase with spaces"` is one term; `-term` (or `-"a phrase"`) excludes rows that match it.
//! Each term keeps the old meaning of `q`: a case-insensitive substring of one of the table's
//! searched columns, `%`, `_` and `\` taken literally.
//!
//! Terms are served by trigram indexes — SQLite: an FTS5 table with the `trigram` tokenizer kept
//! by triggers (each term quoted as an FTS5 string, so no query syntax gets through);
//! PostgreSQL: a `pg_trgm` GIN index over the searched columns joined by U+001F (a character `q`
//! cannot hold, so a term never matches across two columns), read with bound `ILIKE` patterns.
//! A trigram index needs three characters (on PostgreSQL three letters or digits in a row): when
//! no term to match has them, the search reads at most the newest [`SCAN_ROWS`] rows within the
//! other filters (below the cursor) and says so in [`SearchInfo`]; the page's cursor then goes on
//! below the rows read.
//!
//! With other filters (a bot, a user, a command…) a trigram index alone can be slow: a word in a
//! few percent of all rows, within a bot that has a fraction of a percent of them, is thousands of
//! index matches read for one page. PostgreSQL's planner weighs the filter's index against the
//! trigram index with the query's values (the store has it plan every statement with them:
//! `plan_cache_mode = force_custom_plan`). SQLite cannot: an FTS5 `MATCH` is always read first.
//! So on SQLite a filtered search first reads the newest [`FILTER_WINDOW`] rows within the
//! filters, by the filter's index, checking each row's text; only when they hold less than a page,
//! and there are more rows within the filters, does the FTS table go on below them. Each path is
//! then bounded: the first by the window, the second because the filter holds at least a window's
//! rows, so its rows are not rare among the word's matches.

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::Row;
use utoipa::ToSchema;

use super::filter::{Value, Where};
use crate::error::{FieldError, Result};
use crate::page::{Cursor, Page};
use crate::store::{Backend, Store};

/// The most rows a search without an indexable term reads per page.
pub const SCAN_ROWS: i64 = 100_000;

/// With other filters, the most rows within them a search checks one by one before it turns to
/// the trigram index ([`page`]).
pub const FILTER_WINDOW: i64 = 20_000;

/// The longest `q`, in characters.
pub const MAX_CHARS: usize = 500;

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The text to find (never empty).
    pub text: String,
    /// `-term`: rows matching it are left out.
    pub exclude: bool,
}

/// Splits `q` into terms: runs of non-space characters, or `"…"` (to the closing quote, or to the
/// end), each optionally preceded by `-` to exclude it. A quote inside a word is literal, a `-`
/// alone is the term `-`, and an empty phrase is nothing.
pub fn parse(q: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut rest = q.trim_start();
    while !rest.is_empty() {
        let (exclude, body) = match rest.strip_prefix('-') {
            Some(after) if !after.is_empty() && !after.starts_with(char::is_whitespace) => (true, after),
            _ => (false, rest),
        };
        let (text, next) = if let Some(phrase) = body.strip_prefix('"') {
            match phrase.find('"') {
                Some(end) => (&phrase[..end], &phrase[end + 1..]),
                None => (phrase, ""),
            }
        } else {
            let end = body.find(char::is_whitespace).unwrap_or(body.len());
            (&body[..end], &body[end..])
        };
        if !text.is_empty() {
            terms.push(Term { text: text.to_owned(), exclude });
        }
        rest = next.trim_start();
    }
    terms
}

/// Whether a trigram index can find `term` on `backend`: three characters for SQLite's trigram
/// tokenizer; three letters or digits in a row for `pg_trgm`, which takes its trigrams from words.
pub fn indexable(term: &str, backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => term.chars().nth(2).is_some(),
        Backend::Postgres => {
            let mut run = 0;
            term.chars().any(|c| {
                run = if c.is_alphanumeric() { run + 1 } else { 0 };
                run >= 3
            })
        }
    }
}

/// `term` as an FTS5 string: in double quotes, a double quote doubled. FTS5 reads nothing inside
/// a string as syntax.
pub fn fts_string(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// `%term%` for LIKE with `\` as the escape: `\`, `%` and `_` taken literally.
pub fn like_pattern(term: &str) -> String {
    format!("%{}%", term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// How a search was served, as the answer says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SearchInfo {
    /// `index` (the trigram index found the rows) or `scan` (no term had three characters: the
    /// newest rows within the other filters were read, at most 100,000 per page).
    pub mode: String,
    /// In `scan` mode: how many rows this page read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned: Option<i64>,
    /// In `scan` mode: what was read, and how to go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A page of a log list: its items, the cursor of the next page, and how `q` was served (absent
/// without `q`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchInfo>,
}

/// A searched table: its name (read as `t`), its FTS5 table on SQLite and the columns searched.
pub struct Table {
    pub name: &'static str,
    pub fts: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    /// The PostgreSQL expression the GIN index is built on (migration 0019 writes the same).
    fn joined(&self) -> String {
        let parts: Vec<String> = self.columns.iter().map(|c| format!("COALESCE(t.{c}, '')")).collect();
        format!("({})", parts.join(" || E'\\x1f' || "))
    }

    /// `term` found in any column, as a LIKE condition on `slot`.
    fn like(&self, backend: Backend, slot: &str) -> String {
        match backend {
            Backend::Postgres => format!("{} ILIKE {slot}", self.joined()),
            Backend::Sqlite => {
                let any: Vec<String> =
                    self.columns.iter().map(|c| format!("COALESCE(t.{c}, '') LIKE {slot} ESCAPE '\\'")).collect();
                format!("({})", any.join(" OR "))
            }
        }
    }
}

/// How a search is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No search.
    Plain,
    /// A trigram index finds the rows.
    Index,
    /// The newest rows are read.
    Scan,
}

fn mode(terms: &[Term], backend: Backend) -> Mode {
    if terms.is_empty() {
        Mode::Plain
    } else if terms.iter().any(|t| !t.exclude && indexable(&t.text, backend)) {
        Mode::Index
    } else {
        Mode::Scan
    }
}

/// Checks `q` (control characters, length) and parses it.
fn terms(w: &mut Where, q: Option<&str>) -> Result<Vec<Term>> {
    let q = q.filter(|q| w.check("q", q));
    if q.is_some_and(|q| q.chars().count() > MAX_CHARS) {
        w.refuse(FieldError::new("q", format!("must be at most {MAX_CHARS} characters")));
    }
    w.validate()?;
    Ok(q.map(parse).unwrap_or_default())
}

/// What a search reads: the database, the table, its columns to answer with, the terms of `q`.
struct Read<'a> {
    backend: Backend,
    table: &'a Table,
    select: &'a str,
    terms: &'a [Term],
}

impl Read<'_> {
    /// The statement reading a page: `over` rows at most, newest first. With a `floor`, only the
    /// rows from it up, each checked in turn (a window read by the filters' index); without, the
    /// trigram index finds them.
    fn statement(
        &self,
        mut w: Where,
        cursor: Option<Cursor>,
        over: i64,
        floor: Option<i64>,
    ) -> Result<(String, AnyArguments<'static>)> {
        let Read { backend, table, select, terms } = *self;
        if floor.is_none() && mode(terms, backend) == Mode::Index && backend == Backend::Sqlite {
            // The indexable terms in one FTS5 expression; the others checked on its rows.
            let (wide, narrow): (Vec<&Term>, Vec<&Term>) = terms.iter().partition(|t| indexable(&t.text, backend));
            let all: Vec<String> = wide.iter().filter(|t| !t.exclude).map(|t| fts_string(&t.text)).collect();
            let none: Vec<String> = wide.iter().filter(|t| t.exclude).map(|t| fts_string(&t.text)).collect();
            let mut expr = format!("({})", all.join(" AND "));
            if !none.is_empty() {
                expr = format!("{expr} NOT ({})", none.join(" OR "));
            }
            let slot = w.bind(Value::Text(expr));
            w.clause(format!("{} MATCH {slot}", table.fts));
            like_terms(&mut w, table, backend, &narrow);
            w.int(&format!("{}.rowid", table.fts), "<", cursor.map(|c| c.0));
            let (clause, limit_slot, args) = w.finish(over)?;
            let sql = format!(
                "SELECT {select} FROM {fts} JOIN {name} t ON t.id = {fts}.rowid {clause} \
                 ORDER BY {fts}.rowid DESC LIMIT {limit_slot}",
                fts = table.fts,
                name = table.name
            );
            return Ok((sql, args));
        }
        w.int("t.id", "<", cursor.map(|c| c.0));
        w.int("t.id", ">=", floor);
        like_terms(&mut w, table, backend, &terms.iter().collect::<Vec<_>>());
        let (clause, limit_slot, args) = w.finish(over)?;
        Ok((format!("SELECT {select} FROM {} t {clause} ORDER BY t.id DESC LIMIT {limit_slot}", table.name), args))
    }
}

/// The statement finding a window: the lowest id and the number of the newest `rows` rows within
/// the filters, below the cursor.
fn window(table: &Table, mut w: Where, cursor: Option<Cursor>, rows: i64) -> Result<(String, AnyArguments<'static>)> {
    w.int("t.id", "<", cursor.map(|c| c.0));
    let (clause, limit_slot, args) = w.finish(rows)?;
    let sql = format!(
        "SELECT MIN(w.id) AS floor, COUNT(*) AS scanned FROM (SELECT t.id FROM {} t {clause} ORDER BY t.id DESC \
         LIMIT {limit_slot}) w",
        table.name
    );
    Ok((sql, args))
}

/// The lowest id among the newest `rows` rows within the filters below the cursor (`i64::MAX`
/// when there is none), and how many there are.
async fn read_window(store: &Store, table: &Table, w: &Where, cursor: Option<Cursor>, rows: i64) -> Result<(i64, i64)> {
    let (sql, args) = window(table, w.clone(), cursor, rows)?;
    let row = sqlx::query_with(&sql, args).fetch_one(store.pool()).await?;
    let floor: Option<i64> = row.try_get("floor")?;
    Ok((floor.unwrap_or(i64::MAX), row.try_get("scanned")?))
}

/// One page of `table` (columns `select`, read as `t`), filtered by `w`, newest first, searched by
/// `q`, after `cursor`.
#[allow(clippy::too_many_arguments)]
pub async fn page<T>(
    store: &Store,
    table: &Table,
    select: &str,
    mut w: Where,
    q: Option<&str>,
    cursor: Option<Cursor>,
    limit: u32,
    view: fn(&AnyRow) -> Result<T>,
    id: fn(&T) -> i64,
) -> Result<LogPage<T>> {
    let terms = terms(&mut w, q)?;
    let backend = store.backend();
    let over = i64::from(limit) + 1;
    let mode = mode(&terms, backend);
    let read = Read { backend, table, select, terms: &terms };
    let fetch = |(sql, args): (String, AnyArguments<'static>)| async move {
        Ok::<_, crate::error::Error>(sqlx::query_with(&sql, args).fetch_all(store.pool()).await?)
    };
    let (rows, scan) = match mode {
        Mode::Scan => {
            let (floor, scanned) = read_window(store, table, &w, cursor, SCAN_ROWS).await?;
            (fetch(read.statement(w, cursor, over, Some(floor))?).await?, Some((floor, scanned)))
        }
        Mode::Index if !w.is_empty() && backend == Backend::Sqlite => {
            // Filters first: their newest rows, each checked; the trigram index below them if
            // they hold less than a page and there is more within the filters.
            let (floor, scanned) = read_window(store, table, &w, cursor, FILTER_WINDOW).await?;
            let mut rows = fetch(read.statement(w.clone(), cursor, over, Some(floor))?).await?;
            let found = i64::try_from(rows.len()).unwrap_or(over);
            if found < over && scanned >= FILTER_WINDOW {
                rows.extend(fetch(read.statement(w, Some(Cursor(floor)), over - found, None)?).await?);
            }
            (rows, None)
        }
        _ => (fetch(read.statement(w, cursor, over, None)?).await?, None),
    };
    let mut page = Page::from_overfetch(rows.iter().map(view).collect::<Result<Vec<_>>>()?, limit, id);
    let search = match mode {
        Mode::Plain => None,
        Mode::Index => Some(SearchInfo { mode: "index".into(), scanned: None, note: None }),
        Mode::Scan => {
            let (floor, scanned) = scan.unwrap_or((i64::MAX, 0));
            let more = scanned >= SCAN_ROWS;
            if page.next_cursor.is_none() && more {
                page.next_cursor = Some(Cursor(floor).encode());
            }
            let how = match backend {
                Backend::Sqlite => "three characters",
                Backend::Postgres => "three letters or digits in a row",
            };
            let note = format!(
                "no term to find has {how}, so the trigram index cannot serve this search: the newest {scanned} \
                 rows within the other filters were read{}",
                if more { "; the next cursor goes on with the older ones" } else { " (all there are)" }
            );
            Some(SearchInfo { mode: "scan".into(), scanned: Some(scanned), note: Some(note) })
        }
    };
    Ok(LogPage { items: page.items, next_cursor: page.next_cursor, search })
}

/// The database's plan for the statements [`page`] would run (`EXPLAIN QUERY PLAN` on SQLite, one
/// line per step; `EXPLAIN`, as text, on PostgreSQL), on `conn`, so that a caller can set the
/// planner's options first.
#[allow(clippy::too_many_arguments)]
pub async fn explain(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    table: &Table,
    select: &str,
    mut w: Where,
    q: Option<&str>,
    cursor: Option<Cursor>,
    limit: u32,
) -> Result<String> {
    let terms = terms(&mut w, q)?;
    let read = Read { backend, table, select, terms: &terms };
    let over = i64::from(limit) + 1;
    let mut statements = Vec::new();
    match mode(&terms, backend) {
        Mode::Scan => {
            statements.push(window(table, w.clone(), cursor, SCAN_ROWS)?);
            statements.push(read.statement(w, cursor, over, Some(0))?);
        }
        Mode::Index if !w.is_empty() && backend == Backend::Sqlite => {
            statements.push(window(table, w.clone(), cursor, FILTER_WINDOW)?);
            statements.push(read.statement(w.clone(), cursor, over, Some(0))?);
            statements.push(read.statement(w, cursor, over, None)?);
        }
        _ => statements.push(read.statement(w, cursor, over, None)?),
    }
    let mut plan = String::new();
    for (sql, args) in statements {
        match backend {
            Backend::Sqlite => {
                let rows = sqlx::query_with(&format!("EXPLAIN QUERY PLAN {sql}"), args).fetch_all(&mut *conn).await?;
                for row in rows {
                    plan.push_str(&row.try_get::<String, _>("detail")?);
                    plan.push('\n');
                }
            }
            Backend::Postgres => {
                // Text, not FORMAT JSON: sqlx's Any driver reads no `json` column.
                let rows = sqlx::query_with(&format!("EXPLAIN {sql}"), args).fetch_all(&mut *conn).await?;
                for row in rows {
                    plan.push_str(&row.try_get::<String, _>(0)?);
                    plan.push('\n');
                }
            }
        }
    }
    Ok(plan)
}

/// Each term as a LIKE condition (`NOT` for an excluded one).
fn like_terms(w: &mut Where, table: &Table, backend: Backend, terms: &[&Term]) {
    for t in terms {
        let slot = w.bind(Value::Text(like_pattern(&t.text)));
        let like = table.like(backend, &slot);
        w.clause(if t.exclude { format!("NOT {like}") } else { like });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(String, bool)> {
        parse(q).into_iter().map(|t| (t.text, t.exclude)).collect()
    }

    fn t(text: &str, exclude: bool) -> (String, bool) {
        (text.to_owned(), exclude)
    }

    #[test]
    fn words_phrases_and_exclusions() {
        assert_eq!(terms("green tea"), [t("green", false), t("tea", false)]);
        assert_eq!(terms("  \"green tea\"  -sold "), [t("green tea", false), t("sold", true)]);
        assert_eq!(terms("-\"out of stock\" x"), [t("out of stock", true), t("x", false)]);
        assert_eq!(terms("\"unclosed phrase"), [t("unclosed phrase", false)]);
        assert_eq!(terms("it\"s"), [t("it\"s", false)], "a quote inside a word is literal");
        assert_eq!(terms("- -- a-b"), [t("-", false), t("-", true), t("a-b", false)]);
        assert_eq!(terms("\"\" -\"\""), Vec::<(String, bool)>::new());
        assert_eq!(terms(""), Vec::<(String, bool)>::new());
        assert_eq!(terms("100% n_t \\x"), [t("100%", false), t("n_t", false), t("\\x", false)]);
        assert_eq!(terms("日本語 «ß» 👍"), [t("日本語", false), t("«ß»", false), t("👍", false)]);
    }

    #[test]
    fn fts_strings_and_like_patterns_take_everything_literally() {
        assert_eq!(fts_string("a \"b\" OR c*"), "\"a \"\"b\"\" OR c*\"");
        assert_eq!(like_pattern("100%_\\"), "%100\\%\\_\\\\%");
    }

    #[test]
    fn which_terms_a_trigram_index_can_find() {
        for (term, sqlite, postgres) in [
            ("hel", true, true),
            ("he", false, false),
            ("n_t", true, false),
            ("%%%", true, false),
            ("日本語", true, true),
            ("👍👍", false, false),
            ("a.b.c", true, false),
            ("ab1", true, true),
        ] {
            assert_eq!(indexable(term, Backend::Sqlite), sqlite, "{term}");
            assert_eq!(indexable(term, Backend::Postgres), postgres, "{term}");
        }
    }
}
