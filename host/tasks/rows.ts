// Row ↔ state mapping, from ONE definition of the columns of each table: tasks and reminders hold exactly
// the fields of TaskState (without `reminders`) and ReminderState, lists and labels those of ListState
// and LabelState, events those of the envelope (EventEnvelope), users those of UserState. The column
// lists the stores and readers use (SELECT lists, INSERT and json_to_recordset lists, JSON objects) are
// made from these tables, so a state written and read back is identical. A field missing here (or one
// too many) is a type error.
import type { TaskState, ReminderState } from '../../actors/task/index.ts';
import type { ListState } from '../../actors/list/index.ts';
import type { LabelState } from '../../actors/label/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import type { UserState } from '../../actors/user/decider.ts';

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
  due_day: { type: 'text' },
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
  recurrence_mode: { type: 'text' },
  spawn_count: { type: 'integer' },
  assignee: { type: 'text' },
  version: { type: 'integer' },
  shared_version: { type: 'integer' },
  created_at: { type: 'timestamptz' },
  updated_at: { type: 'timestamptz' },
  deleted_at: { type: 'timestamptz' },
} as const satisfies { [K in keyof TaskRow]-?: Column };

/** An instant as the adapters give a timestamptz (host/db/types.ts), for instants read through JSON. */
const isoOf = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The members of the list of a `FROM lists` row (unaliased), as ListState.members: each list_members row
 * (migration 013) in (created_at, user_id) order, instants as UTC ISO text; `[]` for a list never shared.
 */
const LIST_MEMBERS_JSON = `COALESCE((SELECT json_agg(json_build_object('user_id', m.user_id, 'role', m.role, 'state', m.state,
  'invited_by', m.invited_by, 'created_at', ${isoOf('m.created_at')}, 'updated_at', ${isoOf('m.updated_at')})
  ORDER BY m.created_at, m.user_id COLLATE "C") FROM list_members m WHERE m.list_id = lists.id), '[]'::json)`;

/** The lists table (migrations 007, 013), in column order, and the list's members. */
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
  shared: { type: 'boolean' },
  /** Not a column: the list's list_members rows as MemberState[] (read only; LIST_FIELDS leaves it out). */
  members: { type: 'json', read: LIST_MEMBERS_JSON },
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
  at_time: { type: 'text' },
  days_before: { type: 'smallint' },
  notified: { type: 'boolean' },
  cancelled: { type: 'boolean' },
  cancel_reason: { type: 'text' },
  created_at: { type: 'timestamptz' },
  unacknowledged: { type: 'boolean' },
  snoozed: { type: 'boolean' },
  version: { type: 'integer' },
} as const satisfies { [K in keyof ReminderState]-?: Column };

/** The events table's columns that make the envelope, in the envelope's key order (actors/events.ts). */
export const EVENT_TABLE = {
  event_id: { type: 'uuid', read: 'event_id::text' },
  event_type: { type: 'text' },
  user_id: { type: 'text' },
  aggregate_type: { type: 'text' },
  aggregate_id: { type: 'text' },
  version: { type: 'integer' },
  seq: { type: 'bigint' },
  timestamp: { type: 'timestamptz' },
  correlation_id: { type: 'uuid', read: 'correlation_id::text' },
  causation_id: { type: 'uuid', read: 'causation_id::text' },
  data: { type: 'jsonb' },
} as const satisfies { [K in keyof EventEnvelope]-?: Column };

/** The users table's columns that make the user aggregate. */
export const USER_TABLE = {
  id: { type: 'text' },
  timezone: { type: 'text' },
  last_seq: { type: 'bigint' },
  version: { type: 'integer' },
  timezone_chosen: { type: 'boolean' },
} as const satisfies { [K in keyof UserState]-?: Column };

// Every field of the state is a column, and no more: `satisfies` above checks the first half, this the second.
type Exact<T, S> = Exclude<keyof T, keyof S> extends never ? true : never;
const tasksExact: Exact<typeof TASK_TABLE, TaskRow> = true;
const remindersExact: Exact<typeof REMINDER_TABLE, ReminderState> = true;
const listsExact: Exact<typeof LIST_TABLE, ListState> = true;
const labelsExact: Exact<typeof LABEL_TABLE, LabelState> = true;
const eventsExact: Exact<typeof EVENT_TABLE, EventEnvelope> = true;
const usersExact: Exact<typeof USER_TABLE, UserState> = true;
void tasksExact;
void remindersExact;
void listsExact;
void labelsExact;
void eventsExact;
void usersExact;

type Table = Record<string, Column>;
/** A column's name as SQL spells it ("offset" is a keyword). */
export const sqlName = (name: string): string => (name === 'offset' || name === 'timestamp' ? `"${name}"` : name);
const select = (table: Table, alias = ''): string =>
  Object.entries(table)
    .map(
      ([name, c]) => `${c.read === undefined ? `${alias}${sqlName(name)}` : `${alias}${c.read}`} AS ${sqlName(name)}`,
    )
    .join(', ');

/** The task fields written by persist, besides the key (`id`, `user_id`), in table order. */
export const TASK_FIELDS = (Object.keys(TASK_TABLE) as (keyof TaskRow)[]).filter((k) => k !== 'id' && k !== 'user_id');
/** The reminder fields, in table order. */
export const REMINDER_FIELDS = Object.keys(REMINDER_TABLE) as (keyof ReminderState)[];

/** SELECT list of a task row, as TaskRow (uuids as text). */
export const TASK_COLUMNS = select(TASK_TABLE);
/** TASK_COLUMNS with every column qualified by `alias` (for a query that joins tasks). */
export const taskColumnsOf = (alias: string): string => select(TASK_TABLE, `${alias}.`);
/** SELECT lists of a list row and a label row, as ListState and LabelState (a list's only from an unaliased `FROM lists`: its members are read by a subquery on `lists.id`). */
export const LIST_COLUMNS = select(LIST_TABLE);
export const LABEL_COLUMNS = select(LABEL_TABLE);
/** The list and label fields written by persist, besides the key (`id`, `user_id`) and a list's `members`, in table order. */
export const LIST_FIELDS = (Object.keys(LIST_TABLE) as (keyof ListState)[]).filter(
  (k) => k !== 'id' && k !== 'user_id' && k !== 'members',
);
export const LABEL_FIELDS = (Object.keys(LABEL_TABLE) as (keyof LabelState)[]).filter(
  (k) => k !== 'id' && k !== 'user_id',
);
/** SELECT list of a reminder row, as ReminderState. */
export const REMINDER_COLUMNS = select(REMINDER_TABLE);
/** REMINDER_COLUMNS with every column qualified by `alias` (for a query that joins reminders). */
export const reminderColumnsOf = (alias: string): string => select(REMINDER_TABLE, `${alias}.`);
/** `x(name type, …)` for json_to_recordset over reminder states (the offset read as text, cast when written). */
export const REMINDER_RECORD = REMINDER_FIELDS.map(
  (f) => `${sqlName(f)} ${f === 'offset' ? 'text' : REMINDER_TABLE[f].type}`,
).join(', ');
/** A JSON array of the reminders of task `t` (alias of the tasks row), ordered as loadTask orders them. */
export const REMINDERS_JSON = `COALESCE((SELECT json_agg(json_build_object(${REMINDER_FIELDS.map((f) => `'${f}', r.${sqlName(f)}`).join(', ')}) ORDER BY r.created_at, r.id)
  FROM reminders r WHERE r.task_id = t.id), '[]'::json)`;

/** The envelope's fields, in its key order. */
export const EVENT_FIELDS = Object.keys(EVENT_TABLE) as (keyof EventEnvelope)[];
/** SELECT list of an event row, as EventEnvelope. */
export const EVENT_COLUMNS = select(EVENT_TABLE);
/**
 * The event fields a decision writes from its JSON rows: all but `user_id` and `seq`, which the writing
 * statement supplies (the user, and the seq from the user's row).
 */
export const EVENT_WRITTEN = EVENT_FIELDS.filter((f) => f !== 'user_id' && f !== 'seq');
/** `name type, …` of EVENT_WRITTEN, for json_to_recordset. */
export const EVENT_RECORD = EVENT_WRITTEN.map((f) => `${sqlName(f)} ${EVENT_TABLE[f].type}`).join(', ');
/** SELECT list of the user aggregate, as UserState. */
export const USER_COLUMNS = select(USER_TABLE);

export function toTask(row: TaskRow, reminders: ReminderState[]): TaskState {
  return { ...row, reminders };
}

/** Events as stored, in the envelope's key order. */
export function toEnvelope(row: EventEnvelope): EventEnvelope {
  return Object.fromEntries(EVENT_FIELDS.map((f) => [f, row[f]])) as unknown as EventEnvelope;
}

// Who may see a task (issue 17, shared lists): access is decided by the task's list through the
// list_access view (migration 013), never by tasks.user_id, which is only the task's home (its creator).

/**
 * The by-id rule, a condition on the tasks row aliased `t`: user `n` (a parameter such as `$2`) owns
 * `t`'s list or is an active editor of it (list_access). Two primary-key probes per row.
 */
export const accessibleTo = (t: string, n: string): string =>
  `EXISTS (SELECT 1 FROM list_access a WHERE a.list_id = ${t}.list_id AND a.user_id = ${n})`;

/**
 * The by-id rule for a task's commands and history (`accessibleTo`), and besides for its creator their own
 * deleted task in a list deleted since: no one has access to a deleted list, yet the undo of their delete
 * brings the task back into their Inbox (actors/task/undo.ts restore). Without it that undo was a 404.
 */
export const accessibleOrOwnGone = (t: string, n: string): string =>
  `(${accessibleTo(t, n)} OR (${t}.user_id = ${n} AND ${t}.deleted_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM lists gone WHERE gone.id = ${t}.list_id AND gone.deleted_at IS NOT NULL)))`;

/**
 * `select`, run once per shared list user `n` has access to, and the union of its rows: `select` reads
 * the list's rows through `s.list_id`. The shared lists are every list `n` is an active member of (the
 * owner of a shared list has a role 'owner' row, written with its first share) that list_access still
 * grants them, read through list_members_of_user: for a user who shares nothing one index probe, and
 * `select` never runs. A LATERAL join, so each list is read through its own index whatever the planner
 * estimates (`list_id = ANY(…)` or a semi-join let it read every user's tasks).
 */
export const viaSharedLists = (n: string, select: string): string =>
  `SELECT x.* FROM (SELECT m.list_id FROM list_members m WHERE m.user_id = ${n} AND m.state = 'active'
    AND EXISTS (SELECT 1 FROM list_access a WHERE a.list_id = m.list_id AND a.user_id = ${n})) s
  CROSS JOIN LATERAL (${select}) x`;

/**
 * The listing rule `visibleTo`, as its two disjoint branches on the tasks row aliased `t`, for user `n`:
 * `home` — `n`'s own tasks (t.user_id = n, so today's tasks_by_* index scans keep their order) in a list
 * `n` has access to; `shared` — other users' tasks in one shared list `n` has access to, `s.list_id`,
 * for a SELECT inside `viaSharedLists`. A listing query runs one SELECT per branch and a UNION ALL of
 * the two: an OR of them would lose the index-ordered plans (test/integration/sharing-read.test.ts
 * EXPLAINs it, with and without shared lists).
 */
export const visibleBranches = (t: string, n: string): { home: string; shared: string } => ({
  // `IS TRUE` keeps the planner from making the EXISTS a semi-join (which would read all of the user's
  // tasks and sort them): as a filter on the index scan it costs two primary-key probes per row read.
  home: `${t}.user_id = ${n} AND (${accessibleTo(t, n)}) IS TRUE`,
  shared: `${t}.list_id = s.list_id AND ${t}.user_id <> ${n}`,
});

/**
 * A FROM item `(…) alias` holding every tasks row user `n` may see (deleted ones too: the caller filters),
 * with all of the tasks table's columns: the UNION ALL of the two branches of `visibleBranches`.
 */
export const visibleTasks = (n: string, alias: string): string => {
  const { home, shared } = visibleBranches('v', n);
  return `(SELECT v.* FROM tasks v WHERE ${home} UNION ALL ${viaSharedLists(n, `SELECT v.* FROM tasks v WHERE ${shared}`)}) ${alias}`;
};

/** The live shared lists of others that user `n` is an active editor of, each as `select` over `lists` reads it (for viaSharedLists). */
export const sharedListsWhere = (n: string): string =>
  `lists.id = s.list_id AND lists.user_id <> ${n} AND lists.deleted_at IS NULL`;

/**
 * SELECT list of an envelope from `events e`, its `user_id` and `seq` given by the SQL expressions of
 * `stream` (the stream the envelope is read in), every other column as EVENT_COLUMNS reads it.
 */
export const eventColumnsIn = (stream: { user_id: string; seq: string }): string =>
  (Object.entries(EVENT_TABLE) as [string, Column][])
    .map(([name, c]) =>
      name === 'user_id' || name === 'seq'
        ? `${stream[name]} AS ${name}`
        : `${c.read === undefined ? `e.${sqlName(name)}` : `e.${c.read}`} AS ${sqlName(name)}`,
    )
    .join(', ');

/**
 * SELECT list of an envelope from `events e JOIN event_deliveries d`: the event's row as EVENT_COLUMNS
 * reads it, but in the recipient's stream (`user_id` and `seq` of the delivery row `d`).
 */
export const DELIVERED_EVENT_COLUMNS = eventColumnsIn({ user_id: 'd.user_id', seq: 'd.seq' });
