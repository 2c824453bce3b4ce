-- A node row's own figures (NULL on bot rows): CPU time used in the span (ms, summed when rows
-- are folded), the database round trip timed when the row was written (µs, the maximum when
-- folded) and the open sockets then (the maximum when folded).
ALTER TABLE discord_performance_metrics ADD COLUMN cpu_ms BIGINT;
ALTER TABLE discord_performance_metrics ADD COLUMN db_rtt_us BIGINT;
ALTER TABLE discord_performance_metrics ADD COLUMN open_sockets BIGINT;
