-- Shared lists (issue 17): an owner shares a list with editors, who accept or decline; a member leaves;
-- the owner removes a member or hands over ownership. Membership is part of the list aggregate (as
-- reminders are part of the task): its events (list.shared, list.invitation_accepted, …; actors/events.ts)
-- are folded by actors/list/index.ts evolveList into `shared` and the rows of list_members, so replay
-- rebuilds them. Access to a task is decided by its list through ONE view, list_access. A user's stream
-- is their events rows plus their event_deliveries rows: each event is stored once, in the stream of its
-- canonical recipient (actors/list/audience.ts), and every other recipient gets a delivery row with a seq
-- of their own, so every stream stays gapless and a removed member gets no new rows at all.
-- Written and read by nothing yet but rows.ts's read of a list's members (all empty until sharing is on).

-- Set by the first list.shared, never unset.
ALTER TABLE lists ADD COLUMN shared boolean NOT NULL DEFAULT false;

-- Everyone ever invited to a list, the owner included once it is shared. A re-invitation updates the row.
CREATE TABLE list_members (
  list_id     uuid        NOT NULL REFERENCES lists (id),
  user_id     text        NOT NULL REFERENCES users (id),
  role        text        NOT NULL CHECK (role IN ('owner', 'editor')),
  state       text        NOT NULL CHECK (state IN ('invited', 'active', 'declined', 'left', 'removed')),
  invited_by  text        NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (list_id, user_id)
);
CREATE UNIQUE INDEX list_members_one_owner ON list_members (list_id) WHERE role = 'owner';
CREATE INDEX list_members_of_user ON list_members (user_id, list_id) WHERE state IN ('invited', 'active');

-- THE isolation rule, in one place (actors/list/audience.ts accessOf says the same in TypeScript). The
-- owner always has access (also to their own deleted list while its delete fans out). An editor has
-- access only while their row is active and the list is live.
CREATE VIEW list_access AS
  SELECT id AS list_id, user_id, 'owner'::text AS role FROM lists
  UNION ALL
  SELECT m.list_id, m.user_id, m.role FROM list_members m JOIN lists l ON l.id = m.list_id
   WHERE m.role = 'editor' AND m.state = 'active' AND l.deleted_at IS NULL;

-- Who a shared task is assigned to (null: nobody); a member with access, or on a private task its owner.
ALTER TABLE tasks ADD COLUMN assignee text REFERENCES users (id);
CREATE INDEX tasks_by_list_live ON tasks (list_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- Who issued an event (NULL: a timer or the system; rows written before this read as their user_id), and
-- the lists whose members made up its audience (NULL: private, or written before this).
ALTER TABLE events ADD COLUMN actor_id text;
ALTER TABLE events ADD COLUMN scope uuid[];

-- The same rule as 001's, with the new columns in the tuple that may never change.
CREATE OR REPLACE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'events are immutable: % is not allowed', TG_OP USING ERRCODE = '55000';
  END IF;
  IF (NEW.event_id, NEW.user_id, NEW.seq, NEW.aggregate_type, NEW.aggregate_id, NEW.version, NEW.event_type,
      NEW.data, NEW.correlation_id, NEW.causation_id, NEW."timestamp", NEW.actor_id, NEW.scope)
     IS DISTINCT FROM
     (OLD.event_id, OLD.user_id, OLD.seq, OLD.aggregate_type, OLD.aggregate_id, OLD.version, OLD.event_type,
      OLD.data, OLD.correlation_id, OLD.causation_id, OLD."timestamp", OLD.actor_id, OLD.scope) THEN
    RAISE EXCEPTION 'events are immutable: only published_at may be set' USING ERRCODE = '55000';
  END IF;
  IF OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at THEN
    RAISE EXCEPTION 'events are immutable: published_at is set once' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;

-- An event in the stream of a recipient other than its canonical one: `seq` is taken from that user's
-- users.last_seq in the statement that writes the event, so the user's events and deliveries together
-- are gapless. `published_at` is the outbox mark, as on events.
CREATE TABLE event_deliveries (
  user_id       text        NOT NULL REFERENCES users (id),
  seq           bigint      NOT NULL,
  event_id      uuid        NOT NULL REFERENCES events (event_id),
  published_at  timestamptz,
  PRIMARY KEY (user_id, seq),
  UNIQUE (event_id, user_id)
);
CREATE INDEX event_deliveries_unpublished ON event_deliveries (user_id, seq) WHERE published_at IS NULL;

-- Deliveries are history as events are: only published_at may be set, once; no DELETE or TRUNCATE.
CREATE FUNCTION deliveries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'event deliveries are immutable: % is not allowed', TG_OP USING ERRCODE = '55000';
  END IF;
  IF (NEW.user_id, NEW.seq, NEW.event_id) IS DISTINCT FROM (OLD.user_id, OLD.seq, OLD.event_id) THEN
    RAISE EXCEPTION 'event deliveries are immutable: only published_at may be set' USING ERRCODE = '55000';
  END IF;
  IF OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at THEN
    RAISE EXCEPTION 'event deliveries are immutable: published_at is set once' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER event_deliveries_no_update BEFORE UPDATE ON event_deliveries FOR EACH ROW EXECUTE FUNCTION deliveries_immutable();
CREATE TRIGGER event_deliveries_no_delete BEFORE DELETE ON event_deliveries FOR EACH ROW EXECUTE FUNCTION deliveries_immutable();
CREATE TRIGGER event_deliveries_no_truncate BEFORE TRUNCATE ON event_deliveries FOR EACH STATEMENT EXECUTE FUNCTION deliveries_immutable();
