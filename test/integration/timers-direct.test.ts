// Timers on the direct runtime, on the embedded default (PGlite) and on PostgreSQL.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import * as S from '../helpers/timer-scenarios.ts';
import { connectSocket } from '../helpers/socket.ts';

const apps: Record<string, TestApp> = {};
test.before(async () => {
  [apps.pglite, apps.postgres] = await Promise.all([startTestApp({ database: 'pglite' }), startTestApp({ database: 'postgres' })]) as [TestApp, TestApp];
});
test.after.always(async () => { await Promise.all(Object.values(apps).map((a) => a.stop())); });

for (const name of ['pglite', 'postgres'] as const) {
  const target = (): S.Target => ({ url: apps[name]!.url, token: (u) => apps[name]!.token(u), label: `direct/${name}` });
  test(`${name}: a daily series whose first occurrence is seconds ahead spawns its instance on time, once`, (t) => S.seriesSpawnsOnTime(t, target()));
  test(`${name}: two reminders on one task each fire once`, (t) => S.twoRemindersFireOnceEach(t, target()));
  test(`${name}: a completed task's pending reminder never fires`, (t) => S.completedTaskNeverFires(t, target()));
  test(`${name}: an uncompleted task's reminder is re-armed and fires once`, (t) => S.uncompletedTaskFiresAgain(t, target()));
  test(`${name}: a deleted series never spawns`, (t) => S.deletedSeriesNeverSpawns(t, target()));
  test(`${name}: a zone change moves the next occurrence`, (t) => S.zoneChangeMovesNextOccurrence(t, target()));
}

test('postgres: a timer firing twice at once notifies once', async (t) => {
  const app = apps.postgres!;
  const user = `twice-${randomUUID()}`;
  const token = app.token(user);
  const task = await S.api({ url: app.url, token: app.token, label: '' }, token, 'POST', '/tasks', { title: 'Once', due_date: new Date(Date.now() + 3_600_000).toISOString(), reminders: [{ at: new Date(Date.now() + 60_000).toISOString() }] });
  const rid = (task.reminders as { id: string }[])[0]?.id ?? '';
  // Pretend its time has come: two fires race, through the runtime and straight through the service
  // (as a Dapr reminder and the sweeper would), and one clock is a minute ahead.
  const later = new (await import('../../host/tasks/service.ts')).TaskService(app.app.db, { clock: () => new Date(Date.now() + 61_000) });
  const results = await Promise.all([
    later.execute(user, task.id as string, { type: 'fire_reminder', reminder_id: rid }),
    later.execute(user, task.id as string, { type: 'fire_reminder', reminder_id: rid }),
    later.execute(user, task.id as string, { type: 'fire_reminder', reminder_id: rid }),
  ]);
  t.is(results.flatMap((r) => r.events).filter((e) => e.event_type === 'reminder.triggered').length, 1);
  const stored = await app.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1 AND event_type = 'reminder.triggered'`, [task.id]);
  t.is(stored.rows[0]?.n, 1);
});

test('postgres: a reminder that came due while the app was down is delivered when it returns, marked late, once', async (t) => {
  t.timeout(60_000);
  const first = await startTestApp({ database: 'postgres' });
  const user = `offline-${randomUUID()}`;
  const token = first.token(user);
  const target: S.Target = { url: first.url, token: first.token, label: 'direct/restart' };
  const task = await S.api(target, token, 'POST', '/tasks', { title: 'While you were out', due_date: new Date(Date.now() + 3_600_000).toISOString(), reminders: [{ at: new Date(Date.now() + 1500).toISOString() }] });
  await first.halt();
  await new Promise((r) => setTimeout(r, 4500));
  const second = await startTestApp({ reuse: first });
  try {
    const socket = await connectSocket(second.url, token);
    const deadline = Date.now() + 10_000;
    let events: { event_type: string; data: { late?: boolean; late_ms?: number } }[] = [];
    while (Date.now() < deadline) {
      events = ((await S.api({ ...target, url: second.url }, token, 'GET', `/tasks/${task.id as string}/history`)).events) as typeof events;
      if (events.some((e) => e.event_type === 'reminder.triggered')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const fired = events.filter((e) => e.event_type === 'reminder.triggered');
    t.is(fired.length, 1);
    t.true(fired[0]?.data.late);
    t.true((fired[0]?.data.late_ms ?? 0) >= 3000);
    await new Promise((r) => setTimeout(r, 1500));
    const again = ((await S.api({ ...target, url: second.url }, token, 'GET', `/tasks/${task.id as string}/history`)).events as { event_type: string }[]).filter((e) => e.event_type === 'reminder.triggered');
    t.is(again.length, 1, 'never sent twice');
    await socket.close();
  } finally {
    await second.stop();
  }
});
