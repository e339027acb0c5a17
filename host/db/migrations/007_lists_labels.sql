-- Lists, priority, labels, completion time and search (issue 15; DESIGN.md "Growing the model").
--
-- Lists and labels are aggregates with their own events (aggregate_type 'list' / 'label'), written by the
-- user's turn through the same guarded statement as every other event. Every task is in one list; each
-- user's Inbox is created with the user (a trigger on users) under an id derived from the user id
-- (tasklane_inbox_id, computed the same way by actors/list inboxIdOf), so tasks created before this
-- migration fold to the Inbox too and replay still rebuilds every row exactly: the columns added here
-- are filled in exactly as actors/task/evolve.ts reads events written before them (the Inbox, priority
-- 4, no labels, completed_at the time of the last task.completed).

CREATE FUNCTION tasklane_inbox_id(user_id text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT overlay(overlay(md5('tasklane-inbox:' || user_id) PLACING '3' FROM 13) PLACING '8' FROM 17)::uuid
$$;

CREATE TABLE lists (
  id          uuid PRIMARY KEY,
  user_id     text        NOT NULL REFERENCES users (id),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  color       text        CHECK (color IS NULL OR color ~ '^#[0-9a-f]{6}$'),
  position    integer     NOT NULL CHECK (position BETWEEN 0 AND 1000000),
  inbox       boolean     NOT NULL DEFAULT false,
  -- The Inbox starts at 0 (created with the user, no event); other lists at 1 (list.created).
  version     integer     NOT NULL CHECK (version >= 0),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz,
  CONSTRAINT lists_inbox_stays CHECK (NOT inbox OR deleted_at IS NULL)
);
CREATE UNIQUE INDEX lists_one_inbox ON lists (user_id) WHERE inbox;
CREATE INDEX lists_by_user ON lists (user_id, position, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE labels (
  id          uuid PRIMARY KEY,
  user_id     text        NOT NULL REFERENCES users (id),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  color       text        CHECK (color IS NULL OR color ~ '^#[0-9a-f]{6}$'),
  version     integer     NOT NULL CHECK (version > 0),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz
);
-- A name is unique per user among live labels, case-insensitively (the decider refuses first: 409).
CREATE UNIQUE INDEX labels_name ON labels (user_id, lower(name)) WHERE deleted_at IS NULL;

INSERT INTO lists (id, user_id, name, color, position, inbox, version, created_at, updated_at)
  SELECT tasklane_inbox_id(id), id, 'Inbox', NULL, 0, true, 0, created_at, created_at FROM users;

CREATE FUNCTION tasklane_user_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lists (id, user_id, name, color, position, inbox, version, created_at, updated_at)
    VALUES (tasklane_inbox_id(NEW.id), NEW.id, 'Inbox', NULL, 0, true, 0, NEW.created_at, NEW.created_at)
    ON CONFLICT (id) DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_inbox AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION tasklane_user_inbox();

ALTER TABLE tasks ADD COLUMN list_id uuid REFERENCES lists (id);
UPDATE tasks SET list_id = tasklane_inbox_id(user_id);
ALTER TABLE tasks ALTER COLUMN list_id SET NOT NULL;
ALTER TABLE tasks ADD COLUMN priority smallint NOT NULL DEFAULT 4 CONSTRAINT tasks_priority_range CHECK (priority BETWEEN 1 AND 4);
-- Label ids, distinct and sorted (the decider keeps them so); at most 20 (MAX_TASK_LABELS).
ALTER TABLE tasks ADD COLUMN labels uuid[] NOT NULL DEFAULT '{}' CONSTRAINT tasks_labels_count CHECK (cardinality(labels) <= 20);
ALTER TABLE tasks ADD COLUMN completed_at timestamptz;
UPDATE tasks t SET completed_at = (SELECT max(e."timestamp") FROM events e WHERE e.aggregate_id = t.id::text AND e.event_type = 'task.completed')
 WHERE t.completed;
-- Search: full text over title and description with the 'simple' configuration (no stemming, any
-- language; the same on PostgreSQL and PGlite), prefix-matched word by word (host/reads.ts).
ALTER TABLE tasks ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || coalesce(description, ''))) STORED;

CREATE INDEX tasks_search ON tasks USING gin (search);
CREATE INDEX tasks_labels ON tasks USING gin (labels);
CREATE INDEX tasks_by_list ON tasks (user_id, list_id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_due ON tasks (user_id, due_date, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_priority ON tasks (user_id, priority, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_title ON tasks (user_id, (lower(title) COLLATE "C"), id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_completion ON tasks (user_id, completed_at, id) WHERE completed AND deleted_at IS NULL;

ALTER TABLE events DROP CONSTRAINT events_aggregate_type_check;
ALTER TABLE events ADD CONSTRAINT events_aggregate_type_check CHECK (aggregate_type IN ('task', 'user', 'list', 'label'));
