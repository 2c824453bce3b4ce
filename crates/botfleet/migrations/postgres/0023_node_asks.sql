-- A request for a bot made through one node and carried out by the node that runs it (issue 23): a
-- message sent as the bot (its REST client and rate limiter live there) or a health read (its
-- gateway figures live there). The row carries the request whatever its size; the nodes' bus only
-- wakes the owner. `taken_at` makes it carried out at most once: the owner takes it, or the asker
-- withdraws it (-1) after waiting, and then nothing was done. Rows go after an hour.
CREATE TABLE node_asks (
    id          BIGSERIAL PRIMARY KEY,
    to_node     TEXT   NOT NULL,
    bot_id      BIGINT NOT NULL,
    ask         TEXT   NOT NULL,
    asked_at    BIGINT NOT NULL,
    taken_at    BIGINT,
    answer      TEXT,
    answered_at BIGINT
);
CREATE INDEX node_asks_waiting ON node_asks (to_node, asked_at) WHERE taken_at IS NULL;

-- Restarts asked through another node go through node_asks now.
ALTER TABLE bot_leases DROP COLUMN restart_asked;
ALTER TABLE bot_leases DROP COLUMN restarted;
