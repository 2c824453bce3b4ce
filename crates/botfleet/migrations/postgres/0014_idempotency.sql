-- The first answer to each request sent with an `Idempotency-Key` header on a route that acts
-- (start, stop, restart, bulk, send-message), so that a client retrying after a timeout gets that
-- answer again instead of acting twice. `credential` is who sent it (`key:ID` for an API key,
-- `user:ID` for a signed-in user): the same key from two credentials is two requests. A row
-- whose `status` is NULL is a request still being handled (a reservation). Rows older than
-- 24 hours are swept by the periodic housekeeping.
CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    credential TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (credential, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
