// Undo: a change is taken back by compensating events appended after it, each naming the event it
// corrects in `data.corrects` (DESIGN.md, "Growing the model": "Undo appends compensating events that
// name the event they correct … history is never edited"). Pure: the host reads the task's events
// around the undone one (UndoEvents) and passes them in the decide context.
//
// What can be undone (any other event_id is a 400 naming `event_id`):
// - `task.completed`        → `task.uncompleted` + the reminders the completion cancelled, re-armed when
//                             still ahead (exactly as POST …/uncomplete does);
// - `task.deleted`          → `task.restored` (fields as they were; a list deleted since → the Inbox, labels
//                             deleted since are stripped, both named in its `changes`; a series restarts
//                             from its next occurrence after now, the ones missed meanwhile are not spawned)
//                             + the reminders the delete cancelled, re-armed when still ahead;
// - `task.updated` / `task.due_date_changed` of an edit (PATCH) → the edit's fields set back, through the
//                             same rules as a PATCH (reminders follow the due date, a series re-plans);
//                             naming either event of one edit undoes the whole edit;
// - `reminder.scheduled` that added a reminder → `reminder.cancelled` (reason `undone`);
// - `reminder.cancelled` with reason `removed` → `reminder.scheduled` (reason `undone`) when its time is ahead.
// Refusals (409, never a silent overwrite): already undone (names the correcting event); a later change
// to a field the edit set (names the field and the event); a later change of the same reminder; a later
// uncomplete / re-complete; the task deleted since (undo that first). An event of another task or user,
// or none: 404. A correction itself cannot be undone (400: make the change again). There is no time
// limit, but the change must be among the task's last MAX_UNDO_LATER events (409 otherwise).
import type { EventEnvelope, PendingEvent, Change } from '../events.ts';
import { DomainError, invalid, notFound, conflict } from '../errors.ts';
import { parseDuration, minusOffset } from '../durations.ts';
import { inboxIdOf } from '../list/index.ts';
import { type TaskState, type ReminderState, type EditableField, MAX_REMINDERS, snapshotOf } from './state.ts';
import type { UpdateTask } from './commands.ts';
import {
  ev,
  zoneOf,
  firstOccurrence,
  seriesAfter,
  update,
  uncomplete,
  accessTo,
  checkReach,
  reachesTooFar,
  onlyAssigneeReminds,
  mayComeBack,
  LEFT_NO_TIME,
  sameReminder,
  type DecideContext,
} from './decide.ts';
import { seriesStart } from './series.ts';
import { dayStart, dayReminderAt, dayOf } from './all-day.ts';
import { iso, ms } from './time.ts';

/** How many events before the undone one the host reads: the first events of its turn (an edit writes `task.updated` before `task.due_date_changed`). */
export const UNDO_READ_BEFORE = 2;
/** How many later events of the task an undo looks through; a change further back is refused (409). */
export const MAX_UNDO_LATER = 200;

/**
 * The task's events with versions from the undone event's minus UNDO_READ_BEFORE to its plus
 * MAX_UNDO_LATER, in version order, as the host read them (no event of another task or user; empty
 * when the event is not this task's).
 */
export interface UndoEvents {
  events: readonly EventEnvelope[];
}

/**
 * Every field a PATCH sets (state.ts EDITABLE), under its own change key; the type refuses a field left out,
 * so an edit of it is never undone as a silent no-op.
 */
const OWN_KEYS = {
  title: 'title',
  description: 'description',
  due_date: 'due_date',
  recurrence_rule: 'recurrence_rule',
  timezone: 'timezone',
  list_id: 'list_id',
  priority: 'priority',
  labels: 'labels',
  recurrence_mode: 'recurrence_mode',
  assignee: 'assignee',
} as const satisfies { [F in EditableField]: F };

/** A change key of an edit → the field a PATCH sets (derived keys count as the field they follow). */
const FIELD_OF: Record<string, EditableField> = {
  ...OWN_KEYS,
  dtstart_local: 'due_date',
  due_day: 'due_date',
  is_recurring: 'recurrence_rule',
};

const changesOf = (e: EventEnvelope): Record<string, Change<unknown>> =>
  (e.data.changes ?? {}) as Record<string, Change<unknown>>;

const describe = (e: EventEnvelope): string => `event ${e.event_id} (${e.event_type} at ${e.timestamp})`;

/**
 * decide() of `{type: 'undo', event_id}`. Errors: DomainError `not_found` (no task, or the event is not
 * this task's), `validation` on `event_id` (an event that cannot be undone), `conflict` (see above; and on
 * `event_id` when what the undo brings back fails a check of today's state, e.g. an assignee who left).
 */
export function undo(eventId: string, state: TaskState | null, ctx: DecideContext): PendingEvent[] {
  if (!ctx.undo) throw new Error('undo: the host passes the task events in the context (DecideContext.undo)');
  if (!state) throw notFound('task');
  // Events newer than the state read are not decided on (the write's version check catches a stale state).
  const events = ctx.undo.events.filter((e) => e.aggregate_id === state.id && e.version <= state.version);
  const at = events.findIndex((e) => e.event_id === eventId);
  const target = events[at];
  if (target === undefined) throw notFound('event');
  if ((events.at(-1)?.version ?? 0) < state.version)
    throw conflict(
      `the change is more than ${MAX_UNDO_LATER} events back in the task's history; it can no longer be undone`,
    );
  if (typeof target.data.corrects === 'string')
    throw invalid('event_id', 'names a correction (an undo) itself; make the change again instead');
  // The undone event's turn: the run of events around it written by the same request at the same instant.
  const sameTurn = (e: EventEnvelope | undefined): e is EventEnvelope =>
    e !== undefined && e.correlation_id === target.correlation_id && e.timestamp === target.timestamp;
  let first = at;
  while (first > 0 && sameTurn(events[first - 1])) first--;
  let end = at;
  while (sameTurn(events[end + 1])) end++;
  const turn = events.slice(first, end + 1);
  const later = events.slice(end + 1);
  const ids = new Set(turn.map((e) => e.event_id));
  const undone = later.find((e) => typeof e.data.corrects === 'string' && ids.has(e.data.corrects));
  if (undone) throw new DomainError('conflict', `already undone by ${describe(undone)}`, 'event_id');
  if (target.event_type !== 'task.deleted' && state.deleted_at !== null) {
    const deleted = later.find((e) => e.event_type === 'task.deleted');
    throw conflict(`the task was deleted since${deleted ? ` (${describe(deleted)})` : ''}; undo the delete first`);
  }
  let out: PendingEvent[];
  try {
    out = undoTurn(target, turn, later, state, ctx);
  } catch (error) {
    // What the undo would bring back fails a check of the state as it is now (an assignee who has left the
    // list since): the request itself, an event id, is well formed, so this is a 409 on it, not a 400 on a
    // field it never sent.
    if (
      error instanceof DomainError &&
      (error.code === 'validation' || error.code === 'unsupported') &&
      error.field !== 'event_id'
    )
      throw new DomainError('conflict', `cannot be undone now: ${error.message}`, 'event_id');
    throw error;
  }
  return out.map((p) => ({ ...p, data: { ...p.data, corrects: target.event_id } }));
}

/** The events that take back the undone event's turn, by the undone event's type (see `undo`). */
function undoTurn(
  target: EventEnvelope,
  turn: EventEnvelope[],
  later: EventEnvelope[],
  state: TaskState,
  ctx: DecideContext,
): PendingEvent[] {
  switch (target.event_type) {
    case 'task.completed':
      return [...undoComplete(later, state, ctx), ...takeBackSuccessor(target, state, ctx)];
    case 'task.deleted':
      return restore(turn, state, ctx);
    case 'task.updated':
    case 'task.due_date_changed':
      return undoEdit(target, turn, later, state, ctx);
    case 'reminder.scheduled':
      return undoAddedReminder(target, turn, later, state);
    case 'reminder.cancelled':
      return undoRemovedReminder(target, turn, later, state, ctx);
    default:
      throw invalid(
        'event_id',
        `a ${target.event_type} cannot be undone; undoable: task.completed, task.deleted, task.updated, task.due_date_changed, an added reminder (reminder.scheduled), a removed one (reminder.cancelled)`,
      );
  }
}

function undoComplete(later: EventEnvelope[], state: TaskState, ctx: DecideContext): PendingEvent[] {
  const since = later.findLast((e) => e.event_type === 'task.uncompleted' || e.event_type === 'task.completed');
  if (since)
    throw conflict(
      `the task was ${since.event_type === 'task.completed' ? 'completed again' : 'uncompleted'} since (${describe(since)}); there is nothing to undo`,
    );
  return uncomplete(state, ctx);
}

/**
 * An instance of an after-completion series completed spawned the series' next instance in the same
 * turn (./after-completion.ts). Undoing the completion takes that instance back while it is as spawned
 * (open, never changed, no event since its creation): it is deleted, its reminders cancelled, and the
 * series' bookkeeping (`last_spawned_at`, `spawn_count`) goes back, so completing the instance again
 * spawns once; the deleted one gives up its `occurrence_at` (null) for the instance spawned anew. A successor changed or completed since, or gone, makes the undo a 409 naming it: undoing
 * would leave two open instances of the series.
 */
function takeBackSuccessor(target: EventEnvelope, state: TaskState, ctx: DecideContext): PendingEvent[] {
  const series = ctx.series;
  if (series === undefined || state.series_id !== series.id || series.recurrence_mode !== 'after_completion') return [];
  if (series.deleted_at !== null || series.last_spawned_at === null || series.last_spawned_at === state.occurrence_at)
    return []; // nothing spawned after this instance
  const next = ctx.successor;
  if (next === undefined || next.occurrence_at !== series.last_spawned_at || next.created_at !== target.timestamp)
    throw new DomainError(
      'conflict',
      `the series has spawned its next instance (due ${series.last_spawned_at}) since this one, and it is gone or was not spawned by this completion; undoing the completion would leave two open instances`,
      'event_id',
    );
  if (next.completed || next.updated_at !== next.created_at)
    throw new DomainError(
      'conflict',
      `the completion spawned the next instance ${next.id} (due ${next.due_date}), which was ${next.completed ? 'completed' : 'changed'} since; undoing the completion would leave two open instances: delete or uncomplete that one instead`,
      'event_id',
    );
  return [
    // Its occurrence is free again (the series' UNIQUE (series_id, occurrence_at)): completing the
    // instance again on the same day spawns that occurrence anew.
    ev(next, 'task.deleted', {
      deleted_at: iso(ctx.now),
      changes: { occurrence_at: { from: next.occurrence_at, to: null } },
      reason: 'undone',
    }),
    ...next.reminders
      .filter((r) => !r.cancelled && !r.notified && r.remind_at !== null)
      .map((r) => ev(next, 'reminder.cancelled', { reminder_id: r.id, reason: 'task_deleted' })),
    ev(series, 'recurring.rescheduled', {
      changes: {
        last_spawned_at: { from: series.last_spawned_at, to: state.occurrence_at },
        spawn_count: { from: series.spawn_count, to: Math.max(0, series.spawn_count - 1) },
      },
      reason: 'undone',
    }),
  ];
}

/**
 * When a reminder the undone change cancelled fires if re-armed now (a relative one follows the current
 * due date; a day reminder, `at_time`, its wall-clock time on or before the current `due_day`); null when
 * that time has passed or there is none.
 */
function rearmAt(r: ReminderState, task: TaskState, ctx: DecideContext): string | null {
  const at =
    r.at_time !== null
      ? task.due_day === null
        ? null
        : dayReminderAt('due_date', task.due_day, r.days_before ?? 0, r.at_time, zoneOf(task, ctx))
      : r.offset === null
        ? r.remind_at
        : task.due_date === null
          ? null
          : minusOffset(task.due_date, parseDuration('offset', r.offset), zoneOf(task, ctx));
  return at !== null && ms(at) > ctx.now.getTime() ? at : null;
}

function restore(turn: EventEnvelope[], state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.deleted_at === null) throw conflict('the task is not deleted; there is nothing to undo');
  // An occurrence its series' new schedule replaced (actors/task/decide.ts update) is not brought back
  // beside the occurrences of that schedule: the edit of the series is what to undo.
  if (turn.some((e) => e.event_type === 'task.deleted' && e.data.reason === 'series_rescheduled'))
    throw new DomainError(
      'conflict',
      "event_id: this occurrence was replaced when its series' schedule was edited; undo that edit of the series instead",
      'event_id',
    );
  // A series occurs once a day at most: one of its live occurrences on this one's local day (its schedule
  // was edited since: the day came again, at this time or another) is not joined by a second.
  if (state.occurrence_at !== null && ctx.occurrencesNear) {
    const zone = zoneOf(state, ctx);
    const day = dayOf(state.occurrence_at, zone);
    const same = ctx.occurrencesNear.find((at) => dayOf(at, zone) === day);
    if (same)
      throw new DomainError(
        'conflict',
        `event_id: its series has an occurrence on ${day} again (at ${same}: its schedule was edited since); undoing this delete would make two that day`,
        'event_id',
      );
  }
  const changes: Record<string, Change<unknown>> = { deleted_at: { from: state.deleted_at, to: null } };
  const inbox = inboxIdOf(ctx.userId);
  const refs = ctx.refs;
  const after: TaskState = { ...state, deleted_at: null };
  // Gone is deleted, as the turn read the list (DecideContext.listDeleted); a list not read there counts as
  // gone when it is none of the creator's live ones. Not "the creator has no access to it": a creator who
  // left or was removed from a list that lives on lost the task with it, and the undo of its delete by a
  // member still there brings it back into that list, never into the creator's Inbox (which had handed
  // them the task with what the members wrote after they left).
  const gone =
    ctx.listDeleted !== undefined && ctx.membersOf?.(state.list_id) !== undefined
      ? ctx.listDeleted(state.list_id)
      : refs !== undefined && !refs.lists.has(state.list_id);
  if (state.list_id !== inbox && gone) {
    // Its list is gone: it comes back in its creator's Inbox (whoever undoes the delete), unless its creator
    // had left that list before it was deleted: they lost the task, and the edits made since, with the list
    // (host/users/turn.ts deletes such a task with its list), so it is not handed back to them.
    if (ctx.accessWhenDeleted?.(state.list_id, state.user_id) === false)
      throw new DomainError(
        'conflict',
        "event_id: this delete cannot be undone: the task's list was deleted after its creator had left it, and the task went with the list",
        'event_id',
      );
    after.list_id = inbox;
    changes.list_id = { from: state.list_id, to: inbox };
  }
  // An assignee is a user with access to the task's list (decide.ts checkAssignee): one removed while it was
  // deleted (a member's removal clears only live tasks), or a task back in its creator's Inbox, is unassigned.
  if (after.assignee !== null && !accessTo(after.list_id, ctx).includes(after.assignee)) {
    changes.assignee = { from: after.assignee, to: null };
    after.assignee = null;
  }
  if (refs) {
    const kept = state.labels.filter((l) => refs.labels.has(l));
    if (kept.length !== state.labels.length) {
      after.labels = kept;
      changes.labels = { from: state.labels, to: kept };
    }
  }
  // A deleted task is not moved by a zone change (host/users/turn.ts): restored, an all-day one starts its
  // date in the zone it follows now, as an uncomplete does (its series' start is a wall-clock date already).
  if (state.due_day !== null) {
    const due_date = dayStart('due_date', state.due_day, zoneOf(state, ctx));
    if (due_date !== state.due_date) {
      after.due_date = due_date;
      changes.due_date = { from: state.due_date, to: due_date };
    }
  }
  // An after-completion series deleted while it waited for its open instance's completion waits again (the
  // undo of its delete brings that instance back too: host/tasks/turn.ts followSeries); else two were open.
  const deleted = turn.find((e) => e.event_type === 'task.deleted');
  const waited =
    state.recurrence_mode === 'after_completion' &&
    state.last_spawned_at !== null &&
    (deleted?.data.changes as Record<string, unknown> | undefined)?.next_occurrence === undefined;
  if (state.is_recurring && state.recurrence_rule && state.due_date && !waited) {
    // The series restarts: its next occurrence after now (or after the last one it spawned).
    const next = firstOccurrence(
      state.recurrence_rule,
      seriesStart(state, zoneOf(state, ctx)),
      zoneOf(state, ctx),
      seriesAfter(state, zoneOf(state, ctx), ctx),
    );
    if (next !== state.next_occurrence) {
      after.next_occurrence = next;
      changes.next_occurrence = { from: state.next_occurrence, to: next };
    }
  }
  const cancelled = new Set(
    turn.filter((e) => e.event_type === 'reminder.cancelled').map((e) => e.data.reminder_id as string),
  );
  const rearmed: PendingEvent[] = [];
  for (const r of state.reminders) {
    // Also the reminders an assignment paused, when the restore unassigned the task.
    const paused = r.cancel_reason === 'assigned' && changes.assignee !== undefined;
    if (!r.cancelled || r.notified || !((cancelled.has(r.id) && r.cancel_reason === 'task_deleted') || paused))
      continue;
    // A member who has no access to the task's list any more gets nothing back (issue 17).
    if (!accessTo(after.list_id, ctx).includes(r.user_id)) continue;
    const at = rearmAt(r, after, ctx);
    if (at === null) continue;
    rearmed.push(
      ev(state, 'reminder.scheduled', {
        reminder: { ...r, remind_at: at, cancelled: false, cancel_reason: null },
        reason: r.cancel_reason === 'assigned' ? 'unassigned' : 'task_restored',
      }),
    );
  }
  // `task` is the task as restored (before the re-armed reminders that follow), for clients that no
  // longer hold it; the state itself changes by `changes` alone. On a list others have access to, every
  // member receives it, and reminders are per member (issue 17): it carries none (each member's re-armed
  // reminders follow as their own reminder.scheduled events).
  const { version: _v, shared_version: _s, updated_at: _u, ...restored } = after;
  // With one user left who has access, their own reminders only: a member removed since keeps theirs private.
  const access = accessTo(after.list_id, ctx);
  const task = {
    ...restored,
    reminders: access.length > 1 ? [] : restored.reminders.filter((r) => access.includes(r.user_id)).map(snapshotOf),
  };
  return [ev(state, 'task.restored', { changes, task }), ...rearmed];
}

function undoEdit(
  target: EventEnvelope,
  turn: EventEnvelope[],
  later: EventEnvelope[],
  state: TaskState,
  ctx: DecideContext,
): PendingEvent[] {
  if (target.data.reason !== undefined)
    throw invalid(
      'event_id',
      `names a change made by ${String(target.data.reason)}, not an edit; only an edit can be undone`,
    );
  const edits = turn.filter(
    (e) => (e.event_type === 'task.updated' || e.event_type === 'task.due_date_changed') && e.data.reason === undefined,
  );
  const data: Record<string, unknown> = {};
  const touched = new Set<EditableField>();
  let dayBefore: unknown;
  for (const e of edits) {
    for (const [key, change] of Object.entries(changesOf(e))) {
      const field = FIELD_OF[key];
      if (field === undefined) continue;
      touched.add(field);
      if (key === field) data[field] = change.from;
      if (key === 'due_day') dayBefore = change.from;
    }
  }
  // An all-day due date comes back as its date, so the task is all-day again (actors/task/all-day.ts).
  if (typeof dayBefore === 'string') data.due_date = dayBefore;
  // A later change undone since, and its undo, leave the field as this edit set it: they do not block.
  const turnKey = (e: EventEnvelope) => `${e.correlation_id} ${e.timestamp}`;
  const laterIds = new Set(later.map((e) => e.event_id));
  const correctedIds = new Set(later.map((e) => e.data.corrects).filter((c): c is string => laterIds.has(c as string)));
  const undoneTurns = new Set(later.filter((e) => correctedIds.has(e.event_id)).map(turnKey));
  for (const e of later) {
    if (
      e.event_type !== 'task.updated' &&
      e.event_type !== 'task.due_date_changed' &&
      e.event_type !== 'recurring.rescheduled'
    )
      continue;
    if (laterIds.has(e.data.corrects as string) || undoneTurns.has(turnKey(e))) continue;
    const field = Object.keys(changesOf(e))
      .map((k) => FIELD_OF[k])
      .find((f) => f !== undefined && touched.has(f));
    if (field !== undefined)
      throw new DomainError(
        'conflict',
        `${field} was changed again since (${describe(e)}); undoing the edit would overwrite that change`,
        field,
      );
  }
  const inbox = inboxIdOf(ctx.userId);
  const refs = ctx.refs;
  if (typeof data.list_id === 'string' && data.list_id !== inbox && refs && !refs.lists.has(data.list_id))
    throw new DomainError(
      'conflict',
      `list_id: the list the task was in (${data.list_id}) was deleted or is no longer shared with you; move the task instead`,
      'list_id',
    );
  // Labels deleted since are left out (a task never names a deleted label).
  if (Array.isArray(data.labels) && refs) data.labels = (data.labels as string[]).filter((l) => refs.labels.has(l));
  const undone = update({ type: 'update', data: data as UpdateTask['data'] }, state, ctx);
  return [...undone, ...rearmPassed(turn, later, state, undone, ctx)];
}

/**
 * The reminders the undone edit's turn cancelled because its due date left them no time ahead (`passed`,
 * `no_due_date`), armed again on the due date the undo brings back while their time is ahead (a series':
 * as its templates): undoing the edit undoes what it did to them. Not one changed since, nor one whose
 * owner has lost access to the task's list or is not its assignee, nor past MAX_REMINDERS live ones.
 */
function rearmPassed(
  turn: EventEnvelope[],
  later: EventEnvelope[],
  state: TaskState,
  edits: readonly PendingEvent[],
  ctx: DecideContext,
): PendingEvent[] {
  const cancelled = new Set(
    turn
      .filter((e) => e.event_type === 'reminder.cancelled' && LEFT_NO_TIME.has(String(e.data.reason)))
      .map((e) => e.data.reminder_id as string),
  );
  if (cancelled.size === 0) return [];
  // The task as the undo leaves it: each edit's changes applied.
  const after = { ...state } as Record<string, unknown>;
  for (const e of edits)
    for (const [field, change] of Object.entries((e.data.changes ?? {}) as Record<string, Change<unknown>>))
      after[field] = change.to;
  const task = after as unknown as TaskState;
  // The undone edit's due date, brought back, already re-armed those whose time is ahead (decide.ts followDueDate).
  const wasCancelled = new Set(state.reminders.filter((r) => r.cancelled).map((r) => r.id));
  const armed = new Set(
    edits
      .filter((e) => e.event_type === 'reminder.scheduled')
      .map((e) => (e.data.reminder as { id?: string } | undefined)?.id)
      .filter((id): id is string => id !== undefined && wasCancelled.has(id)),
  );
  let live = state.reminders.filter((r) => !r.cancelled).length + armed.size;
  const out: PendingEvent[] = [];
  for (const r of state.reminders) {
    if (!cancelled.has(r.id) || armed.has(r.id) || laterOfReminder(later, r.id)) continue;
    if (!mayComeBack(r, task, live, ctx)) continue;
    const at = task.is_recurring ? null : rearmAt(r, task, ctx);
    if (!task.is_recurring && at === null) continue;
    if (task.is_recurring && task.recurrence_rule && task.due_date) {
      const zone = zoneOf(task, ctx);
      if (reachesTooFar(task.recurrence_rule, seriesStart(task, zone), zone, r, ctx)) continue;
    }
    live++;
    out.push(
      ev(state, 'reminder.scheduled', {
        reminder: { ...r, remind_at: at, notified: false, cancelled: false, cancel_reason: null },
      }),
    );
  }
  return out;
}

/** A later event that changed the reminder `id`, if any. */
const laterOfReminder = (later: EventEnvelope[], id: string): EventEnvelope | undefined =>
  later.find(
    (e) =>
      e.event_type.startsWith('reminder.') &&
      (e.data.reminder_id === id || (e.data.reminder as { id?: string } | undefined)?.id === id),
  );

function undoAddedReminder(
  target: EventEnvelope,
  turn: EventEnvelope[],
  later: EventEnvelope[],
  state: TaskState,
): PendingEvent[] {
  const reminder = target.data.reminder as ReminderState;
  if (turn.length !== 1 || target.data.reason !== undefined || reminder.created_at !== target.timestamp)
    throw invalid(
      'event_id',
      'names a reminder.scheduled that moved or re-armed a reminder; only adding a reminder can be undone',
    );
  const since = laterOfReminder(later, reminder.id);
  if (since) throw conflict(`the reminder changed since (${describe(since)}); remove it instead`);
  return [ev(state, 'reminder.cancelled', { reminder_id: reminder.id, reason: 'undone' })];
}

function undoRemovedReminder(
  target: EventEnvelope,
  turn: EventEnvelope[],
  later: EventEnvelope[],
  state: TaskState,
  ctx: DecideContext,
): PendingEvent[] {
  if (turn.length !== 1 || target.data.reason !== 'removed')
    throw invalid(
      'event_id',
      `names a reminder cancelled by ${String(target.data.reason ?? 'the task')}, not removed by the user; undo that change instead`,
    );
  const id = target.data.reminder_id as string;
  const since = laterOfReminder(later, id);
  if (since) throw conflict(`the reminder changed since (${describe(since)})`);
  const r = state.reminders.find((x) => x.id === id);
  if (!r?.cancelled) throw conflict('the reminder is not removed; there is nothing to undo');
  if (state.completed) throw conflict('the task is completed; uncomplete it, then add the reminder again');
  // Assigned to someone else since: a reminder of its maker's would notify them of a task not theirs.
  onlyAssigneeReminds(state.assignee, r.user_id);
  if (state.reminders.filter((x) => !x.cancelled).length >= MAX_REMINDERS)
    throw conflict(`the task has ${MAX_REMINDERS} reminders already`);
  // The same reminder added again since: bringing this one back would remind twice (decide.ts addReminder).
  const twin = state.reminders.find((x) => x.id !== r.id && !x.cancelled && !x.notified && sameReminder(x, r));
  if (twin) throw conflict(`the task has this reminder again (${twin.id}): undoing its removal would remind twice`);
  let remind_at: string | null = r.remind_at;
  if (state.is_recurring) {
    if (r.offset === null) throw conflict('the task became a series since, and a series takes only relative reminders');
    // A template again, under the limit a new one meets (a denser rule may have come since).
    if (state.recurrence_rule && state.due_date) {
      const zone = zoneOf(state, ctx);
      checkReach(state.recurrence_rule, seriesStart(state, zone), zone, [r], () => 'event_id', ctx);
    }
    remind_at = null;
  } else if (!r.notified) {
    remind_at = rearmAt(r, state, ctx);
    if (remind_at === null)
      throw conflict('the reminder time has passed (or the task has no due date now); add a new reminder instead');
  }
  return [
    ev(state, 'reminder.scheduled', {
      reminder: { ...r, remind_at, cancelled: false, cancel_reason: null },
      reason: 'undone',
    }),
  ];
}
