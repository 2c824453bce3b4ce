-- Low-stock notices. A bot may have a low-stock channel (NULL = off). A product "crosses" when a
-- stock change (adjust, set, CSV import) takes its stock from above its low_stock_threshold to at
-- or below it; products.low_stock_crossed_version is the product's version at its last crossing
-- (0 = never), set in the same statement as the stock.
-- low_stock_notices: one row per (bot, product, crossing), written in the same transaction as the
-- crossing for every bot that has a low-stock channel then. The bot's stock task sends it once,
-- with the nonce "low<id>" and enforce_nonce; state: pending → sending (attempted_at set before
-- the first send) → sent (message_id) | skipped (no longer low, or crossed again since) |
-- failed (Discord refused it) | unknown (still "sending" after Discord's nonce window: it may
-- have been posted, so it is not sent again).
ALTER TABLE bots ADD COLUMN low_stock_channel_id BIGINT;
ALTER TABLE products ADD COLUMN low_stock_crossed_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE low_stock_notices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id       BIGINT NOT NULL,
    product_id   BIGINT NOT NULL,
    crossing     BIGINT NOT NULL,
    content      TEXT   NOT NULL,
    state        TEXT   NOT NULL,
    attempted_at BIGINT,
    message_id   BIGINT,
    detail       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (bot_id, product_id, crossing)
);
CREATE INDEX low_stock_notices_open ON low_stock_notices (bot_id, state);
