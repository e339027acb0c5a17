// Timers on the direct runtime, on the embedded default (PGlite) and on PostgreSQL. Each app runs on a
// manual clock (test/helpers/clock.ts): a scenario moves it to a timer's time and the timer fires then,
// however busy the machine is. Scenarios on one app take turns, since each moves the app's clock.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { appsOnManualClocks } from '../helpers/api-suite.ts';
import { ManualClock } from '../helpers/clock.ts';
import * as S from '../helpers/timer-scenarios.ts';
import { eventually } from '../helpers/eventually.ts';
import { readMetric } from '../helpers/metrics.ts';
import { connectSocket } from '../helpers/socket.ts';
import { TaskTurns } from '../../host/tasks/turn.ts';

const { databases, apps, clocks } = appsOnManualClocks();

const targetOf = (app: TestApp, clock: ManualClock, label: string): S.TimerTarget => ({
  url: app.url,
  token: (u) => app.token(u),
  label,
  clock,
  sweeps: () => readMetric(app.url, 'tasklane_sweeps_total'),
});

for (const name of databases) {
  const clock = clocks[name];
  const target = () => targetOf(apps[name]!, clock, `direct/${name}`);
  test(`${name}: a daily series spawns its instance when its time comes, and the next one ahead, once each`, (t) =>
    clock.exclusive(() => S.seriesSpawnsOnTime(t, target())));
  test(`${name}: two reminders on one task each fire at their own time, once`, (t) =>
    clock.exclusive(() => S.twoRemindersFireOnceEach(t, target())));
  test(`${name}: a completed task's pending reminder never fires`, (t) =>
    clock.exclusive(() => S.completedTaskNeverFires(t, target())));
  test(`${name}: an uncompleted task's reminder is re-armed and fires once`, (t) =>
    clock.exclusive(() => S.uncompletedTaskFiresAgain(t, target())));
  test(`${name}: a deleted series never spawns`, (t) => clock.exclusive(() => S.deletedSeriesNeverSpawns(t, target())));
  test(`${name}: a zone change moves the next occurrence`, (t) => S.zoneChangeMovesNextOccurrence(t, target()));
}

test('postgres: a timer firing twice at once notifies once', (t) =>
  clocks.postgres.exclusive(async () => {
    const app = apps.postgres!;
    const clock = clocks.postgres;
    const user = `twice-${randomUUID()}`;
    const token = app.token(user);
    const remindAt = clock.now() + 60_000;
    const task = await S.api({ url: app.url, token: app.token, label: '' }, token, 'POST', '/tasks', {
      title: 'Once',
      due_date: new Date(clock.now() + 3_600_000).toISOString(),
      reminders: [{ at: new Date(remindAt).toISOString() }],
    });
    const rid = (task.reminders as { id: string }[])[0]?.id ?? '';
    // Its time has come for a second service on the same database (the app's clock stays before it): three
    // fires race straight through that service, as a Dapr reminder and the sweeper of two processes would.
    const later = new TaskTurns(app.app.db, { clock: () => new Date(remindAt + 1000) });
    const results = await Promise.all(
      [1, 2, 3].map(() => later.execute(user, task.id as string, { type: 'fire_reminder', reminder_id: rid })),
    );
    t.is(results.flatMap((r) => r.events).filter((e) => e.event_type === 'reminder.triggered').length, 1);
    const stored = await app.app.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1 AND event_type = 'reminder.triggered'`,
      [task.id],
    );
    t.is(stored.rows[0]?.n, 1);
  }));

test('postgres: a reminder that came due while the app was down is delivered when it returns, marked late, once', async (t) => {
  const clock = new ManualClock();
  const first = await startTestApp({ database: 'postgres', clock: clock.date });
  const user = `offline-${randomUUID()}`;
  const token = first.token(user);
  const remindAt = clock.now() + clock.leadMs;
  const task = await S.api({ url: first.url, token: first.token, label: 'direct/restart' }, token, 'POST', '/tasks', {
    title: 'While you were out',
    due_date: new Date(remindAt + clock.leadMs).toISOString(),
    reminders: [{ at: new Date(remindAt).toISOString() }],
  });
  const seenBefore = (await S.api({ url: first.url, token: first.token, label: 'direct/restart' }, token, 'GET', '/me'))
    .last_seq as number;
  await first.halt();
  const downMs = 90_000;
  await clock.reach(remindAt + downMs); // its time passed while no process ran
  const second = await startTestApp({ reuse: first, clock: clock.date });
  const socket = await connectSocket(second.url, token);
  try {
    const target = targetOf(second, clock, 'direct/restart');
    const fired = () => S.historyOf(target, token, task.id as string, 'reminder.triggered');
    await eventually(async () => (await fired()).length > 0, { what: 'the reminder fired after the restart' });
    await S.settle(target, { token, socket }, task.id as string);
    const events = await fired();
    t.is(events.length, 1, 'never sent twice');
    t.like(events[0]?.data, {
      late: true,
      late_ms: downMs,
      remind_at: new Date(remindAt).toISOString(),
      fired_at: new Date(remindAt + downMs).toISOString(),
    });
    // The app fires it as it starts, before a socket can be back: the client gets it live or when it
    // catches up with GET /events after the last seq it saw; either way one notification.
    const recovered = (await S.api(target, token, 'GET', `/events?after=${seenBefore}`)).events as {
      event_id: string;
      type: string;
    }[];
    const notifications = new Set(
      [...recovered, ...socket.messages].filter((m) => m.type === 'reminder.triggered').map((m) => m.event_id),
    );
    t.is(notifications.size, 1, 'one notification');
  } finally {
    await socket.close();
    await second.stop();
  }
});
