-- Log search at scale (issue 21).
--
-- Search: an FTS5 table with the trigram tokenizer per log table, external content (the text stays
-- in the log table only; the FTS table holds the index), kept by triggers on insert, delete and
-- update. A search term of three or more characters is a phrase of trigrams, which is a
-- case-insensitive substring of one column (logs/search.rs).
--
-- Filters: pages are newest first by id, so each filter's index is (column, id, time): a filtered
-- page walks the index in order and checks the time window on the index entry itself.

CREATE VIRTUAL TABLE discord_command_logs_fts USING fts5(
    command, arguments, response, error, user_name,
    content = 'discord_command_logs', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER discord_command_logs_fts_insert AFTER INSERT ON discord_command_logs BEGIN
    INSERT INTO discord_command_logs_fts (rowid, command, arguments, response, error, user_name)
    VALUES (new.id, new.command, new.arguments, new.response, new.error, new.user_name);
END;
CREATE TRIGGER discord_command_logs_fts_delete AFTER DELETE ON discord_command_logs BEGIN
    INSERT INTO discord_command_logs_fts (discord_command_logs_fts, rowid, command, arguments, response, error, user_name)
    VALUES ('delete', old.id, old.command, old.arguments, old.response, old.error, old.user_name);
END;
CREATE TRIGGER discord_command_logs_fts_update AFTER UPDATE OF command, arguments, response, error, user_name
ON discord_command_logs BEGIN
    INSERT INTO discord_command_logs_fts (discord_command_logs_fts, rowid, command, arguments, response, error, user_name)
    VALUES ('delete', old.id, old.command, old.arguments, old.response, old.error, old.user_name);
    INSERT INTO discord_command_logs_fts (rowid, command, arguments, response, error, user_name)
    VALUES (new.id, new.command, new.arguments, new.response, new.error, new.user_name);
END;
INSERT INTO discord_command_logs_fts (discord_command_logs_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE discord_bot_logs_fts USING fts5(
    event, message, content = 'discord_bot_logs', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER discord_bot_logs_fts_insert AFTER INSERT ON discord_bot_logs BEGIN
    INSERT INTO discord_bot_logs_fts (rowid, event, message) VALUES (new.id, new.event, new.message);
END;
CREATE TRIGGER discord_bot_logs_fts_delete AFTER DELETE ON discord_bot_logs BEGIN
    INSERT INTO discord_bot_logs_fts (discord_bot_logs_fts, rowid, event, message)
    VALUES ('delete', old.id, old.event, old.message);
END;
CREATE TRIGGER discord_bot_logs_fts_update AFTER UPDATE OF event, message ON discord_bot_logs BEGIN
    INSERT INTO discord_bot_logs_fts (discord_bot_logs_fts, rowid, event, message)
    VALUES ('delete', old.id, old.event, old.message);
    INSERT INTO discord_bot_logs_fts (rowid, event, message) VALUES (new.id, new.event, new.message);
END;
INSERT INTO discord_bot_logs_fts (discord_bot_logs_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE discord_audit_logs_fts USING fts5(
    action, actor_name, target_id, detail,
    content = 'discord_audit_logs', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER discord_audit_logs_fts_insert AFTER INSERT ON discord_audit_logs BEGIN
    INSERT INTO discord_audit_logs_fts (rowid, action, actor_name, target_id, detail)
    VALUES (new.id, new.action, new.actor_name, new.target_id, new.detail);
END;
CREATE TRIGGER discord_audit_logs_fts_delete AFTER DELETE ON discord_audit_logs BEGIN
    INSERT INTO discord_audit_logs_fts (discord_audit_logs_fts, rowid, action, actor_name, target_id, detail)
    VALUES ('delete', old.id, old.action, old.actor_name, old.target_id, old.detail);
END;
CREATE TRIGGER discord_audit_logs_fts_update AFTER UPDATE OF action, actor_name, target_id, detail
ON discord_audit_logs BEGIN
    INSERT INTO discord_audit_logs_fts (discord_audit_logs_fts, rowid, action, actor_name, target_id, detail)
    VALUES ('delete', old.id, old.action, old.actor_name, old.target_id, old.detail);
    INSERT INTO discord_audit_logs_fts (rowid, action, actor_name, target_id, detail)
    VALUES (new.id, new.action, new.actor_name, new.target_id, new.detail);
END;
INSERT INTO discord_audit_logs_fts (discord_audit_logs_fts) VALUES ('rebuild');

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
