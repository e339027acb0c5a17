-- A series keeps its first wall-clock start as written ('YYYY-MM-DDTHH:MM:SS' in the series' zone), so a
-- start inside a DST gap moves only its first day's instant, never the series' time of day. Existing
-- rows stay null (their start is read from due_date, as before): that is what their events fold to,
-- so replay still rebuilds every row exactly. The next edit or zone change of such a series fills it in.
ALTER TABLE tasks ADD COLUMN dtstart_local text
  CONSTRAINT tasks_dtstart_local_form CHECK (dtstart_local IS NULL OR dtstart_local ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$');
