-- Corrections to migrations 020, 021 and 022 (a review of that day's change):
-- 1. Under sort=priority a series tied by its own due date, its start, long past for most: every series
--    headed its priority. It ties by its next occurrence (host/reads.ts DUE_OR_NEVER); the index follows.
-- 2. Words with figures ('3ème', 'Müller2': the parser's numword and its hyphenated parts) were not folded.
--    Rows holding such a word get their search column computed again (an update of the title to itself
--    recomputes the stored generated column); other rows fold the same as before.
DROP INDEX tasks_by_priority;
CREATE INDEX tasks_by_priority ON tasks
  (user_id, priority, (COALESCE(CASE WHEN is_recurring THEN next_occurrence ELSE due_date END, 'infinity'::timestamptz)), id)
  WHERE deleted_at IS NULL;
ALTER TEXT SEARCH CONFIGURATION tasklane_folded
  ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
UPDATE tasks SET title = title
 WHERE (title || ' ' || coalesce(description, '')) ~ '[0-9]'
   AND (title || ' ' || coalesce(description, '')) ~ '[^\u0001-\u007f]';
-- 3. A reminder is snoozed only while it waits at the time it was snoozed to (migration 022 kept the mark
--    after it fired again or was cancelled): evolve now clears it then, and so does this for the rows.
UPDATE reminders SET snoozed = false WHERE snoozed AND (notified OR cancelled);
