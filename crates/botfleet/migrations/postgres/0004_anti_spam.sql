-- Per-user anti-spam settings of each bot, as JSON: {enabled, max_commands, per_seconds,
-- cooldown_seconds, max_cooldown_seconds}. Existing bots get the defaults.
ALTER TABLE bots ADD COLUMN anti_spam TEXT NOT NULL
    DEFAULT '{"enabled":true,"max_commands":5,"per_seconds":10,"cooldown_seconds":30,"max_cooldown_seconds":600}';
