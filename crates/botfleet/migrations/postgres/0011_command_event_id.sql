-- Each command row names the Discord event that caused it (the interaction id of a slash command
-- or a button press, the message id of a prefix command), unique per bot: inserts say ON CONFLICT
-- DO NOTHING, so an event Discord delivers twice (a session resumed from an older sequence) is
-- tracked once.
--
-- Existing rows get the negated row id: distinct (ids are), and never a real event's id, since
-- Discord snowflakes are positive. The column has no default: a row must name its event.
ALTER TABLE discord_command_logs ADD COLUMN event_id BIGINT;
UPDATE discord_command_logs SET event_id = -id;
ALTER TABLE discord_command_logs ALTER COLUMN event_id SET NOT NULL;
CREATE UNIQUE INDEX discord_command_logs_event ON discord_command_logs (bot_id, event_id);
