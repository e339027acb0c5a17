-- Sort by priority: tasks of one priority by due date, soonest first, those without one last, then by id
-- (host/reads.ts SORTS); descending is the exact reverse, so one scan of this index serves both. Before,
-- ties went by id, and ids are random (UUID v4): a list sorted by priority showed each priority's tasks in
-- no order a person could see. COALESCE(…, 'infinity') puts a task without a due date after every date and
-- keeps the key non-null, so the keyset compares (priority, due, id) as one row.
DROP INDEX tasks_by_priority;
CREATE INDEX tasks_by_priority ON tasks (user_id, priority, (COALESCE(due_date, 'infinity'::timestamptz)), id)
  WHERE deleted_at IS NULL;
