-- Repeat after completion (issue 16, DESIGN.md "Series mode after_completion"). A series either follows its
-- rule's calendar ('calendar', as every series did before) or computes its next instance from the moment
-- the previous one was completed ('after_completion': actors/task/after-completion.ts). spawn_count is how
-- many instances the series has spawned, which is how COUNT ends an after-completion series.
--
-- Existing rows are filled in exactly as actors/task/evolve.ts reads events written before these columns:
-- 'calendar', and one per recurring.spawned event of the series, so replay still rebuilds every row.
ALTER TABLE tasks ADD COLUMN recurrence_mode text NOT NULL DEFAULT 'calendar'
  CONSTRAINT tasks_recurrence_mode_known CHECK (recurrence_mode IN ('calendar', 'after_completion'));
ALTER TABLE tasks ADD COLUMN spawn_count integer NOT NULL DEFAULT 0
  CONSTRAINT tasks_spawn_count_range CHECK (spawn_count >= 0);
UPDATE tasks t SET spawn_count = s.n
  FROM (SELECT aggregate_id, count(*)::integer AS n FROM events WHERE event_type = 'recurring.spawned' GROUP BY aggregate_id) s
 WHERE s.aggregate_id = t.id::text;

-- A calendar series shows its next instance ahead of its due time: it spawns once the occurrence spawned
-- last has come (actors/task/timers.ts spawnDueAt). The sweeper finds those by this index, as it finds
-- series due by their own occurrence through tasks_spawn_due.
CREATE INDEX tasks_spawn_ahead ON tasks (last_spawned_at) WHERE is_recurring AND deleted_at IS NULL AND next_occurrence IS NOT NULL;
