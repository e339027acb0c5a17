// Series mode after_completion in the task decider, given / when / then (test/helpers/decider-spec.ts).
// A step on an instance is given the instance's stream first and the series' after it, with the series'
// state in the context (as the host reads it for a complete or delete of an instance).
import test from 'ava';
import type { TaskState, TaskCommand, DecideContext } from '../../actors/task/index.ts';
import { timersOf } from '../../actors/task/timers.ts';
import { taskSpec as spec, contextsAt } from '../helpers/task-context.ts';
import { throws, type Outcome } from '../helpers/decider-spec.ts';

type Step = Outcome<TaskState | null>;
type CreateData = Extract<TaskCommand, { type: 'create' }>['data'];

const inBerlin = contextsAt('Europe/Berlin');
/** The context at `iso` in `zone` (default Europe/Berlin), with the series' state when given. */
const at = (iso: string, zone?: string, series?: TaskState | null): DecideContext =>
  inBerlin(iso, zone, series ? { series } : {});
const create = (data: Partial<CreateData>): TaskCommand => ({
  type: 'create',
  id: S,
  data: { title: 'water the plants', ...data },
});

const S = '22222222-2222-4222-8222-222222222222';
const NOW = '2026-03-20T12:00:00Z';
const EVERY_3_DAYS = {
  due_date: '2026-03-23T09:00',
  recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
  recurrence_mode: 'after_completion',
};

/** The id of the instance the outcome's `recurring.spawned` names. */
const spawnedId = (o: Step): string =>
  (o.events.find((e) => e.event_type === 'recurring.spawned')?.data as { instance_id: string }).instance_id;
/** The given of a step on instance `id`: its stream first (the stream `when` decides on), then the series'. */
const onInstance = (o: Step, id: string) => [...o.streamOf(id), ...o.streamOf(S)];

test('after_completion takes FREQ with INTERVAL, COUNT/UNTIL, WKST and weekly weekdays; anything pinned to the calendar is a 400 saying why', (t) => {
  const given = spec(t);
  given()
    .when(create(EVERY_3_DAYS), at(NOW))
    .then({ recurrence_mode: 'after_completion', next_occurrence: '2026-03-23T08:00:00.000Z' });
  for (const rule of [
    'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU',
    'FREQ=MONTHLY;COUNT=3',
    'FREQ=YEARLY;UNTIL=20300101',
  ])
    given()
      .when(create({ ...EVERY_3_DAYS, recurrence_rule: rule }), at(NOW))
      .then({ recurrence_mode: 'after_completion' }, rule);
  for (const [rule, part] of [
    ['FREQ=MONTHLY;BYMONTHDAY=1', /BYMONTHDAY pins days of the month/],
    ['FREQ=YEARLY;BYMONTH=3', /BYMONTH pins months/],
    ['FREQ=DAILY;BYHOUR=9,18', /BYHOUR sets times of day/],
    ['FREQ=MONTHLY;BYDAY=-1FR', /BYDAY with an ordinal/],
    ['FREQ=DAILY;BYDAY=MO,TU', /BYDAY on FREQ=DAILY/],
  ] as const)
    given()
      .when(create({ ...EVERY_3_DAYS, recurrence_rule: rule }), at(NOW))
      .then(throws('validation', 'recurrence_rule', part), rule);
  given()
    .when(create({ due_date: '2026-03-23T09:00', recurrence_mode: 'after_completion' }), at(NOW))
    .then(throws('validation', 'recurrence_mode', /needs a recurrence_rule/));
  given()
    .when(create({ ...EVERY_3_DAYS, recurrence_mode: 'whenever' }), at(NOW))
    .then(throws('validation', 'recurrence_mode', /calendar, after_completion/));
  // Switching an existing series whose rule pins the calendar names the mode, the field the request changed.
  const monthly = given().when(
    create({ due_date: '2026-03-23T09:00', recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1,15' }),
    at(NOW),
  );
  given(monthly)
    .when({ type: 'update', data: { recurrence_mode: 'after_completion' } }, at(NOW))
    .then(throws('validation', 'recurrence_mode', /BYMONTHDAY/));
  given()
    .when(create({ title: 'plain' }), at(NOW))
    .then({ recurrence_mode: 'calendar' }, 'the default');
});

test('the first instance spawns on the calendar; each next one when the latest is completed, due on the completion day at the series time + the rule (across DST)', (t) => {
  const given = spec(t);
  const created = given().when(create(EVERY_3_DAYS), at(NOW));
  const first = given(created)
    .when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'))
    .then([
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-03-23T08:00:00.000Z',
          next_occurrence: { from: '2026-03-23T08:00:00.000Z', to: null },
        },
      },
      'task.created',
    ])
    .then({ next_occurrence: null, spawn_count: 1 });
  t.deepEqual(timersOf(first.state as TaskState, 'Europe/Berlin'), [], 'no calendar timer while the instance is open');
  const i1 = spawnedId(first);
  // Done on Friday 27 March at 20:00 CET: Friday 09:00 + 3 days is Monday 30 March 09:00, CEST since the 29th.
  const done = given(...onInstance(first, i1))
    .when({ type: 'complete' }, at('2026-03-27T19:00:00Z', 'Europe/Berlin', first.state))
    .then([
      'task.completed',
      {
        event_type: 'recurring.spawned',
        aggregate_id: S,
        data: {
          occurrence_at: '2026-03-30T07:00:00.000Z',
          next_occurrence: { from: null, to: null },
          after: { instance_id: i1, completed: '2026-03-27T19:00:00.000Z' },
        },
      },
      'task.created',
    ]);
  const i2 = spawnedId(done);
  t.like(done.stateOf(i2), {
    series_id: S,
    due_date: '2026-03-30T07:00:00.000Z',
    completed: false,
    recurrence_mode: 'calendar',
  });
  t.like(done.stateOf(S), { last_spawned_at: '2026-03-30T07:00:00.000Z', next_occurrence: null, spawn_count: 2 });

  // Undo and redo the completion: the series already moved on, nothing spawns twice.
  const undone = given(...onInstance(done, i1))
    .when({ type: 'uncomplete' }, at('2026-03-27T19:01:00Z', 'Europe/Berlin', done.stateOf(S)))
    .then(['task.uncompleted']);
  given(...onInstance(undone, i1))
    .when({ type: 'complete' }, at('2026-03-27T19:02:00Z', 'Europe/Berlin', undone.stateOf(S)))
    .then(['task.completed']);

  // Deleting the open instance skips it: the series goes on from the deletion (Sat 28th 09:00 + 3 days).
  const skipped = given(...onInstance(done, i2))
    .when({ type: 'delete' }, at('2026-03-28T10:00:00Z', 'Europe/Berlin', done.stateOf(S)))
    .then([
      'task.deleted',
      {
        event_type: 'recurring.spawned',
        data: {
          occurrence_at: '2026-03-31T07:00:00.000Z',
          after: { instance_id: i2, deleted: '2026-03-28T10:00:00.000Z' },
        },
      },
      'task.created',
    ]);
  const i3 = spawnedId(skipped);
  // Completed four days early (Fri 27th 11:00): 27th 09:00 + 3 days would be before its own due time,
  // so the next is the first occurrence after it (+6 days: Thursday 2 April).
  given(...onInstance(skipped, i3))
    .when({ type: 'complete' }, at('2026-03-27T10:00:00Z', 'Europe/Berlin', skipped.stateOf(S)))
    .then([
      'task.completed',
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-04-02T07:00:00.000Z' } },
      'task.created',
    ]);
  // Deleting a completed instance spawns nothing (its completion did).
  given(...onInstance(done, i1))
    .when({ type: 'delete' }, at('2026-03-29T10:00:00Z', 'Europe/Berlin', done.stateOf(S)))
    .then(['task.deleted']);
});

test('weekly days count from the completion day; COUNT counts the instances spawned and UNTIL ends the series', (t) => {
  const given = spec(t);
  const weekly = given().when(
    create({
      due_date: '2026-03-02T18:30',
      recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,TH;COUNT=2',
      recurrence_mode: 'after_completion',
    }),
    at('2026-03-01T00:00:00Z', 'America/New_York'),
  );
  const first = given(weekly).when({ type: 'spawn' }, at('2026-03-02T23:30:00Z', 'America/New_York'));
  const i1 = spawnedId(first);
  // Done Tuesday 10 March: the first Monday or Thursday after it is Thursday 12 March, 18:30 EDT.
  const second = given(...onInstance(first, i1))
    .when({ type: 'complete' }, at('2026-03-10T15:00:00Z', 'America/New_York', first.state))
    .then([
      'task.completed',
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-03-12T22:30:00.000Z' } },
      'task.created',
    ]);
  // COUNT=2: two instances spawned, so completing the second ends the series.
  given(...onInstance(second, spawnedId(second)))
    .when({ type: 'complete' }, at('2026-03-12T23:00:00Z', 'America/New_York', second.stateOf(S)))
    .then(['task.completed']);

  const until = given().when(
    create({
      due_date: '2026-03-02T09:00:00Z',
      recurrence_rule: 'FREQ=DAILY;INTERVAL=7;UNTIL=20260315T000000Z',
      recurrence_mode: 'after_completion',
    }),
    at('2026-03-01T00:00:00Z', 'UTC'),
  );
  const u1 = given(until).when({ type: 'spawn' }, at('2026-03-02T09:00:00Z', 'UTC'));
  const u2 = given(...onInstance(u1, spawnedId(u1)))
    .when({ type: 'complete' }, at('2026-03-05T12:00:00Z', 'UTC', u1.state))
    .then([
      'task.completed',
      { event_type: 'recurring.spawned', data: { occurrence_at: '2026-03-12T09:00:00.000Z' } },
      'task.created',
    ]);
  given(...onInstance(u2, spawnedId(u2)))
    .when({ type: 'complete' }, at('2026-03-12T12:00:00Z', 'UTC', u2.stateOf(S)))
    .then(['task.completed'], 'the 19th is after UNTIL');
});

test('a waiting series stays waiting through rule and zone edits; back to calendar it follows its calendar; no rule, no mode', (t) => {
  const given = spec(t);
  const first = given(given().when(create(EVERY_3_DAYS), at(NOW))).when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'));
  given(first)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY;INTERVAL=5' } }, at('2026-03-24T08:00:00Z'))
    .then(['task.updated'])
    .then({ next_occurrence: null, recurrence_rule: 'FREQ=DAILY;INTERVAL=5' });
  given(first)
    .when(
      { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' },
      at('2026-03-24T08:00:00Z', 'Asia/Tokyo'),
    )
    .then({ next_occurrence: null, dtstart_local: '2026-03-23T09:00:00' });
  given(first)
    .when({ type: 'update', data: { recurrence_mode: 'calendar' } }, at('2026-03-24T10:00:00Z'))
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { recurrence_mode: { from: 'after_completion', to: 'calendar' } } },
      },
      {
        event_type: 'recurring.rescheduled',
        data: { changes: { next_occurrence: { from: null, to: '2026-03-26T08:00:00.000Z' } } },
      },
    ]);
  given(first)
    .when({ type: 'update', data: { recurrence_rule: null } }, at('2026-03-24T10:00:00Z'))
    .then({ is_recurring: false, recurrence_mode: 'calendar', next_occurrence: null });
  given(first)
    .when(
      { type: 'update', data: { recurrence_rule: null, recurrence_mode: 'after_completion' } },
      at('2026-03-24T10:00:00Z'),
    )
    .then(throws('validation', 'recurrence_mode', /needs a recurrence_rule/));
});

test('a waiting series deleted and brought back by undo waits again (its instance comes back with it): not two open', (t) => {
  const given = spec(t);
  const first = given(given().when(create(EVERY_3_DAYS), at(NOW))).when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'));
  const gone = given(first).when({ type: 'delete' }, at('2026-03-24T08:00:00Z'));
  const deleted = gone.events.find((e) => e.event_type === 'task.deleted');
  given(gone)
    .when(
      { type: 'undo', event_id: deleted?.event_id ?? '' },
      { ...at('2026-03-24T09:00:00Z'), undo: { events: gone.history } },
    )
    .then({ deleted_at: null, next_occurrence: null });
});

test('completing an instance of a calendar series, or without the series in the context, spawns nothing', (t) => {
  const given = spec(t);
  const calendar = given(
    given().when(create({ due_date: '2026-03-23T09:00', recurrence_rule: 'FREQ=DAILY' }), at(NOW)),
  ).when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'));
  given(...onInstance(calendar, spawnedId(calendar)))
    .when({ type: 'complete' }, at('2026-03-23T09:00:00Z', 'Europe/Berlin', calendar.state))
    .then(['task.completed']);
  const first = given(given().when(create(EVERY_3_DAYS), at(NOW))).when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'));
  given(...onInstance(first, spawnedId(first)))
    .when({ type: 'complete' }, at('2026-03-23T09:00:00Z'))
    .then(['task.completed']);
});

test('an undone completion takes back the instance it spawned while untouched, so completing again spawns once; a touched one makes it a 409', (t) => {
  const given = spec(t);
  const created = given().when(create(EVERY_3_DAYS), at(NOW));
  const first = given(created).when({ type: 'spawn' }, at('2026-03-23T08:00:00Z'));
  const i1 = spawnedId(first);
  const done = given(...onInstance(first, i1)).when(
    { type: 'complete' },
    at('2026-03-27T19:00:00Z', 'Europe/Berlin', first.state),
  );
  const i2 = spawnedId(done);
  const completion = done.events.find((e) => e.event_type === 'task.completed');
  const undoCtx = (iso: string, successor: TaskState | null): DecideContext => ({
    ...at(iso, 'Europe/Berlin', done.stateOf(S)),
    ...(successor ? { successor } : {}),
    undo: { events: done.streamOf(i1) },
  });
  const undone = given(...onInstance(done, i1), ...done.streamOf(i2))
    .when(
      { type: 'undo', event_id: completion?.event_id ?? 'missing' },
      undoCtx('2026-03-27T19:00:05Z', done.stateOf(i2)),
    )
    .then([
      { event_type: 'task.uncompleted', aggregate_id: i1 },
      { event_type: 'task.deleted', aggregate_id: i2, data: { corrects: completion?.event_id } },
      {
        event_type: 'recurring.rescheduled',
        aggregate_id: S,
        data: {
          reason: 'undone',
          corrects: completion?.event_id,
          changes: {
            last_spawned_at: { from: '2026-03-30T07:00:00.000Z', to: '2026-03-23T08:00:00.000Z' },
            spawn_count: { from: 2, to: 1 },
          },
        },
      },
    ]);
  t.like(undone.stateOf(i1), { completed: false });
  t.like(undone.stateOf(i2), { deleted_at: '2026-03-27T19:00:05.000Z' });
  t.like(undone.stateOf(S), { last_spawned_at: '2026-03-23T08:00:00.000Z', next_occurrence: null, spawn_count: 1 });
  // Completed again: the series spawns its next instance once more.
  given(...onInstance(undone, i1))
    .when({ type: 'complete' }, at('2026-03-27T19:01:00Z', 'Europe/Berlin', undone.stateOf(S)))
    .then(['task.completed', { event_type: 'recurring.spawned', aggregate_id: S }, 'task.created']);

  // The spawned instance was edited meanwhile: it is kept and the undo is a 409 naming it.
  const edited = given(...done.streamOf(i2)).when(
    { type: 'update', data: { title: 'water the big plants' } },
    at('2026-03-27T19:00:03Z'),
  );
  given(...onInstance(done, i1))
    .when({ type: 'undo', event_id: completion?.event_id ?? 'missing' }, undoCtx('2026-03-27T19:00:05Z', edited.state))
    .then(throws('conflict', 'event_id', new RegExp(`next instance ${i2} .* changed since`)));
});
