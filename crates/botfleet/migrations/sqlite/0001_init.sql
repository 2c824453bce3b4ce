-- Bots, command logs and bot logs. Times are UTC milliseconds since the Unix epoch; Discord ids
-- are 64-bit integers.
CREATE TABLE bots (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    prefix           TEXT    NOT NULL,
    intents          INTEGER NOT NULL,
    channel_ids      TEXT    NOT NULL,          -- JSON array of ids as strings
    token_ciphertext TEXT    NOT NULL,          -- base64(nonce || XChaCha20-Poly1305 ciphertext)
    token_hint       TEXT    NOT NULL,          -- "****" + last 4 characters
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE discord_command_logs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id        INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    responded_at  INTEGER,
    guild_id      INTEGER,
    channel_id    INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    user_name     TEXT    NOT NULL,
    command       TEXT    NOT NULL,
    arguments     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,             -- slash | prefix
    response      TEXT    NOT NULL,
    latency_us    INTEGER,
    outcome       TEXT    NOT NULL,             -- ok | error | denied
    error         TEXT
);
CREATE INDEX discord_command_logs_bot ON discord_command_logs (bot_id, id);
CREATE INDEX discord_command_logs_received ON discord_command_logs (received_at);

CREATE TABLE discord_bot_logs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id    INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    level     TEXT    NOT NULL,                 -- info | warn | error
    event     TEXT    NOT NULL,                 -- connected | resumed | disconnected | failed | command_error | …
    message   TEXT    NOT NULL
);
CREATE INDEX discord_bot_logs_bot ON discord_bot_logs (bot_id, id);
CREATE INDEX discord_bot_logs_at ON discord_bot_logs (at);
