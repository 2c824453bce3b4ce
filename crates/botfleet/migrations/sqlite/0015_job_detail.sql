-- What an item produced besides ok/failed (a retention item's deleted rows, an export's file size), as
-- JSON; and a job's identity for jobs that must exist once (the daily retention run of a given day,
-- whichever node submits it first): a second submission with the same key is the same job.
ALTER TABLE job_items ADD COLUMN detail TEXT;
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key);
