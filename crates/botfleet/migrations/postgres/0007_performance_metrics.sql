-- Periodic figures per bot (bot_id set) and per node (bot_id NULL), written off the hot path by
-- the sampler and downsampled as they age: 10 s rows, then 1 min, then 1 h. Counters are sums
-- over the row's span, so downsampling keeps totals.
CREATE TABLE discord_performance_metrics (
    id             BIGSERIAL PRIMARY KEY,
    at             BIGINT  NOT NULL,
    resolution_s   BIGINT  NOT NULL,
    node           TEXT    NOT NULL,
    bot_id         BIGINT,
    commands       BIGINT  NOT NULL,
    errors         BIGINT  NOT NULL,
    denied         BIGINT  NOT NULL,
    latency_sum_us BIGINT  NOT NULL,
    latency_count  BIGINT  NOT NULL,
    rss_bytes      BIGINT,
    queue_depth    BIGINT
);
CREATE INDEX discord_performance_metrics_at ON discord_performance_metrics (resolution_s, at);
CREATE INDEX discord_performance_metrics_bot ON discord_performance_metrics (bot_id, at);
