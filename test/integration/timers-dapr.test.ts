// Timers and actors on the Dapr runtime: real daprd sidecars, placement and scheduler from the stack.
// Dapr's reminders live in its Scheduler on the wall clock, so these scenarios run on the wall clock:
// they wait for each event with a deadline, and re-arrange with a longer lead when the machine is slow.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import * as S from '../helpers/timer-scenarios.ts';
import { eventually } from '../helpers/eventually.ts';
import { readMetric } from '../helpers/metrics.ts';
import { wallClock } from '../helpers/clock.ts';

let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `timers-${randomBytes(4).toString('hex')}` });
});
test.after.always(async () => {
  await app?.stop();
});

const target = (): S.TimerTarget => ({
  url: app.url,
  token: (u) => app.token(u),
  label: 'dapr',
  clock: wallClock,
  sweeps: () => readMetric(app.url, 'tasklane_sweeps_total'),
});

test('dapr: a daily series spawns its instance when its time comes, and the next one ahead, once each', (t) =>
  S.seriesSpawnsOnTime(t, target()));
test('dapr: two reminders on one task each fire at their own time, once', (t) =>
  S.twoRemindersFireOnceEach(t, target()));
test("dapr: a completed task's pending reminder never fires", (t) => S.completedTaskNeverFires(t, target()));
test("dapr: an uncompleted task's reminder is re-armed and fires once", (t) =>
  S.uncompletedTaskFiresAgain(t, target()));
test('dapr: a deleted series never spawns', (t) => S.deletedSeriesNeverSpawns(t, target()));
test('dapr: a zone change goes through the UserActor and moves the next occurrence', (t) =>
  S.zoneChangeMovesNextOccurrence(t, target()));

test('dapr: the relay publishes through Dapr pub/sub "pubsub", raw, so the topic holds the plain envelope', async (t) => {
  const user = `pubsub-${randomBytes(4).toString('hex')}`;
  const token = app.token(user);
  const created = await S.api(target(), token, 'POST', '/tasks', { title: 'through dapr pubsub' });
  let ready: Record<string, unknown> = {};
  await eventually(
    async () => {
      ready = await fetch(`${app.url}/ready`).then((r) => r.json() as Promise<Record<string, unknown>>);
      return ready.outbox_backlog === 0 && Boolean((ready.relay as { via?: string }).via);
    },
    { what: 'the outbox published' },
  );
  t.is((ready.relay as { via: string }).via, 'dapr');
  const published = await app.app.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1 AND published_at IS NOT NULL',
    [created.id],
  );
  t.is(published.rows[0]?.n, 1);
});

test('dapr: the actor routes answer only the sidecar (app token) and only on loopback', async (t) => {
  const route = `http://127.0.0.1:${app.appPort}/actors/TaskActor/${randomBytes(8).toString('hex')}/method/execute`;
  const forged = await fetch(route, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'victim', command: { type: 'delete' } }),
  });
  t.is(forged.status, 401);
  t.regex(await forged.text(), /dapr-api-token/);
  const wrong = await fetch(route, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'dapr-api-token': 'guess' },
    body: '{}',
  });
  t.is(wrong.status, 401);
  const { execFileSync } = await import('node:child_process');
  const listening = execFileSync('ss', ['-ltnH', `sport = :${app.appPort}`]).toString();
  t.regex(listening, /127\.0\.0\.1:/);
  t.notRegex(listening, /(\*|0\.0\.0\.0|\[::\]):\d+/);
});
