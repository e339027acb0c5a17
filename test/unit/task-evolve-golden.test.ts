// One golden test for the two copies of a task's evolve: the server's (actors/task/evolve.ts, which
// rebuilds the row) and the dashboard's (realtime/public/task-state.js, which keeps the task as the
// REST API shows it). The same event sequences, made by the real decider from commands, are folded
// through both; after every event the browser's task must equal presentTask() of the server's state
// (api/present.ts), and a deleted task must be gone from the browser.
import test from 'ava';
import { decide, evolve, type TaskState, type TaskCommand, type DecideContext } from '../../actors/task/index.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { presentTask } from '../../api/present.ts';
import { eventLog } from '../helpers/task-context.ts';

// The browser module is plain JavaScript without declarations: its shape, as used here.
interface TaskStateModule {
  evolve(task: object | null, event: EventEnvelope): object | null;
}
const modulePath = '../../realtime/public/task-state.js';
const browser = (await import(modulePath)) as TaskStateModule;

type Step =
  | { at: string }
  | { zone: string; from: string; series: string[] }
  | { id: string; command: TaskCommand | ((state: TaskState) => TaskCommand) }
  /** An undo of the last event of `type` on the task, decided on the task's events so far (as the host reads them). */
  | { id: string; undo: EventEnvelope['event_type'] }
  /** A command on the series' latest instance, decided with the series in the context (as the host reads it). */
  | { latestOf: string; command: TaskCommand };

/** Runs the steps through decide + the server's evolve; returns every event, stamped as the events table stamps it. */
function eventsOf(start: string, steps: Step[], initialZone = 'UTC'): EventEnvelope[] {
  let now = Date.parse(start);
  let zone = initialZone;
  let n = 0;
  const { states, append } = eventLog();
  const out: EventEnvelope[] = [];
  const ctx = (extra: { undo?: EventEnvelope[]; series?: TaskState } = {}): DecideContext => ({
    now: new Date(now),
    userId: 'u1',
    userTimezone: zone,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...(extra.undo ? { undo: { events: extra.undo } } : {}),
    ...(extra.series ? { series: extra.series } : {}),
  });
  const run = (id: string, command: TaskCommand, extra: { undo?: EventEnvelope[]; series?: TaskState } = {}) => {
    out.push(...append(decide(command, states.get(id) ?? null, ctx(extra)) as PendingEvent[], now));
  };
  for (const step of steps) {
    if ('at' in step) now = Date.parse(step.at);
    else if ('latestOf' in step) {
      const series = states.get(step.latestOf) as TaskState;
      const latest = [...states.values()].find(
        (s) => s?.series_id === step.latestOf && s.occurrence_at === series.last_spawned_at,
      );
      run(latest?.id ?? '', step.command, { series });
    } else if ('zone' in step) {
      zone = step.zone;
      for (const id of step.series) run(id, { type: 'reschedule', from_zone: step.from, to_zone: step.zone });
    } else if ('undo' in step) {
      const mine = out.filter((e) => e.aggregate_id === step.id);
      const target = mine.findLast((e) => e.event_type === step.undo);
      run(step.id, { type: 'undo', event_id: target?.event_id ?? '' }, { undo: mine });
    } else {
      const state = states.get(step.id);
      run(step.id, typeof step.command === 'function' ? step.command(state as TaskState) : step.command);
    }
  }
  return out;
}

/** Folds the events through both copies and compares after every event. Returns how many comparisons were made. */
function assertSameFold(t: import('ava').ExecutionContext, events: EventEnvelope[]): number {
  const server = new Map<string, TaskState | null>();
  const shown = new Map<string, object | null>();
  let compared = 0;
  for (const event of events) {
    const id = event.aggregate_id;
    const after = evolve(server.get(id) ?? null, event);
    server.set(id, after);
    shown.set(id, browser.evolve(shown.get(id) ?? null, event));
    const expected = after === null || after.deleted_at !== null ? null : presentTask(after, event.user_id);
    t.deepEqual(shown.get(id), expected, `after ${event.event_type} (v${event.version} of ${id})`);
    compared++;
  }
  return compared;
}

const T1 = '11111111-1111-4111-8111-111111111111';
const S1 = '22222222-2222-4222-8222-222222222222';
const firstReminder = (state: TaskState) => state.reminders.find((r) => !r.cancelled)?.id ?? '';

test('a task with reminders: edits, fire, snooze, remove, complete, uncomplete, delete', (t) => {
  const events = eventsOf('2026-02-10T12:00:00Z', [
    {
      id: T1,
      command: {
        type: 'create',
        id: T1,
        data: {
          title: 'Report',
          description: 'draft',
          due_date: '2026-02-14T18:00:00Z',
          reminders: [{ before: 'PT1H' }, { at: '2026-02-13T08:00:00Z' }],
        },
      },
    },
    {
      id: T1,
      command: { type: 'update', data: { title: 'Final report', description: null, timezone: 'Europe/Berlin' } },
    },
    { id: T1, command: { type: 'update', data: { due_date: '2026-02-15T09:00' } } },
    { at: '2026-02-13T08:00:01Z' },
    {
      id: T1,
      command: (s) => ({ type: 'fire_reminder', reminder_id: s.reminders.find((r) => r.offset === null)?.id ?? '' }),
    },
    {
      id: T1,
      command: (s) => ({
        type: 'snooze_reminder',
        reminder_id: s.reminders.find((r) => r.offset === null)?.id ?? '',
        for: 'PT10M',
      }),
    },
    { at: '2026-02-13T08:10:01Z' },
    {
      id: T1,
      command: (s) => ({ type: 'fire_reminder', reminder_id: s.reminders.find((r) => r.offset === null)?.id ?? '' }),
    },
    {
      id: T1,
      command: (s) => ({
        type: 'acknowledge_reminder',
        reminder_id: s.reminders.find((r) => r.offset === null)?.id ?? '',
      }),
    },
    { id: T1, command: { type: 'add_reminder', data: { before: 'P1D' } } },
    { id: T1, command: (s) => ({ type: 'remove_reminder', reminder_id: firstReminder(s) }) },
    { id: T1, command: { type: 'complete' } },
    { id: T1, command: { type: 'uncomplete' } },
    { id: T1, command: { type: 'delete' } },
  ]);
  const types = new Set(events.map((e) => e.event_type));
  for (const type of [
    'task.created',
    'task.updated',
    'task.due_date_changed',
    'reminder.scheduled',
    'reminder.triggered',
    'reminder.snoozed',
    'reminder.acknowledged',
    'reminder.cancelled',
    'task.completed',
    'task.uncompleted',
    'task.deleted',
  ] as const) {
    t.true(types.has(type), `the sequence has ${type}`);
  }
  t.true(
    events.some((e) => e.event_type === 'reminder.cancelled' && e.data.reason === 'task_completed'),
    'a reminder cancelled with a reason',
  );
  t.is(assertSameFold(t, events), events.length);
});

test('undone changes: a completion, an edit with a due date move, a removed reminder and a delete', (t) => {
  // Each step at its own instant: one turn each, as the store writes them.
  const events = eventsOf('2026-02-10T12:00:00Z', [
    {
      id: T1,
      command: {
        type: 'create',
        id: T1,
        data: { title: 'Report', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] },
      },
    },
    { at: '2026-02-10T12:01:00Z' },
    { id: T1, command: { type: 'complete' } },
    { at: '2026-02-10T12:02:00Z' },
    { id: T1, undo: 'task.completed' },
    { at: '2026-02-10T12:03:00Z' },
    { id: T1, command: { type: 'update', data: { title: 'Final', due_date: '2026-02-16T09:00:00Z', priority: 2 } } },
    { at: '2026-02-10T12:04:00Z' },
    { id: T1, undo: 'task.due_date_changed' },
    { at: '2026-02-10T12:05:00Z' },
    { id: T1, command: (s) => ({ type: 'remove_reminder', reminder_id: firstReminder(s) }) },
    { at: '2026-02-10T12:06:00Z' },
    { id: T1, undo: 'reminder.cancelled' },
    { at: '2026-02-10T12:07:00Z' },
    { id: T1, command: { type: 'delete' } },
    { at: '2026-02-10T12:08:00Z' },
    { id: T1, undo: 'task.deleted' },
    { at: '2026-02-10T12:09:00Z' },
    { id: T1, command: { type: 'update', data: { title: 'After the restore' } } },
  ]);
  t.deepEqual(
    events.filter((e) => typeof e.data.corrects === 'string').map((e) => e.event_type),
    [
      'task.uncompleted',
      'reminder.scheduled',
      'task.updated',
      'task.due_date_changed',
      'reminder.scheduled',
      'reminder.scheduled',
      'task.restored',
      'reminder.scheduled',
    ],
  );
  t.is(assertSameFold(t, events), events.length);
});

test('an all-day task and an all-day series: created by date, day reminders, zone moves, switched to timed and back', (t) => {
  const A1 = '33333333-3333-4333-8333-333333333333';
  const events = eventsOf(
    '2026-12-01T12:00:00Z',
    [
      {
        id: A1,
        command: {
          type: 'create',
          id: A1,
          data: { title: 'Party', due_date: '2026-12-24', reminders: [{ at_time: '09:00', days_before: 1 }] },
        },
      },
      { zone: 'Pacific/Pago_Pago', from: 'Pacific/Kiritimati', series: [A1] },
      { id: A1, command: { type: 'update', data: { timezone: 'America/St_Johns' } } },
      { id: A1, command: (s) => ({ type: 'remove_reminder', reminder_id: firstReminder(s) }) },
      { id: A1, command: { type: 'update', data: { due_date: '2026-12-24T18:00' } } },
      { id: A1, command: { type: 'update', data: { due_date: '2026-12-25' } } },
      {
        id: S1,
        command: {
          type: 'create',
          id: S1,
          data: {
            title: 'Water plants',
            due_date: '2026-12-02',
            recurrence_rule: 'FREQ=DAILY',
            reminders: [{ at_time: '08:00' }],
          },
        },
      },
      { at: '2026-12-02T19:00:00Z' },
      { id: S1, command: { type: 'spawn' } },
      { zone: 'Pacific/Kiritimati', from: 'Pacific/Pago_Pago', series: [S1] },
    ],
    'Pacific/Kiritimati',
  );
  t.true(
    events.some((e) => Object.keys((e.data.changes ?? {}) as object).includes('due_day')),
    'a change of due_day travels in an event',
  );
  t.true(
    events.some((e) => e.event_type === 'task.created' && (e.data.task as TaskState).series_id === S1),
    'an all-day occurrence was created',
  );
  t.is(assertSameFold(t, events), events.length);
});

test('a series: created with a wall-clock start, edited, spawns occurrences, follows the user into another zone, deleted', (t) => {
  const events = eventsOf(
    '2026-02-10T12:00:00Z',
    [
      {
        id: S1,
        command: {
          type: 'create',
          id: S1,
          data: {
            title: 'Standup',
            due_date: '2026-02-11T09:00',
            recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
            reminders: [{ before: 'PT10M' }],
          },
        },
      },
      { id: S1, command: { type: 'update', data: { due_date: '2026-02-11T09:30' } } },
      { id: S1, command: { type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } } },
      { at: '2026-02-11T09:25:00Z' },
      { id: S1, command: { type: 'spawn' } },
      { at: '2026-02-14T09:25:00Z' },
      { id: S1, command: { type: 'spawn' } },
      { zone: 'America/New_York', from: 'Europe/Berlin', series: [S1] },
      { id: S1, command: { type: 'delete' } },
    ],
    'Europe/Berlin',
  );
  const types = events.map((e) => e.event_type);
  for (const type of ['recurring.spawned', 'recurring.rescheduled', 'task.deleted'] as const)
    t.true(types.includes(type), `the sequence has ${type}`);
  t.true(
    events.some((e) => e.event_type === 'task.created' && (e.data.task as TaskState).series_id === S1),
    'an occurrence was created',
  );
  t.true(
    events.some((e) => Object.keys((e.data.changes ?? {}) as object).includes('dtstart_local')),
    'a change of the internal wall-clock start travels in an event',
  );
  t.is(assertSameFold(t, events), events.length);
});

test('an after-completion series: spawns on completion and on deleting the open instance, switched to calendar and back', (t) => {
  const events = eventsOf(
    '2026-03-20T12:00:00Z',
    [
      {
        id: S1,
        command: {
          type: 'create',
          id: S1,
          data: {
            title: 'Water the plants',
            due_date: '2026-03-23T09:00',
            recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
            recurrence_mode: 'after_completion',
            reminders: [{ before: 'PT1H' }],
          },
        },
      },
      { at: '2026-03-23T07:00:00Z' },
      { id: S1, command: { type: 'spawn' } },
      { at: '2026-03-27T19:00:00Z' },
      { latestOf: S1, command: { type: 'complete' } },
      { id: S1, command: { type: 'update', data: { recurrence_rule: 'FREQ=WEEKLY;INTERVAL=1' } } },
      { at: '2026-03-28T10:00:00Z' },
      { latestOf: S1, command: { type: 'delete' } },
      { id: S1, command: { type: 'update', data: { recurrence_mode: 'calendar' } } },
      { id: S1, command: { type: 'update', data: { recurrence_mode: 'after_completion' } } },
      { id: S1, command: { type: 'update', data: { recurrence_rule: null } } },
    ],
    'Europe/Berlin',
  );
  const spawned = events.filter((e) => e.event_type === 'recurring.spawned');
  t.deepEqual(
    spawned.map((e) => Object.keys((e.data.after ?? {}) as object)),
    [[], ['instance_id', 'completed'], ['instance_id', 'deleted']],
    'on the calendar, then after a completion, then after a delete',
  );
  t.true(
    events.some((e) => Object.keys((e.data.changes ?? {}) as object).includes('recurrence_mode')),
    'a change of mode travels in an event',
  );
  t.is(assertSameFold(t, events), events.length);
});

test('events written before dtstart_local and cancel_reason existed read the same in both', (t) => {
  const created: EventEnvelope = {
    event_id: 'old1',
    event_type: 'task.created',
    aggregate_type: 'task',
    aggregate_id: T1,
    user_id: 'u1',
    version: 1,
    seq: 1,
    timestamp: '2025-01-01T10:00:00.000Z',
    correlation_id: 'c',
    causation_id: null,
    data: {
      task: {
        id: T1,
        user_id: 'u1',
        title: 'Old',
        description: null,
        completed: false,
        due_date: '2025-01-02T10:00:00.000Z',
        recurrence_rule: null,
        timezone: null,
        is_recurring: false,
        next_occurrence: null,
        last_spawned_at: null,
        series_id: null,
        occurrence_at: null,
        created_at: '2025-01-01T10:00:00.000Z',
        deleted_at: null,
      },
    },
  };
  const scheduled: EventEnvelope = {
    ...created,
    event_id: 'old2',
    event_type: 'reminder.scheduled',
    version: 2,
    seq: 2,
    data: {
      reminder: {
        id: 'r1',
        task_id: T1,
        user_id: 'u1',
        offset: 'PT1H',
        remind_at: '2025-01-02T09:00:00.000Z',
        notified: false,
        cancelled: false,
        created_at: '2025-01-01T10:00:00.000Z',
      },
    },
  };
  const cancelled: EventEnvelope = {
    ...created,
    event_id: 'old3',
    event_type: 'reminder.cancelled',
    version: 3,
    seq: 3,
    data: { reminder_id: 'r1', task_id: T1 },
  };
  t.is(assertSameFold(t, [created, scheduled, cancelled]), 3);
});

test("a shared task seen by each member: the task's events and only their own reminders' events fold to what the API shows them", (t) => {
  // Alice's task in her list L, shared with bob: both set reminders, it is assigned to bob and back,
  // completed and reopened. Each member's stream holds every task event and only their own reminders'
  // events (actors/list/audience.ts); presentTask(state, viewer) shows them only their own reminders.
  const L = '33333333-3333-4333-8333-333333333333';
  const { states, append } = eventLog();
  let n = 0;
  let now = Date.parse('2026-02-10T12:00:00Z');
  const events: EventEnvelope[] = [];
  const run = (actor: string | undefined, command: TaskCommand | ((s: TaskState) => TaskCommand)) => {
    const state = states.get(T1) ?? null;
    const ctx: DecideContext = {
      now: new Date(now),
      userId: 'alice',
      ...(actor ? { actor } : {}),
      userTimezone: 'UTC',
      newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
      membersOf: (id) => (id === L ? ['alice', 'bob'] : undefined),
    };
    const cmd = typeof command === 'function' ? command(state as TaskState) : command;
    events.push(...append(decide(cmd, state, ctx), now));
  };
  const own = (user: string) => (s: TaskState) => s.reminders.find((r) => r.user_id === user)?.id ?? '';
  run('alice', {
    type: 'create',
    id: T1,
    data: { title: 'Milk', list_id: L, due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] },
  });
  run('bob', { type: 'add_reminder', data: { at: '2026-02-13T08:00:00Z' } });
  run('alice', { type: 'update', data: { assignee: 'bob', priority: 1 } });
  run('bob', { type: 'add_reminder', data: { before: 'P1D' } });
  run('bob', { type: 'update', data: { assignee: null } });
  now = Date.parse('2026-02-13T08:00:01Z');
  run(undefined, (s) => ({ type: 'fire_reminder', reminder_id: own('bob')(s) }));
  run('bob', (s) => ({ type: 'acknowledge_reminder', reminder_id: own('bob')(s) }));
  run('alice', { type: 'complete' });
  run('bob', { type: 'uncomplete' });
  run('alice', (s) => ({ type: 'remove_reminder', reminder_id: own('alice')(s) }));

  // Whose reminder each reminder event is about, from the server's fold.
  const owner = new Map<string, string>();
  for (const e of events) {
    const given = e.data.reminder as { id: string; user_id: string } | undefined;
    if (given) owner.set(given.id, given.user_id);
  }
  const seenBy = (viewer: string, e: EventEnvelope) =>
    !e.event_type.startsWith('reminder.') ||
    owner.get((e.data.reminder_id as string | undefined) ?? (e.data.reminder as { id: string }).id) === viewer;
  for (const viewer of ['alice', 'bob']) {
    let server: TaskState | null = null;
    let shown: object | null = null;
    let compared = 0;
    for (const e of events) {
      server = evolve(server, e);
      if (!seenBy(viewer, e)) continue;
      shown = browser.evolve(shown, e);
      // Another member's reminder events move the task's version without reaching this member: the
      // fields and this member's reminders agree, the version catches up with the next task event.
      const { version: _v, updated_at: _u, ...fields } = presentTask(server as TaskState, viewer);
      const { version: _bv, updated_at: _bu, ...got } = shown as Record<string, unknown>;
      t.deepEqual(got, fields, `${viewer} after ${e.event_type} v${e.version}`);
      compared++;
    }
    t.true(compared >= 8, `${viewer} compared ${compared} times`);
  }
  t.is((states.get(T1) as TaskState).assignee, null);
});
