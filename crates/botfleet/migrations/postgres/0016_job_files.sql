-- An export job's file (one per job): gzip-compressed in the database, so that any node can serve
-- it, until it expires (the jobs runner deletes expired files). An item run twice writes it again:
-- one row per job.
CREATE TABLE job_files (
    job_id       BIGINT PRIMARY KEY,
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    bytes        BYTEA NOT NULL,
    size         BIGINT NOT NULL,
    row_count    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX job_files_expires_at ON job_files (expires_at);
