-- Bots, command logs and bot logs. Times are UTC milliseconds since the Unix epoch; Discord ids
-- are 64-bit integers. Same shape as the SQLite migration.
CREATE TABLE bots (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    prefix           TEXT    NOT NULL,
    intents          BIGINT  NOT NULL,
    channel_ids      TEXT    NOT NULL,
    token_ciphertext TEXT    NOT NULL,
    token_hint       TEXT    NOT NULL,
    version          BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE TABLE discord_command_logs (
    id            BIGSERIAL PRIMARY KEY,
    bot_id        BIGINT  NOT NULL,
    received_at   BIGINT  NOT NULL,
    responded_at  BIGINT,
    guild_id      BIGINT,
    channel_id    BIGINT  NOT NULL,
    user_id       BIGINT  NOT NULL,
    user_name     TEXT    NOT NULL,
    command       TEXT    NOT NULL,
    arguments     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    response      TEXT    NOT NULL,
    latency_us    BIGINT,
    outcome       TEXT    NOT NULL,
    error         TEXT
);
CREATE INDEX discord_command_logs_bot ON discord_command_logs (bot_id, id);
CREATE INDEX discord_command_logs_received ON discord_command_logs (received_at);

CREATE TABLE discord_bot_logs (
    id        BIGSERIAL PRIMARY KEY,
    bot_id    BIGINT  NOT NULL,
    at        BIGINT  NOT NULL,
    level     TEXT    NOT NULL,
    event     TEXT    NOT NULL,
    message   TEXT    NOT NULL
);
CREATE INDEX discord_bot_logs_bot ON discord_bot_logs (bot_id, id);
CREATE INDEX discord_bot_logs_at ON discord_bot_logs (at);
