// All-day tasks in the task decider, given / when / then (test/helpers/decider-spec.ts): a due date given
// as a date alone is a floating calendar date in the task's zone (issue 16; actors/task/all-day.ts).
import test from 'ava';
import type { TaskCommand } from '../../actors/task/index.ts';
import { timersOf } from '../../actors/task/timers.ts';
import { taskSpec as spec, contextsAt } from '../helpers/task-context.ts';
import { throws } from '../helpers/decider-spec.ts';

type CreateData = Extract<TaskCommand, { type: 'create' }>['data'];

const at = contextsAt();
const create = (data: CreateData, id = T1): TaskCommand => ({ type: 'create', id, data });

const T1 = '11111111-1111-4111-8111-111111111111';
const NOW = '2026-12-01T12:00:00Z';

test('a date alone is that calendar date in the task zone: its first instant there, not midnight UTC', (t) => {
  const given = spec(t);
  // UTC+14: 24 December begins at 10:00Z on the 23rd.
  given()
    .when(create({ title: 'Kiritimati', due_date: '2026-12-24' }), at(NOW, 'Pacific/Kiritimati'))
    .then({ due_day: '2026-12-24', due_date: '2026-12-23T10:00:00.000Z' });
  // UTC−11: it begins at 11:00Z on the 24th.
  given()
    .when(create({ title: 'Pago Pago', due_date: '2026-12-24', timezone: 'Pacific/Pago_Pago' }), at(NOW))
    .then({ due_day: '2026-12-24', due_date: '2026-12-24T11:00:00.000Z', timezone: 'Pacific/Pago_Pago' });
  // Santiago skips midnight on 6 September 2026 (00:00 → 01:00): the day begins at 01:00 −03.
  given()
    .when(create({ title: 'Santiago', due_date: '2026-09-06' }), at('2026-09-01T00:00:00Z', 'America/Santiago'))
    .then({ due_day: '2026-09-06', due_date: '2026-09-06T04:00:00.000Z' });
  // A date with a time stays a timed task.
  given()
    .when(create({ title: 'timed', due_date: '2026-12-24T09:00' }), at(NOW, 'Pacific/Kiritimati'))
    .then({ due_day: null, due_date: '2026-12-23T19:00:00.000Z' });
});

test('all-day reminders fire at wall-clock times on the day or days before it, across a DST change', (t) => {
  const given = spec(t);
  // Berlin moves to summer time in the night of 29 March 2026.
  const created = given()
    .when(
      create({
        title: 'Dentist',
        due_date: '2026-03-30',
        reminders: [{ at_time: '09:00' }, { at_time: '09:00', days_before: 1 }, { at_time: '09:00', days_before: 2 }],
      }),
      at('2026-03-20T12:00:00Z', 'Europe/Berlin'),
    )
    .then(['task.created', 'reminder.scheduled', 'reminder.scheduled', 'reminder.scheduled']);
  t.deepEqual(
    created.state?.reminders.map((r) => [r.at_time, r.days_before, r.offset, r.remind_at]),
    [
      ['09:00', 0, null, '2026-03-30T07:00:00.000Z'], // 09:00 CEST
      ['09:00', 1, null, '2026-03-29T07:00:00.000Z'], // 09:00 CEST, the first summer day
      ['09:00', 2, null, '2026-03-28T08:00:00.000Z'], // 09:00 CET
    ],
  );
  // Added later, the same way.
  const added = given(created)
    .when(
      { type: 'add_reminder', data: { at_time: '18:30', days_before: 3 } },
      at('2026-03-20T12:00:00Z', 'Europe/Berlin'),
    )
    .then(['reminder.scheduled']);
  t.like(added.state?.reminders[3], { at_time: '18:30', days_before: 3, remind_at: '2026-03-27T17:30:00.000Z' });
  // It fires then, and says the day (no time) for the notification.
  given(created)
    .when(
      { type: 'fire_reminder', reminder_id: created.state?.reminders[2]?.id ?? '' },
      at('2026-03-28T08:00:00Z', 'Europe/Berlin'),
    )
    .then([
      { event_type: 'reminder.triggered', data: { due_day: '2026-03-30', remind_at: '2026-03-28T08:00:00.000Z' } },
    ]);
});

test('reminders of the wrong kind, and bad times of day, are 400s naming the field', (t) => {
  const given = spec(t);
  const ctx = at(NOW);
  given()
    .when(create({ title: 'x', due_date: '2026-12-24T10:00', reminders: [{ at_time: '09:00' }] }), ctx)
    .then(throws('validation', 'reminders[0].at_time', /all-day/));
  given()
    .when(create({ title: 'x', reminders: [{ at_time: '09:00' }] }), ctx)
    .then(throws('validation', 'reminders[0].at_time', /needs the task to have an all-day due_date/));
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', reminders: [{ before: 'PT1H' }] }), ctx)
    .then(throws('validation', 'reminders[0].before', /at_time/));
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', reminders: [{ at_time: '24:00' }] }), ctx)
    .then(throws('validation', 'reminders[0].at_time', /HH:MM/));
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', reminders: [{ at_time: '09:00', days_before: 400 }] }), ctx)
    .then(throws('validation', 'reminders[0].days_before'));
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', reminders: [{ at_time: '09:00', days_before: 30 }] }), ctx)
    .then(throws('validation', 'reminders[0].at_time', /already in the past/));
  // An all-day series has no time of day (RFC 5545: BYHOUR does not apply to a DATE start).
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', recurrence_rule: 'FREQ=DAILY;BYHOUR=9' }), ctx)
    .then(throws('validation', 'recurrence_rule', /BYHOUR/));
  // An absolute reminder is fine on an all-day task.
  given()
    .when(create({ title: 'x', due_date: '2026-12-24', reminders: [{ at: '2026-12-20T08:00:00Z' }] }), ctx)
    .then(['task.created', 'reminder.scheduled']);
});

test('PATCH switches between all-day and timed; a zone edit keeps the date and the reminders their wall-clock time', (t) => {
  const given = spec(t);
  const ctx = at(NOW, 'Pacific/Kiritimati');
  const created = given().when(
    create({ title: 'Party', due_date: '2026-12-24', reminders: [{ at_time: '09:00' }] }),
    ctx,
  );
  // Its own zone, far to the east of the date line's other side: same date, 25 hours later.
  const moved = given(created)
    .when({ type: 'update', data: { timezone: 'Pacific/Pago_Pago' } }, ctx)
    .then(['task.updated', 'task.due_date_changed', 'reminder.scheduled'])
    .then({ due_day: '2026-12-24', due_date: '2026-12-24T11:00:00.000Z' });
  t.is(moved.state?.reminders[0]?.remind_at, '2026-12-24T20:00:00.000Z'); // 09:00 in Pago Pago
  // All-day → timed is refused while an all-day reminder is pending; once it is removed, it works.
  given(moved)
    .when({ type: 'update', data: { due_date: '2026-12-24T18:00' } }, ctx)
    .then(throws('validation', 'due_date', /all-day reminders/));
  const bare = given(moved).when({ type: 'remove_reminder', reminder_id: moved.state?.reminders[0]?.id ?? '' }, ctx);
  const timed = given(bare)
    .when({ type: 'update', data: { due_date: '2026-12-24T18:00' } }, ctx)
    .then([
      {
        event_type: 'task.due_date_changed',
        data: {
          changes: {
            due_date: { from: '2026-12-24T11:00:00.000Z', to: '2026-12-25T05:00:00.000Z' },
            due_day: { from: '2026-12-24', to: null },
          },
        },
      },
    ])
    .then({ due_day: null });
  // And back: the same date in the task's zone, all day.
  given(timed)
    .when({ type: 'update', data: { due_date: '2026-12-26' } }, ctx)
    .then({ due_day: '2026-12-26', due_date: '2026-12-26T11:00:00.000Z' });
  // Timed → all-day with a pending relative reminder is refused on due_date.
  const withBefore = given(timed).when({ type: 'add_reminder', data: { before: 'PT1H' } }, ctx);
  given(withBefore)
    .when({ type: 'update', data: { due_date: '2026-12-26' } }, ctx)
    .then(throws('validation', 'due_date', /\{before\}/));
});

test("a user zone change keeps an open all-day task on its date; reopened, a completed one starts it in the user's zone", (t) => {
  const given = spec(t);
  const reschedule: TaskCommand = {
    type: 'reschedule',
    from_zone: 'Pacific/Kiritimati',
    to_zone: 'America/St_Johns',
  };
  const created = given().when(
    create({ title: 'Gift', due_date: '2026-12-24', reminders: [{ at_time: '08:00', days_before: 1 }] }),
    at(NOW, 'Pacific/Kiritimati'),
  );
  const moved = given(created)
    .when(reschedule, at(NOW, 'America/St_Johns'))
    .then([{ event_type: 'task.due_date_changed', data: { reason: 'timezone_changed' } }, 'reminder.scheduled'])
    .then({ due_day: '2026-12-24', due_date: '2026-12-24T03:30:00.000Z' }); // St John's is UTC−03:30
  t.is(moved.state?.reminders[0]?.remind_at, '2026-12-23T11:30:00.000Z'); // 08:00 the day before, local
  given(moved).when(reschedule, at(NOW, 'America/St_Johns')).then([], 'a second run changes nothing');
  // A completed one is not moved by the fan-out; its uncomplete moves it.
  const done = given(created).when({ type: 'complete' }, at(NOW, 'Pacific/Kiritimati'));
  const reopened = given(done)
    .when({ type: 'uncomplete' }, at(NOW, 'America/St_Johns'))
    .then(['task.uncompleted', 'task.due_date_changed', 'reminder.scheduled'])
    .then({ due_day: '2026-12-24', due_date: '2026-12-24T03:30:00.000Z', completed: false });
  t.is(reopened.state?.reminders[0]?.remind_at, '2026-12-23T11:30:00.000Z');
});

test('an all-day series spawns all-day instances on the right local dates across DST, with day reminders', (t) => {
  const given = spec(t);
  const ny = (iso: string) => at(iso, 'America/New_York');
  // New York moves to summer time on 14 March 2027.
  const created = given()
    .when(
      create({
        title: 'Water plants',
        due_date: '2027-03-13',
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ at_time: '20:00', days_before: 1 }],
      }),
      ny('2027-03-01T12:00:00Z'),
    )
    .then({ due_day: '2027-03-13', next_occurrence: '2027-03-13T05:00:00.000Z', is_recurring: true });
  t.deepEqual(
    created.state?.reminders.map((r) => [r.at_time, r.days_before, r.remind_at]),
    [['20:00', 1, null]],
    'a series keeps its day reminder as a template',
  );
  // Its instance must exist when its reminder fires: 20:00 local the evening before (01:00Z on the 13th).
  t.deepEqual(
    created.state
      ? timersOf(created.state, 'America/New_York').map((x) => [x.name, new Date(x.dueAt).toISOString()])
      : [],
    [['spawn', '2027-03-13T01:00:00.000Z']],
  );
  given(created).when({ type: 'spawn' }, ny('2027-03-13T00:59:00Z')).then([], 'not before its reminder');
  const first = given(created).when({ type: 'spawn' }, ny('2027-03-13T01:00:00Z'));
  const firstId = (first.events[0]?.data as { instance_id: string }).instance_id;
  t.like(first.stateOf(firstId), { due_day: '2027-03-13', due_date: '2027-03-13T05:00:00.000Z', series_id: T1 });
  t.is(first.stateOf(firstId)?.reminders[0]?.remind_at, '2027-03-13T01:00:00.000Z'); // 20:00 EST on the 12th
  // The 14th still begins at 00:00 EST (the clocks change at 02:00); the 15th begins at 00:00 EDT.
  const second = given(first).when({ type: 'spawn' }, ny('2027-03-14T01:00:00Z'));
  const secondId = (second.events[0]?.data as { instance_id: string }).instance_id;
  t.like(second.stateOf(secondId), { due_day: '2027-03-14', due_date: '2027-03-14T05:00:00.000Z' });
  const third = given(second).when({ type: 'spawn' }, ny('2027-03-15T00:00:00Z'));
  const thirdId = (third.events[0]?.data as { instance_id: string }).instance_id;
  t.like(third.stateOf(thirdId), { due_day: '2027-03-15', due_date: '2027-03-15T04:00:00.000Z' });
  t.is(third.stateOf(thirdId)?.reminders[0]?.remind_at, '2027-03-15T00:00:00.000Z'); // 20:00 EDT on the 14th
});

test('an all-day series that follows the user keeps its dates in a new zone', (t) => {
  const given = spec(t);
  const created = given().when(
    create({ title: 'Weekly review', due_date: '2026-12-04', recurrence_rule: 'FREQ=WEEKLY' }),
    at(NOW, 'Pacific/Kiritimati'),
  );
  const moved = given(created)
    .when(
      { type: 'reschedule', from_zone: 'Pacific/Kiritimati', to_zone: 'Pacific/Pago_Pago' },
      at(NOW, 'Pacific/Pago_Pago'),
    )
    .then(['recurring.rescheduled'])
    .then({ due_day: '2026-12-04', due_date: '2026-12-04T11:00:00.000Z', next_occurrence: '2026-12-04T11:00:00.000Z' });
  const spawned = given(moved).when({ type: 'spawn' }, at('2026-12-04T11:00:00Z', 'Pacific/Pago_Pago'));
  const id = (spawned.events[0]?.data as { instance_id: string }).instance_id;
  t.like(spawned.stateOf(id), { due_day: '2026-12-04', due_date: '2026-12-04T11:00:00.000Z', series_id: T1 });
});

test('an all-day series moved west never lists a date it spawned already, by the user zone or a zone of its own', (t) => {
  const given = spec(t);
  // Daily from 1 December in Tokyo; at 00:00 there (15:00Z on 30 Nov) the 1 December one spawns, and ahead the 2nd.
  const tokyo = (iso: string) => at(iso, 'Asia/Tokyo');
  const created = given().when(
    create({ title: 'Stretch', due_date: '2026-12-01', recurrence_rule: 'FREQ=DAILY' }),
    tokyo('2026-11-30T12:00:00Z'),
  );
  const spawned = given(created).when({ type: 'spawn' }, tokyo('2026-11-30T15:00:00Z'));
  const last = spawned.state?.last_spawned_at ?? '';
  const lastDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date(last));
  // In Los Angeles the next date is the day after the last one spawned, at its midnight there.
  const dayAfter = new Date(`${lastDay}T00:00:00Z`);
  dayAfter.setUTCDate(dayAfter.getUTCDate() + 1);
  const nextDay = dayAfter.toISOString().slice(0, 10);
  const laMidnight = (day: string) => new Date(`${day}T08:00:00.000Z`).toISOString(); // 00:00 PST
  given(spawned)
    .when(
      { type: 'reschedule', from_zone: 'Asia/Tokyo', to_zone: 'America/Los_Angeles' },
      at('2026-11-30T16:00:00Z', 'America/Los_Angeles'),
    )
    .then({ next_occurrence: laMidnight(nextDay) });
  const own = given(spawned)
    .when({ type: 'update', data: { timezone: 'America/Los_Angeles' } }, tokyo('2026-11-30T16:00:00Z'))
    .then({ next_occurrence: laMidnight(nextDay) });
  t.is(own.state?.timezone, 'America/Los_Angeles');
});

test("an all-day series starting today (or yesterday) gets today's instance: an all-day occurrence is current until its local day ends", (t) => {
  const given = spec(t);
  // 11:30 on 30 November in Kiritimati (UTC+14); that day began at 2026-11-29T10:00Z.
  const kiri = at('2026-11-29T21:30:00Z', 'Pacific/Kiritimati');
  const today = '2026-11-29T10:00:00.000Z';
  for (const recurrence_mode of ['calendar', 'after_completion'] as const) {
    const created = given()
      .when(
        create({ title: 'w', due_date: '2026-11-30', recurrence_rule: 'FREQ=DAILY;INTERVAL=3', recurrence_mode }),
        kiri,
      )
      .then({ next_occurrence: today }, `${recurrence_mode}: today's occurrence, not 3 December`);
    const spawned = given(created).when({ type: 'spawn' }, kiri);
    const id = (spawned.events[0]?.data as { instance_id: string }).instance_id;
    t.like(spawned.stateOf(id), { due_day: '2026-11-30', due_date: today, series_id: T1 });
  }
  given()
    .when(create({ title: 'y', due_date: '2026-11-29', recurrence_rule: 'FREQ=DAILY' }), kiri)
    .then({ next_occurrence: today }, 'a daily series that started yesterday: today');
  given()
    .when(create({ title: 'y3', due_date: '2026-11-29', recurrence_rule: 'FREQ=DAILY;INTERVAL=3' }), kiri)
    .then({ next_occurrence: '2026-12-01T10:00:00.000Z' }, 'yesterday + 3 days: today is no occurrence');
  // A timed series keeps "after now": 09:00 today has passed.
  given()
    .when(create({ title: 'timed', due_date: '2026-11-30T09:00', recurrence_rule: 'FREQ=DAILY' }), kiri)
    .then({ next_occurrence: '2026-11-30T19:00:00.000Z' });
  // An edit of the start, and a zone change, decide the same way.
  const later = given().when(create({ title: 'e', due_date: '2026-12-10', recurrence_rule: 'FREQ=WEEKLY' }), kiri);
  given(later)
    .when({ type: 'update', data: { due_date: '2026-11-30' } }, kiri)
    .then({ next_occurrence: today }, 'PATCH due_date to today');
  const utcToday = given().when(
    create({ title: 'z', due_date: '2026-11-29', recurrence_rule: 'FREQ=DAILY' }),
    at('2026-11-29T21:30:00Z', 'UTC'),
  );
  given(utcToday)
    .when({ type: 'reschedule', from_zone: 'UTC', to_zone: 'Pacific/Kiritimati' }, kiri)
    .then({ next_occurrence: today }, "a zone change: today's date in the new zone");
});
