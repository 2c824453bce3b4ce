-- Alerts: notification channels (their URLs and signing secrets sealed with the token key), rules,
-- maintenance windows that mute them, incidents (a rule failing for one subject, from firing to
-- resolved), the notifications an incident sent (firing, resent, recovered, acknowledged; test
-- sends have no incident) and each notification's delivery to each channel, retried until sent.
CREATE TABLE alert_channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT   NOT NULL UNIQUE,
    kind          TEXT   NOT NULL,
    url_sealed    TEXT   NOT NULL,
    url_hint      TEXT   NOT NULL,
    secret_sealed TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE TABLE alert_rules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT   NOT NULL UNIQUE,
    condition         TEXT   NOT NULL,
    bot_id            BIGINT,
    failures_in_a_row BIGINT NOT NULL,
    resend_every_s    BIGINT NOT NULL,
    notify_recovery   BIGINT NOT NULL,
    channel_ids       TEXT   NOT NULL,
    enabled           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE TABLE alert_maintenance (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT   NOT NULL,
    rule_id          BIGINT,
    bot_id           BIGINT,
    starts_at        BIGINT,
    ends_at          BIGINT,
    days_mask        BIGINT,
    start_minute     BIGINT,
    duration_minutes BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE TABLE alert_incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id         BIGINT NOT NULL,
    rule_name       TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    subject_label   TEXT   NOT NULL,
    bot_id          BIGINT,
    state           TEXT   NOT NULL,
    detail          TEXT   NOT NULL,
    started_at      BIGINT NOT NULL,
    last_sent_at    BIGINT,
    resolved_at     BIGINT,
    acknowledged_at BIGINT,
    acknowledged_by TEXT
);
CREATE INDEX alert_incidents_state ON alert_incidents (state, id);
CREATE TABLE alert_notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT,
    kind        TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    title       TEXT   NOT NULL,
    detail      TEXT   NOT NULL,
    muted       BIGINT NOT NULL
);
CREATE INDEX alert_notifications_incident ON alert_notifications (incident_id, id);
CREATE TABLE alert_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT NOT NULL,
    channel_id      BIGINT NOT NULL,
    state           TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_attempt_at);
CREATE INDEX alert_deliveries_notification ON alert_deliveries (notification_id);
