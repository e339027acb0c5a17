-- All-day tasks (issue 16; DESIGN.md "Growing the model"): a due date may be a date alone, a floating
-- calendar date in the task's zone (the task's own, else the user's).
--
-- tasks.due_day is that date ('YYYY-MM-DD'), null for a timed task. due_date stays an instant: the first
-- instant of that local day in the task's zone, so sorting, the due_before/due_after filters and keyset
-- cursors work unchanged; a zone change (the task's or, for a task following it, the user's) moves
-- due_date so the calendar date stays the same. Views place an all-day task by due_day in the user's zone.
--
-- Reminders of an all-day task are wall-clock times on or before its day: at_time ('HH:MM') on the day,
-- or days_before days before it; both null for the older kinds (offset before the due date, absolute).
-- Existing rows are timed tasks and older reminders: null is what their events fold to, so replay still
-- rebuilds every row exactly.
ALTER TABLE tasks ADD COLUMN due_day text
  CONSTRAINT tasks_due_day_form CHECK (due_day IS NULL OR (due_day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND due_date IS NOT NULL));

ALTER TABLE reminders ADD COLUMN at_time text
  CONSTRAINT reminders_at_time_form CHECK (at_time IS NULL OR at_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$');
ALTER TABLE reminders ADD COLUMN days_before smallint
  CONSTRAINT reminders_days_before_range CHECK (days_before IS NULL OR days_before BETWEEN 0 AND 366);
ALTER TABLE reminders ADD CONSTRAINT reminders_day_kind CHECK ((at_time IS NULL) = (days_before IS NULL));
ALTER TABLE reminders DROP CONSTRAINT reminders_kind;
ALTER TABLE reminders ADD CONSTRAINT reminders_kind CHECK ("offset" IS NOT NULL OR remind_at IS NOT NULL OR at_time IS NOT NULL);
