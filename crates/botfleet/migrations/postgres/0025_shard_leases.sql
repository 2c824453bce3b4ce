-- A large bot's shards may run on different nodes (issue 23): a lease per (bot, shard) instead of
-- per bot. Shard 0's holder is the bot's home (it registers the slash commands, keeps the stock
-- message, answers health and judges the bot's alerts) and writes the shard count `GET /gateway/bot`
-- recommends into every row of the bot (`shards`); the rows of shards 1.. are claimed, renewed and
-- handed over like any lease. A bot of one shard keeps its one row, shard 0.
ALTER TABLE bot_leases ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bot_leases ADD COLUMN shards INTEGER NOT NULL DEFAULT 1;
ALTER TABLE bot_leases DROP CONSTRAINT bot_leases_pkey;
ALTER TABLE bot_leases ADD PRIMARY KEY (bot_id, shard);
