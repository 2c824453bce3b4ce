-- Scheduled messages: a bot, a channel and a message (JSON: content, embeds, allowed_mentions),
-- sent once (once_at) or at each instant of a 5-field cron expression on a time zone's wall
-- clock. next_run_at is the next instant to send (NULL when disabled or a one-off is done); a
-- node that sends a run moves it on in the same transaction that records the run, only if no
-- other node moved it first. Each run is one row per (schedule, instant): queued with its job
-- (one job per run, by the job's unique key), then sent or failed as the job ends; or skipped.
CREATE TABLE schedules (
    id          BIGSERIAL PRIMARY KEY,
    bot_id      BIGINT NOT NULL,
    channel_id  BIGINT NOT NULL,
    message     TEXT   NOT NULL,
    once_at     BIGINT,
    cron        TEXT,
    time_zone   TEXT   NOT NULL,
    enabled     BIGINT NOT NULL,
    missed      TEXT   NOT NULL,
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    next_run_at BIGINT,
    last_run_at BIGINT
);
CREATE INDEX schedules_next_run ON schedules (next_run_at);
CREATE INDEX schedules_bot ON schedules (bot_id, id);
CREATE TABLE schedule_runs (
    id          BIGSERIAL PRIMARY KEY,
    schedule_id BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    late        BIGINT NOT NULL,
    job_id      BIGINT,
    recorded_at BIGINT NOT NULL,
    UNIQUE (schedule_id, at)
);
CREATE INDEX schedule_runs_state ON schedule_runs (state, id);
