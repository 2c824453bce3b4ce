-- One delivery machinery (issue 25): alert channels' deliveries join the webhooks' queue. A row
-- goes either to a webhook (`webhook_id`) or to an alert channel (`channel_id`, for the
-- notification `notification_id`); both are claimed, sent, retried with backoff and recorded by
-- the same loop. An alert channel row's `payload` (the HTTP body) and `discord_payload` (the
-- Discord embed) are rendered when it is queued; a row still without a payload is not claimed.
-- The channel is not a foreign key: a deleted channel's deliveries stay as history.
ALTER TABLE webhook_deliveries ALTER COLUMN webhook_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN channel_id BIGINT;
ALTER TABLE webhook_deliveries ADD COLUMN notification_id BIGINT;
ALTER TABLE webhook_deliveries ADD COLUMN discord_payload TEXT;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_target
    CHECK ((webhook_id IS NULL) <> (channel_id IS NULL));
-- Alert deliveries made before move over, their history kept; the ones still waiting get their
-- payload rendered at the next start (and keep their attempts and next attempt time).
INSERT INTO webhook_deliveries (channel_id, notification_id, event_type, event_id, payload, state, attempts,
                                next_attempt_at, last_error, created_at, sent_at)
    SELECT d.channel_id, d.notification_id, n.kind, 'alert-notification:' || n.id, NULL, d.state, d.attempts,
           d.next_attempt_at, d.last_error, n.at, d.sent_at
    FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id ORDER BY d.id;
DROP TABLE alert_deliveries;
CREATE INDEX webhook_deliveries_notification ON webhook_deliveries (notification_id);
