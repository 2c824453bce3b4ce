-- Each bot's identify turns when several nodes share the database (issue 23): per bot and
-- rate-limit bucket (`shard % max_concurrency`), when the last identify was granted, by the
-- database's clock. A node reserves the next turn in one statement (the later of now and the last
-- turn plus 5.5 s), so two nodes never identify one bot's bucket within Discord's 5-second window.
CREATE TABLE identify_turns (
    bot_id  BIGINT NOT NULL,
    bucket  BIGINT NOT NULL,
    turn_at BIGINT NOT NULL,
    PRIMARY KEY (bot_id, bucket)
);
