-- One open incident per (rule, subject) (issue 23): with several nodes each node judges the bots it
-- runs, and a bot moving between nodes, or one no node runs yet, may be judged by two at once; the
-- second to fire finds the first's incident here and takes it up instead of notifying again.
-- Duplicates already open (from nodes before this version) are closed, keeping the oldest.
UPDATE alert_incidents SET state = 'resolved', resolved_at = COALESCE(last_sent_at, started_at)
WHERE state = 'firing' AND id NOT IN (
    SELECT MIN(id) FROM alert_incidents WHERE state = 'firing' GROUP BY rule_id, subject
);
CREATE UNIQUE INDEX alert_incidents_one_firing ON alert_incidents (rule_id, subject) WHERE state = 'firing';
