-- The nodes serving this database (issue 23): each registers at start (its id from
-- <data dir>/node-id, the address its API listens on, its version), beats every few seconds with
-- the number of bots it holds, and notes when it stopped cleanly. A node that stops beating is
-- missing; rows of nodes gone for a week are deleted by the others' heartbeats.
CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    address      TEXT NOT NULL,
    version      TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    stopped_at   BIGINT,
    bots         BIGINT NOT NULL DEFAULT 0
);
