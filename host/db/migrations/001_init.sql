-- tasklane schema: PostgreSQL is the system of record. The events table is the outbox and the
-- queryable history: rows are never updated (except published_at, once) and never deleted.

CREATE TABLE users (
  id          text PRIMARY KEY,
  timezone    text        NOT NULL DEFAULT 'UTC',
  -- Bumped inside each write transaction: a gapless, commit-ordered event sequence per user.
  last_seq    bigint      NOT NULL DEFAULT 0,
  -- Version of the user aggregate (user.timezone_changed events).
  version     integer     NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
  id               uuid PRIMARY KEY,
  user_id          text        NOT NULL REFERENCES users (id),
  title            text        NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  description      text        CHECK (description IS NULL OR length(description) <= 10000),
  completed        boolean     NOT NULL DEFAULT false,
  due_date         timestamptz,
  recurrence_rule  text,
  timezone         text,
  is_recurring     boolean     NOT NULL DEFAULT false,
  next_occurrence  timestamptz,
  last_spawned_at  timestamptz,
  series_id        uuid REFERENCES tasks (id),
  occurrence_at    timestamptz,
  version          integer     NOT NULL CHECK (version > 0),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  deleted_at       timestamptz,
  CONSTRAINT tasks_series_occurrence UNIQUE (series_id, occurrence_at),
  CONSTRAINT tasks_recurring_has_rule CHECK (is_recurring = (recurrence_rule IS NOT NULL))
);
CREATE INDEX tasks_by_user ON tasks (user_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_series ON tasks (series_id, occurrence_at) WHERE series_id IS NOT NULL;
CREATE INDEX tasks_spawn_due ON tasks (next_occurrence) WHERE is_recurring AND deleted_at IS NULL AND next_occurrence IS NOT NULL;

CREATE TABLE reminders (
  id          uuid PRIMARY KEY,
  task_id     uuid        NOT NULL REFERENCES tasks (id),
  user_id     text        NOT NULL REFERENCES users (id),
  "offset"    interval    CHECK ("offset" IS NULL OR "offset" > interval '0'),
  remind_at   timestamptz,
  notified    boolean     NOT NULL DEFAULT false,
  cancelled   boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL,
  CONSTRAINT reminders_kind CHECK ("offset" IS NOT NULL OR remind_at IS NOT NULL)
);
CREATE INDEX reminders_by_task ON reminders (task_id, created_at, id);
CREATE INDEX reminders_due ON reminders (remind_at) WHERE NOT notified AND NOT cancelled AND remind_at IS NOT NULL;

CREATE TABLE events (
  event_id        uuid PRIMARY KEY,
  user_id         text        NOT NULL REFERENCES users (id),
  seq             bigint      NOT NULL,
  aggregate_type  text        NOT NULL CHECK (aggregate_type IN ('task', 'user')),
  aggregate_id    text        NOT NULL,
  version         integer     NOT NULL,
  event_type      text        NOT NULL,
  data            jsonb       NOT NULL,
  correlation_id  uuid        NOT NULL,
  causation_id    uuid,
  "timestamp"     timestamptz NOT NULL,
  published_at    timestamptz,
  CONSTRAINT events_user_seq UNIQUE (user_id, seq),
  CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version)
);
CREATE INDEX events_unpublished ON events (user_id, seq) WHERE published_at IS NULL;
CREATE INDEX events_by_type_time ON events (event_type, "timestamp");
CREATE INDEX events_by_time ON events ("timestamp");

-- Immutability: an event row may only have published_at set (once); nothing may delete or truncate.
CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'events are immutable: % is not allowed', TG_OP USING ERRCODE = '55000';
  END IF;
  IF (NEW.event_id, NEW.user_id, NEW.seq, NEW.aggregate_type, NEW.aggregate_id, NEW.version, NEW.event_type,
      NEW.data, NEW.correlation_id, NEW.causation_id, NEW."timestamp")
     IS DISTINCT FROM
     (OLD.event_id, OLD.user_id, OLD.seq, OLD.aggregate_type, OLD.aggregate_id, OLD.version, OLD.event_type,
      OLD.data, OLD.correlation_id, OLD.causation_id, OLD."timestamp") THEN
    RAISE EXCEPTION 'events are immutable: only published_at may be set' USING ERRCODE = '55000';
  END IF;
  IF OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at THEN
    RAISE EXCEPTION 'events are immutable: published_at is set once' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_immutable();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_immutable();
