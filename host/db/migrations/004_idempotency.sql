-- The first answer to a write sent with an Idempotency-Key, kept so a retry with the same key (same
-- user) replays it instead of applying the write again. Written by the same statement (or transaction)
-- as the turn's events, so an answer exists exactly when its write committed. A key expires 24 h after
-- its write (host/tasks/store.ts IDEMPOTENCY_TTL_MS): a write reusing it then replaces the row, and
-- expired rows are deleted lazily.
CREATE TABLE idempotency (
  user_id      text        NOT NULL REFERENCES users (id),
  key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  -- sha256 of method, path, If-Match and body: the same key with another request is refused (422).
  fingerprint  text        NOT NULL,
  -- What the turn answered (the task or user as right after it), as JSON.
  answer       jsonb       NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created_at ON idempotency (created_at);
