-- Security: users (argon2id password hashes, optional TOTP), browser sessions and TOTP login
-- challenges (ids stored hashed), API keys (stored hashed), settings, and the append-only audit
-- log. Times are UTC milliseconds; a NULL time means "not yet" / "never".
CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE,
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL,
    totp_secret         TEXT,
    totp_confirmed_at   BIGINT,
    totp_last_step      BIGINT,
    failed_logins       BIGINT  NOT NULL DEFAULT 0,
    lockouts            BIGINT  NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    password_changed_at BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT  NOT NULL,
    code_hash TEXT    NOT NULL,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    ip           TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_challenges (
    id_hash    TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT    NOT NULL,
    key_prefix   TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    role         TEXT,
    scopes       TEXT,
    created_by   BIGINT,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE discord_audit_logs (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    actor_type  TEXT    NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT,
    target_type TEXT,
    target_id   TEXT,
    changes     TEXT,
    ip          TEXT,
    user_agent  TEXT,
    detail      TEXT
);
CREATE INDEX discord_audit_logs_at ON discord_audit_logs (at);
CREATE INDEX discord_audit_logs_action ON discord_audit_logs (action, id);
