// Which timers a task needs, and which a turn touched. Pure: both runtimes (Dapr reminders, in-process
// timers) and the sweeper read timers from here, so they always agree on names and due times.
import type { EventEnvelope } from '../events.ts';
import type { TaskCommand } from './commands.ts';
import type { TaskState } from './state.ts';
import { parseDuration, minusOffset } from '../durations.ts';
import { dayOf, dayReminderAt } from './all-day.ts';

export interface Timer {
  /** `spawn` or `remind:<reminderId>` — the Dapr reminder name. */
  name: string;
  taskId: string;
  /** Whom it fires for: a reminder's owner (ReminderState.user_id), a series' home user. */
  userId: string;
  /** When it is due (epoch ms). */
  dueAt: number;
  command: Extract<TaskCommand, { type: 'spawn' | 'fire_reminder' }>;
}

export const SPAWN = 'spawn';
export const remindName = (reminderId: string): string => `remind:${reminderId}`;

/**
 * When an occurrence's instance must exist (epoch ms): at the occurrence (UTC ISO) itself, or earlier for
 * the series' live template reminders, each at its own time for that occurrence — relative (`offset`
 * before it) or, for an all-day series, `at_time` on the occurrence's local day in `zone`, `days_before`
 * it — but never before `since` (reminderSince): a reminder is due only from the moment it stands for
 * this series as it is, so one reaching back further than a new (or newly set) series' first occurrences
 * neither spawns them late nor makes them missed (actors/task/decide.ts spawn).
 */
export function spawnNeededAt(
  series: Pick<TaskState, 'reminders' | 'updated_at'>,
  occurrence: string,
  zone: string,
): number {
  let at = Date.parse(occurrence);
  for (const r of series.reminders) {
    if (r.cancelled) continue;
    const own = templateAt(r, occurrence, zone);
    if (own !== null) at = Math.min(at, Math.max(own, reminderSince(series, r)));
  }
  return at;
}

/**
 * Since when template `r` of `series` can have been due (epoch ms): the later of its setting (`created_at`)
 * and the series' last event (`updated_at`). Every change of a series (its start, rule or zone; a task
 * made a series; a template set or brought back) is an event, so a reminder time before it was never due
 * for the series as it now is; after downtime the series' last event is older than the reminder times it
 * missed, which are still due (late). One gap is left: an edit of the series committing within the spawn
 * timer's lateness after a reminder time (milliseconds) makes that reminder never due.
 */
export function reminderSince(
  series: Pick<TaskState, 'updated_at'>,
  r: Pick<TaskState['reminders'][number], 'created_at'>,
): number {
  return Math.max(Date.parse(r.created_at), Date.parse(series.updated_at));
}

/**
 * When template reminder `r` fires for an occurrence (UTC ISO) of its series in `zone` (epoch ms): `offset`
 * before it, or `at_time` on its local day `days_before` it; null for a reminder that is not a template.
 */
export function templateAt(
  r: Pick<TaskState['reminders'][number], 'offset' | 'at_time' | 'days_before'>,
  occurrence: string,
  zone: string,
): number | null {
  if (r.offset !== null) return Date.parse(minusOffset(occurrence, parseDuration('offset', r.offset), zone));
  if (r.at_time !== null)
    return Date.parse(dayReminderAt('offset', dayOf(occurrence, zone), r.days_before ?? 0, r.at_time, zone));
  return null;
}

/**
 * When a series spawns its next occurrence (epoch ms): when that occurrence's instance must exist
 * (spawnNeededAt), and no later than the occurrence it spawned last (so, once a series has spawned, its
 * next instance is always there ahead of its due time: it appears when the one before it comes due).
 * Null when nothing is scheduled.
 */
export function spawnDueAt(
  task: Pick<TaskState, 'next_occurrence' | 'timezone' | 'reminders' | 'last_spawned_at' | 'updated_at'>,
  userZone: string,
): number | null {
  if (!task.next_occurrence) return null;
  const own = spawnNeededAt(task, task.next_occurrence, task.timezone ?? userZone);
  return task.last_spawned_at === null ? own : Math.min(own, Date.parse(task.last_spawned_at));
}

/** Every timer the task needs armed now. */
export function timersOf(task: TaskState, userZone: string): Timer[] {
  if (task.deleted_at !== null) return [];
  const timers: Timer[] = [];
  if (task.is_recurring) {
    const dueAt = spawnDueAt(task, userZone);
    if (dueAt !== null)
      timers.push({ name: SPAWN, taskId: task.id, userId: task.user_id, dueAt, command: { type: 'spawn' } });
  } else if (!task.completed) {
    for (const r of task.reminders) {
      if (r.cancelled || r.notified || r.remind_at === null) continue;
      // The reminder's owner (reminders are per member, issue 17): whom its fire is for.
      timers.push({
        name: remindName(r.id),
        taskId: task.id,
        userId: r.user_id,
        dueAt: Date.parse(r.remind_at),
        command: { type: 'fire_reminder', reminder_id: r.id },
      });
    }
  }
  return timers;
}

/** Timer names whose arming a turn's events may have changed, per task. */
export function touchedTimers(events: readonly EventEnvelope[], tasks: readonly TaskState[]): Map<string, Set<string>> {
  const recurring = new Set(tasks.filter((t) => t.is_recurring || t.recurrence_rule !== null).map((t) => t.id));
  const touched = new Map<string, Set<string>>();
  const touch = (taskId: string, name: string) => {
    const set = touched.get(taskId) ?? new Set<string>();
    set.add(name);
    touched.set(taskId, set);
  };
  for (const e of events) {
    if (e.aggregate_type !== 'task') continue;
    const d = e.data;
    if (e.event_type === 'reminder.scheduled') touch(e.aggregate_id, remindName((d.reminder as { id: string }).id));
    else if (e.event_type.startsWith('reminder.')) touch(e.aggregate_id, remindName(d.reminder_id as string));
    // Anything on a series may move its spawn (rule, start, zone, reminder offsets); a delete or an
    // edit that ends the series cancels it. Other edits of a plain task touch no timer (in the Dapr
    // runtime each touched timer is a call to the sidecar).
    const endsSeries =
      e.event_type === 'task.updated' &&
      typeof d.changes === 'object' &&
      d.changes !== null &&
      'recurrence_rule' in d.changes;
    if (recurring.has(e.aggregate_id) || e.event_type === 'task.deleted' || endsSeries) touch(e.aggregate_id, SPAWN);
  }
  return touched;
}

export interface TimerChange {
  arm: Timer[];
  cancel: { taskId: string; name: string }[];
}

/** What to arm and cancel after a turn. */
export function timerChanges(
  events: readonly EventEnvelope[],
  tasks: readonly TaskState[],
  userZone: string,
): TimerChange {
  const touched = touchedTimers(events, tasks);
  const change: TimerChange = { arm: [], cancel: [] };
  for (const task of tasks) {
    const names = touched.get(task.id);
    if (!names) continue;
    const wanted = new Map(timersOf(task, userZone).map((t) => [t.name, t]));
    for (const name of names) {
      const timer = wanted.get(name);
      if (timer) change.arm.push(timer);
      else change.cancel.push({ taskId: task.id, name });
    }
  }
  return change;
}
