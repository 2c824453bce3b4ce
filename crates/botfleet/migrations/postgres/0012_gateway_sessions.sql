-- Each running bot's gateway session, saved every few seconds and at shutdown, so that the next
-- start (a restart, an upgrade, after a crash) resumes it and Discord replays what was sent
-- meanwhile. `sequence` is the last event whose handling finished and whose record is stored
-- (resuming from it may replay events already handled: event ids and reply nonces make that
-- harmless). `fingerprint` is a digest of the token and intents the session was opened with: a
-- bot whose token or intents changed identifies afresh. One row per bot and shard.
CREATE TABLE gateway_sessions (
    bot_id BIGINT NOT NULL,
    shard BIGINT NOT NULL,
    session_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    resume_url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (bot_id, shard)
);
