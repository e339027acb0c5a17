-- Calendar feeds (issue 16, deliverable 7; DESIGN.md "Growing the model"): each user may have one secret feed
-- URL, /feeds/<secret>.ics. The secret itself (32 random bytes, base64url) is shown once, when it is made, and
-- never stored: only its SHA-256 (hex) is, so a copy of the database does not open anyone's feed. Making a new
-- one replaces the row (the old URL stops working); revoking deletes it. Not an aggregate and no events: a
-- credential, like the JWT secret, is not part of the task history (host/feeds.ts writes it directly).
CREATE TABLE calendar_feeds (
  user_id     text        PRIMARY KEY,
  token_hash  text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL
);
