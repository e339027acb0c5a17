-- A reminder says whether its time is one the user snoozed it to (actors/task/state.ts ReminderState.snoozed):
-- the dashboard read "10 min before — 4:54 PM" for a reminder snoozed past its offset. Filled in as evolve
-- folds the events, so replay still rebuilds every row: true where the reminder's last `reminder.snoozed`
-- has no `reminder.scheduled` of it after (a new schedule sets its time by its rule again).
ALTER TABLE reminders ADD COLUMN snoozed boolean NOT NULL DEFAULT false;
UPDATE reminders r SET snoozed = true
 WHERE EXISTS (
   SELECT 1 FROM events e
    WHERE e.aggregate_id = r.task_id::text AND e.event_type = 'reminder.snoozed'
      AND e.data->>'reminder_id' = r.id::text
      AND NOT EXISTS (
        SELECT 1 FROM events l
         WHERE l.aggregate_id = e.aggregate_id AND l.version > e.version AND l.event_type = 'reminder.scheduled'
           AND l.data->'reminder'->>'id' = r.id::text));
