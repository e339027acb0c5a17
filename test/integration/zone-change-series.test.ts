// A zone change and a repeating task over real HTTP on PGlite (a user's pass): a daily 07:30 series with
// its next instances already spawned, moved to Los Angeles and back. Each day shows the task once, at
// 07:30 where the user is: the spawned instances move with their series (they kept their instants, so
// a day showed it at 23:30 and at 07:30), Upcoming lists no occurrence an instance already stands for,
// and coming back brings back nothing already spawned.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { call as callAt } from '../helpers/time-scenarios.ts';
import { eventually } from '../helpers/eventually.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

const call = (token: string, method: string, p: string, body?: unknown) =>
  callAt({ url: app.url, token: (u: string) => app.token(u), label: 'pglite' }, token, method, p, body);

interface Task {
  id: string;
  title: string;
  due_date: string;
  is_recurring: boolean;
  series_id: string | null;
}
interface Day {
  date: string;
  tasks: Task[];
  occurrences: { series_id: string; at: string }[];
}

test('a daily task moved to Los Angeles and back: once a day, at its wall-clock time where the user is', async (t) => {
  const token = app.token(`zone-${randomUUID()}`);
  t.is((await call(token, 'PATCH', '/me', { timezone: 'UTC' })).status, 200);
  // An hour ahead, with a reminder two days before: the first two instances are there at once.
  const start = DateTime.utc().plus({ hours: 1 }).startOf('minute');
  const wall = start.toFormat('HH:mm');
  const series = (
    await call(token, 'POST', '/tasks', {
      title: 'Meds',
      due_date: start.toFormat("yyyy-MM-dd'T'HH:mm"),
      recurrence_rule: 'FREQ=DAILY',
      reminders: [{ before: 'P2D' }],
    })
  ).body as unknown as Task;
  const instances = async () =>
    ((await call(token, 'GET', '/tasks?limit=200')).body.tasks as Task[]).filter((x) => x.series_id === series.id);
  await eventually(async () => ((await instances()).length >= 2 ? true : undefined), {
    what: 'two instances spawned',
    timeoutMs: 30_000,
  });

  for (const zone of ['America/Los_Angeles', 'UTC', 'Asia/Tokyo', 'UTC']) {
    t.is((await call(token, 'PATCH', '/me', { timezone: zone })).status, 200, zone);
    for (const i of await instances())
      t.is(DateTime.fromISO(i.due_date, { zone }).toFormat('HH:mm'), wall, `${zone}: an instance at ${wall} there`);
    const days = (await call(token, 'GET', '/views/upcoming?days=5')).body.days as Day[];
    for (const [i, day] of days.entries()) {
      const times = [
        ...day.tasks.filter((x) => x.title === 'Meds').map((x) => x.due_date),
        ...day.occurrences.filter((o) => o.series_id === series.id).map((o) => o.at),
      ];
      // Today's may have passed already; every later day has it exactly once (none twice, none skipped).
      if (i === 0) t.true(times.length <= 1, `${zone} ${day.date}: Meds at most once, not ${JSON.stringify(times)}`);
      else t.is(times.length, 1, `${zone} ${day.date}: Meds once, not ${JSON.stringify(times)}`);
      for (const at of times) t.is(DateTime.fromISO(at, { zone }).toFormat('HH:mm'), wall, `${zone} ${day.date}`);
    }
  }
});
