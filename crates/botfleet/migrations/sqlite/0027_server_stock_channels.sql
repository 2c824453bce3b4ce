-- Per-server stock, back-in-stock and low-stock channels (issue 24). In a server with a channel of
-- its own, the bot's channel of that kind is not used when it is in that server; in a server
-- without, nothing changes. NULL: none of its own.
-- stock_messages are kept per (bot, channel): a bot keeps a catalogue in each of its stock
-- channels. low_stock_notices get the channel they are for: a crossing is recorded once per
-- (bot, low-stock channel) — the bot's and each of its servers' — and sent there once. Notices
-- recorded before this migration are for the bot's low-stock channel of the moment (0: none).
-- SQLite cannot change a key: both tables are made again and their rows copied.
ALTER TABLE server_settings ADD COLUMN stock_channel_id BIGINT;
ALTER TABLE server_settings ADD COLUMN back_in_stock_channel_id BIGINT;
ALTER TABLE server_settings ADD COLUMN low_stock_channel_id BIGINT;
CREATE TABLE stock_messages_new (
    bot_id       BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    message_id   BIGINT NOT NULL,
    content_hash TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (bot_id, channel_id, position)
);
INSERT INTO stock_messages_new (bot_id, position, channel_id, message_id, content_hash, updated_at)
    SELECT bot_id, position, channel_id, message_id, content_hash, updated_at FROM stock_messages;
DROP TABLE stock_messages;
ALTER TABLE stock_messages_new RENAME TO stock_messages;
CREATE TABLE low_stock_notices_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id       BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL DEFAULT 0,
    product_id   BIGINT NOT NULL,
    crossing     BIGINT NOT NULL,
    content      TEXT   NOT NULL,
    state        TEXT   NOT NULL,
    attempted_at BIGINT,
    message_id   BIGINT,
    detail       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (bot_id, channel_id, product_id, crossing)
);
INSERT INTO low_stock_notices_new (id, bot_id, channel_id, product_id, crossing, content, state, attempted_at,
        message_id, detail, created_at, updated_at)
    SELECT n.id, n.bot_id, COALESCE((SELECT b.low_stock_channel_id FROM bots b WHERE b.id = n.bot_id), 0),
        n.product_id, n.crossing, n.content, n.state, n.attempted_at, n.message_id, n.detail, n.created_at,
        n.updated_at
    FROM low_stock_notices n;
DROP TABLE low_stock_notices;
ALTER TABLE low_stock_notices_new RENAME TO low_stock_notices;
CREATE INDEX low_stock_notices_open ON low_stock_notices (bot_id, state);
