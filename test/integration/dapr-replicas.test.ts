// Two replicas, each with its own daprd, sharing placement, scheduler, PostgreSQL and Redis; and a
// daprd killed and restarted under one of them.
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';
import type { DaprRuntime } from '../../actors/runtime/dapr.ts';

const namespace = `replicas-${randomBytes(4).toString('hex')}`;
let a: DaprTestApp;
let b: DaprTestApp;
test.before(async () => {
  a = await startDaprTestApp({ namespace, appId: 'tasklane' });
  b = await startDaprTestApp({ namespace, appId: 'tasklane', reuse: a });
});
test.after.always(async () => {
  await b?.halt();
  await a?.stop();
});

const target = (app: DaprTestApp): Target => ({ url: app.url, token: (u) => app.token(u), label: 'dapr/replicas' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (msFromNow: number) => new Date(Math.ceil((Date.now() + msFromNow) / 1000) * 1000).toISOString();

async function countEvents(app: DaprTestApp, type: string, aggregateIds: string[]): Promise<Map<string, number>> {
  const rows = await app.app.db.query<{ key: string; n: number }>(
    `SELECT CASE WHEN event_type = 'reminder.triggered' THEN data->>'reminder_id' ELSE aggregate_id END AS key, count(*)::int AS n
       FROM events WHERE event_type = $1 AND aggregate_id = ANY($2) GROUP BY 1`, [type, aggregateIds]);
  return new Map(rows.rows.map((r) => [r.key, r.n]));
}

test.serial('concurrent commands on one task through both replicas are serialised: no lost update', async (t) => {
  const user = `shared-${randomUUID()}`;
  const token = a.token(user);
  const task = await api(target(a), token, 'POST', '/tasks', { title: 'contended' });
  const writes = Array.from({ length: 40 }, (_, i) => api(target(i % 2 ? b : a), token, 'PATCH', `/tasks/${task.id as string}`, { title: `w${i}` }));
  await Promise.all(writes);
  const final = await api(target(b), token, 'GET', `/tasks/${task.id as string}`);
  t.is(final.version, 41);
  const history = (await api(target(a), token, 'GET', `/tasks/${task.id as string}/history`)).events as { data: { changes?: { title?: { from: string; to: string } } } }[];
  const titles = history.slice(1).map((e) => e.data.changes?.title);
  t.is(titles.length, 40);
  for (let i = 1; i < titles.length; i++) t.is(titles[i]?.from, titles[i - 1]?.to, 'each update saw the one before it');
  t.is((a.app.runtime as DaprRuntime).fallbacks + (b.app.runtime as DaprRuntime).fallbacks, 0, 'every call went through Dapr');
});

test.serial('every reminder and spawn happens once in total across both replicas', async (t) => {
  const user = `fanout-${randomUUID()}`;
  const token = a.token(user);
  const taskIds: string[] = [];
  const reminderIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const task = await api(target(i % 2 ? b : a), token, 'POST', '/tasks', { title: `r${i}`, due_date: at(3_600_000), reminders: [{ at: at(2500) }, { at: at(3500) }] });
    taskIds.push(task.id as string);
    reminderIds.push(...(task.reminders as { id: string }[]).map((r) => r.id));
  }
  const series: string[] = [];
  for (let i = 0; i < 4; i++) series.push((await api(target(i % 2 ? a : b), token, 'POST', '/tasks', { title: `s${i}`, due_date: at(3000), recurrence_rule: 'FREQ=DAILY' })).id as string);
  await sleep(7000);
  const fired = await countEvents(a, 'reminder.triggered', taskIds);
  t.deepEqual([...reminderIds].sort().map((id) => [id, fired.get(id)]), [...reminderIds].sort().map((id) => [id, 1]));
  const spawned = await countEvents(a, 'recurring.spawned', series);
  t.deepEqual(series.map((id) => spawned.get(id)), [1, 1, 1, 1]);
  const instances = await a.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE series_id = ANY($1)', [series]);
  t.is(instances.rows[0]?.n, 4);
});

test.serial('daprd killed and restarted: the app keeps serving, nothing due is lost or doubled, actors work again', async (t) => {
  t.timeout(120_000);
  const user = `chaos-${randomUUID()}`;
  const token = a.token(user);
  const before = await api(target(a), token, 'POST', '/tasks', { title: 'armed before the kill', due_date: at(3_600_000), reminders: [{ at: at(4000) }] });
  await a.sidecar.stop('SIGKILL');
  // While the sidecar is gone the API still answers, through the in-process fallback.
  const during = await api(target(a), token, 'POST', '/tasks', { title: 'written while daprd was down', due_date: at(3_600_000), reminders: [{ at: at(3000) }] });
  t.is(during.title, 'written while daprd was down');
  t.true((a.app.runtime as DaprRuntime).fallbacks > 0);
  await sleep(5000);
  await a.restartSidecar('SIGKILL');
  const fallbacksAfterRestart = (a.app.runtime as DaprRuntime).fallbacks;
  const after = await api(target(a), token, 'POST', '/tasks', { title: 'armed after the restart', due_date: at(3_600_000), reminders: [{ at: at(3000) }] });
  t.is((a.app.runtime as DaprRuntime).fallbacks, fallbacksAfterRestart, 'calls go through Dapr again');
  await sleep(6000);
  const ids = [before.id as string, during.id as string, after.id as string];
  const fired = await a.app.db.query<{ aggregate_id: string; n: number; late: boolean }>(
    `SELECT aggregate_id, count(*)::int AS n, bool_or((data->>'late')::boolean) AS late FROM events WHERE event_type = 'reminder.triggered' AND aggregate_id = ANY($1) GROUP BY 1`, [ids]);
  const byTask = new Map(fired.rows.map((r) => [r.aggregate_id, r.n]));
  t.deepEqual(ids.map((id) => byTask.get(id)), [1, 1, 1], 'each reminder exactly once');
});
