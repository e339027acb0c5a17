// Row ↔ state mapping. The SELECT lists here and the INSERT/UPDATE lists in store.ts name the same
// columns as TaskState/ReminderState, so a state written and read back is identical.
import type { TaskState, ReminderState } from '../../actors/task/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';

export const TASK_COLUMNS = `id::text AS id, user_id, title, description, completed, due_date, recurrence_rule, timezone, is_recurring,
  next_occurrence, dtstart_local, last_spawned_at, series_id::text AS series_id, occurrence_at, version, created_at, updated_at, deleted_at`;

export const REMINDER_COLUMNS = `id::text AS id, task_id::text AS task_id, user_id, "offset", remind_at, notified, cancelled, cancel_reason, created_at`;

export const EVENT_COLUMNS = `event_id::text AS event_id, event_type, user_id, aggregate_type, aggregate_id, version, seq, "timestamp",
  correlation_id::text AS correlation_id, causation_id::text AS causation_id, data`;

export type TaskRow = Omit<TaskState, 'reminders'>;

export function toTask(row: TaskRow, reminders: ReminderState[]): TaskState {
  return { ...row, reminders };
}

/** Events as stored, in the envelope's key order. */
export function toEnvelope(row: EventEnvelope): EventEnvelope {
  return {
    event_id: row.event_id, event_type: row.event_type, user_id: row.user_id, aggregate_type: row.aggregate_type,
    aggregate_id: row.aggregate_id, version: row.version, seq: row.seq, timestamp: row.timestamp,
    correlation_id: row.correlation_id, causation_id: row.causation_id, data: row.data,
  };
}
