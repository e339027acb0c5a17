-- If-Match per member of a shared list: a reminder is its owner's alone (its events reach nobody else,
-- actors/list/audience.ts), so another member's reminder must not fail an edit conditioned on the version
-- a member last saw. tasks.shared_version is the version of the task's last event every member receives;
-- reminders.version the task's version at that reminder's last event. A member's If-Match holds from the
-- newer of the two they can see up to tasks.version (actors/task/state.ts matchesVersion).
--
-- Existing rows are filled in exactly as actors/task/evolve.ts folds the events, so replay still rebuilds
-- every row: the last event not about a reminder, and the last event of each reminder (reminder.scheduled
-- names it in data.reminder.id, every other reminder.* event in data.reminder_id).
ALTER TABLE tasks ADD COLUMN shared_version integer;
UPDATE tasks t SET shared_version = COALESCE(
  (SELECT max(e.version) FROM events e
    WHERE e.aggregate_id = t.id::text AND e.aggregate_type = 'task' AND e.event_type NOT LIKE 'reminder.%'),
  t.version);
ALTER TABLE tasks ALTER COLUMN shared_version SET NOT NULL;
ALTER TABLE tasks ADD CONSTRAINT tasks_shared_version_range CHECK (shared_version BETWEEN 1 AND version);

ALTER TABLE reminders ADD COLUMN version integer;
UPDATE reminders r SET version = COALESCE(
  (SELECT max(e.version) FROM events e
    WHERE e.aggregate_id = r.task_id::text AND e.aggregate_type = 'task' AND e.event_type LIKE 'reminder.%'
      AND COALESCE(e.data->>'reminder_id', e.data->'reminder'->>'id') = r.id::text),
  0);
ALTER TABLE reminders ALTER COLUMN version SET NOT NULL;
