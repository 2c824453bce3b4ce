-- Log search at scale (issue 21).
--
-- Search: pg_trgm GIN indexes over each log table's searched columns joined by U+001F (a character
-- a search cannot hold, so a term never matches across two columns); logs/search.rs writes the
-- same expression, which the planner must see to use the index. pg_trgm is a trusted extension
-- (PostgreSQL 13+): the database owner, or any role with CREATE on the database, may create it
-- (docs/operations.md, "Search indexes").
--
-- Filters: pages are newest first by id, so each filter's index is (column, id, time): a filtered
-- page walks the index backwards and checks the time window on the index entry itself.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX discord_command_logs_search ON discord_command_logs USING gin ((
    COALESCE(command, '') || E'\x1f' || COALESCE(arguments, '') || E'\x1f' || COALESCE(response, '')
    || E'\x1f' || COALESCE(error, '') || E'\x1f' || COALESCE(user_name, '')
) gin_trgm_ops);
CREATE INDEX discord_bot_logs_search ON discord_bot_logs USING gin ((
    COALESCE(event, '') || E'\x1f' || COALESCE(message, '')
) gin_trgm_ops);
CREATE INDEX discord_audit_logs_search ON discord_audit_logs USING gin ((
    COALESCE(action, '') || E'\x1f' || COALESCE(actor_name, '') || E'\x1f' || COALESCE(target_id, '')
    || E'\x1f' || COALESCE(detail, '')
) gin_trgm_ops);

DROP INDEX discord_command_logs_bot;
CREATE INDEX discord_command_logs_bot ON discord_command_logs (bot_id, id, received_at);
CREATE INDEX discord_command_logs_guild ON discord_command_logs (guild_id, id, received_at);
CREATE INDEX discord_command_logs_user ON discord_command_logs (user_id, id, received_at);
CREATE INDEX discord_command_logs_channel ON discord_command_logs (channel_id, id, received_at);
CREATE INDEX discord_command_logs_command ON discord_command_logs (command, id, received_at);
CREATE INDEX discord_command_logs_outcome ON discord_command_logs (outcome, id, received_at);

DROP INDEX discord_bot_logs_bot;
CREATE INDEX discord_bot_logs_bot ON discord_bot_logs (bot_id, id, at);
CREATE INDEX discord_bot_logs_level ON discord_bot_logs (level, id, at);
CREATE INDEX discord_bot_logs_event ON discord_bot_logs (event, id, at);
