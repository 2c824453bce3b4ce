-- Whether an admin wants the bot running; bots that were running come back after a restart.
ALTER TABLE bots ADD COLUMN desired_state TEXT NOT NULL DEFAULT 'stopped';
