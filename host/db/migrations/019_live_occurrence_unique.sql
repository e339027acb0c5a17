-- One LIVE occurrence per instant of a series: a deleted occurrence no longer holds its instant. A series'
-- schedule edit discards the occurrences the old schedule had spawned ahead of their time, deleted ones
-- included (actors/task/decide.ts update), and the new schedule may name the same instant again: under the
-- old table-wide UNIQUE its spawn failed on the deleted row, retried and failed again, and the series
-- stopped. Two live rows for one instant (a spawn raced by another turn) are still refused (23505, and the
-- turn decides again); an undone delete whose instant a live occurrence holds is a 409 (actors/task/undo.ts).
ALTER TABLE tasks DROP CONSTRAINT tasks_series_occurrence;
CREATE UNIQUE INDEX tasks_series_occurrence ON tasks (series_id, occurrence_at) WHERE deleted_at IS NULL;
