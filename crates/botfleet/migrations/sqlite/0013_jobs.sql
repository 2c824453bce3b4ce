-- Background jobs: one row per job (its kind, parameters as JSON, state, progress, who started it,
-- and which node holds it until when), one row per item (a bot to start, say) with its own result.
-- An item is marked done only after its effect: a job taken up again after a crash or by another
-- node runs only the items still pending. A node claims a job by taking its lease; a job whose
-- node stopped renewing the lease is claimed again.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT   NOT NULL,
    params           TEXT   NOT NULL,
    state            TEXT   NOT NULL,
    total            BIGINT NOT NULL,
    done             BIGINT NOT NULL,
    failed           BIGINT NOT NULL,
    attempts         BIGINT NOT NULL,
    created_by       TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    cancel_requested BIGINT NOT NULL,
    claimed_by       TEXT,
    lease_until      BIGINT
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_kind ON jobs (kind, id);
CREATE TABLE job_items (
    job_id      BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    target      TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    error       TEXT,
    attempts    BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (job_id, seq)
);
