-- SQLite serves one node: this table stays empty here; it is made again with the shard columns
-- so that both schemas match (see migrations/postgres/0025_shard_leases.sql).
DROP TABLE bot_leases;
CREATE TABLE bot_leases (
    bot_id     INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    shard      INTEGER NOT NULL DEFAULT 0,
    shards     INTEGER NOT NULL DEFAULT 1,
    node_id    TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    status     TEXT,
    reason     TEXT,
    PRIMARY KEY (bot_id, shard)
);
CREATE INDEX bot_leases_node ON bot_leases (node_id);
