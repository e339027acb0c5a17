// A task as the deciders see it: exactly the columns of its `tasks` row plus its `reminders` rows.
// Instants are UTC ISO strings with millisecond precision, as PostgreSQL returns them to us.
export interface ReminderState {
  id: string;
  task_id: string;
  /** The member who set it (reminders are per member, issue 17): only they see it, act on it and are notified. */
  user_id: string;
  /** Relative reminders: canonical ISO duration before the due date (e.g. "PT1H", "P1D"); null for absolute ones. */
  offset: string | null;
  /** When it fires; null for a series' template reminder (its instances get the instants). */
  remind_at: string | null;
  /** All-day reminders: wall-clock `HH:MM` in the task's zone, `days_before` its day (0: on the day); both null for the other kinds (actors/task/all-day.ts). */
  at_time: string | null;
  days_before: number | null;
  notified: boolean;
  cancelled: boolean;
  /**
   * Why it was cancelled (`task_completed`, `removed`, `passed`, …); an uncomplete re-arms the `task_completed`
   * ones. On a shared list (issue 17): `assigned` (the task was assigned to another member; unassigning re-arms
   * it), `member_left` and `member_removed` (its owner left the list, or was removed from it); `reaches_too_far` (another member's edit
   * of the series' rule or start left this template reaching back over more than MAX_REMINDER_REACH occurrences).
   */
  cancel_reason: string | null;
  created_at: string;
  /**
   * Fired and not yet acknowledged on any device (nor snoozed, nor removed): it waits for the user
   * (GET /reminders?state=unacknowledged). False for reminders fired before acknowledgement existed.
   */
  unacknowledged: boolean;
  /**
   * Pending at a time the user snoozed it to (`reminder.snoozed`), not the one its offset or time of day
   * gives: the dashboard says "Snoozed to …" rather than "10 min before — 4:54 PM". False again once it
   * fires, is cancelled, or is scheduled anew (a new due date, an undo: its time by its rule). Set by evolve.
   */
  snoozed: boolean;
  /**
   * The task's version at this reminder's last event (reminder.*): the newest change only its owner
   * sees (reminder events reach their owner alone, actors/list/audience.ts). Set by evolve from the event.
   */
  version: number;
}

/**
 * A reminder as a `reminder.scheduled` event carries it: its version is the event's own and it is not
 * snoozed (evolve sets both).
 */
export type ReminderSnapshot = Omit<ReminderState, 'version' | 'snoozed'>;

/** `r` as an event carries it (ReminderSnapshot). */
export function snapshotOf(r: ReminderSnapshot | ReminderState): ReminderSnapshot {
  if (!('version' in r)) return r;
  const { version: _version, snoozed: _snoozed, ...snapshot } = r;
  return snapshot;
}

export interface TaskState {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  due_date: string | null;
  /**
   * An all-day task's date, `YYYY-MM-DD`, floating in the task's zone; null for a timed task. `due_date` is
   * then the first instant of that local day in the task's zone (actors/task/all-day.ts).
   */
  due_day: string | null;
  recurrence_rule: string | null;
  timezone: string | null;
  is_recurring: boolean;
  next_occurrence: string | null;
  /**
   * A series' first wall-clock start as written, `YYYY-MM-DDTHH:MM:SS` in the series' zone (the task's, or
   * the user's); null for a task that is not a series, and for a series written before this was kept
   * (its start is then read from `due_date`). `due_date` is that start as an instant: when the start lies
   * in a DST gap on its first day, `due_date` moves forward by the gap, while every later occurrence keeps
   * this wall-clock time (DESIGN.md, "a series keeps its wall-clock start as written").
   */
  dtstart_local: string | null;
  /** The occurrence this series spawned last, so an edit never spawns the same occurrence twice. */
  last_spawned_at: string | null;
  series_id: string | null;
  occurrence_at: string | null;
  /** The list the task is in (every task is in one; the user's Inbox by default: actors/list inboxIdOf). */
  list_id: string;
  /** 1 (highest) to 4 (none, the default). */
  priority: number;
  /**
   * The member the task is assigned to (tasks.assignee, migration 013), or null: a user with access to the
   * task's list (list_access; on a private list only its owner). While it is set, only the assignee's
   * reminders are live: the other members' are cancelled (`assigned`) and re-armed when it is cleared.
   */
  assignee: string | null;
  /** Ids of the user's labels on it: distinct, sorted, at most MAX_TASK_LABELS. */
  labels: string[];
  /** When it was completed last; null while open. */
  completed_at: string | null;
  /**
   * How a series finds its next occurrence: `calendar` (the rule's calendar from the series start, the
   * default) or `after_completion` (from the moment the previous instance was completed:
   * actors/task/after-completion.ts). Always `calendar` on a task that is not a series.
   */
  recurrence_mode: RecurrenceMode;
  /** How many instances this series has spawned (0 for a task that is not a series); COUNT of an after-completion series counts these. */
  spawn_count: number;
  version: number;
  /**
   * The version of the task's last event every member of its list receives: every event but a reminder's
   * own (reminder.*), which reaches the reminder's owner alone. If-Match is judged against what the caller
   * can see (`visibleVersion`), so a member's private reminder never fails another member's edit.
   */
  shared_version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  reminders: ReminderState[];
}

/** The values of `recurrence_mode`; the first is the default. */
export const RECURRENCE_MODES = ['calendar', 'after_completion'] as const;
export type RecurrenceMode = (typeof RECURRENCE_MODES)[number];

/** Fields a PATCH may change. */
export const EDITABLE = [
  'title',
  'description',
  'due_date',
  'recurrence_rule',
  'timezone',
  'list_id',
  'priority',
  'labels',
  'recurrence_mode',
  'assignee',
] as const;
export type EditableField = (typeof EDITABLE)[number];

/**
 * The version of the newest change of `task` that `viewer` can see: its last shared event, or the last
 * event of one of the viewer's own reminders, whichever is later. Every version from this one to
 * `task.version` names the task as the viewer knows it.
 */
export function visibleVersion(task: Pick<TaskState, 'shared_version' | 'reminders'>, viewer: string): number {
  let out = task.shared_version;
  for (const r of task.reminders) if (r.user_id === viewer && r.version > out) out = r.version;
  return out;
}

/**
 * Whether If-Match's `expected` version still names `task` as `viewer` knows it (RFC 9110 §13.1.1, read
 * per member): no change the viewer can see was made after it. Changes only others see (another member's
 * reminders) do not count, so they never fail the viewer's conditional request.
 */
export function matchesVersion(
  task: Pick<TaskState, 'version' | 'shared_version' | 'reminders'>,
  expected: number,
  viewer: string,
): boolean {
  return expected <= task.version && expected >= visibleVersion(task, viewer);
}

/** Before `task.created` there is no task. */
export function initialState(): TaskState | null {
  return null;
}

export const MAX_REMINDERS = 20;
export const MAX_TITLE = 500;
export const MAX_DESCRIPTION = 10_000;
export const MAX_TASK_LABELS = 20;
/** Priority MIN_PRIORITY (highest) to MAX_PRIORITY; MAX_PRIORITY means none and is the default. */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 4;
export const DEFAULT_PRIORITY = MAX_PRIORITY;
/** How many skipped occurrences a `recurring.spawned` event lists by instant (the count is always exact). */
export const MAX_LISTED_SKIPS = 50;
