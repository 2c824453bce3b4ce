-- Which node runs each bot (issue 23): used on PostgreSQL only, where several nodes share one
-- database (see migrations/postgres/0021_bot_leases.sql). SQLite serves one node, which runs every
-- bot itself; the table is here so that both schemas stay alike.
CREATE TABLE bot_leases (
    bot_id     INTEGER PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    node_id    TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    -- The bot's status on its node (`starting`, `running`, …) and why, written by the holder at
    -- most every 2 s, so that every node's API shows it.
    status     TEXT,
    reason     TEXT,
    -- A restart asked through another node: when it was asked (the database's clock), and the
    -- request the holder last carried out (it restarts the bot at its next round, then writes it).
    restart_asked INTEGER,
    restarted     INTEGER
);
CREATE INDEX bot_leases_node ON bot_leases (node_id);

-- Whether the node runs as one of several (`--several-nodes`): a node alone refuses to start beside
-- another, and one of several beside a node alone.
ALTER TABLE nodes ADD COLUMN several BOOLEAN NOT NULL DEFAULT FALSE;

-- A node's last lease renewal by the database's clock (its liveness for sharing bots out: a node
-- that has not renewed for a lease's length holds nothing), and whether an admin is draining it
-- (its bots move away; it takes no new ones).
ALTER TABLE nodes ADD COLUMN lease_renewed_at INTEGER;
ALTER TABLE nodes ADD COLUMN draining BOOLEAN NOT NULL DEFAULT FALSE;
