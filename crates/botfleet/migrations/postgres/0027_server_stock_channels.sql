-- Per-server stock, back-in-stock and low-stock channels (issue 24). In a server with a channel of
-- its own, the bot's channel of that kind is not used when it is in that server; in a server
-- without, nothing changes. NULL: none of its own.
-- stock_messages are kept per (bot, channel): a bot keeps a catalogue in each of its stock
-- channels. low_stock_notices get the channel they are for: a crossing is recorded once per
-- (bot, low-stock channel) — the bot's and each of its servers' — and sent there once. Notices
-- recorded before this migration are for the bot's low-stock channel of the moment (0: none).
ALTER TABLE server_settings ADD COLUMN stock_channel_id BIGINT;
ALTER TABLE server_settings ADD COLUMN back_in_stock_channel_id BIGINT;
ALTER TABLE server_settings ADD COLUMN low_stock_channel_id BIGINT;
ALTER TABLE stock_messages DROP CONSTRAINT stock_messages_pkey;
ALTER TABLE stock_messages ADD PRIMARY KEY (bot_id, channel_id, position);
ALTER TABLE low_stock_notices ADD COLUMN channel_id BIGINT NOT NULL DEFAULT 0;
UPDATE low_stock_notices SET channel_id = COALESCE(
    (SELECT b.low_stock_channel_id FROM bots b WHERE b.id = low_stock_notices.bot_id), 0);
ALTER TABLE low_stock_notices DROP CONSTRAINT low_stock_notices_bot_id_product_id_crossing_key;
ALTER TABLE low_stock_notices ADD CONSTRAINT low_stock_notices_once UNIQUE (bot_id, channel_id, product_id, crossing);
