// A task as the dashboard holds it — as GET /tasks/{id} returns it (api/present.ts) — and how one of
// its events changes it. Pure, no DOM: test/unit/task-evolve-golden.test.ts folds the same event
// sequences through this and through the server's actors/task/evolve.ts and requires presentTask()
// of the server's state at every step.
import { inboxIdOf } from './inbox-id.js';

/** The reminder's status as api/present.ts derives it. */
export function reminderStatus(r) {
  if (r.cancelled) return 'cancelled';
  if (r.remind_at === null) return 'template';
  return r.notified ? 'notified' : 'pending';
}

const withStatus = (r) => ({ ...r, status: reminderStatus(r) });

/** The order of a task's reminders (and of the task list): created_at, then id. */
export function byCreated(a, b) {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Fields the server keeps for itself (api/present.ts leaves them out of every response). */
const INTERNAL = new Set(['last_spawned_at', 'dtstart_local', 'spawn_count']);

function withoutInternal(task) {
  const out = {};
  for (const [key, value] of Object.entries(task)) if (!INTERNAL.has(key)) out[key] = value;
  return out;
}

function setChanges(task, changes) {
  const out = { ...task };
  for (const [field, change] of Object.entries(changes ?? {})) if (!INTERNAL.has(field)) out[field] = change.to;
  out.all_day = out.due_day !== null && out.due_day !== undefined;
  return out;
}

/**
 * A task and one of its events (the envelope GET /events and the socket deliver) → the task after it,
 * or null once it is deleted. `task` is null only for `task.created`. Events of other aggregates leave
 * the task as it is.
 */
export function evolve(task, event) {
  if (event.aggregate_type !== undefined && event.aggregate_type !== 'task') return task;
  const d = event.data ?? {};
  if (event.event_type === 'task.created') {
    // Events from before lists, priority and labels lack them: no priority, no labels, the user's Inbox.
    return withoutInternal({
      ...d.task,
      list_id: d.task?.list_id ?? inboxIdOf(d.task?.user_id ?? event.user_id),
      priority: d.task?.priority ?? 4,
      labels: d.task?.labels ?? [],
      completed_at: d.task?.completed_at ?? null,
      // All-day tasks (issue 16): the date, and the flag api/present.ts derives from it.
      due_day: d.task?.due_day ?? null,
      all_day: (d.task?.due_day ?? null) !== null,
      // Before series had a mode (migration 010) every series followed its calendar.
      recurrence_mode: d.task?.recurrence_mode ?? 'calendar',
      // Before shared lists (issue 17) nobody was assigned.
      assignee: d.task?.assignee ?? null,
      version: event.version,
      updated_at: event.timestamp,
      reminders: [],
    });
  }
  if (!task && event.event_type !== 'task.restored') return null;
  const next = { ...task, version: event.version, updated_at: event.timestamp };
  const withReminder = (id, f) => ({
    ...next,
    reminders: next.reminders.map((r) => (r.id === id ? withStatus(f(r)) : r)),
  });
  switch (event.event_type) {
    case 'task.updated':
    case 'task.due_date_changed':
    case 'recurring.rescheduled':
      return setChanges(next, d.changes);
    // Completions from before completed_at was kept: the event's time (as the server's evolve reads them).
    case 'task.completed':
      return { ...next, completed: true, completed_at: d.changes?.completed_at?.to ?? event.timestamp };
    case 'task.uncompleted':
      return { ...next, completed: false, completed_at: null };
    case 'task.deleted':
      return null;
    // An undone delete: the event carries the task as restored (the page dropped it at the delete).
    case 'task.restored':
      return withoutInternal({
        ...d.task,
        due_day: d.task?.due_day ?? null,
        all_day: (d.task?.due_day ?? null) !== null,
        version: event.version,
        updated_at: event.timestamp,
        reminders: (d.task?.reminders ?? []).map((r) => withStatus({ ...r, snoozed: r.snoozed === true })),
      });
    case 'recurring.spawned':
      return { ...next, next_occurrence: d.next_occurrence?.to ?? null };
    case 'reminder.scheduled': {
      // Events written before reminders carried a cancel reason have none: it reads as null; before
      // acknowledgement existed, no `unacknowledged`: false (as the server's evolve reads them).
      const reminder = withStatus({
        ...d.reminder,
        cancel_reason: d.reminder?.cancel_reason ?? null,
        at_time: d.reminder?.at_time ?? null,
        days_before: d.reminder?.days_before ?? null,
        unacknowledged: d.reminder?.notified === true && d.reminder?.unacknowledged === true,
        snoozed: false, // at its rule's time again (the server's evolve)
      });
      return { ...next, reminders: [...next.reminders.filter((r) => r.id !== reminder.id), reminder].sort(byCreated) };
    }
    case 'reminder.cancelled':
      return withReminder(d.reminder_id, (r) => ({
        ...r,
        cancelled: true,
        snoozed: false,
        cancel_reason: typeof d.reason === 'string' ? d.reason : null,
        unacknowledged: false,
      }));
    case 'reminder.triggered':
      return withReminder(d.reminder_id, (r) => ({
        ...r,
        notified: true,
        unacknowledged: d.unacknowledged === true,
        snoozed: false,
      }));
    case 'reminder.acknowledged':
      return withReminder(d.reminder_id, (r) => ({ ...r, unacknowledged: false }));
    case 'reminder.snoozed':
      return withReminder(d.reminder_id, (r) => ({
        ...r,
        notified: false,
        unacknowledged: false,
        snoozed: true,
        remind_at: d.remind_at?.to ?? r.remind_at,
      }));
    default:
      return next;
  }
}
