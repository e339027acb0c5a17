// Row ↔ state mapping, from ONE definition of the columns: the tasks and reminders tables hold exactly
// the fields of TaskState (without `reminders`) and ReminderState, and every SELECT, INSERT, UPDATE and
// JSON list in host/tasks/store.ts is made from the lists here, so a state written and read back is
// identical. A field missing here (or one too many) is a type error.
import type { TaskState, ReminderState } from '../../actors/task/index.ts';
import type { ListState } from '../../actors/list/index.ts';
import type { LabelState } from '../../actors/label/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';

export type TaskRow = Omit<TaskState, 'reminders'>;

/** A column: its SQL type (as json_to_recordset and casts name it), and how a SELECT reads it when that is not the bare name. */
interface Column {
  type: string;
  read?: string;
}

/** The tasks table, in column order. `id` and `user_id` are the key; the rest are written by every persist. */
export const TASK_TABLE = {
  id: { type: 'uuid', read: 'id::text' },
  user_id: { type: 'text' },
  title: { type: 'text' },
  description: { type: 'text' },
  completed: { type: 'boolean' },
  due_date: { type: 'timestamptz' },
  recurrence_rule: { type: 'text' },
  timezone: { type: 'text' },
  is_recurring: { type: 'boolean' },
  next_occurrence: { type: 'timestamptz' },
  dtstart_local: { type: 'text' },
  last_spawned_at: { type: 'timestamptz' },
  series_id: { type: 'uuid', read: 'series_id::text' },
  occurrence_at: { type: 'timestamptz' },
  list_id: { type: 'uuid', read: 'list_id::text' },
  priority: { type: 'smallint' },
  labels: { type: 'uuid[]', read: 'labels::text[]' },
  completed_at: { type: 'timestamptz' },
  version: { type: 'integer' },
  created_at: { type: 'timestamptz' },
  updated_at: { type: 'timestamptz' },
  deleted_at: { type: 'timestamptz' },
} as const satisfies { [K in keyof TaskRow]-?: Column };

/** The lists table (migration 007), in column order. */
export const LIST_TABLE = {
  id: { type: 'uuid', read: 'id::text' },
  user_id: { type: 'text' },
  name: { type: 'text' },
  color: { type: 'text' },
  position: { type: 'integer' },
  inbox: { type: 'boolean' },
  version: { type: 'integer' },
  created_at: { type: 'timestamptz' },
  updated_at: { type: 'timestamptz' },
  deleted_at: { type: 'timestamptz' },
} as const satisfies { [K in keyof ListState]-?: Column };

/** The labels table (migration 007), in column order. */
export const LABEL_TABLE = {
  id: { type: 'uuid', read: 'id::text' },
  user_id: { type: 'text' },
  name: { type: 'text' },
  color: { type: 'text' },
  version: { type: 'integer' },
  created_at: { type: 'timestamptz' },
  updated_at: { type: 'timestamptz' },
  deleted_at: { type: 'timestamptz' },
} as const satisfies { [K in keyof LabelState]-?: Column };

/** The reminders table, in column order. */
export const REMINDER_TABLE = {
  id: { type: 'uuid', read: 'id::text' },
  task_id: { type: 'uuid', read: 'task_id::text' },
  user_id: { type: 'text' },
  offset: { type: 'interval' },
  remind_at: { type: 'timestamptz' },
  notified: { type: 'boolean' },
  cancelled: { type: 'boolean' },
  cancel_reason: { type: 'text' },
  created_at: { type: 'timestamptz' },
} as const satisfies { [K in keyof ReminderState]-?: Column };

// Every field of the state is a column, and no more: `satisfies` above checks the first half, this the second.
type Exact<T, S> = Exclude<keyof T, keyof S> extends never ? true : never;
const tasksExact: Exact<typeof TASK_TABLE, TaskRow> = true;
const remindersExact: Exact<typeof REMINDER_TABLE, ReminderState> = true;
const listsExact: Exact<typeof LIST_TABLE, ListState> = true;
const labelsExact: Exact<typeof LABEL_TABLE, LabelState> = true;
void tasksExact; void remindersExact; void listsExact; void labelsExact;

type Table = Record<string, Column>;
/** A column's name as SQL spells it ("offset" is a keyword). */
export const sqlName = (name: string): string => (name === 'offset' ? '"offset"' : name);
const select = (table: Table, alias = ''): string => Object.entries(table)
  .map(([name, c]) => `${c.read === undefined ? `${alias}${sqlName(name)}` : `${alias}${c.read}`} AS ${sqlName(name)}`).join(', ');

/** The task fields written by persist, besides the key (`id`, `user_id`), in table order. */
export const TASK_FIELDS = (Object.keys(TASK_TABLE) as (keyof TaskRow)[]).filter((k) => k !== 'id' && k !== 'user_id');
/** The reminder fields, in table order. */
export const REMINDER_FIELDS = Object.keys(REMINDER_TABLE) as (keyof ReminderState)[];

/** SELECT list of a task row, as TaskRow (uuids as text). */
export const TASK_COLUMNS = select(TASK_TABLE);
/** TASK_COLUMNS with every column qualified by `alias` (for a query that joins tasks). */
export const taskColumnsOf = (alias: string): string => select(TASK_TABLE, `${alias}.`);
/** SELECT lists of a list row and a label row, as ListState and LabelState. */
export const LIST_COLUMNS = select(LIST_TABLE);
export const LABEL_COLUMNS = select(LABEL_TABLE);
/** The list and label fields written by persist, besides the key (`id`, `user_id`), in table order. */
export const LIST_FIELDS = (Object.keys(LIST_TABLE) as (keyof ListState)[]).filter((k) => k !== 'id' && k !== 'user_id');
export const LABEL_FIELDS = (Object.keys(LABEL_TABLE) as (keyof LabelState)[]).filter((k) => k !== 'id' && k !== 'user_id');
/** SELECT list of a reminder row, as ReminderState. */
export const REMINDER_COLUMNS = select(REMINDER_TABLE);
/** `x(name type, …)` for json_to_recordset over reminder states (the offset read as text, cast when written). */
export const REMINDER_RECORD = REMINDER_FIELDS.map((f) => `${sqlName(f)} ${f === 'offset' ? 'text' : REMINDER_TABLE[f].type}`).join(', ');
/** A JSON array of the reminders of task `t` (alias of the tasks row), ordered as loadTask orders them. */
export const REMINDERS_JSON = `COALESCE((SELECT json_agg(json_build_object(${REMINDER_FIELDS.map((f) => `'${f}', r.${sqlName(f)}`).join(', ')}) ORDER BY r.created_at, r.id)
  FROM reminders r WHERE r.task_id = t.id), '[]'::json)`;

export const EVENT_COLUMNS = `event_id::text AS event_id, event_type, user_id, aggregate_type, aggregate_id, version, seq, "timestamp",
  correlation_id::text AS correlation_id, causation_id::text AS causation_id, data`;

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
