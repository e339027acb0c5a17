// A repeating task's schedule edited (a newcomer's pass): its occurrences spawned ahead of their time were
// the old schedule's and make way for the new schedule's, so no day shows the task twice (the old time and
// the new) and no day the new rule names is skipped for one the old rule named. An occurrence whose time
// has come stays as it is, an open thing to do.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector, type Call } from '../helpers/inject.ts';
import { eventually } from '../helpers/eventually.ts';
import { replayAtRest } from '../helpers/replay.ts';

let app: TestApp;
let call: Call;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
  call = injector(app.app.server);
});
test.after.always(async () => {
  await app?.stop();
});

interface Task {
  id: string;
  due_date: string;
  due_day: string | null;
  occurrence_at: string | null;
  completed: boolean;
}

/** The open occurrences of `seriesId`, by occurrence. */
const openOf = async (token: string, seriesId: string): Promise<Task[]> =>
  ((await call('GET', `/tasks?series_id=${seriesId}&completed=false&limit=50`, { token })).body.tasks as Task[]).sort(
    (a, b) => String(a.occurrence_at).localeCompare(String(b.occurrence_at)),
  );

test('every 3 days made every 2: the day the new rule names next comes, the old rule’s next does not; today’s stays', async (t) => {
  const user = `rule-${randomUUID()}`;
  const token = app.token(user);
  const today = DateTime.utc().toISODate() as string;
  const plus = (days: number) => DateTime.fromISO(today, { zone: 'UTC' }).plus({ days }).toISODate() as string;
  const series = (
    await call('POST', '/tasks', {
      token,
      body: { title: 'Water plants', due_date: today, recurrence_rule: 'FREQ=DAILY;INTERVAL=3' },
    })
  ).body as unknown as Task;
  // Today's is there (its day has come), and the next, in three days, ahead of it.
  await eventually(
    async () =>
      (await openOf(token, series.id)).map((o) => o.due_day).join() === [today, plus(3)].join() ? true : null,
    { what: `open on ${today} and ${plus(3)}` },
  );
  const edited = await call('PATCH', `/tasks/${series.id}`, {
    token,
    body: { recurrence_rule: 'FREQ=DAILY;INTERVAL=2' },
  });
  t.is(edited.status, 200, edited.text);
  await eventually(
    async () =>
      (await openOf(token, series.id)).map((o) => o.due_day).join() === [today, plus(2)].join() ? true : null,
    { what: `open on ${today} and ${plus(2)} (not ${plus(3)})` },
  );
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
});

test('a daily time moved: the occurrences spawned ahead at the old time give way to the new time, once a day', async (t) => {
  const user = `time-${randomUUID()}`;
  const token = app.token(user);
  // An hour ahead, reminded two days before each: the first two are spawned at once, both ahead of their time.
  const start = DateTime.utc().plus({ hours: 1 }).startOf('minute');
  const series = (
    await call('POST', '/tasks', {
      token,
      body: {
        title: 'Stretch',
        due_date: start.toISO(),
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ before: 'P2D' }],
      },
    })
  ).body as unknown as Task;
  await eventually(async () => ((await openOf(token, series.id)).length === 2 ? true : null), {
    what: 'two occurrences spawned',
  });
  const moved = start.plus({ hours: 2 });
  const edited = await call('PATCH', `/tasks/${series.id}`, { token, body: { due_date: moved.toISO() } });
  t.is(edited.status, 200, edited.text);
  const expected = [moved, moved.plus({ days: 1 })].map((d) => d.toMillis()).join();
  await eventually(
    async () =>
      (await openOf(token, series.id)).map((o) => Date.parse(String(o.occurrence_at))).join() === expected
        ? true
        : null,
    { what: 'open at the new time today and tomorrow, none at the old' },
  );
  t.is((await openOf(token, series.id)).length, 2);

  // Back to the old time: the instants of the occurrences replaced first are free again, spawned anew.
  const replacedFirst = ((await call('GET', `/tasks?series_id=${series.id}&limit=50`, { token })).body.tasks as Task[])
    .length;
  const back = await call('PATCH', `/tasks/${series.id}`, { token, body: { due_date: start.toISO() } });
  t.is(back.status, 200, back.text);
  const again = [start, start.plus({ days: 1 })].map((d) => d.toMillis()).join();
  await eventually(
    async () =>
      (await openOf(token, series.id)).map((o) => Date.parse(String(o.occurrence_at))).join() === again ? true : null,
    { what: 'open at the old time again, today and tomorrow' },
  );
  t.true(replacedFirst >= 2);

  // A replaced occurrence's delete is not undone beside the new schedule's: the series' edit is what to undo.
  const events = (await call('GET', '/events?after=0&limit=500', { token })).body.events as {
    event_type: string;
    event_id: string;
    aggregate_id: string;
    data: { reason?: string };
  }[];
  const replacedDelete = events.find((e) => e.event_type === 'task.deleted' && e.data.reason === 'series_rescheduled');
  t.truthy(replacedDelete);
  const undo = await call('POST', `/tasks/${replacedDelete?.aggregate_id}/undo`, {
    token,
    body: { event_id: replacedDelete?.event_id },
  });
  t.is(undo.status, 409, undo.text);
  t.like(undo.body, { field: 'event_id' });
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
});

test('an occurrence deleted ahead of its time, then the schedule edited: the new schedule comes from tomorrow, the deleted day included, and that delete is not undone beside it', async (t) => {
  const user = `gone-${randomUUID()}`;
  const token = app.token(user);
  const today = DateTime.utc().toISODate() as string;
  const plus = (days: number) => DateTime.fromISO(today, { zone: 'UTC' }).plus({ days }).toISODate() as string;
  const openDays = async () => (await openOf(token, series.id)).map((o) => o.due_day).join();
  const series = (
    await call('POST', '/tasks', {
      token,
      body: { title: 'Water plants', due_date: today, recurrence_rule: 'FREQ=DAILY;INTERVAL=3' },
    })
  ).body as unknown as Task;
  await eventually(async () => ((await openDays()) === [today, plus(3)].join() ? true : null), {
    what: `open on ${today} and ${plus(3)}`,
  });
  const ahead = (await openOf(token, series.id))[1] as Task;
  t.is((await call('DELETE', `/tasks/${ahead.id}`, { token })).status, 204);
  // Every day now: tomorrow comes (the deleted occurrence three days out no longer holds the series back).
  const daily = await call('PATCH', `/tasks/${series.id}`, { token, body: { recurrence_rule: 'FREQ=DAILY' } });
  t.is(daily.status, 200, daily.text);
  await eventually(async () => ((await openDays()) === [today, plus(1)].join() ? true : null), {
    what: `open on ${today} and ${plus(1)}`,
  });
  // Every three days again: its next is the deleted one's day, spawned anew.
  const back = await call('PATCH', `/tasks/${series.id}`, {
    token,
    body: { recurrence_rule: 'FREQ=DAILY;INTERVAL=3' },
  });
  t.is(back.status, 200, back.text);
  await eventually(async () => ((await openDays()) === [today, plus(3)].join() ? true : null), {
    what: `open on ${today} and ${plus(3)} again`,
  });
  const history = (await call('GET', `/tasks/${ahead.id}/history`, { token })).body as {
    events: { event_id: string; event_type: string }[];
  };
  const deleted = history.events.find((e) => e.event_type === 'task.deleted');
  const undo = await call('POST', `/tasks/${ahead.id}/undo`, { token, body: { event_id: deleted?.event_id } });
  t.is(undo.status, 409, undo.text);
  t.regex(undo.text, /two/);
  t.is(await openDays(), [today, plus(3)].join(), 'one occurrence on that day');
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
});

test('an occurrence completed ahead of its time keeps its day when the series’ time moves: that day does not come again', async (t) => {
  const user = `done-${randomUUID()}`;
  const token = app.token(user);
  const start = DateTime.utc().minus({ minutes: 2 }).startOf('second');
  const day = (days: number) => start.plus({ days }).toISODate() as string;
  const series = (
    await call('POST', '/tasks', {
      token,
      body: { title: 'Read', due_date: start.toISO(), recurrence_rule: 'FREQ=DAILY' },
    })
  ).body as unknown as Task;
  // Its first occurrence is tomorrow's (today's time had passed when it was made): completing the series
  // completes that one ahead of its time.
  const ahead = await call('POST', `/tasks/${series.id}/complete`, { token });
  t.is(ahead.status, 200, ahead.text);
  const done = (
    (await call('GET', `/tasks?series_id=${series.id}&completed=true&limit=50`, { token })).body.tasks as Task[]
  ).map((o) => DateTime.fromISO(String(o.occurrence_at), { zone: 'UTC' }).toISODate());
  t.deepEqual(done, [day(1)]);
  // A minute later each day: the next is the day after tomorrow, and tomorrow is not open again.
  const edited = await call('PATCH', `/tasks/${series.id}`, {
    token,
    body: { due_date: start.plus({ minutes: 1 }).toISO() },
  });
  t.is(edited.status, 200, edited.text);
  t.is(DateTime.fromISO(String(edited.body.next_occurrence), { zone: 'UTC' }).toISODate(), day(2));
  t.deepEqual(await openOf(token, series.id), []);
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
});

test('an occurrence deleted ahead of its time, then the series moved to another time: undoing that delete is a 409, not a second one that day', async (t) => {
  const user = `moved-${randomUUID()}`;
  const token = app.token(user);
  // An hour ahead, reminded two days before each: the first two are spawned at once, both ahead of their time.
  const start = DateTime.utc().plus({ hours: 1 }).startOf('minute');
  const series = (
    await call('POST', '/tasks', {
      token,
      body: { title: 'Walk', due_date: start.toISO(), recurrence_rule: 'FREQ=DAILY', reminders: [{ before: 'P2D' }] },
    })
  ).body as unknown as Task;
  await eventually(async () => ((await openOf(token, series.id)).length === 2 ? true : null), {
    what: 'two occurrences spawned',
  });
  const tomorrow = (await openOf(token, series.id))[1] as Task;
  t.is((await call('DELETE', `/tasks/${tomorrow.id}`, { token })).status, 204);
  // A minute later each day: tomorrow's new occurrence is on the deleted one's day.
  const moved = start.plus({ minutes: 1 });
  t.is((await call('PATCH', `/tasks/${series.id}`, { token, body: { due_date: moved.toISO() } })).status, 200);
  await eventually(
    async () =>
      (await openOf(token, series.id)).some(
        (o) => Date.parse(String(o.occurrence_at)) === moved.plus({ days: 1 }).toMillis(),
      )
        ? true
        : null,
    { what: "tomorrow's occurrence at the new time" },
  );
  const history = (await call('GET', `/tasks/${tomorrow.id}/history`, { token })).body as {
    events: { event_id: string; event_type: string }[];
  };
  const deleted = history.events.find((e) => e.event_type === 'task.deleted');
  const undo = await call('POST', `/tasks/${tomorrow.id}/undo`, { token, body: { event_id: deleted?.event_id } });
  t.is(undo.status, 409, undo.text);
  t.like(undo.body, { field: 'event_id' });
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
});
