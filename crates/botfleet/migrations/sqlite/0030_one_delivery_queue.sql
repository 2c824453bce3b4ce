-- One delivery machinery (issue 25): alert channels' deliveries join the webhooks' queue. A row
-- goes either to a webhook (`webhook_id`) or to an alert channel (`channel_id`, for the
-- notification `notification_id`); both are claimed, sent, retried with backoff and recorded by
-- the same loop. An alert channel row's `payload` (the HTTP body) and `discord_payload` (the
-- Discord embed) are rendered when it is queued; a row still without a payload is not claimed.
-- The channel is not a foreign key: a deleted channel's deliveries stay as history.
-- SQLite cannot drop a NOT NULL: the table is made again and its rows copied.
CREATE TABLE webhook_deliveries_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
    channel_id      BIGINT,
    notification_id BIGINT,
    event_type      TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    payload         TEXT,
    discord_payload TEXT,
    state           TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    duration_ms     BIGINT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    UNIQUE (webhook_id, event_id),
    CHECK ((webhook_id IS NULL) <> (channel_id IS NULL))
);
INSERT INTO webhook_deliveries_new (id, webhook_id, event_type, event_id, payload, state, attempts, next_attempt_at,
                                    last_status, last_error, duration_ms, created_at, sent_at)
    SELECT id, webhook_id, event_type, event_id, payload, state, attempts, next_attempt_at, last_status, last_error,
           duration_ms, created_at, sent_at FROM webhook_deliveries;
-- Alert deliveries made before move over, their history kept; the ones still waiting get their
-- payload rendered at the next start (and keep their attempts and next attempt time).
INSERT INTO webhook_deliveries_new (channel_id, notification_id, event_type, event_id, payload, state, attempts,
                                    next_attempt_at, last_error, created_at, sent_at)
    SELECT d.channel_id, d.notification_id, n.kind, 'alert-notification:' || n.id, NULL, d.state, d.attempts,
           d.next_attempt_at, d.last_error, n.at, d.sent_at
    FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id ORDER BY d.id;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
DROP TABLE alert_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_history ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_notification ON webhook_deliveries (notification_id);
