-- A bot's settings for one Discord server, overriding the bot's there (issue 24). NULL: the bot's.
-- `channel_ids` is a JSON list of ids as strings, as bots.channel_ids (`[]`: every channel);
-- `anti_spam` the whole JSON object, as bots.anti_spam. `version` starts at 1; a change names the
-- version it was made from.
CREATE TABLE server_settings (
    bot_id      BIGINT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    guild_id    BIGINT NOT NULL,
    prefix      TEXT,
    channel_ids TEXT,
    anti_spam   TEXT,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (bot_id, guild_id)
);
