-- Each command row names the Discord event that caused it (the interaction id of a slash command
-- or a button press, the message id of a prefix command), unique per bot: inserts say ON CONFLICT
-- DO NOTHING, so an event Discord delivers twice (a session resumed from an older sequence) is
-- tracked once.
--
-- SQLite adds a NOT NULL column only with a default, and a default would quietly make every row
-- written without an event id collide with the next: the table is rebuilt instead (no foreign key
-- names it). Existing rows get the negated row id: distinct (ids are), and never a real event's
-- id, since Discord snowflakes are positive.
CREATE TABLE discord_command_logs_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id        INTEGER NOT NULL,
    event_id      INTEGER NOT NULL,             -- interaction id | message id; -id on rows from before
    received_at   INTEGER NOT NULL,
    responded_at  INTEGER,
    guild_id      INTEGER,
    channel_id    INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    user_name     TEXT    NOT NULL,
    command       TEXT    NOT NULL,
    arguments     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,             -- slash | prefix | component
    response      TEXT    NOT NULL,
    latency_us    INTEGER,
    outcome       TEXT    NOT NULL,             -- ok | error | denied
    error         TEXT
);
INSERT INTO discord_command_logs_new (id, bot_id, event_id, received_at, responded_at, guild_id, channel_id, user_id,
    user_name, command, arguments, kind, response, latency_us, outcome, error)
SELECT id, bot_id, -id, received_at, responded_at, guild_id, channel_id, user_id,
    user_name, command, arguments, kind, response, latency_us, outcome, error
FROM discord_command_logs;
-- Keep the id counter, so the ids of deleted rows are never handed out again.
DELETE FROM sqlite_sequence WHERE name = 'discord_command_logs_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'discord_command_logs_new', seq FROM sqlite_sequence WHERE name = 'discord_command_logs';
DROP TABLE discord_command_logs;
ALTER TABLE discord_command_logs_new RENAME TO discord_command_logs;
CREATE INDEX discord_command_logs_bot ON discord_command_logs (bot_id, id);
CREATE INDEX discord_command_logs_received ON discord_command_logs (received_at);
CREATE UNIQUE INDEX discord_command_logs_event ON discord_command_logs (bot_id, event_id);
