// evolve(state, event): the only way a task's state changes. Folding a task's events from
// initialState() rebuilds its row exactly — the audit log is verified that way.
import type { EventEnvelope, Change } from '../events.ts';
import type { TaskState, ReminderState, ReminderSnapshot } from './state.ts';
import { DEFAULT_PRIORITY } from './state.ts';
import { inboxIdOf } from '../list/index.ts';

type TaskSnapshot = Omit<TaskState, 'version' | 'shared_version' | 'updated_at' | 'reminders'>;
/** Fields a `task.created` written before they existed lacks; they read as the migration that added them filled them in (007). */
type Later =
  | 'dtstart_local'
  | 'list_id'
  | 'priority'
  | 'labels'
  | 'completed_at'
  | 'due_day'
  | 'recurrence_mode'
  | 'spawn_count'
  | 'assignee';

export function evolve(state: TaskState | null, event: EventEnvelope): TaskState | null {
  if (event.aggregate_type !== 'task') return state;
  const d = event.data;
  if (event.event_type === 'task.created') {
    // Events written before a series kept its wall-clock start have no dtstart_local: it reads as null;
    // before lists, priority and labels: the user's Inbox, no priority, no labels.
    const task = d.task as Omit<TaskSnapshot, Later> & Partial<Pick<TaskSnapshot, Later>>;
    return {
      ...task,
      dtstart_local: task.dtstart_local ?? null,
      list_id: task.list_id ?? inboxIdOf(task.user_id),
      priority: task.priority ?? DEFAULT_PRIORITY,
      labels: task.labels ?? [],
      completed_at: task.completed_at ?? null,
      // Before all-day dates (migration 008): a timed task.
      due_day: task.due_day ?? null,
      // Before series had a mode (migration 010): every series followed its calendar, none had spawned yet.
      recurrence_mode: task.recurrence_mode ?? 'calendar',
      spawn_count: task.spawn_count ?? 0,
      // Before shared lists (migration 013): nobody assigned.
      assignee: task.assignee ?? null,
      version: event.version,
      shared_version: event.version,
      updated_at: event.timestamp,
      reminders: [],
    };
  }
  if (!state) throw new Error(`${event.event_type} (${event.event_id}) applied to a task that does not exist`);
  // A reminder's event reaches its owner alone (actors/list/audience.ts): it moves that reminder's version,
  // every other event the version all members see.
  const next: TaskState = event.event_type.startsWith('reminder.')
    ? { ...state, version: event.version, updated_at: event.timestamp }
    : { ...state, version: event.version, shared_version: event.version, updated_at: event.timestamp };
  switch (event.event_type) {
    case 'task.updated':
    case 'task.due_date_changed':
    case 'recurring.rescheduled':
      return applyChanges(next, d.changes as Record<string, Change<unknown>>);
    case 'task.completed':
      // Completions written before completed_at was kept: the event's time (as migration 007 filled it in).
      return {
        ...next,
        completed: true,
        completed_at: (d.changes as { completed_at?: Change<string> } | undefined)?.completed_at?.to ?? event.timestamp,
      };
    case 'task.uncompleted':
      return { ...next, completed: false, completed_at: null };
    case 'task.deleted':
      return applyChanges(
        { ...next, deleted_at: d.deleted_at as string },
        (d.changes ?? {}) as Record<string, Change<unknown>>,
      );
    case 'task.restored':
      // An undone delete (actors/task/undo.ts): `deleted_at` back to null and what moved with it.
      return applyChanges(next, d.changes as Record<string, Change<unknown>>);
    case 'recurring.spawned':
      return {
        ...next,
        last_spawned_at: d.occurrence_at as string,
        next_occurrence: (d.next_occurrence as Change<string | null>).to,
        spawn_count: next.spawn_count + 1,
      };
    case 'reminder.scheduled': {
      // Events written before reminders carried a cancel reason have none: it reads as null. One written
      // before acknowledgement existed has no `unacknowledged`: false (migration 009's default).
      // Before all-day reminders (migration 008): no time of day.
      const given = d.reminder as ReminderSnapshot;
      const reminder: ReminderState = {
        ...given,
        version: event.version,
        cancel_reason: (d.reminder as Partial<ReminderState>).cancel_reason ?? null,
        at_time: (d.reminder as Partial<ReminderState>).at_time ?? null,
        days_before: (d.reminder as Partial<ReminderState>).days_before ?? null,
        unacknowledged: given.notified && given.unacknowledged === true,
        // Scheduled is at its rule's time: a snooze before it is over (a spread of a snoozed state says otherwise).
        snoozed: false,
      };
      const others = next.reminders.filter((r) => r.id !== reminder.id);
      return { ...next, reminders: [...others, reminder].sort(byCreated) };
    }
    case 'reminder.cancelled':
      return withReminder(next, event, (r) => ({
        ...r,
        cancelled: true,
        unacknowledged: false,
        snoozed: false,
        cancel_reason: typeof d.reason === 'string' ? d.reason : null,
      }));
    case 'reminder.triggered':
      // A fire written before acknowledgement existed has no `unacknowledged`: it reads as seen (migration 009).
      return withReminder(next, event, (r) => ({
        ...r,
        notified: true,
        unacknowledged: d.unacknowledged === true,
        snoozed: false,
      }));
    case 'reminder.acknowledged':
      return withReminder(next, event, (r) => ({ ...r, unacknowledged: false }));
    case 'reminder.snoozed':
      return withReminder(next, event, (r) => ({
        ...r,
        notified: false,
        unacknowledged: false,
        snoozed: true,
        remind_at: (d.remind_at as Change<string>).to,
      }));
    default:
      return next;
  }
}

function applyChanges(state: TaskState, changes: Record<string, Change<unknown>>): TaskState {
  const out: Record<string, unknown> = { ...state };
  for (const [field, change] of Object.entries(changes)) out[field] = change.to;
  return out as unknown as TaskState;
}

/** `state` with `f` applied to the reminder `event` names (data.reminder_id), stamped with the event's version. */
function withReminder(state: TaskState, event: EventEnvelope, f: (r: ReminderState) => ReminderState): TaskState {
  const id = event.data.reminder_id as string;
  return {
    ...state,
    reminders: state.reminders.map((r) => (r.id === id ? { ...f(r), version: event.version } : r)),
  };
}

function byCreated(a: ReminderState, b: ReminderState): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Folds events (already in version order) from nothing. */
export function fold(events: readonly EventEnvelope[], from: TaskState | null = null): TaskState | null {
  return events.reduce(evolve, from);
}
