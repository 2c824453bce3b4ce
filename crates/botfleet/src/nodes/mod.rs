//! The nodes serving one database: each registers at start (its id, the address its API listens
//! on, its version), beats every [`HEARTBEAT_EVERY`] with the bots it holds, and notes a clean
//! stop; one that has not beaten for [`MISSING_AFTER_MS`] is `missing`. On SQLite one node serves
//! the database: a second `serve` on the same file is refused at start ([`SingleNode`]).

pub mod leases;

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::Clock;

/// How often a node beats.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// A node that has not beaten for this long is `missing` (three beats).
pub const MISSING_AFTER_MS: i64 = 15_000;

/// Rows of nodes not heard from for this long are deleted.
pub const FORGET_AFTER_MS: i64 = 7 * 24 * 3_600_000;

/// This node's name, kept in `<data dir>/node-id` (made on first start), so that a restarted
/// node recognises the jobs and rows it held.
pub fn node_id(data_dir: &std::path::Path) -> Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => {
            let id = format!("node-{:016x}", rand::random::<u64>());
            std::fs::write(&path, &id).map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))?;
            Ok(id)
        }
    }
}

/// A node as `GET /api/v1/nodes` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    pub id: String,
    /// The address its API listens on.
    pub address: String,
    pub version: String,
    /// `up` (beating), `missing` (no beat for 15 s: stopped without saying so, or cut off) or
    /// `stopped` (stopped cleanly).
    pub state: &'static str,
    /// The node answering this request.
    pub this_node: bool,
    /// Bots running in it at its last beat.
    pub bots: i64,
    /// Several nodes: an admin is draining it (its bots move to the others; it takes no new
    /// ones).
    pub draining: bool,
    /// Runs as one of several nodes (`--several-nodes`).
    pub several: bool,
    pub started_at: i64,
    pub last_heartbeat_at: i64,
    pub stopped_at: Option<i64>,
}

/// This node in the registry.
#[derive(Debug, Clone)]
pub struct Registry {
    store: Store,
    clock: Clock,
    id: String,
    /// Runs as one of several nodes (`--several-nodes`).
    several: bool,
}

impl Registry {
    pub fn new(store: Store, clock: Clock, id: String, several: bool) -> Self {
        Self { store, clock, id, several }
    }

    /// Whether this node runs as one of several (`--several-nodes`).
    pub fn several(&self) -> bool {
        self.several
    }

    /// Refuses to start beside a node that is up on the same database unless both run as one of
    /// several nodes (a node killed less than [`MISSING_AFTER_MS`] ago still counts as up).
    pub async fn check_neighbours(&self) -> Result<()> {
        let rows = sqlx::query("SELECT id, address, several FROM nodes WHERE id <> $1 AND stopped_at IS NULL AND heartbeat_at >= $2 ORDER BY id")
            .bind(self.id.clone())
            .bind(self.clock.now_ms() - MISSING_AFTER_MS)
            .fetch_all(self.store.pool())
            .await?;
        for row in rows {
            let (id, address, several): (String, String, bool) =
                (row.try_get("id")?, row.try_get("address")?, row.try_get("several")?);
            let why = match (self.several, several) {
                (true, true) => continue,
                (false, _) => "this node is not set to run as one of several",
                (true, false) => "that node is not set to run as one of several",
            };
            return Err(Error::Config(format!(
                "node {id} (API at {address}) already serves this database and {why}: set BOTFLEET_SEVERAL_NODES=true \
                 (--several-nodes true) on every node to share the fleet, or stop the other node first (one killed \
                 less than {} s ago still counts as up)",
                MISSING_AFTER_MS / 1000
            )));
        }
        Ok(())
    }

    /// Registers this node as up, listening on `address` (a restarted node takes its row again).
    pub async fn register(&self, address: &str) -> Result<()> {
        let now = self.clock.now_ms();
        sqlx::query(
            "INSERT INTO nodes (id, address, version, started_at, heartbeat_at, stopped_at, bots, several) \
             VALUES ($1, $2, $3, $4, $4, NULL, 0, $5) \
             ON CONFLICT (id) DO UPDATE SET address = $2, version = $3, started_at = $4, heartbeat_at = $4, \
             stopped_at = NULL, bots = 0, several = $5",
        )
        .bind(self.id.clone())
        .bind(address.to_owned())
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(now)
        .bind(self.several)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// One beat: this node is up and holds `bots`; rows of nodes gone for a week go.
    pub async fn beat(&self, bots: usize) -> Result<()> {
        let now = self.clock.now_ms();
        sqlx::query("UPDATE nodes SET heartbeat_at = $1, bots = $2 WHERE id = $3")
            .bind(now)
            .bind(i64::try_from(bots).unwrap_or(i64::MAX))
            .bind(self.id.clone())
            .execute(self.store.pool())
            .await?;
        sqlx::query("DELETE FROM nodes WHERE heartbeat_at < $1")
            .bind(now - FORGET_AFTER_MS)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// This node stopped cleanly.
    pub async fn stopped(&self) -> Result<()> {
        let now = self.clock.now_ms();
        sqlx::query("UPDATE nodes SET stopped_at = $1, heartbeat_at = $1, bots = 0 WHERE id = $2")
            .bind(now)
            .bind(self.id.clone())
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Drains a node (`true`: its bots move to the other nodes, it takes no new ones) or takes it
    /// back; whether it was draining before, and the node as it is now. Draining is refused for a
    /// node that does not run as one of several (there is nowhere for its bots to go).
    pub async fn drain(&self, id: &str, draining: bool) -> Result<(bool, Node)> {
        let node = self
            .list()
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| Error::NotFound { what: "node", id: id.to_owned() })?;
        if draining && !node.several {
            return Err(Error::Conflict(format!(
                "node {id} serves the database alone: there is no other node for its bots (several nodes need \
                 PostgreSQL and BOTFLEET_SEVERAL_NODES=true on each)"
            )));
        }
        sqlx::query("UPDATE nodes SET draining = $1 WHERE id = $2")
            .bind(draining)
            .bind(id.to_owned())
            .execute(self.store.pool())
            .await?;
        Ok((node.draining, Node { draining, ..node }))
    }

    /// Every node, this one first, then by id.
    pub async fn list(&self) -> Result<Vec<Node>> {
        let now = self.clock.now_ms();
        let rows = sqlx::query(
            "SELECT id, address, version, started_at, heartbeat_at, stopped_at, bots, \
             CAST(draining AS INTEGER) AS draining, CAST(several AS INTEGER) AS several FROM nodes ORDER BY id",
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut nodes = rows
            .iter()
            .map(|row| {
                let heartbeat: i64 = row.try_get("heartbeat_at")?;
                let stopped_at: Option<i64> = row.try_get("stopped_at")?;
                let id: String = row.try_get("id")?;
                Ok(Node {
                    this_node: id == self.id,
                    id,
                    address: row.try_get("address")?,
                    version: row.try_get("version")?,
                    state: state(stopped_at, heartbeat, now),
                    bots: row.try_get("bots")?,
                    draining: row.try_get::<i64, _>("draining")? != 0,
                    several: row.try_get::<i64, _>("several")? != 0,
                    started_at: row.try_get("started_at")?,
                    last_heartbeat_at: heartbeat,
                    stopped_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        nodes.sort_by_key(|n| !n.this_node);
        Ok(nodes)
    }

    /// Beats every [`HEARTBEAT_EVERY`] with the count `bots` gives, until the task is aborted.
    pub fn spawn(&self, bots: impl Fn() -> usize + Send + 'static) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = registry.beat(bots()).await {
                    tracing::warn!(error = %e, "node heartbeat not written; other nodes may see this one as missing");
                }
            }
        })
    }
}

/// A node's state from its row, now.
fn state(stopped_at: Option<i64>, heartbeat_at: i64, now: i64) -> &'static str {
    match stopped_at {
        Some(_) => "stopped",
        None if now - heartbeat_at > MISSING_AFTER_MS => "missing",
        None => "up",
    }
}

/// The lock a node serving a SQLite database holds on `<database file>.node-lock` for as long as
/// it serves: a second node on the same file is refused at start (SQLite serves one node).
#[derive(Debug)]
pub struct SingleNode {
    _file: std::fs::File,
}

impl SingleNode {
    /// Takes the lock for the SQLite database at `path`, or says who holds it.
    pub fn claim(path: &std::path::Path) -> Result<Self> {
        let lock_path = {
            let mut p = path.as_os_str().to_owned();
            p.push(".node-lock");
            std::path::PathBuf::from(p)
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::Config(format!("cannot open {}: {e}", lock_path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
                "another botfleet node already serves the SQLite database {} (it holds {}): SQLite serves one \
                 node; stop the other one, or use PostgreSQL to run several nodes",
                path.display(),
                lock_path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::Config(format!("cannot lock {}: {e}", lock_path.display())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_node_is_up_missing_after_three_beats_or_stopped() {
        assert_eq!(state(None, 1_000, 1_000 + MISSING_AFTER_MS), "up");
        assert_eq!(state(None, 1_000, 1_001 + MISSING_AFTER_MS), "missing");
        assert_eq!(state(Some(5), 1_000, 1_000), "stopped");
    }

    #[test]
    fn a_second_claim_on_one_sqlite_file_is_refused_and_free_again_after() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("botfleet.db");
        let first = SingleNode::claim(&db).unwrap();
        let refused = SingleNode::claim(&db).unwrap_err().to_string();
        assert!(refused.contains("another botfleet node already serves"), "{refused}");
        drop(first);
        SingleNode::claim(&db).unwrap();
    }
}
