-- SQLite serves one node: this table stays empty here; it exists so that both schemas match.
-- A request for a bot made through one node and carried out by the node that runs it (issue 23): a
-- message sent as the bot (its REST client and rate limiter live there) or a health read (its
-- gateway figures live there). The row carries the request whatever its size; the nodes' bus only
-- wakes the owner. `taken_at` makes it carried out at most once: the owner takes it, or the asker
-- withdraws it (-1) after waiting, and then nothing was done. Rows go after an hour.
CREATE TABLE node_asks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    to_node     TEXT   NOT NULL,
    bot_id      INTEGER NOT NULL,
    ask         TEXT   NOT NULL,
    asked_at    INTEGER NOT NULL,
    taken_at    INTEGER,
    answer      TEXT,
    answered_at INTEGER
);
CREATE INDEX node_asks_waiting ON node_asks (to_node, asked_at) WHERE taken_at IS NULL;

-- Restarts asked through another node go through node_asks now. The table is never used on SQLite
-- (one node), so it is made again without those columns (SQLite cannot drop a column from a table
-- whose definition holds comments).
DROP TABLE bot_leases;
CREATE TABLE bot_leases (
    bot_id     INTEGER PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    node_id    TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    status     TEXT,
    reason     TEXT
);
CREATE INDEX bot_leases_node ON bot_leases (node_id);
