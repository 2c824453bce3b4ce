//! Which node runs each bot, when several nodes share one PostgreSQL database: a lease row per
//! shard of a bot that should run (`bot_leases`, one row for a bot of one shard), held by one node,
//! renewed every [`RENEW_EVERY`], running out [`LEASE_TTL`] after its last renewal by the
//! database's clock, and raised a generation by every claim. A lease run out (its node died or was
//! cut off) or released (its node stopped cleanly, or handed the shard over) is claimed by another
//! node with `FOR UPDATE SKIP LOCKED`. Shard 0's holder is the bot's home: it writes the shard
//! count Discord recommends into the bot's rows ([`Leases::set_shards`]), so a large bot's shards
//! can run on several nodes.
//!
//! A node that cannot renew stops its bots itself before its leases can run out: its deadline is
//! [`LEASE_TTL`] less [`FENCE_MARGIN`] after it *sent* its last successful renewal, measured on its
//! own monotonic clock, which starts no later than the database's expiry was counted from. So the
//! bots of a node cut off from the database, or paused, are stopped (or, paused, their gateway
//! connections dead) before another node starts them. Why leases rather than advisory locks:
//! `docs/architecture.md`, "Decisions".

use std::time::Duration;

use crate::error::Result;
use crate::store::Store;

/// How long a lease lasts after its last renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(8);

/// How often a node renews its leases (and looks for bots to take).
pub const RENEW_EVERY: Duration = Duration::from_secs(2);

/// How long before its leases run out a node that could not renew them stops its bots.
pub const FENCE_MARGIN: Duration = Duration::from_secs(2);

/// A shard lease this node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Held {
    pub bot_id: i64,
    pub shard: u32,
    /// The bot's shard count, as its home last wrote it.
    pub shards: u32,
}

/// A shard lease another node holds, with the status it last wrote (none before its first write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    pub bot_id: i64,
    pub shard: u32,
    pub status: Option<String>,
    pub reason: Option<String>,
}

/// Who holds a bot's lease (its shard 0, the bot's home), as a claim found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node holds it (claimed now, or already), with the bot's other shards that were free
    /// and are this node's now.
    Ours(Vec<u32>),
    /// Another node holds it and its lease has not run out.
    Theirs(String),
}

/// The leases, as this node sees and takes them.
#[derive(Debug, Clone)]
pub struct Leases {
    store: Store,
    node: String,
}

fn ttl_ms() -> i64 {
    LEASE_TTL.as_millis() as i64
}

fn shard_of(column: i32) -> u32 {
    u32::try_from(column).unwrap_or(0)
}

fn held(rows: Vec<(i64, i32, i32)>) -> Vec<Held> {
    rows.into_iter()
        .map(|(bot_id, shard, shards)| Held { bot_id, shard: shard_of(shard), shards: shard_of(shards).max(1) })
        .collect()
}

impl Leases {
    /// This node's (`node`) view of the leases in `store` (PostgreSQL).
    pub fn new(store: Store, node: String) -> Self {
        Self { store, node }
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Renews this node's leases; the shards it still holds (a lease another node took after it
    /// ran out is not renewed, and not among them).
    pub async fn renew(&self) -> Result<Vec<Held>> {
        let rows = sqlx::query_as(
            "WITH node AS (UPDATE nodes SET lease_renewed_at = botfleet_now_ms() WHERE id = $2) \
             UPDATE bot_leases SET expires_at = botfleet_now_ms() + $1 WHERE node_id = $2 \
             RETURNING bot_id, shard, shards",
        )
        .bind(ttl_ms())
        .bind(self.node.clone())
        .fetch_all(self.store.pool())
        .await?;
        Ok(held(rows))
    }

    /// Claims at most `n` shards of bots that should run that have no live holder (never claimed,
    /// released, or run out), lowest bot ids first; the shards claimed.
    pub async fn claim_free(&self, n: usize) -> Result<Vec<Held>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let pool = self.store.pool();
        sqlx::query(
            "INSERT INTO bot_leases (bot_id) SELECT id FROM bots WHERE desired_state = 'running' \
             ON CONFLICT (bot_id, shard) DO NOTHING",
        )
        .execute(pool)
        .await?;
        let rows = sqlx::query_as(
            "UPDATE bot_leases SET node_id = $1, generation = generation + 1, expires_at = botfleet_now_ms() + $2 \
             WHERE (bot_id, shard) IN (SELECT l.bot_id, l.shard FROM bot_leases l JOIN bots b ON b.id = l.bot_id \
               WHERE b.desired_state = 'running' AND (l.node_id IS NULL OR l.expires_at < botfleet_now_ms()) \
               ORDER BY l.bot_id, l.shard LIMIT $3 FOR UPDATE OF l SKIP LOCKED) \
             RETURNING bot_id, shard, shards",
        )
        .bind(self.node.clone())
        .bind(ttl_ms())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
        Ok(held(rows))
    }

    /// Claims one bot (a start asked of this node): its home shard is this node's if it was free,
    /// run out or already this node's, and so are its other shards that are free; otherwise the
    /// node that holds it.
    pub async fn claim(&self, bot_id: i64) -> Result<Claim> {
        let pool = self.store.pool();
        sqlx::query("INSERT INTO bot_leases (bot_id) VALUES ($1) ON CONFLICT (bot_id, shard) DO NOTHING")
            .bind(bot_id)
            .execute(pool)
            .await?;
        let claimed: Option<i64> = sqlx::query_scalar(
            "UPDATE bot_leases SET generation = CASE WHEN node_id = $2 THEN generation ELSE generation + 1 END, \
             node_id = $2, expires_at = botfleet_now_ms() + $3 \
             WHERE bot_id = $1 AND shard = 0 AND (node_id IS NULL OR node_id = $2 OR expires_at < botfleet_now_ms()) \
             RETURNING bot_id",
        )
        .bind(bot_id)
        .bind(self.node.clone())
        .bind(ttl_ms())
        .fetch_optional(pool)
        .await?;
        if claimed.is_some() {
            let others: Vec<i32> = sqlx::query_scalar(
                "UPDATE bot_leases SET node_id = $2, generation = generation + 1, expires_at = botfleet_now_ms() + $3 \
                 WHERE bot_id = $1 AND shard > 0 AND (node_id IS NULL OR expires_at < botfleet_now_ms()) \
                 RETURNING shard",
            )
            .bind(bot_id)
            .bind(self.node.clone())
            .bind(ttl_ms())
            .fetch_all(pool)
            .await?;
            return Ok(Claim::Ours(others.into_iter().map(shard_of).collect()));
        }
        let holder: Option<Option<String>> =
            sqlx::query_scalar("SELECT node_id FROM bot_leases WHERE bot_id = $1 AND shard = 0")
                .bind(bot_id)
                .fetch_optional(pool)
                .await?;
        Ok(match holder.flatten() {
            Some(node) if node != self.node => Claim::Theirs(node),
            // Released or deleted in between: the next round of claims takes it.
            _ => Claim::Theirs(String::new()),
        })
    }

    /// Writes the status of bots this node holds (`(bot, status word, reason)`), for the other
    /// nodes' APIs.
    pub async fn report(&self, statuses: &[(i64, &'static str, Option<String>)]) -> Result<()> {
        for chunk in statuses.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "(CAST(${} AS BIGINT), CAST(${} AS TEXT), CAST(${} AS TEXT))",
                        i * 3 + 1,
                        i * 3 + 2,
                        i * 3 + 3
                    )
                })
                .collect();
            let sql = format!(
                "UPDATE bot_leases l SET status = v.status, reason = v.reason FROM (VALUES {}) AS v (bot_id, status, reason) \
                 WHERE l.bot_id = v.bot_id AND l.node_id = ${}",
                values.join(", "),
                chunk.len() * 3 + 1
            );
            let mut q = sqlx::query(&sql);
            for (bot_id, status, reason) in chunk {
                q = q.bind(*bot_id).bind(*status).bind(reason.clone());
            }
            q.bind(self.node.clone()).execute(self.store.pool()).await?;
        }
        Ok(())
    }

    /// Every shard another node holds, with the status that node last wrote; a lease run out
    /// says nothing.
    pub async fn others(&self) -> Result<Vec<Elsewhere>> {
        let rows: Vec<(i64, i32, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT bot_id, shard, status, reason FROM bot_leases WHERE node_id IS NOT NULL AND node_id <> $1 \
             AND expires_at >= botfleet_now_ms()",
        )
        .bind(self.node.clone())
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(bot_id, shard, status, reason)| Elsewhere { bot_id, shard: shard_of(shard), status, reason })
            .collect())
    }

    /// The node other than this one whose lease on `bot_id`'s home (shard 0) is live, if any.
    pub async fn holder_elsewhere(&self, bot_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT node_id FROM bot_leases WHERE bot_id = $1 AND shard = 0 AND node_id IS NOT NULL AND node_id <> $2 \
             AND expires_at >= botfleet_now_ms()",
        )
        .bind(bot_id)
        .bind(self.node.clone())
        .fetch_optional(self.store.pool())
        .await?)
    }

    /// The nodes other than this one with a live lease on any of `bot_id`'s shards.
    pub async fn holders_elsewhere(&self, bot_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT node_id FROM bot_leases WHERE bot_id = $1 AND node_id IS NOT NULL AND node_id <> $2 \
             AND expires_at >= botfleet_now_ms() ORDER BY node_id",
        )
        .bind(bot_id)
        .bind(self.node.clone())
        .fetch_all(self.store.pool())
        .await?)
    }

    /// The bot's home (several shards: shard 0's holder) writes the shard count Discord
    /// recommends: every row of the bot says it, rows of shards past it go, and rows of new
    /// shards are made — this node's when `home`, else free for any node. The new shards this
    /// node holds now.
    pub async fn set_shards(&self, bot_id: i64, shards: u32, home: bool) -> Result<Vec<u32>> {
        let count = i32::try_from(shards.max(1)).unwrap_or(i32::MAX);
        let mut tx = self.store.pool().begin().await?;
        sqlx::query("UPDATE bot_leases SET shards = $2 WHERE bot_id = $1 AND shards <> $2")
            .bind(bot_id)
            .bind(count)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM bot_leases WHERE bot_id = $1 AND shard >= $2")
            .bind(bot_id)
            .bind(count)
            .execute(&mut *tx)
            .await?;
        let holder = home.then(|| self.node.clone());
        let made: Vec<i32> = sqlx::query_scalar(
            "INSERT INTO bot_leases (bot_id, shard, shards, node_id, generation, expires_at) \
             SELECT $1, s, $2, CAST($3 AS TEXT), 1, CASE WHEN CAST($3 AS TEXT) IS NULL THEN 0 ELSE botfleet_now_ms() + $4 END \
             FROM generate_series(1, $2 - 1) AS s \
             ON CONFLICT (bot_id, shard) DO NOTHING RETURNING shard",
        )
        .bind(bot_id)
        .bind(count)
        .bind(holder)
        .bind(ttl_ms())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if home { made.into_iter().map(shard_of).collect() } else { Vec::new() })
    }

    /// The shards of `bot_id` this node holds now (lowest first) and the bot's shard count.
    pub async fn shards_here(&self, bot_id: i64) -> Result<(Vec<u32>, u32)> {
        let rows: Vec<(i32, i32)> = sqlx::query_as(
            "SELECT shard, shards FROM bot_leases WHERE bot_id = $1 AND node_id = $2 \
             AND expires_at >= botfleet_now_ms() ORDER BY shard",
        )
        .bind(bot_id)
        .bind(self.node.clone())
        .fetch_all(self.store.pool())
        .await?;
        let count = rows.iter().map(|(_, n)| shard_of(*n)).max().unwrap_or(1).max(1);
        Ok((rows.into_iter().map(|(s, _)| shard_of(s)).collect(), count))
    }

    /// Gives up these shards' leases (handed over to even out the nodes): free for any node.
    pub async fn release_shards(&self, shards: &[(i64, u32)]) -> Result<()> {
        for (bot_id, shard) in shards {
            sqlx::query(
                "UPDATE bot_leases SET node_id = NULL, expires_at = 0, status = NULL, reason = NULL \
                 WHERE bot_id = $1 AND shard = $2 AND node_id = $3",
            )
            .bind(*bot_id)
            .bind(i32::try_from(*shard).unwrap_or(i32::MAX))
            .bind(self.node.clone())
            .execute(self.store.pool())
            .await?;
        }
        Ok(())
    }

    /// Gives up this node's leases on `bot_id`'s shards (the bot stopped here): free for any node.
    pub async fn release(&self, bot_id: i64) -> Result<()> {
        sqlx::query("UPDATE bot_leases SET node_id = NULL, expires_at = 0, status = NULL, reason = NULL WHERE bot_id = $1 AND node_id = $2")
            .bind(bot_id)
            .bind(self.node.clone())
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Gives up every lease of this node (a clean stop, after its bots stopped).
    pub async fn release_all(&self) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE bot_leases SET node_id = NULL, expires_at = 0, status = NULL, reason = NULL WHERE node_id = $1",
        )
        .bind(self.node.clone())
        .execute(self.store.pool())
        .await?
        .rows_affected())
    }

    /// This node's even share of the shards of bots that should run (one for a bot whose shards
    /// are not known yet): their number divided by the nodes that renewed their leases within a
    /// lease's length (not stopped, not draining), rounded up; none while an admin drains it.
    pub async fn share(&self) -> Result<usize> {
        let draining: Option<bool> = sqlx::query_scalar("SELECT draining FROM nodes WHERE id = $1")
            .bind(self.node.clone())
            .fetch_optional(self.store.pool())
            .await?;
        if draining == Some(true) {
            return Ok(0);
        }
        let wanted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM bots b LEFT JOIN bot_leases l ON l.bot_id = b.id WHERE b.desired_state = 'running'",
        )
        .fetch_one(self.store.pool())
        .await?;
        let nodes: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM nodes WHERE stopped_at IS NULL AND draining = FALSE \
             AND lease_renewed_at >= botfleet_now_ms() - $1",
        )
        .bind(ttl_ms())
        .fetch_one(self.store.pool())
        .await?;
        let wanted = usize::try_from(wanted).unwrap_or(0);
        let nodes = usize::try_from(nodes).unwrap_or(0).max(1);
        Ok(wanted.div_ceil(nodes))
    }
}
