// The task decider alone, given / when / then (test/helpers/decider-spec.ts): deterministic clock and
// ids, no database. A step's outcome is the `given` of the next one.
import test from 'ava';
import { fold, type TaskState, type TaskCommand, type DecideContext } from '../../actors/task/index.ts';
import { spawnDueAt, timerChanges, timersOf } from '../../actors/task/timers.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { taskSpec as spec, contextsAt } from '../helpers/task-context.ts';
import { throws, type Given, type Outcome } from '../helpers/decider-spec.ts';

type Step = Outcome<TaskState | null>;
type CreateData = Extract<TaskCommand, { type: 'create' }>['data'];

/** The decide context at `iso`, for a user whose zone is `zone` (default UTC). */
const at = contextsAt();
const create = (id: string, data: CreateData): TaskCommand => ({ type: 'create', id, data });
const reminderIds = (step: Step): string[] => step.state?.reminders.map((r) => r.id) ?? [];
/** A daily series `id` due `due` (wall clock unless it names an offset), with `extra` fields. */
const daily = (id: string, due: string, extra: Partial<CreateData> = {}): TaskCommand =>
  create(id, { title: 'Meds', due_date: due, recurrence_rule: 'FREQ=DAILY', ...extra });
/** The stream of the instance `step` spawned first: the given of a step on that instance. */
const spawnedInstance = (step: Step): EventEnvelope[] => {
  const id = (step.events[0]?.data as { instance_id: string }).instance_id;
  return step.history.filter((e) => e.aggregate_id === id);
};

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const NOW = '2026-02-10T12:00:00Z';

test('create emits task.created with the whole task, then one reminder.scheduled per reminder', (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, {
        title: '  Buy milk ',
        due_date: '2026-02-14T18:00:00Z',
        reminders: [{ before: 'PT1H' }, { at: '2026-02-13T08:00:00Z' }],
      }),
      at(NOW),
    )
    .then(['task.created', 'reminder.scheduled', 'reminder.scheduled'])
    .then({ version: 3 });
  t.like(created.events[0]?.data.task, { title: 'Buy milk', due_date: '2026-02-14T18:00:00.000Z', completed: false });
  t.deepEqual(
    created.state?.reminders.map((r) => [r.offset, r.remind_at]),
    [
      ['PT1H', '2026-02-14T17:00:00.000Z'],
      [null, '2026-02-13T08:00:00.000Z'],
    ],
  );
});

test('a due date without an offset is wall-clock time in the task zone; P1D before keeps the wall clock across DST', (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, {
        title: 'Berlin',
        timezone: 'Europe/Berlin',
        due_date: '2026-03-29T09:00',
        reminders: [{ before: 'P1D' }, { before: 'PT24H' }],
      }),
      at('2026-03-20T12:00:00Z'),
    )
    .then({ due_date: '2026-03-29T07:00:00.000Z' }); // 09:00 CEST, the clocks having gone forward at 02:00 that night
  // One calendar day before is 09:00 CET on the 28th = 08:00Z; exactly 24 hours before is 08:00 CET = 07:00Z.
  t.deepEqual(
    created.state?.reminders.map((r) => r.remind_at),
    ['2026-03-28T08:00:00.000Z', '2026-03-28T07:00:00.000Z'],
  );
  t.deepEqual(
    created.state?.reminders.map((r) => r.offset),
    ['P1D', 'PT24H'],
  );
});

test('a reminder whole days before that lands in a repeated hour takes its first pass, as any wall time does', (t) => {
  const given = spec(t);
  // Due 01:30 EST on 8 November 2027 (06:30Z); the day before, 01:30 happens twice (EDT 05:30Z, then EST 06:30Z).
  const created = given()
    .when(
      create(T1, {
        title: 'Night shift',
        timezone: 'America/New_York',
        due_date: '2027-11-08T01:30',
        reminders: [{ before: 'P1D' }, { before: 'P1DT30M' }],
      }),
      at('2027-11-01T12:00:00Z'),
    )
    .then({ due_date: '2027-11-08T06:30:00.000Z' });
  t.deepEqual(
    created.state?.reminders.map((r) => r.remind_at),
    ['2027-11-07T05:30:00.000Z', '2027-11-07T05:00:00.000Z'],
    '01:30 EDT, the first 01:30 of the 7th; then 30 minutes before it',
  );
});

test('bad input is a domain error naming the field, and nothing is emitted', (t) => {
  const given = spec(t);
  const cases: [CreateData, ReturnType<typeof throws>][] = [
    [{ title: '   ' }, throws('validation', 'title', /^title: must not be empty/)],
    // Nothing that shows: zero-width and format characters, a Hangul filler, a blank Braille pattern.
    [{ title: '\u200b\u2060\u00ad' }, throws('validation', 'title', /^title: must not be empty/)],
    [{ title: ' \u3164\u2800 \ufe0f' }, throws('validation', 'title', /^title: must not be empty/)],
    [{ title: 'x'.repeat(501) }, throws('validation', 'title', /^title: must be at most 500/)],
    [
      { title: 'x', timezone: 'Mars/Olympus' },
      throws('validation', 'timezone', /^timezone: "Mars\/Olympus" is not an IANA/),
    ],
    [
      { title: 'x', due_date: 'tomorrow' },
      throws('validation', 'due_date', /^due_date: "tomorrow" is not an ISO-8601/),
    ],
    [
      { title: 'x', recurrence_rule: 'FREQ=DAILY' },
      throws('validation', 'due_date', /^due_date: is required for a recurring task/),
    ],
    [
      { title: 'x', due_date: '2026-03-01T00:00:00Z', recurrence_rule: 'FREQ=DAILY;BYSETPOS=2' },
      throws('unsupported', 'recurrence_rule', /BYSETPOS/),
    ],
    [
      { title: 'x', due_date: '2026-03-01T00:00:00Z', recurrence_rule: 'FREQ=HOURLY' },
      throws('unsupported', 'recurrence_rule', /HOURLY/),
    ],
    [
      { title: 'x', due_date: '2026-02-10T12:30:00Z', reminders: [{ before: 'PT1H' }] },
      throws(
        'validation',
        'reminders[0].before',
        /^reminders\[0\]\.before: the reminder time .* is already in the past/,
      ),
    ],
    [
      { title: 'x', reminders: [{ before: 'PT1H' }] },
      throws('validation', 'reminders[0].before', /^reminders\[0\]\.before: needs the task to have a due_date/),
    ],
    [
      { title: 'x', reminders: [{ at: '2026-02-01T00:00:00Z' }] },
      throws('validation', 'reminders[0].at', /^reminders\[0\]\.at: .* is already in the past/),
    ],
    [
      { title: 'x', due_date: '2026-03-01T00:00:00Z', reminders: [{ before: 'P1M' }] },
      throws('validation', 'reminders[0].before', /^reminders\[0\]\.before: "P1M" is not a supported/),
    ],
    [
      { title: 'x', due_date: '2026-03-01T00:00:00Z', reminders: [{ before: 'PT0S' }] },
      throws('validation', 'reminders[0].before', /^reminders\[0\]\.before: must be longer than zero/),
    ],
    [
      {
        title: 'x',
        due_date: '2026-03-01T00:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ at: '2026-02-20T00:00:00Z' }],
      },
      throws('validation', 'reminders[0].at', /^reminders\[0\]\.at: a recurring task takes relative reminders/),
    ],
  ];
  // A refusal is a throw: decide returns no events.
  for (const [data, refusal] of cases)
    given().when(create(T1, data), at(NOW)).then(refusal, JSON.stringify(data).slice(0, 80));
});

test('a zone edit that moves a series start beyond year 9999 is refused naming timezone, not the due date it did not send', (t) => {
  const given = spec(t);
  // 23:59 UTC on 31 December 9999 is 13:59 on 1 January 10000 in Kiritimati (UTC+14).
  const series = given()
    .when(daily(T1, '9999-12-31T23:59:00Z', { timezone: 'UTC' }), at(NOW))
    .then(['task.created']);
  given(series)
    .when({ type: 'update', data: { timezone: 'Pacific/Kiritimati' } }, at(NOW))
    .then(throws('validation', 'timezone', /^timezone: /));
  // With a due date the zone can hold, the same zone edit is taken.
  given(series)
    .when({ type: 'update', data: { timezone: 'Pacific/Kiritimati', due_date: '9999-12-30T09:00:00' } }, at(NOW))
    .then({ timezone: 'Pacific/Kiritimati', dtstart_local: '9999-12-30T09:00:00' });
});

test('update carries every changed field as {from, to}; the due date gets its own event and moves relative reminders', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, {
      title: 'a',
      due_date: '2026-02-14T18:00:00Z',
      reminders: [{ before: 'PT2H' }, { at: '2026-02-12T09:00:00Z' }],
    }),
    at(NOW),
  );
  const updated = given(created)
    .when({ type: 'update', data: { title: 'b', description: 'd', due_date: '2026-02-20T18:00:00Z' } }, at(NOW))
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { title: { from: 'a', to: 'b' }, description: { from: null, to: 'd' } } },
      },
      {
        event_type: 'task.due_date_changed',
        data: { changes: { due_date: { from: '2026-02-14T18:00:00.000Z', to: '2026-02-20T18:00:00.000Z' } } },
      },
      'reminder.scheduled',
    ]);
  t.deepEqual(
    updated.state?.reminders.map((r) => r.remind_at),
    ['2026-02-20T16:00:00.000Z', '2026-02-12T09:00:00.000Z'],
  );
  // Clearing the due date cancels the relative reminder; the absolute one stays.
  const cleared = given(updated)
    .when({ type: 'update', data: { due_date: null } }, at(NOW))
    .then(['task.due_date_changed', 'reminder.cancelled']);
  t.deepEqual(
    cleared.state?.reminders.map((r) => r.cancelled),
    [true, false],
  );
  // Nothing changes → nothing happens.
  given(cleared)
    .when({ type: 'update', data: { title: 'b' } }, at(NOW))
    .then([]);
});

test('If-Match: a stale expected version is refused', (t) => {
  const given = spec(t);
  const created = given().when(create(T1, { title: 'a' }), at(NOW));
  given(created)
    .when({ type: 'update', data: { title: 'b' }, expected_version: 7 }, at(NOW))
    .then(throws('version_mismatch'));
  given(created)
    .when({ type: 'update', data: { title: 'b' }, expected_version: 1 }, at(NOW))
    .then(['task.updated']);
});

test('complete cancels pending reminders, and a completed task never fires them; completing twice is a no-op', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] }),
    at(NOW),
  );
  const completed = given(created)
    .when({ type: 'complete' }, at(NOW))
    .then(['task.completed', { event_type: 'reminder.cancelled', data: { reason: 'task_completed' } }]);
  given(completed).when({ type: 'complete' }, at(NOW)).then([]);
  const [rid = ''] = reminderIds(completed);
  given(completed).when({ type: 'fire_reminder', reminder_id: rid }, at('2026-02-14T17:00:00Z')).then([]);
  given(completed).when({ type: 'uncomplete' }, at('2026-02-14T17:00:00Z')).then(['task.uncompleted']);
});

test('uncomplete re-arms what the completion cancelled (a relative one follows the current due date), not what the user removed or what has passed', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, {
      title: 'a',
      due_date: '2026-02-14T18:00:00Z',
      reminders: [
        { before: 'PT1H' },
        { at: '2026-02-13T08:00:00Z' },
        { at: '2026-02-10T13:00:00Z' },
        { before: 'P1D' },
      ],
    }),
    at(NOW),
  );
  const [relative = '', absolute = '', soon = '', removed = ''] = reminderIds(created);
  const reminder = (step: Step, id: string) => step.state?.reminders.find((r) => r.id === id);
  const removal = given(created).when({ type: 'remove_reminder', reminder_id: removed }, at(NOW));
  const completed = given(removal).when({ type: 'complete' }, at(NOW));
  t.true(completed.state?.reminders.every((r) => r.cancelled));
  t.is(reminder(completed, relative)?.cancel_reason, 'task_completed');
  t.is(reminder(completed, removed)?.cancel_reason, 'removed');
  // While completed the due date moves a day later; the 13:00 reminder's time passes.
  const moved = given(completed).when({ type: 'update', data: { due_date: '2026-02-15T18:00:00Z' } }, at(NOW));
  const uncompleted = given(moved)
    .when({ type: 'uncomplete' }, at('2026-02-10T14:00:00Z'))
    .then(['task.uncompleted', 'reminder.scheduled', 'reminder.scheduled']);
  const rearmed = new Map(
    uncompleted.events
      .slice(1)
      .map((e) => [
        (e.data.reminder as { id: string }).id,
        e.data.reminder as { remind_at: string; cancelled: boolean },
      ]),
  );
  t.like(rearmed.get(relative), { remind_at: '2026-02-15T17:00:00.000Z', cancelled: false });
  t.like(rearmed.get(absolute), { remind_at: '2026-02-13T08:00:00.000Z', cancelled: false });
  t.is(reminder(uncompleted, soon)?.cancelled, true, 'its time passed while completed: stays cancelled');
  t.is(reminder(uncompleted, removed)?.cancelled, true, 'removed by the user: stays removed');
  t.is(reminder(uncompleted, relative)?.cancel_reason, null);
  // The re-armed reminder fires when its time comes.
  given(uncompleted)
    .when({ type: 'fire_reminder', reminder_id: relative }, at('2026-02-15T17:00:00Z'))
    .then(['reminder.triggered']);
});

test('a reminder that fired before the completion is not fired again by an uncomplete', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] }),
    at(NOW),
  );
  const [rid = ''] = reminderIds(created);
  const fired = given(created).when({ type: 'fire_reminder', reminder_id: rid }, at('2026-02-14T17:00:00Z'));
  const completed = given(fired).when({ type: 'complete' }, at('2026-02-14T17:00:00Z'));
  const uncompleted = given(completed)
    .when({ type: 'uncomplete' }, at('2026-02-14T17:00:00Z'))
    .then(['task.uncompleted']);
  t.like(uncompleted.state?.reminders[0], { notified: true, cancelled: false });
});

test('a reminder fires exactly once, not early, and says how late it was', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] }),
    at(NOW),
  );
  const [rid = ''] = reminderIds(created);
  const fire: TaskCommand = { type: 'fire_reminder', reminder_id: rid };
  given(created).when(fire, at('2026-02-14T16:58:00Z')).then([], 'two minutes early: not yet');
  const fired = given(created)
    .when(fire, at('2026-02-14T17:00:00.300Z'))
    .then([
      {
        event_type: 'reminder.triggered',
        data: { reminder_id: rid, task_id: T1, title: 'a', late_ms: 300, late: false },
      },
    ]);
  given(fired).when(fire, at('2026-02-14T17:00:00.300Z')).then([], 'a second fire notifies nothing');
  // Snooze re-arms it once.
  const snoozed = given(fired)
    .when({ type: 'snooze_reminder', reminder_id: rid, for: 'PT10M' }, at('2026-02-14T17:00:00.300Z'))
    .then(['reminder.snoozed']);
  t.is(snoozed.state?.reminders[0]?.remind_at, '2026-02-14T17:10:00.300Z');
  given(snoozed)
    .when(fire, at('2026-02-14T18:00:00Z'))
    .then([{ event_type: 'reminder.triggered', data: { late: true, late_ms: 49 * 60_000 + 59_700 } }]);
});

test('delete cancels reminders and stops a series; afterwards commands are not found and timers do nothing', (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, {
        title: 's',
        due_date: '2026-02-11T09:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ before: 'PT15M' }],
      }),
      at(NOW),
    )
    .then({ next_occurrence: '2026-02-11T09:00:00.000Z' });
  const deleted = given(created)
    .when({ type: 'delete' }, at(NOW))
    .then([
      {
        event_type: 'task.deleted',
        data: { changes: { next_occurrence: { from: '2026-02-11T09:00:00.000Z', to: null } } },
      },
    ]);
  given(deleted)
    .when({ type: 'update', data: { title: 'x' } }, at(NOW))
    .then(throws('not_found'));
  given(deleted).when({ type: 'spawn' }, at('2026-02-12T09:00:00Z')).then([]);
});

test("a series' delete deletes its open instance too (series_deleted); a done one, a gone one or another series' stays", (t) => {
  const given = spec(t);
  const created = given().when(daily(T1, '2026-02-11T09:00:00Z', { reminders: [{ before: 'PT15M' }] }), at(NOW));
  const instance = spawnedInstance(given(created).when({ type: 'spawn' }, at('2026-02-11T08:45:00Z')));
  const gone = given(...instance)
    .when({ type: 'series_deleted', series_id: T1 }, at('2026-02-11T08:50:00Z'))
    .then([
      { event_type: 'task.deleted', data: { reason: 'series_deleted' } },
      { event_type: 'reminder.cancelled', data: { reason: 'task_deleted' } },
    ]);
  given(gone).when({ type: 'series_deleted', series_id: T1 }, at(NOW)).then([], 'gone already: nothing');
  given(...instance)
    .when({ type: 'series_deleted', series_id: T2 }, at(NOW))
    .then([], "another series': nothing");
  const done = given(...instance).when({ type: 'complete' }, at('2026-02-11T08:50:00Z'));
  given(done).when({ type: 'series_deleted', series_id: T1 }, at(NOW)).then([], 'a done instance is history');
});

test('a done instance of a deleted series stays closed: uncompleting it is a 409 naming series_id; of a live one it reopens', (t) => {
  const given = spec(t);
  const created = given().when(daily(T1, '2026-02-11T09:00:00Z'), at(NOW));
  const instance = spawnedInstance(given(created).when({ type: 'spawn' }, at('2026-02-11T09:00:00Z')));
  const done = given(...instance).when({ type: 'complete' }, at('2026-02-11T09:05:00Z'));
  given(done)
    .when({ type: 'uncomplete' }, at(NOW, 'UTC', { seriesDeleted: true }))
    .then(throws('conflict', 'series_id', /series was deleted/));
  given(done)
    .when({ type: 'uncomplete' }, at(NOW, 'UTC', { seriesDeleted: false }))
    .then([{ event_type: 'task.uncompleted' }]);
});

test('a series spawns an instance at its occurrence, early by its largest reminder offset, with the reminders', (t) => {
  const given = spec(t);
  const berlin = (iso: string) => at(iso, 'Europe/Berlin');
  const created = given()
    .when(
      create(T1, {
        title: 'Standup',
        due_date: '2026-02-11T09:00',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
        reminders: [{ before: 'PT10M' }, { before: 'PT1H' }],
      }),
      berlin(NOW),
    )
    .then({ next_occurrence: '2026-02-11T08:00:00.000Z' });
  t.deepEqual(
    created.state?.reminders.map((r) => r.remind_at),
    [null, null],
    'a series keeps templates',
  );
  given(created).when({ type: 'spawn' }, berlin('2026-02-11T06:59:00Z')).then([], 'before occurrence − 1 h: nothing');
  const spawned = given(created)
    .when({ type: 'spawn' }, berlin('2026-02-11T07:00:00Z'))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-02-11T08:00:00.000Z',
          next_occurrence: { from: '2026-02-11T08:00:00.000Z', to: '2026-02-13T08:00:00.000Z' },
          skipped_count: 0,
        },
      },
      'task.created',
      'reminder.scheduled',
      'reminder.scheduled',
    ]);
  const instance = spawned.stateOf((spawned.events[0]?.data as { instance_id: string }).instance_id);
  t.like(instance, {
    series_id: T1,
    occurrence_at: '2026-02-11T08:00:00.000Z',
    due_date: '2026-02-11T08:00:00.000Z',
    is_recurring: false,
    title: 'Standup',
  });
  t.deepEqual(
    instance?.reminders.map((r) => r.remind_at),
    ['2026-02-11T07:50:00.000Z', '2026-02-11T07:00:00.000Z'],
  );
  given(spawned).when({ type: 'spawn' }, berlin('2026-02-11T07:00:00Z')).then([], 'spawning again is a no-op');
});

// Since series show their next instance ahead (issue 16), the turn that spawns the missed occurrence also
// spawns the one after it, which is then the instance ahead; the missed-occurrence rule is unchanged.
test('after downtime a series spawns the most recent missed occurrence once and records the skipped ones', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'daily', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' }),
    at(NOW),
  );
  given(created)
    .when({ type: 'spawn' }, at('2026-02-14T10:00:00Z'))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-02-14T09:00:00.000Z',
          skipped_count: 3,
          late: true,
          skipped: ['2026-02-11T09:00:00.000Z', '2026-02-12T09:00:00.000Z', '2026-02-13T09:00:00.000Z'],
        },
      },
      'task.created',
      {
        event_type: 'recurring.spawned',
        data: { occurrence_at: '2026-02-15T09:00:00.000Z', skipped_count: 0, late: false, ahead: true },
      },
      'task.created',
    ])
    .then({ next_occurrence: '2026-02-16T09:00:00.000Z' });
});

test("a reminder reaching back past a new series' first occurrences skips none of them and fires nothing late", (t) => {
  const given = spec(t);
  // Created at 12:00 on the 10th, first occurrence 14:00 the same day, a reminder two days before each.
  const created = given()
    .when(
      create(T1, {
        title: 'daily',
        due_date: '2026-02-10T14:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ before: 'P2D' }],
      }),
      at(NOW),
    )
    .then({ next_occurrence: '2026-02-10T14:00:00.000Z' });
  t.is(spawnDueAt(created.state as TaskState, 'UTC'), Date.parse(NOW), 'due now: the reminder exists from now on');
  const first = given(created)
    .when({ type: 'spawn' }, at(NOW))
    .then([
      {
        event_type: 'recurring.spawned',
        data: { occurrence_at: '2026-02-10T14:00:00.000Z', skipped_count: 0, skipped: [], late: false },
      },
      'task.created',
      'reminder.scheduled',
      { event_type: 'reminder.cancelled', data: { reason: 'passed' } },
    ])
    .then({ next_occurrence: '2026-02-11T14:00:00.000Z' });
  // The 11th's reminder (the 9th, 14:00) came before the series existed too: spawned at once, nothing to fire.
  t.is(spawnDueAt(first.state as TaskState, 'UTC'), Date.parse(NOW));
  const second = given(first)
    .when({ type: 'spawn' }, at(NOW))
    .then([
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-02-11T14:00:00.000Z', skipped_count: 0 } },
      'task.created',
      'reminder.scheduled',
      { event_type: 'reminder.cancelled', data: { reason: 'passed' } },
    ]);
  // The 12th's reminder is at 14:00 on the 10th, after the series was made: spawned then, and it fires.
  t.is(spawnDueAt(second.state as TaskState, 'UTC'), Date.parse('2026-02-10T14:00:00Z'));
  const third = given(second)
    .when({ type: 'spawn' }, at('2026-02-10T14:00:00Z'))
    .then([
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-02-12T14:00:00.000Z', late: false } },
      'task.created',
      'reminder.scheduled',
    ]);
  const instance = third.stateOf((third.events[0]?.data as { instance_id: string }).instance_id);
  t.like(instance?.reminders[0], { remind_at: '2026-02-10T14:00:00.000Z', cancelled: false });
  // Downtime still skips occurrences that came, and only those: the latest of them is spawned, not one ahead;
  // its reminder (on the 10th, 14:00, after the series was made) was due, so it fires, late.
  given(created)
    .when({ type: 'spawn' }, at('2026-02-12T15:00:00Z'))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-02-12T14:00:00.000Z',
          skipped: ['2026-02-10T14:00:00.000Z', '2026-02-11T14:00:00.000Z'],
        },
      },
      'task.created',
      'reminder.scheduled',
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-02-13T14:00:00.000Z', ahead: true } },
      'task.created',
      'reminder.scheduled',
    ]);
});

test('a task made a series (or a series moved) fires no reminder whose time came before that change', (t) => {
  const given = spec(t);
  // A plain task with a reminder three days ahead, made on the 1st; on the 10th at 12:00 it becomes a daily
  // series from the 11th at 09:00: the 11th to the 13th are needed at once, their reminders (the 8th to the
  // 10th at 09:00) came before the series existed.
  const plain = given().when(
    create(T1, { title: 'water', due_date: '2026-02-20T09:00:00Z', reminders: [{ before: 'P3D' }] }),
    at('2026-02-01T10:00:00Z'),
  );
  const series = given(plain).when(
    { type: 'update', data: { due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' } },
    at(NOW),
  );
  let step = series;
  for (const day of ['11', '12', '13']) {
    t.is(spawnDueAt(step.state as TaskState, 'UTC'), Date.parse(NOW), `the ${day}th is needed at once`);
    step = given(step)
      .when({ type: 'spawn' }, at(NOW))
      .then([
        { event_type: 'recurring.spawned', data: { occurrence_at: `2026-02-${day}T09:00:00.000Z`, late: false } },
        'task.created',
        'reminder.scheduled',
        { event_type: 'reminder.cancelled', data: { reason: 'passed' } },
      ]);
  }
  // The 14th's reminder (the 11th, 09:00) is after the change: spawned then, and it fires.
  t.is(spawnDueAt(step.state as TaskState, 'UTC'), Date.parse('2026-02-11T09:00:00Z'));
});

test('a template reminder reaching back over more than 50 occurrences is refused where it is decided, naming the field', (t) => {
  const given = spec(t);
  const reach = /reaches back over more than 50 occurrences/;
  const series = (reminders: CreateData['reminders'], rule = 'FREQ=DAILY', due = '2026-02-11T09:00:00Z') =>
    given().when(create(T1, { title: 's', due_date: due, recurrence_rule: rule, reminders }), at(NOW));
  series([{ before: 'P50D' }]).then(['task.created', 'reminder.scheduled']);
  series([{ before: 'PT1H' }, { before: 'P51D' }]).then(throws('validation', 'reminders[1].before', reach));
  series([{ before: 'P350D' }], 'FREQ=WEEKLY').then(['task.created', 'reminder.scheduled'], '50 weeks back');
  series([{ before: 'P52W' }], 'FREQ=WEEKLY').then(throws('validation', 'reminders[0].before', reach));
  series([{ at_time: '09:00', days_before: 60 }], 'FREQ=DAILY', '2026-02-11').then(
    throws('validation', 'reminders[0].days_before', reach),
  );
  const weekly = series([{ before: 'P20D' }], 'FREQ=WEEKLY').then(['task.created', 'reminder.scheduled']);
  given(weekly)
    .when({ type: 'add_reminder', data: { before: 'P52W' } }, at(NOW))
    .then(throws('validation', 'before', reach));
  given(weekly)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY;BYHOUR=8,12,18' } }, at(NOW))
    .then(throws('validation', 'recurrence_rule', reach));
  given(weekly)
    .when({ type: 'update', data: { title: 'still weekly' } }, at(NOW))
    .then(['task.updated']);
});

test('undoing a due-date edit brings back the reminders that edit made pass or took away; so does a later date, and a removed one stays off', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'call', due_date: '2026-02-10T13:00:00Z', reminders: [{ before: 'PT30M' }] }),
    at(NOW),
  );
  const sooner = given(created)
    .when({ type: 'update', data: { due_date: '2026-02-10T12:10:00Z' } }, at(NOW))
    .then(['task.due_date_changed', { event_type: 'reminder.cancelled', data: { reason: 'passed' } }]);
  const undoOf = (history: EventEnvelope[]) => ({
    ...at(NOW),
    undo: { events: history },
  });
  const undone = given(sooner)
    .when(
      { type: 'undo', event_id: sooner.events[0]?.event_id as string },
      undoOf([...created.events, ...sooner.events]),
    )
    .then(['task.due_date_changed', 'reminder.scheduled']);
  t.like(undone.state?.reminders[0], { remind_at: '2026-02-10T12:30:00.000Z', cancelled: false, cancel_reason: null });
  // A later date set by hand gives it time ahead again: it follows the date, as it would have without the
  // earlier move (the dashboard shows it resting meanwhile: "not sent: its time had passed").
  const later = given(sooner)
    .when({ type: 'update', data: { due_date: '2026-02-10T15:00:00Z' } }, at(NOW))
    .then(['task.due_date_changed', 'reminder.scheduled']);
  t.like(later.state?.reminders[0], { remind_at: '2026-02-10T14:30:00.000Z', cancelled: false, cancel_reason: null });
  // A date still too soon leaves it resting.
  given(sooner)
    .when({ type: 'update', data: { due_date: '2026-02-10T12:20:00Z' } }, at(NOW))
    .then(['task.due_date_changed']);
  // Removed while resting, it is off for good: a later date does not bring it back.
  const id = sooner.state?.reminders[0]?.id as string;
  const removed = given(sooner)
    .when({ type: 'remove_reminder', reminder_id: id }, at(NOW))
    .then([{ event_type: 'reminder.cancelled', data: { reason: 'removed' } }]);
  given(removed)
    .when({ type: 'update', data: { due_date: '2026-02-10T15:00:00Z' } }, at(NOW))
    .then(['task.due_date_changed']);
  given(removed).when({ type: 'remove_reminder', reminder_id: id }, at(NOW)).then(throws('not_found'));
  // Taken away with the due date: the undo of that edit brings both back.
  const noDate = given(created)
    .when({ type: 'update', data: { due_date: null } }, at(NOW))
    .then(['task.due_date_changed', { event_type: 'reminder.cancelled', data: { reason: 'no_due_date' } }]);
  given(noDate)
    .when(
      { type: 'undo', event_id: noDate.events[0]?.event_id as string },
      undoOf([...created.events, ...noDate.events]),
    )
    .then(['task.due_date_changed', 'reminder.scheduled']);
  // A due date given again brings it back too.
  given(noDate)
    .when({ type: 'update', data: { due_date: '2026-02-11T13:00:00Z' } }, at(NOW))
    .then(['task.due_date_changed', 'reminder.scheduled']);
});

test('once a series has spawned, its next instance is there ahead of its time: it spawns when the one before it comes', (t) => {
  const given = spec(t);
  const berlin = (iso: string) => at(iso, 'Europe/Berlin');
  const created = given().when(
    create(T1, {
      title: 'Standup',
      due_date: '2026-02-11T09:00',
      recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
      reminders: [{ before: 'PT1H' }],
    }),
    berlin(NOW),
  );
  // The first at its occurrence less its reminder's hour (Wed 07:00Z); the occurrence has not come yet.
  const first = given(created)
    .when({ type: 'spawn' }, berlin('2026-02-11T07:00:00Z'))
    .then(['recurring.spawned', 'task.created', 'reminder.scheduled']);
  t.is(spawnDueAt(first.state as TaskState, 'Europe/Berlin'), Date.parse('2026-02-11T08:00:00Z'));
  // When Wednesday's comes, Friday's shows, two days ahead, with its reminder armed.
  given(first).when({ type: 'spawn' }, berlin('2026-02-11T07:59:58Z')).then([], 'not before');
  const friday = given(first)
    .when({ type: 'spawn' }, berlin('2026-02-11T08:00:00Z'))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-02-13T08:00:00.000Z',
          next_occurrence: { from: '2026-02-13T08:00:00.000Z', to: '2026-02-16T08:00:00.000Z' },
          late: false,
          ahead: true,
        },
      },
      'task.created',
      'reminder.scheduled',
    ]);
  t.like(friday.stateOf((friday.events[0]?.data as { instance_id: string }).instance_id), {
    due_date: '2026-02-13T08:00:00.000Z',
    completed: false,
  });
  t.is(spawnDueAt(friday.state as TaskState, 'Europe/Berlin'), Date.parse('2026-02-13T08:00:00Z'), "at Friday's");
  given(friday).when({ type: 'spawn' }, berlin('2026-02-12T08:00:00Z')).then([], 'spawning again is a no-op');
});

test('editing the rule never re-spawns an occurrence already spawned', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, {
      title: 'daily',
      due_date: '2026-02-11T09:00:00Z',
      recurrence_rule: 'FREQ=DAILY',
      reminders: [{ before: 'PT1H' }],
    }),
    at(NOW),
  );
  const spawned = given(created)
    .when({ type: 'spawn' }, at('2026-02-11T08:00:00Z'))
    .then(['recurring.spawned', 'task.created', 'reminder.scheduled']);
  given(spawned)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY;INTERVAL=1' } }, at('2026-02-11T08:30:00Z'))
    .then(['task.updated'])
    .then({ next_occurrence: '2026-02-12T09:00:00.000Z' });
});

test('a zone change keeps a series at its wall-clock time in the new zone', (t) => {
  const given = spec(t);
  const berlin = (iso: string) => at(iso, 'Europe/Berlin');
  const reschedule: TaskCommand = { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'America/New_York' };
  const created = given()
    .when(create(T1, { title: 'gym', due_date: '2026-02-11T07:00', recurrence_rule: 'FREQ=DAILY' }), berlin(NOW))
    .then({ next_occurrence: '2026-02-11T06:00:00.000Z' });
  given(created)
    .when(reschedule, at(NOW, 'America/New_York'))
    .then(['recurring.rescheduled'])
    .then({ due_date: '2026-02-11T12:00:00.000Z', next_occurrence: '2026-02-11T12:00:00.000Z' }); // 07:00 EST
  // A series with a zone of its own does not follow the user.
  const tokyo = given().when(
    create(T2, { title: 'tokyo', timezone: 'Asia/Tokyo', due_date: '2026-02-11T07:00', recurrence_rule: 'FREQ=DAILY' }),
    berlin(NOW),
  );
  given(tokyo).when(reschedule, at(NOW, 'America/New_York')).then([]);
  // A late reschedule (a fan-out finished after a crash, another replica's) to a zone the user has left again
  // since moves nothing: the newer change's own reschedule is the one that counts.
  given(created).when(reschedule, at(NOW, 'Asia/Tokyo')).then([], 'the user is in Tokyo by now');
});

test('a zone change west never brings back an occurrence already spawned: its place in the series is its wall-clock time', (t) => {
  const given = spec(t);
  const berlin = (iso: string) => at(iso, 'Europe/Berlin');
  // Every 3 days at 09:00 Berlin. At the 12 Feb occurrence (08:00Z) the series spawns it and, ahead, the
  // 15 Feb one (08:00Z): it is at 18 Feb.
  const created = given()
    .when(
      create(T1, { title: 'water plants', due_date: '2026-02-12T09:00', recurrence_rule: 'FREQ=DAILY;INTERVAL=3' }),
      berlin(NOW),
    )
    .then({ next_occurrence: '2026-02-12T08:00:00.000Z' });
  const spawned = given(created)
    .when({ type: 'spawn' }, berlin('2026-02-12T08:00:00Z'))
    .then({ last_spawned_at: '2026-02-15T08:00:00.000Z', next_occurrence: '2026-02-18T08:00:00.000Z' });
  // Moved to Los Angeles on 12 Feb: 15 Feb 09:00 there (17:00Z) is after the last spawn's instant, but it
  // is the occurrence spawned already (15 Feb 09:00). The next is 18 Feb 09:00 PST.
  const west = { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'America/Los_Angeles' } as const;
  given(spawned)
    .when(west, at('2026-02-12T09:00:00Z', 'America/Los_Angeles'))
    .then(['recurring.rescheduled'])
    .then({ next_occurrence: '2026-02-18T17:00:00.000Z' });
  // Given a zone of its own the series keeps its instants (00:00 in Los Angeles now): 15 Feb 08:00Z stays
  // the last one spawned, 18 Feb 08:00Z is next.
  given(spawned)
    .when({ type: 'update', data: { timezone: 'America/Los_Angeles' } }, berlin('2026-02-12T09:00:00Z'))
    .then({ next_occurrence: '2026-02-18T08:00:00.000Z' });
  // East nothing is skipped or repeated either: 18 Feb 09:00 Tokyo is next.
  const east = { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' } as const;
  given(spawned)
    .when(east, at('2026-02-12T09:00:00Z', 'Asia/Tokyo'))
    .then({ next_occurrence: '2026-02-18T00:00:00.000Z' });
});

test('there and back again: a second zone change keeps the wall-clock place the first gave, nothing spawned comes back', (t) => {
  const given = spec(t);
  const utc = (iso: string) => at(iso, 'UTC');
  const created = given().when(daily(T1, '2026-12-01T07:30'), utc('2026-12-01T06:00:00Z'));
  // At the 1 Dec occurrence it spawns it and, ahead, the 2 Dec one: the series is at 3 Dec 07:30.
  const spawned = given(created)
    .when({ type: 'spawn' }, utc('2026-12-01T07:30:00Z'))
    .then({ next_occurrence: '2026-12-03T07:30:00.000Z' });
  const west = given(spawned)
    .when(
      { type: 'reschedule', from_zone: 'UTC', to_zone: 'America/Los_Angeles' },
      at('2026-12-01T08:00:00Z', 'America/Los_Angeles'),
    )
    .then({ next_occurrence: '2026-12-03T15:30:00.000Z' }, '3 Dec 07:30 in Los Angeles');
  // Back: 3 Dec 07:30 UTC again, not 2 Dec (spawned already), which counting from the last spawn's instant gave.
  given(west)
    .when({ type: 'reschedule', from_zone: 'America/Los_Angeles', to_zone: 'UTC' }, at('2026-12-01T09:00:00Z', 'UTC'))
    .then({ next_occurrence: '2026-12-03T07:30:00.000Z' });
});

test('a zone change when the next occurrence falls in a DST gap keeps that day: nothing is skipped', (t) => {
  const given = spec(t);
  const ny = (iso: string) => at(iso, 'America/New_York');
  const created = given().when(daily(T1, '2026-03-05T02:30'), ny('2026-03-05T06:00:00Z'));
  // At the 6 Mar occurrence it spawns it and, ahead, 7 Mar: next is 8 Mar, whose 02:30 the clocks skip
  // (03:30 EDT, 07:30Z).
  const spawned = given(created)
    .when({ type: 'spawn' }, ny('2026-03-06T07:30:00Z'))
    .then({ next_occurrence: '2026-03-08T07:30:00.000Z' });
  given(spawned)
    .when({ type: 'reschedule', from_zone: 'America/New_York', to_zone: 'UTC' }, at('2026-03-06T08:00:00Z', 'UTC'))
    .then({ next_occurrence: '2026-03-08T02:30:00.000Z' }, '8 Mar 02:30 in UTC, not 9 Mar');
});

test("a zone change moves a series' open timed instance to the same wall-clock time (its reminders with it); a done one, or one with a zone of its own, stays", (t) => {
  const given = spec(t);
  const utc = (iso: string) => at(iso, 'UTC');
  const created = given().when(
    daily(T1, '2026-12-01T07:30', { reminders: [{ before: 'PT15M' }] }),
    utc('2026-12-01T06:00:00Z'),
  );
  const instance = spawnedInstance(given(created).when({ type: 'spawn' }, utc('2026-12-01T07:15:00Z')));
  const west = { type: 'reschedule', from_zone: 'UTC', to_zone: 'America/Los_Angeles' } as const;
  const moved = given(...instance)
    .when(west, at('2026-12-01T07:20:00Z', 'America/Los_Angeles'))
    .then([
      {
        event_type: 'task.due_date_changed',
        data: {
          changes: { due_date: { from: '2026-12-01T07:30:00.000Z', to: '2026-12-01T15:30:00.000Z' } },
          reason: 'timezone_changed',
        },
      },
      'reminder.scheduled',
    ]);
  t.deepEqual(
    moved.state?.reminders.filter((r) => !r.cancelled).map((r) => r.remind_at),
    ['2026-12-01T15:15:00.000Z'],
    'its reminder 15 min before, there',
  );
  t.is(moved.state?.occurrence_at, '2026-12-01T07:30:00.000Z', 'still the 1 Dec occurrence');
  const done = given(...instance).when({ type: 'complete' }, utc('2026-12-01T07:20:00Z'));
  given(done).when(west, at('2026-12-01T07:25:00Z', 'America/Los_Angeles')).then([], 'done: history');
  const own = given(...instance).when(
    { type: 'update', data: { timezone: 'Europe/Berlin' } },
    utc('2026-12-01T07:20:00Z'),
  );
  given(own).when(west, at('2026-12-01T07:25:00Z', 'America/Los_Angeles')).then([], 'a zone of its own');

  // At the edge of time: the same wall-clock time west of UTC would be in year 10000, so it keeps its instant.
  const last = given().when(daily(T2, '9999-12-31T23:00'), utc('9999-12-31T22:00:00Z'));
  given(...spawnedInstance(given(last).when({ type: 'spawn' }, utc('9999-12-31T23:00:00Z'))))
    .when(
      { type: 'reschedule', from_zone: 'UTC', to_zone: 'Pacific/Pago_Pago' },
      at('9999-12-31T23:05:00Z', 'Pacific/Pago_Pago'),
    )
    .then([], 'no instant in years 0001-9999: left where it is');
});

test('a recurring series is not completed itself, and an occurrence cannot recur', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'daily', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' }),
    at(NOW),
  );
  // Without its open occurrences read, a series' completion is refused as ever.
  given(created)
    .when({ type: 'complete' }, at(NOW))
    .then(throws('conflict', undefined, /not completed itself/));
  // With one open, that one is named.
  given(created)
    .when({ type: 'complete' }, { ...at(NOW), openOccurrence: { id: T2, due_date: '2026-02-11T09:00:00.000Z' } })
    .then(throws('conflict', undefined, new RegExp(`its occurrence ${T2} due 2026-02-11T09:00:00.000Z is open`)));
  const spawned = given(created).when({ type: 'spawn' }, at('2026-02-11T09:00:00Z'));
  const instance = spawned.streamOf((spawned.events[0]?.data as { instance_id: string }).instance_id);
  given(...instance)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } }, at('2026-02-11T09:00:00Z'))
    .then(throws('validation', 'recurrence_rule', /^recurrence_rule: an occurrence/));
  given(...instance)
    .when({ type: 'complete' }, at('2026-02-11T09:00:00Z'))
    .then(['task.completed']);
});

test('completing a series with no occurrence open completes its next one ahead of time: spawned done, its reminders cancelled by the completion; the next moves on', (t) => {
  const given = spec(t);
  const berlin = (iso: string, extra: Partial<DecideContext> = {}) => ({ ...at(iso, 'Europe/Berlin'), ...extra });
  // Rent on the 1st of each month at 09:00 Berlin, a reminder a day before; ticked on 10 February.
  const created = given()
    .when(
      create(T1, {
        title: 'Pay rent',
        due_date: '2026-03-01T09:00',
        recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
        reminders: [{ before: 'P1D' }],
      }),
      berlin(NOW),
    )
    .then({ next_occurrence: '2026-03-01T08:00:00.000Z' });
  const ticked = given(created)
    .when({ type: 'complete' }, berlin(NOW, { openOccurrence: null }))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-03-01T08:00:00.000Z',
          next_occurrence: { from: '2026-03-01T08:00:00.000Z', to: '2026-04-01T07:00:00.000Z' },
          ahead: true,
          completed_early: true,
        },
      },
      'task.created',
      'reminder.scheduled',
      'task.completed',
      { event_type: 'reminder.cancelled', data: { reason: 'task_completed' } },
    ])
    .then({
      next_occurrence: '2026-04-01T07:00:00.000Z',
      last_spawned_at: '2026-03-01T08:00:00.000Z',
      completed: false,
    });
  const id = (ticked.events[0]?.data as { instance_id: string }).instance_id;
  t.like(ticked.stateOf(id), {
    series_id: T1,
    occurrence_at: '2026-03-01T08:00:00.000Z',
    completed: true,
    completed_at: NOW.replace('Z', '.000Z'),
  });
  t.like(ticked.stateOf(id)?.reminders, [{ offset: 'P1D', cancelled: true, cancel_reason: 'task_completed' }]);
  // Undone (the Undo of "Completed Pay rent"), the occurrence is open again with its reminder armed.
  const stream = ticked.streamOf(id);
  const completion = stream.find((e) => e.event_type === 'task.completed');
  const undone = given(...stream)
    .when(
      { type: 'undo', event_id: completion?.event_id ?? 'missing' },
      berlin('2026-02-10T12:01:00Z', { undo: { events: stream } }),
    )
    .then({ completed: false });
  t.like(undone.state?.reminders, [{ cancelled: false, remind_at: '2026-02-28T08:00:00.000Z' }]);
  // The series' template reminder stays for the occurrences to come, and the next spawns when March's time comes.
  t.is(ticked.state?.reminders.length, 1);
  t.deepEqual(
    ticked.state ? timersOf(ticked.state, 'Europe/Berlin').map((x) => [x.name, new Date(x.dueAt).toISOString()]) : [],
    [['spawn', '2026-03-01T08:00:00.000Z']],
  );
  // Ticked again, it completes April's.
  given(ticked)
    .when({ type: 'complete' }, berlin(NOW, { openOccurrence: null }))
    .then([
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-04-01T07:00:00.000Z' } },
      'task.created',
      'reminder.scheduled',
      'task.completed',
      'reminder.cancelled',
    ]);
  // An after-completion series' next follows a completion: refused as before.
  const every = given().when(
    create(T2, {
      title: 'Water plants',
      due_date: '2026-03-01T09:00',
      recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
      recurrence_mode: 'after_completion',
    }),
    berlin(NOW),
  );
  given(every)
    .when({ type: 'complete' }, berlin(NOW, { openOccurrence: null }))
    .then(throws('conflict', undefined, /not completed itself/));
});

test('timers a turn touches: a plain edit none, a reminder its own, ending a series cancels its spawn', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] }),
    at(NOW),
  );
  const [rid = ''] = reminderIds(created);
  let step = created;
  /** The next edit, and the timers its events arm and cancel. */
  const edit = (data: Extract<TaskCommand, { type: 'update' }>['data']) => {
    step = given(step).when({ type: 'update', data }, at(NOW));
    const c = timerChanges(step.events, [step.state as TaskState], 'UTC');
    return { arm: c.arm.map((x) => x.name), cancel: c.cancel.map((x) => x.name) };
  };
  t.deepEqual(edit({ title: 'b', description: 'd' }), { arm: [], cancel: [] });
  t.deepEqual(edit({ due_date: '2026-02-15T18:00:00Z' }), { arm: [`remind:${rid}`], cancel: [] });
  t.deepEqual(edit({ recurrence_rule: 'FREQ=DAILY' }), { arm: ['spawn'], cancel: [`remind:${rid}`] });
  t.deepEqual(edit({ title: 'series, renamed' }), { arm: ['spawn'], cancel: [] });
  // No longer a series: its spawn is cancelled and the template reminder fires before the due date again.
  t.deepEqual(edit({ recurrence_rule: null }), { arm: [`remind:${rid}`], cancel: ['spawn'] });
});

// ------------------------------------------------------------------ time bugs from public reports (issue 12)
/**
 * Spawns the series' instances in turn, each turn at the time its timer is due (the first at its
 * occurrence, each later one ahead, when the one before it comes): the first `count` instances' due
 * dates, and the last step.
 */
function spawnDueDates(
  given: Given<TaskCommand, TaskState | null, DecideContext>,
  from: Step,
  count: number,
  zone = 'UTC',
): { dueDates: string[]; last: Step } {
  const dueDates: string[] = [];
  let step = from;
  while (dueDates.length < count) {
    const due = step.state ? spawnDueAt(step.state, zone) : null;
    if (due === null) break;
    step = given(step).when({ type: 'spawn' }, at(new Date(due).toISOString(), zone));
    if (step.events.length === 0) break;
    for (const e of step.events)
      if (e.event_type === 'task.created') dueDates.push((e.data.task as TaskState).due_date as string);
  }
  return { dueDates: dueDates.slice(0, count), last: step };
}

test('a series starting in a DST gap moves only its first day: 07:30Z on the 14th, then 02:30 New York time (06:30Z)', (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, { title: 'gap', due_date: '2027-03-14T02:30:00', recurrence_rule: 'FREQ=DAILY' }),
      at('2027-03-01T12:00:00Z', 'America/New_York'),
    )
    .then({
      due_date: '2027-03-14T07:30:00.000Z',
      dtstart_local: '2027-03-14T02:30:00',
      next_occurrence: '2027-03-14T07:30:00.000Z',
    });
  t.deepEqual(spawnDueDates(given, created, 4, 'America/New_York').dueDates, [
    '2027-03-14T07:30:00.000Z',
    '2027-03-15T06:30:00.000Z',
    '2027-03-16T06:30:00.000Z',
    '2027-03-17T06:30:00.000Z',
  ]);
});

test('a series starting on the second pass of a repeated hour starts then, not an hour early; later days take their own wall time', (t) => {
  const given = spec(t);
  const ny = (iso: string) => at(iso, 'America/New_York');
  // New York falls back at 02:00 EDT on 2027-11-07: 01:30 comes twice (05:30Z EDT, then 06:30Z EST).
  for (const [id, due_date] of [
    [T1, '2027-11-07T01:30:00-05:00'],
    [T2, '2027-11-07T06:30:00Z'],
  ] as const) {
    const created = given()
      .when(create(id, { title: 'fold', due_date, recurrence_rule: 'FREQ=DAILY' }), ny('2027-11-01T12:00:00Z'))
      .then({
        due_date: '2027-11-07T06:30:00.000Z',
        dtstart_local: '2027-11-07T01:30:00',
        next_occurrence: '2027-11-07T06:30:00.000Z',
      });
    t.deepEqual(spawnDueDates(given, created, 3, 'America/New_York').dueDates, [
      '2027-11-07T06:30:00.000Z',
      '2027-11-08T06:30:00.000Z',
      '2027-11-09T06:30:00.000Z',
    ]);
  }
  // The first pass (EDT) as written, or the wall time alone (which reads as the first pass): 05:30Z.
  for (const [id, due_date] of [
    [T1, '2027-11-07T01:30:00-04:00'],
    [T2, '2027-11-07T01:30'],
  ] as const)
    given()
      .when(create(id, { title: 'first pass', due_date, recurrence_rule: 'FREQ=DAILY' }), ny('2027-11-01T12:00:00Z'))
      .then({ due_date: '2027-11-07T05:30:00.000Z', next_occurrence: '2027-11-07T05:30:00.000Z' });
  // A PATCH onto the second pass moves the series' start with it; a year later 2028-11-07 is after that
  // year's change (November 5th), so 01:30 EST is 06:30Z again.
  const edited = given().when(
    create(T1, {
      title: 'yearly',
      due_date: '2027-10-01T09:00',
      recurrence_rule: 'FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=7',
    }),
    ny('2027-09-01T12:00:00Z'),
  );
  const yearly = given(edited)
    .when({ type: 'update', data: { due_date: '2027-11-07T06:30:00Z' } }, ny('2027-09-01T12:00:00Z'))
    .then({ due_date: '2027-11-07T06:30:00.000Z', next_occurrence: '2027-11-07T06:30:00.000Z' });
  t.deepEqual(spawnDueDates(given, yearly, 2, 'America/New_York').dueDates, [
    '2027-11-07T06:30:00.000Z',
    '2028-11-07T06:30:00.000Z',
  ]);
  // The rule's other times in the repeated hour that night come after the start, on the second pass too.
  const twice = given()
    .when(
      create(T2, {
        title: 'byminute',
        due_date: '2027-11-07T06:15:00Z',
        recurrence_rule: 'FREQ=DAILY;BYHOUR=1;BYMINUTE=15,45',
      }),
      ny('2027-11-01T12:00:00Z'),
    )
    .then({ next_occurrence: '2027-11-07T06:15:00.000Z' });
  t.deepEqual(spawnDueDates(given, twice, 3, 'America/New_York').dueDates, [
    '2027-11-07T06:15:00.000Z',
    '2027-11-07T06:45:00.000Z',
    '2027-11-08T06:15:00.000Z',
  ]);
});

test('a series stored with a first-pass next occurrence its start no longer has spawns the real one, once', (t) => {
  const given = spec(t);
  const ny = (iso: string) => at(iso, 'America/New_York');
  const created = given().when(
    create(T1, { title: 'fold', due_date: '2027-11-07T06:30:00Z', recurrence_rule: 'FREQ=DAILY' }),
    ny('2027-11-01T12:00:00Z'),
  );
  // As an expansion before the second pass was told apart wrote it: next_occurrence at 01:30 EDT.
  const history = created.history.map((e) =>
    e.event_type === 'task.created'
      ? {
          ...e,
          data: { ...e.data, task: { ...(e.data.task as TaskState), next_occurrence: '2027-11-07T05:30:00.000Z' } },
        }
      : e,
  );
  const spawned = given(...history).when({ type: 'spawn' }, ny('2027-11-07T05:30:00Z'));
  const instances = spawned.events.filter((e) => e.event_type === 'task.created');
  t.deepEqual(
    instances.map((e) => (e.data.task as TaskState).due_date),
    ['2027-11-07T06:30:00.000Z'],
  );
  t.is(spawned.state?.next_occurrence, '2027-11-08T06:30:00.000Z');
});

test('on Lord Howe (a 30-minute gap) a series in the gap moves its first day by 30 minutes only', (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, {
        title: 'lhi',
        timezone: 'Australia/Lord_Howe',
        due_date: '2027-10-03T02:15',
        recurrence_rule: 'FREQ=DAILY',
      }),
      at('2027-09-01T00:00:00Z'),
    )
    .then({ due_date: '2027-10-02T15:45:00.000Z', dtstart_local: '2027-10-03T02:15:00' });
  t.deepEqual(spawnDueDates(given, created, 3).dueDates, [
    '2027-10-02T15:45:00.000Z',
    '2027-10-03T15:15:00.000Z',
    '2027-10-04T15:15:00.000Z',
  ]);
});

test("a due date written in a named zone (RFC 9557 suffix): read there; its wall-clock time kept only when that is the series' zone", (t) => {
  const given = spec(t);
  // A member in New York edits a series that follows its creator's zone (Tokyo): 09:00 New York is 23:00 Tokyo,
  // and the series recurs at 23:00 Tokyo time.
  const tokyo = (iso: string) => at(iso, 'Asia/Tokyo');
  const created = given().when(
    create(T1, { title: 'standup', due_date: '2026-12-01T10:00', recurrence_rule: 'FREQ=DAILY' }),
    tokyo('2026-11-20T00:00:00Z'),
  );
  given(created)
    .when({ type: 'update', data: { due_date: '2026-12-01T09:00[America/New_York]' } }, tokyo('2026-11-20T00:00:00Z'))
    .then({ due_date: '2026-12-01T14:00:00.000Z', dtstart_local: '2026-12-01T23:00:00', timezone: null });
  // Written in the series' own zone, the written time stays its start even in a DST gap (as without the suffix).
  const ny = (iso: string) => at(iso, 'America/New_York');
  const own = given().when(
    create(T2, { title: 'gap', due_date: '2027-03-10T09:00', recurrence_rule: 'FREQ=DAILY' }),
    ny('2027-03-01T12:00:00Z'),
  );
  given(own)
    .when({ type: 'update', data: { due_date: '2027-03-14T02:30[America/New_York]' } }, ny('2027-03-01T12:00:00Z'))
    .then({ due_date: '2027-03-14T07:30:00.000Z', dtstart_local: '2027-03-14T02:30:00' });
  // The same zone under a link's name (a user whose zone was kept as they wrote it) is still its own zone.
  given(own)
    .when({ type: 'update', data: { due_date: '2027-03-14T02:30[US/Eastern]' } }, ny('2027-03-01T12:00:00Z'))
    .then({ due_date: '2027-03-14T07:30:00.000Z', dtstart_local: '2027-03-14T02:30:00' });
});

test("a PATCH of a series' due date into a DST gap keeps the written time; the wall-clock start travels with the due date", (t) => {
  const given = spec(t);
  const ny = (iso: string) => at(iso, 'America/New_York');
  const created = given().when(
    create(T1, { title: 'gap', due_date: '2027-03-10T09:00', recurrence_rule: 'FREQ=DAILY' }),
    ny('2027-03-01T12:00:00Z'),
  );
  const patched = given(created)
    .when({ type: 'update', data: { due_date: '2027-03-14T02:30' } }, ny('2027-03-01T12:00:00Z'))
    .then([
      {
        event_type: 'task.due_date_changed',
        data: {
          changes: {
            due_date: { from: '2027-03-10T14:00:00.000Z', to: '2027-03-14T07:30:00.000Z' },
            dtstart_local: { from: '2027-03-10T09:00:00', to: '2027-03-14T02:30:00' },
          },
        },
      },
      'recurring.rescheduled',
    ]);
  t.deepEqual(spawnDueDates(given, patched, 2, 'America/New_York').dueDates, [
    '2027-03-14T07:30:00.000Z',
    '2027-03-15T06:30:00.000Z',
  ]);

  // The same instant written as a wall-clock time in the gap: the due date stays, the series' time moves.
  const instant = given()
    .when(
      create(T2, { title: 'instant', due_date: '2027-03-14T07:30:00Z', recurrence_rule: 'FREQ=DAILY' }),
      ny('2027-03-01T12:00:00Z'),
    )
    .then({ dtstart_local: '2027-03-14T03:30:00' }, 'an instant is kept as its wall-clock time');
  const rewritten = given(instant)
    .when({ type: 'update', data: { due_date: '2027-03-14T02:30' } }, ny('2027-03-01T12:00:00Z'))
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { dtstart_local: { from: '2027-03-14T03:30:00', to: '2027-03-14T02:30:00' } } },
      },
    ]);
  const { dueDates, last } = spawnDueDates(given, rewritten, 2, 'America/New_York');
  t.deepEqual(dueDates, ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);
  // Ending the series drops its wall-clock start.
  const ended = given(last).when({ type: 'update', data: { recurrence_rule: null } }, ny('2027-03-15T06:30:00Z'));
  t.like(ended.events[0]?.data.changes, { dtstart_local: { from: '2027-03-14T02:30:00', to: null } });
});

test("a user zone change that puts a series' start in a DST gap keeps the written wall-clock time", (t) => {
  const given = spec(t);
  const created = given()
    .when(
      create(T1, { title: 'gap', due_date: '2027-03-14T02:30', recurrence_rule: 'FREQ=DAILY' }),
      at('2027-03-01T12:00:00Z', 'UTC'),
    )
    .then({ next_occurrence: '2027-03-14T02:30:00.000Z' });
  const moved = given(created)
    .when(
      { type: 'reschedule', from_zone: 'UTC', to_zone: 'America/New_York' },
      at('2027-03-01T12:00:00Z', 'America/New_York'),
    )
    .then([
      {
        event_type: 'recurring.rescheduled',
        data: {
          changes: {
            due_date: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
            next_occurrence: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
          },
        },
      },
    ])
    .then({ dtstart_local: '2027-03-14T02:30:00' });
  const { dueDates, last } = spawnDueDates(given, moved, 3, 'America/New_York');
  t.deepEqual(dueDates, ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z']);
  // And back: 02:30 UTC again, not the 03:30 the gap moved the first day to.
  given(last)
    .when({ type: 'reschedule', from_zone: 'America/New_York', to_zone: 'UTC' }, at('2027-03-16T12:00:00Z', 'UTC'))
    .then({ next_occurrence: '2027-03-17T02:30:00.000Z' });
});

test('events written before a series kept its wall-clock start still replay; the next zone change fills it in', (t) => {
  const given = spec(t);
  const created = given().when(
    create(T1, { title: 'old', due_date: '2027-03-14T02:30', recurrence_rule: 'FREQ=DAILY' }),
    at('2027-03-01T12:00:00Z'),
  );
  // The same event as an older version wrote it: no dtstart_local in the snapshot.
  const { dtstart_local: _dropped, ...oldTask } = created.events[0]?.data.task as TaskState;
  const oldCreated: EventEnvelope = { ...(created.events[0] as EventEnvelope), data: { task: oldTask } };
  const old = fold([oldCreated]) as TaskState;
  t.is(old.dtstart_local, null);
  t.deepEqual({ ...old, dtstart_local: '2027-03-14T02:30:00' }, created.state, 'otherwise the same state');
  given(oldCreated)
    .when(
      { type: 'reschedule', from_zone: 'UTC', to_zone: 'America/New_York' },
      at('2027-03-01T12:00:00Z', 'America/New_York'),
    )
    .then([
      {
        event_type: 'recurring.rescheduled',
        data: {
          changes: {
            due_date: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
            dtstart_local: { from: null, to: '2027-03-14T02:30:00' },
            next_occurrence: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
          },
        },
      },
    ])
    .then({ dtstart_local: '2027-03-14T02:30:00' });
});

const CURRENT_ZONES = [
  'Europe/Kyiv',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Yangon',
  'Pacific/Kanton',
  'America/Argentina/Buenos_Aires',
];

test('a task keeps its zone name as sent, never the backward link the runtime resolves it to', (t) => {
  const given = spec(t);
  CURRENT_ZONES.forEach((zone, i) => {
    const id = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
    const created = given()
      .when(
        create(id, { title: zone, timezone: zone, due_date: '2026-06-01T09:00', recurrence_rule: 'FREQ=WEEKLY' }),
        at(NOW),
      )
      .then({ timezone: zone });
    t.is((created.events[0]?.data.task as TaskState).timezone, zone);
    const other = CURRENT_ZONES[(i + 1) % CURRENT_ZONES.length] as string;
    const patched = given(created)
      .when({ type: 'update', data: { timezone: other } }, at(NOW))
      .then({ timezone: other });
    t.like(patched.events[0]?.data.changes, { timezone: { from: zone, to: other } });
  });
  const cased = given().when(create(T1, { title: 'case', timezone: 'europe/berlin' }), at(NOW));
  t.is((cased.events[0]?.data.task as TaskState).timezone, 'Europe/Berlin', 'letter case is fixed');
  for (const timezone of [
    'Europe/Atlantis',
    'Kyiv',
    'UTC+2',
    '+02:00',
    'Europe/Kyiv\u0000',
    '../../etc/passwd',
    'x'.repeat(65),
  ]) {
    given()
      .when(create('33333333-3333-4333-8333-333333333333', { title: 'bad', timezone }), at(NOW))
      .then(throws('validation', 'timezone'), timezone);
  }
});

test('snooze postpones a fired reminder; a pending, cancelled or template one is a conflict naming its state', (t) => {
  const given = spec(t);
  // Due in 18 months: a snooze of 10 minutes must never bring it forward.
  const created = given().when(
    create(T1, { title: 'far', due_date: '2027-08-10T12:00:00Z', reminders: [{ before: 'PT1H' }, { before: 'PT2H' }] }),
    at(NOW),
  );
  const [far = '', removed = ''] = reminderIds(created);
  const snooze = (reminder_id: string, duration = 'PT10M'): TaskCommand => ({
    type: 'snooze_reminder',
    reminder_id,
    for: duration,
  });
  given(created)
    .when(snooze(far), at(NOW))
    .then(throws('conflict', undefined, /pending .*2027-08-10T11:00:00\.000Z.* not fired/));
  t.is(created.state?.reminders[0]?.remind_at, '2027-08-10T11:00:00.000Z', 'unchanged');
  // A bad duration is a 400 whatever the reminder's state.
  given(created).when(snooze(far, 'P60D'), at(NOW)).then(throws('validation'));
  const removal = given(created).when({ type: 'remove_reminder', reminder_id: removed }, at(NOW));
  given(removal)
    .when(snooze(removed), at(NOW))
    .then(throws('conflict', undefined, /cancelled \(removed\)/));
  given(removal).when(snooze('nope'), at(NOW)).then(throws('not_found'));

  // Once it fired, snooze re-arms it; until it fires again it is pending, and another snooze is refused.
  const fired = given(removal)
    .when({ type: 'fire_reminder', reminder_id: far }, at('2027-08-10T11:00:00Z'))
    .then(['reminder.triggered']);
  const snoozed = given(fired).when(snooze(far), at('2027-08-10T11:00:00Z')).then(['reminder.snoozed']);
  t.is(snoozed.state?.reminders.find((r) => r.id === far)?.remind_at, '2027-08-10T11:10:00.000Z');
  given(snoozed)
    .when(snooze(far, 'PT1M'), at('2027-08-10T11:00:00Z'))
    .then(throws('conflict', undefined, /pending/));

  const series = given().when(
    create(T2, {
      title: 'series',
      due_date: '2027-09-01T09:00:00Z',
      recurrence_rule: 'FREQ=DAILY',
      reminders: [{ before: 'PT5M' }],
    }),
    at('2027-08-10T11:00:00Z'),
  );
  const [template = ''] = reminderIds(series);
  given(series)
    .when(snooze(template), at('2027-08-10T11:00:00Z'))
    .then(throws('conflict', undefined, /template/));
});

test('a series whose UNTIL ends before its first occurrence is refused on create and on edit (400 naming recurrence_rule)', (t) => {
  const given = spec(t);
  const now = at('2026-11-29T12:00:00Z');
  given()
    .when(create(T1, { title: 'x', due_date: '2026-12-05', recurrence_rule: 'FREQ=DAILY;UNTIL=20261201' }), now)
    .then(throws('validation', 'recurrence_rule', /ends before its first occurrence/));
  given()
    .when(
      create(T1, {
        title: 'x',
        due_date: '2026-12-05T09:00',
        recurrence_rule: 'FREQ=DAILY;UNTIL=20261201T000000Z',
        recurrence_mode: 'after_completion',
      }),
      now,
    )
    .then(throws('validation', 'recurrence_rule', /ends before its first occurrence/));
  // UNTIL on the start's own day keeps that one occurrence.
  given()
    .when(create(T1, { title: 'x', due_date: '2026-12-05', recurrence_rule: 'FREQ=DAILY;UNTIL=20261205' }), now)
    .then({ next_occurrence: '2026-12-05T00:00:00.000Z' });
  const series = given().when(
    create(T1, { title: 'x', due_date: '2026-12-05', recurrence_rule: 'FREQ=DAILY;UNTIL=20261210' }),
    now,
  );
  given(series)
    .when({ type: 'update', data: { due_date: '2026-12-11' } }, now)
    .then(throws('validation', 'recurrence_rule', /ends before its first occurrence/));
  given(series)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=WEEKLY;UNTIL=20261201' } }, now)
    .then(throws('validation', 'recurrence_rule', /ends before its first occurrence/));
  const plain = given().when(create(T1, { title: 'x', due_date: '2026-12-05' }), now);
  given(plain)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY;UNTIL=20261201' } }, now)
    .then(throws('validation', 'recurrence_rule', /ends before its first occurrence/));
});

test('a title with something that shows is kept as written, invisible characters and all', (t) => {
  const given = spec(t);
  given()
    .when(create(T1, { title: ' 👩\u200d💻 ship it\u00ad ' }), at(NOW))
    .then({ title: '👩\u200d💻 ship it\u00ad' });
});

test("a series starts on a whole second (RFC 5545 has none finer): its due date is its first occurrence's instant", (t) => {
  const given = spec(t);
  const created = given()
    .when(create(T1, { title: 's', due_date: '2026-02-10T14:00:59.892Z', recurrence_rule: 'FREQ=DAILY' }), at(NOW))
    .then({ due_date: '2026-02-10T14:00:59.000Z', next_occurrence: '2026-02-10T14:00:59.000Z' });
  given(created)
    .when({ type: 'update', data: { due_date: '2026-02-11T08:30:00.250Z' } }, at(NOW))
    .then({ due_date: '2026-02-11T08:30:00.000Z', next_occurrence: '2026-02-11T08:30:00.000Z' });
  // A plain task keeps what it was given; made a series, it starts on the second.
  const plain = given()
    .when(create(T2, { title: 'p', due_date: '2026-02-10T14:00:00.500Z' }), at(NOW))
    .then({ due_date: '2026-02-10T14:00:00.500Z' });
  given(plain)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=WEEKLY' } }, at(NOW))
    .then({ due_date: '2026-02-10T14:00:00.000Z', next_occurrence: '2026-02-10T14:00:00.000Z' });
});

test('the same reminder twice is refused: on create a 400 naming the second, added again a 409; another time, or a removed twin, is fine', (t) => {
  const given = spec(t);
  given()
    .when(
      create(T1, {
        title: 'passport',
        due_date: '2026-02-20',
        reminders: [{ at_time: '09:00' }, { at_time: '09:00', days_before: 0 }],
      }),
      at(NOW),
    )
    .then(throws('validation', 'reminders[1]', /same reminder/));
  const created = given()
    .when(create(T1, { title: 'call', due_date: '2026-02-20T13:00:00Z', reminders: [{ before: 'PT1H' }] }), at(NOW))
    .then(['task.created', 'reminder.scheduled']);
  given(created)
    .when({ type: 'add_reminder', data: { before: 'PT60M' } }, at(NOW))
    .then(throws('conflict', undefined, /this reminder already/));
  const other = given(created)
    .when({ type: 'add_reminder', data: { before: 'PT2H' } }, at(NOW))
    .then(['reminder.scheduled']);
  const id = created.state?.reminders[0]?.id as string;
  const removed = given(created)
    .when({ type: 'remove_reminder', reminder_id: id }, at(NOW))
    .then(['reminder.cancelled']);
  given(removed)
    .when({ type: 'add_reminder', data: { before: 'PT1H' } }, at(NOW))
    .then(['reminder.scheduled']);
  t.is(other.state?.reminders.filter((r) => !r.cancelled).length, 2);
});
