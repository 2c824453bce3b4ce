-- Stock on Discord. Each bot may have a stock channel (where botfleet keeps the live catalogue
-- message) and a back-in-stock channel ("Back in stock: …" announcements); NULL = none / off.
-- stock_messages: the catalogue messages a bot has posted in its stock channel, in order
-- (position 0 first), with a hash of what each shows, so a restart edits them instead of posting
-- new ones and only messages whose content changed are edited.
ALTER TABLE bots ADD COLUMN stock_channel_id BIGINT;
ALTER TABLE bots ADD COLUMN back_in_stock_channel_id BIGINT;
CREATE TABLE stock_messages (
    bot_id       BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    message_id   BIGINT NOT NULL,
    content_hash TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (bot_id, position)
);
