//! The soak's own PostgreSQL database: created on the server the tests use (trust authentication),
//! reached by botfleet through the outage proxy, read directly by the soak for what was tracked,
//! and dropped at the end.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;

/// The server's administrative URL: the one the test suite uses.
pub fn admin_url() -> String {
    std::env::var("BOTFLEET_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// One row of `discord_command_logs`, as far as the soak reads it.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub bot_id: i64,
    pub event_id: i64,
    pub arguments: String,
    pub outcome: String,
    pub error: Option<String>,
}

/// A database made for one soak run.
pub struct Database {
    admin: String,
    name: String,
    pool: Option<PgPool>,
}

/// `postgres://user@host:port` and `host:port` of a URL like `postgres://user@host:port/db?x`.
fn split(url: &str) -> anyhow::Result<(String, String)> {
    let without_query = url.split('?').next().unwrap_or(url);
    let (base, _db) = without_query.rsplit_once('/').context("the PostgreSQL URL names no database")?;
    let host =
        base.rsplit('@').next().unwrap_or(base).trim_start_matches("postgres://").trim_start_matches("postgresql://");
    Ok((base.to_owned(), host.to_owned()))
}

impl Database {
    /// Checks the server answers (within 5 s), so that the caller can skip when it does not.
    pub async fn reachable(admin: &str) -> anyhow::Result<()> {
        let conn = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(admin)).await;
        conn.context("no answer within 5 s")??.close().await?;
        Ok(())
    }

    /// Creates a fresh database with a unique name.
    pub async fn create(admin: &str, unique: &str) -> anyhow::Result<Self> {
        let name = format!("botfleet_soak_{unique}");
        let mut conn = PgConnection::connect(admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
        conn.close().await?;
        Ok(Self { admin: admin.to_owned(), name, pool: None })
    }

    /// `host:port` of the server, for the proxy to forward to.
    pub fn upstream(&self) -> anyhow::Result<String> {
        Ok(split(&self.admin)?.1)
    }

    /// The database's URL on the server itself.
    pub fn direct_url(&self) -> anyhow::Result<String> {
        Ok(format!("{}/{}", split(&self.admin)?.0, self.name))
    }

    /// The database's URL through the proxy on `port`.
    pub fn proxied_url(&self, port: u16) -> anyhow::Result<String> {
        let (base, host) = split(&self.admin)?;
        Ok(format!("{}/{}", base.replace(&host, &format!("127.0.0.1:{port}")), self.name))
    }

    /// Every command row, read directly (not through the proxy).
    pub async fn tracked(&mut self) -> anyhow::Result<Vec<Tracked>> {
        if self.pool.is_none() {
            self.pool = Some(PgPoolOptions::new().max_connections(1).connect(&self.direct_url()?).await?);
        }
        let Some(pool) = &self.pool else { anyhow::bail!("no pool") };
        let rows: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT CAST(bot_id AS BIGINT), CAST(event_id AS BIGINT), arguments, outcome, error FROM discord_command_logs",
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(bot_id, event_id, arguments, outcome, error)| Tracked {
                bot_id,
                event_id,
                arguments,
                outcome,
                error,
            })
            .collect())
    }

    /// Drops the database (botfleet should be stopped first; FORCE ends what is left connected).
    pub async fn drop_database(mut self) -> anyhow::Result<()> {
        if let Some(pool) = self.pool.take() {
            pool.close().await;
        }
        let mut conn = PgConnection::connect(&self.admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_user_and_swap_host_or_database() {
        let db = Database {
            admin: "postgres://root@127.0.0.1:5432/test".into(),
            name: "botfleet_soak_1".into(),
            pool: None,
        };
        assert_eq!(db.upstream().unwrap(), "127.0.0.1:5432");
        assert_eq!(db.direct_url().unwrap(), "postgres://root@127.0.0.1:5432/botfleet_soak_1");
        assert_eq!(db.proxied_url(7000).unwrap(), "postgres://root@127.0.0.1:7000/botfleet_soak_1");
    }
}
