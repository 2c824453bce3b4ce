-- Which node runs each bot (issue 23). A row per bot that should run: the node holding it (NULL:
-- free), a generation raised by every claim (a write made for an older one is refused), and when
-- the lease runs out by the database's clock (one clock for every node: a node's own clock, skewed
-- or stepped, decides nothing). A node renews its leases every 2 s; one that cannot stops its bots
-- before they run out (leases.rs); another node claims a lease run out, or released, with
-- FOR UPDATE SKIP LOCKED.
CREATE FUNCTION botfleet_now_ms() RETURNS BIGINT
    LANGUAGE SQL VOLATILE
    AS $$ SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT $$;

CREATE TABLE bot_leases (
    bot_id     BIGINT PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    node_id    TEXT,
    generation BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    -- The bot's status on its node (`starting`, `running`, …) and why, written by the holder at
    -- most every 2 s, so that every node's API shows it.
    status     TEXT,
    reason     TEXT,
    -- A restart asked through another node: when it was asked (the database's clock), and the
    -- request the holder last carried out (it restarts the bot at its next round, then writes it).
    restart_asked BIGINT,
    restarted     BIGINT
);
CREATE INDEX bot_leases_node ON bot_leases (node_id);

-- Whether the node runs as one of several (`--several-nodes`): a node alone refuses to start beside
-- another, and one of several beside a node alone.
ALTER TABLE nodes ADD COLUMN several BOOLEAN NOT NULL DEFAULT FALSE;

-- A node's last lease renewal by the database's clock (its liveness for sharing bots out: a node
-- that has not renewed for a lease's length holds nothing), and whether an admin is draining it
-- (its bots move away; it takes no new ones).
ALTER TABLE nodes ADD COLUMN lease_renewed_at BIGINT;
ALTER TABLE nodes ADD COLUMN draining BOOLEAN NOT NULL DEFAULT FALSE;
