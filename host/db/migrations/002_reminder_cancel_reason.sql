-- Why a reminder was cancelled, so that undoing a completion can bring back exactly the reminders the
-- completion cancelled (and not the ones the user removed). Existing rows take the reason from their
-- last `reminder.cancelled` event, which keeps every row equal to the fold of its events.
ALTER TABLE reminders ADD COLUMN cancel_reason text;

UPDATE reminders r SET cancel_reason = (
  SELECT e.data->>'reason' FROM events e
   WHERE e.aggregate_id = r.task_id::text AND e.event_type = 'reminder.cancelled' AND e.data->>'reminder_id' = r.id::text
   ORDER BY e.version DESC LIMIT 1)
 WHERE r.cancelled;
