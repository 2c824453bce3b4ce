-- Per-bot figures the sampler adds to each row (sums over the row's span, so downsampling keeps
-- them): gateway events, REST calls and the 429s met on them, and uptime — up_ms: milliseconds the
-- bot was `running`; span_ms: milliseconds it was observed, i.e. meant to run (starting, running,
-- reconnecting or failed; a bot stopped on purpose is not observed). Uptime share = up_ms /
-- span_ms; unknown when span_ms is 0. A node's row holds the sums of its bots'.
ALTER TABLE discord_performance_metrics ADD COLUMN events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE discord_performance_metrics ADD COLUMN rest_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE discord_performance_metrics ADD COLUMN rate_limited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE discord_performance_metrics ADD COLUMN up_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE discord_performance_metrics ADD COLUMN span_ms BIGINT NOT NULL DEFAULT 0;
