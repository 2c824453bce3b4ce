-- Outgoing webhooks (issue 25): subscriptions to events — bot status changes, commands (filtered
-- by bot, command and outcome), stock changes, audit actions, finished jobs, alerts — delivered to
-- an HTTP endpoint (JSON, HMAC-signed with a timestamp) or a Discord webhook (embeds). URL and
-- secret are sealed with the token key, as alert channels' are. `events`, `bot_ids`, `commands`
-- and `outcomes` are JSON lists (NULL: every one). `state`: active | paused (after
-- `failures_in_a_row` reached the pause threshold, or by hand), `paused_reason` says why.
CREATE TABLE webhooks (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT   NOT NULL UNIQUE,
    kind              TEXT   NOT NULL,
    url_sealed        TEXT   NOT NULL,
    url_hint          TEXT   NOT NULL,
    secret_sealed     TEXT,
    events            TEXT   NOT NULL,
    bot_ids           TEXT,
    commands          TEXT,
    outcomes          TEXT,
    state             TEXT   NOT NULL,
    paused_reason     TEXT,
    failures_in_a_row BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
-- One row per (webhook, event): the delivery and its history. `event_id` is the event's own
-- identity (a command's Discord event id, an audit row's id, …), so an event queued twice is one
-- delivery; the payload is rendered when queued. state: pending (next_attempt_at; a node
-- claims it by moving next_attempt_at past its attempt) | sent | failed (given up).
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type      TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    payload         TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    duration_ms     BIGINT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_history ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
