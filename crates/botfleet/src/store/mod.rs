//! The database: SQLite (a file, created on first run, WAL) by default, PostgreSQL when the URL
//! says so. One pool through sqlx's `Any` driver, one SQL text for both backends (`$1`
//! placeholders work in both) and per-backend migrations embedded in the binary.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};

use crate::error::{Error, Result};

pub mod db_threads;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool and its backend.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The default database: `botfleet.db` in the data directory.
pub fn default_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("botfleet.db").display())
}

impl Store {
    /// Connects (creating the SQLite file and its directory if needed). Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Config(format!(
                "BOTFLEET_DATABASE_URL must start with sqlite: or postgres:// (got {})",
                redact(url)
            )));
        };
        if backend == Backend::Sqlite {
            if let Some(path) = sqlite_path(url).map(Path::new) {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::Config(format!("creating {}: {e}", dir.display())))?;
                }
                create_private(path)?;
            }
        }
        let options = AnyConnectOptions::from_str(url).map_err(|e| Error::Config(format!("database URL: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A 32 MiB page cache per connection (SQLite's default is 2 MiB): the log
                        // tables' filter and trigram indexes are written on every insert, and at
                        // millions of rows their pages would otherwise be read again for each batch.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                             PRAGMA cache_size = -32768;",
                        )
                        .await?;
                        // The connection's thread (new with it) gives way to the runtime's.
                        match tokio::task::spawn_blocking(db_threads::lower).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => tracing::warn!(
                                error = %e,
                                "the database thread's priority could not be lowered; it may delay commands under load"
                            ),
                            Err(e) => tracing::warn!(error = %e, "the database thread's priority was not lowered"),
                        }
                    } else {
                        // Plan each statement with its values, never with a generic plan made
                        // after five runs: a log search with a filter is fast by the filter's
                        // index for a common word and by the trigram index for a rare one, and a
                        // generic plan cannot know which (it picked a bitmap of a word's 600,000
                        // matches for a bot of 8,000 rows: 190 ms instead of 11).
                        conn.execute("SET plan_cache_mode = force_custom_plan").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Applies the migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE.run(&self.pool).await?,
            Backend::Postgres => POSTGRES.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A transaction that runs alone among those begun with the same `lock`, from its first
    /// statement to its commit or rollback: for a check and the change it allows that must be one
    /// step (the last admin stays an admin). What earlier holders committed is visible to every
    /// statement in it.
    ///
    /// - SQLite: `BEGIN IMMEDIATE` takes the database's one write lock at once (waiting up to the
    ///   busy timeout), so no other writer runs until it ends, whatever its lock. (sqlx's plain
    ///   `BEGIN` is deferred: a read first would pin a snapshot that a later write cannot use.)
    /// - PostgreSQL: `BEGIN ISOLATION LEVEL READ COMMITTED`, then a transaction-scoped advisory
    ///   lock on `lock`, released at the end. READ COMMITTED is named, not assumed: each statement
    ///   after the lock takes a fresh snapshot, so it sees what the previous holder committed; a
    ///   server whose default is REPEATABLE READ would keep the snapshot taken while waiting.
    pub async fn begin_serialized(&self, lock: i64) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
                // `pg_advisory_xact_lock` returns `void`, a type the Any driver does not support: select 1.
                sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
                Ok(tx)
            }
        }
    }

    /// A transaction that writes. SQLite: `BEGIN IMMEDIATE` takes the write lock at its start,
    /// waiting up to the busy timeout; a deferred one that has read (preparing a statement may)
    /// is refused at once with "database is locked" when another connection committed meanwhile,
    /// since WAL mode cannot move its snapshot. PostgreSQL: a plain `BEGIN`.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A transaction that reads one consistent state of the database (a configuration export or a
    /// dry run): SQLite's deferred `BEGIN` keeps the snapshot of its first read (WAL mode);
    /// PostgreSQL's `REPEATABLE READ` keeps the snapshot of its first statement.
    pub async fn begin_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection that is idle now (those in use are left alone) and returns how
    /// many it closed; the next query opens one again. After a burst, the connections it opened
    /// hold what it left: on SQLite each keeps its prepared statements (the batch inserts' are the
    /// largest, with their indexes and search trigger) and up to `cache_size` of pages, ≈ 5.9 MB
    /// for 1,000 bots after 10,000 commands (issue 26's heap profile), until it is closed. sqlx's
    /// own `idle_timeout` cannot be relied on for this: its reaper puts a connection it checked
    /// back as idle from that moment, so one checked just before its time is never old enough.
    pub async fn close_idle_connections(&self) -> usize {
        let mut taken = Vec::with_capacity(self.pool.num_idle());
        while taken.len() < taken.capacity() {
            match self.pool.try_acquire() {
                Some(conn) => taken.push(conn),
                None => break,
            }
        }
        let closed = taken.len();
        for conn in taken {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "closing an idle database connection failed");
            }
        }
        closed
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates a new database file readable by its owner only, like the key file (SQLite gives its
/// `-wal` and `-shm` files the same mode); an existing file is left as it is.
fn create_private(path: &Path) -> Result<()> {
    match crate::secrets::create_private(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Config(format!("creating {}: {e}", path.display()))),
    }
}

pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (path != ":memory:" && !path.is_empty()).then_some(path)
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The row of `table` with this `id`, seen through `view` (`NotFound` names it as `what`).
/// `table` and `columns` are the caller's constants, never request input.
pub async fn get_by_id<T>(
    store: &Store,
    table: &str,
    columns: &str,
    what: &'static str,
    id: i64,
    view: impl FnOnce(&AnyRow) -> Result<T>,
) -> Result<T> {
    let row = sqlx::query(&format!("SELECT {columns} FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound { what, id: id.to_string() })?;
    view(&row)
}

/// Deletes the row of `table` with this `id`, on a pool or inside a transaction (`NotFound`
/// names it as `what`). `table` is the caller's constant, never request input.
pub async fn delete_by_id<'e, E>(db: E, table: &str, what: &'static str, id: i64) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(&format!("DELETE FROM {table} WHERE id = $1")).bind(id).execute(db).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound { what, id: id.to_string() });
    }
    Ok(())
}

/// Replaces every non-null value of `table.column` with `reseal(value)`, row by row inside `tx`
/// (key rotation); returns how many values were replaced. `table` and `column` are the caller's
/// constants, never request input.
pub async fn reseal_column(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    column: &str,
    reseal: impl Fn(&str) -> Result<String>,
) -> Result<u64> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as(&format!("SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id"))
            .fetch_all(&mut **tx)
            .await?;
    for (id, sealed) in &rows {
        sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
            .bind(reseal(sealed)?)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
}

/// A query being built on any backend, as [`insert_rows`] hands it to its binder.
pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Most parameters one SQLite statement takes (`SQLITE_MAX_VARIABLE_NUMBER` since SQLite 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;

/// Inserts `rows` with multi-row INSERTs (`head`, `row` per row, `tail`; see [`values_sql`]),
/// `bind` adding one row's parameters, all or nothing.
///
/// On SQLite a batch that fits one statement is that one statement on its own, with no
/// transaction around it: a statement inside a transaction that changes many rows of a table with
/// indexes and a trigger (a log table) is kept undoable on its own by a statement journal, a copy
/// of every page it changes, which past 64 KiB SQLite spills to a temporary file. That journal was
/// two thirds of what tracking wrote (26.8 KB and 13 write calls a command at 1,000 commands/s;
/// 8.6 KB and 4.3 without it), and a row cost SQLite about twice the time (a micro-benchmark of
/// the same schema, `docs/benchmarks.md`). The statement is prepared for this batch and not
/// cached: a cached one would keep its program and thousands of parameters (see
/// [`insert_chunks`]). Otherwise (PostgreSQL, a larger batch) the rows go in one transaction, in
/// chunks of a few fixed sizes.
pub async fn insert_rows<T: Sync>(
    store: &Store,
    (head, row, tail): (&str, &str, &str),
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if store.backend == Backend::Sqlite && fits_one_sqlite_statement((head, row, tail), rows.len()) {
        let sql = values_sql(Backend::Sqlite, head, row, rows.len(), tail);
        let q = rows.iter().fold(sqlx::query(&sql).persistent(false), &bind);
        q.execute(&store.pool).await?;
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for chunk in insert_chunks(rows) {
        let sql = values_sql(store.backend, head, row, chunk.len(), tail);
        let q = chunk.iter().fold(sqlx::query(&sql), &bind);
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether `rows` rows of a multi-row INSERT (`head`, `row` per row, `tail`) fit one SQLite
/// statement's parameters, so that [`insert_rows`] writes them as one statement.
pub fn fits_one_sqlite_statement((_head, row, tail): (&str, &str, &str), rows: usize) -> bool {
    let params = rows.saturating_mul(row.matches('?').count()).saturating_add(tail.matches('?').count());
    params <= SQLITE_MAX_PARAMS
}

/// The chunks a batch insert is cut into: the largest of 64, 16, 4 and 1 rows that fits, in turn.
/// A multi-row INSERT is one prepared statement per row count, kept in the connection's statement
/// cache; a few fixed counts reuse a handful of statements, where one per batch length would
/// prepare (and cache, up to thousands of parameters each) a new statement for most batches. Not
/// larger than 64: SQLite keeps a compiled statement's program and parameters for as long as it
/// is cached: with 256-row chunks, the batch inserts' statements (the command log's with its
/// indexes and search trigger) held 5.3 MB after 10,000 commands (heaptrack, `docs/benchmarks.md`).
pub fn insert_chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut left = rows;
    std::iter::from_fn(move || {
        let size = [64, 16, 4, 1].into_iter().find(|&s| s <= left.len())?;
        let (chunk, rest) = left.split_at(size);
        left = rest;
        Some(chunk)
    })
}

/// A multi-row INSERT: `head`, then `row` `rows` times (comma-separated), then `tail`, where each
/// `?` of `row` and `tail` is a parameter, numbered in order. PostgreSQL gets `$1`, `$2`, …; SQLite
/// keeps `?` (anonymous, each the next index): sqlx binds a numbered SQLite parameter by asking its
/// name, a walk through the statement's list of names, which made binding a statement of thousands
/// of parameters cost its square. `row` and `tail` are the caller's constants (no `?` in a literal).
pub fn values_sql(backend: Backend, head: &str, row: &str, rows: usize, tail: &str) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * (row.len() + 16));
    sql.push_str(head);
    let mut n = 0;
    let mut push = |sql: &mut String, part: &str| match backend {
        Backend::Sqlite => sql.push_str(part),
        Backend::Postgres => {
            for (i, piece) in part.split('?').enumerate() {
                if i > 0 {
                    n += 1;
                    let _ = write!(sql, "${n}");
                }
                sql.push_str(piece);
            }
        }
    };
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        push(&mut sql, row);
    }
    push(&mut sql, tail);
    sql
}

/// Whether an error is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_and_paths_found() {
        assert_eq!(redact("postgres://root:hunter2@db:5432/x"), "postgres://root:***@db:5432/x");
        assert_eq!(redact("postgres://root@db/x"), "postgres://root@db/x");
        assert_eq!(sqlite_path("sqlite://data/b.db?mode=rwc"), Some("data/b.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn batches_are_cut_into_a_few_fixed_row_counts() {
        let sizes = |len| insert_chunks(&vec![0u8; len]).map(<[u8]>::len).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(100), vec![64, 16, 16, 4]);
        assert_eq!(sizes(600), [vec![64; 9], vec![16, 4, 4]].concat());
        let chunks: Vec<_> = insert_chunks(&[1, 2, 3, 4, 5, 6, 7]).collect();
        assert_eq!(chunks, vec![&[1, 2, 3, 4][..], &[5], &[6], &[7]]);
        assert_eq!(
            values_sql(Backend::Postgres, "INSERT INTO t (a, b, c) VALUES ", "(?, ?, 0)", 2, " WHERE x = ?"),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, 0),($3, $4, 0) WHERE x = $5"
        );
        assert_eq!(
            values_sql(Backend::Sqlite, "INSERT INTO t (a) VALUES ", "(?)", 3, ""),
            "INSERT INTO t (a) VALUES (?),(?),(?)"
        );
    }

    /// `n` connections of the pool at once (each opened, if the pool had fewer).
    #[allow(clippy::unwrap_used)]
    async fn hold(store: &Store, n: usize) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
        let held = futures_util::future::join_all((0..n).map(|_| store.pool.acquire())).await;
        held.into_iter().map(Result::unwrap).collect()
    }

    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn idle_connections_are_closed_and_those_in_use_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&default_url(dir.path())).await.unwrap();
        let mut held = hold(&store, 3).await;
        assert_eq!(store.pool.size(), 3);
        // A connection dropped goes back to the pool on a task of its own.
        let pool = &store.pool;
        let idle = |n: usize| async move {
            let waited = tokio::time::timeout(Duration::from_secs(10), async {
                while pool.num_idle() != n {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
            waited.await.unwrap();
        };
        let in_use = held.pop().unwrap();
        drop(held);
        idle(2).await;
        assert_eq!(store.close_idle_connections().await, 2);
        assert_eq!(store.pool.size(), 1, "the connection in use stays open");
        drop(in_use);
        idle(1).await;
        assert_eq!(store.close_idle_connections().await, 1);
        assert_eq!(store.pool.size(), 0);
        store.ping().await.unwrap();
        assert_eq!(store.pool.size(), 1, "the next query opens a connection again");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn sqlite_connection_threads_give_way_to_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&default_url(dir.path())).await.unwrap();
        // Three connections at once: each has its thread, each lowered as it connected.
        let held = hold(&store, 3).await;
        let nice = db_threads::nice_values().unwrap();
        assert!(nice.len() >= 3, "a thread per connection: {nice:?}");
        assert!(nice.iter().all(|&n| n == db_threads::NICE), "{nice:?}");
        assert_eq!(db_threads::lower().unwrap(), 0, "nothing left to lower");
        // The runtime's own thread keeps the process's priority.
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), 0);
        drop(held);
    }
}
