// Two replicas as production runs them: two app processes (host/main.ts), each beside its own daprd,
// one Dapr app id in one namespace, sharing placement, scheduler and one PostgreSQL database. Each
// process counts the actor turns it executed (/metrics `tasklane_actor_turns_total`), so the test sees
// where turns ran: on both processes, never twice, and on the survivor once the other is killed.
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { freePostgres } from '../helpers/db-url.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { signToken } from '../../api/tokens.ts';
import { APP_CHANNEL_KEEP_ALIVE_MS } from '../../actors/runtime/dapr.ts';
import { hasExited } from '../../deploy/local/lib/proc.ts';

const namespace = `replicas-${randomBytes(4).toString('hex')}`;
const secret = randomBytes(32).toString('base64url');
let database: Awaited<ReturnType<typeof freePostgres>> | undefined;
let pool: pg.Pool | undefined;
let a: AppProcess;
let b: AppProcess;

test.before(async () => {
  database = await freePostgres();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const started = await Promise.allSettled(
    ['a', 'b'].map((name) =>
      startAppProcess({
        namespace,
        databaseUrl: database!.url,
        secret,
        instanceId: `${name}-${randomBytes(3).toString('hex')}`,
      }),
    ),
  );
  const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(replicas.map((r) => r.stop()));
    throw (failure as PromiseRejectedResult).reason;
  }
  [a, b] = replicas as [AppProcess, AppProcess];
});

test.after.always(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pool?.end();
  await database?.drop();
});

type Json = Record<string, unknown>;

/** One request to a replica's API: the status and the JSON body (undefined when the connection failed). */
async function call(
  app: AppProcess,
  user: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  try {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${signToken(secret, user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Json };
  } catch (error) {
    return { status: 0, body: { error: String((error as { cause?: unknown }).cause ?? error) } };
  }
}

/** `call` that must answer `expected`; fails with the answer otherwise. */
async function api(
  app: AppProcess,
  user: string,
  method: string,
  path: string,
  body?: unknown,
  expected = method === 'POST' && path === '/tasks' ? 201 : 200,
): Promise<Json> {
  const res = await call(app, user, method, path, body);
  if (res.status !== expected)
    throw new Error(`${method} ${path} on ${app.instance}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const taskTurns = (app: AppProcess) => app.turns({ actor: 'task', via: 'dapr' });
const fallbackTurns = async () =>
  (await a.turns({ via: 'fallback' })) + (!hasExited(b.process) ? await b.turns({ via: 'fallback' }) : 0);
const at = (msFromNow: number) => new Date(Math.ceil((Date.now() + msFromNow) / 1000) * 1000).toISOString();

/**
 * POST /tasks with reminders `lead` ms ahead (`body(lead)`): on a busy machine the create may be decided
 * only after that time, which the decider refuses (400, "already in the past"); then again with twice the
 * lead, up to three times. What the test checks (each reminder fires once) does not depend on the lead.
 */
async function createAhead(
  app: AppProcess,
  user: string,
  body: (lead: number) => unknown,
  lead: number,
): Promise<Json> {
  for (let attempt = 1; ; attempt++, lead *= 2) {
    const res = await call(app, user, 'POST', '/tasks', body(lead));
    if (res.status === 201) return res.body;
    if (attempt === 3 || res.status !== 400 || !JSON.stringify(res.body).includes('already in the past'))
      throw new Error(`POST /tasks on ${app.instance}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** How many events of `type` each key has: the reminder id for `reminder.triggered`, the task id otherwise. */
async function countEvents(type: string, taskIds: string[]): Promise<Map<string, number>> {
  const rows = await pool!.query<{ key: string; n: number }>(
    `SELECT CASE WHEN event_type = 'reminder.triggered' THEN data->>'reminder_id' ELSE aggregate_id END AS key, count(*)::int AS n
       FROM events WHERE event_type = $1 AND aggregate_id = ANY($2) GROUP BY 1`,
    [type, taskIds],
  );
  return new Map(rows.rows.map((r) => [r.key, r.n]));
}

test.serial(
  'tasks created through one replica have their turns run on both processes, each once, and read the same through either',
  async (t) => {
    t.not(a.instance, b.instance);
    t.not(a.process.pid, b.process.pid, 'two processes');
    const user = `spread-${randomUUID()}`;
    const before = { a: await taskTurns(a), b: await taskTurns(b) };
    let created = 0;
    // Placement tells each sidecar about the other a few seconds after both joined: until then every actor
    // may live on A. Create through A until a turn has run on B (the deadline bounds the dissemination).
    await eventuallyValue(
      async () => {
        await api(a, user, 'POST', '/tasks', { title: `warm-up ${created}` });
        created++;
        return taskTurns(b);
      },
      (n) => n > before.b,
      { what: 'a turn ran on B for a task created through A', timeoutMs: 45_000, intervalMs: 200 },
    );

    const mid = { a: await taskTurns(a), b: await taskTurns(b) };
    const titles = Array.from({ length: 30 }, (_, i) => `spread ${i}`);
    const tasks = await Promise.all(
      titles.map((title) => api(a, user, 'POST', '/tasks', { title, due_date: at(86_400_000) })),
    );
    created += tasks.length;
    const after = { a: await taskTurns(a), b: await taskTurns(b) };
    // 30 actors over two hosts by placement's hash: each host gets some (all on one: odds 2^-29).
    t.true(after.a - mid.a > 0, `some of the 30 ran on A (${a.instance}): ${after.a - mid.a}`);
    t.true(after.b - mid.b > 0, `some of the 30 ran on B (${b.instance}): ${after.b - mid.b}`);
    t.log(
      `${created - tasks.length} warm-up creates until B hosted a turn; the 30 creates: ${after.a - mid.a} on A, ${after.b - mid.b} on B`,
    );
    t.is(after.a - before.a + (after.b - before.b), created, 'every create ran exactly once, on one of the two');
    t.is(await fallbackTurns(), 0, 'every turn went through Dapr');

    // Whichever process ran a task's turn, both read the same committed state.
    for (const [i, task] of tasks.entries()) {
      const viaB = await api(b, user, 'GET', `/tasks/${task.id as string}`);
      t.like(viaB, { id: task.id, title: titles[i], version: 1, completed: false, due_date: task.due_date });
    }
    const listed = (await api(b, user, 'GET', '/tasks?limit=100')).tasks as Json[];
    t.is(listed.length, created);
  },
);

test.serial(
  'concurrent commands on many tasks through both replicas are serialised per task: no lost update, order kept',
  async (t) => {
    const user = `contended-${randomUUID()}`;
    const tasks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api(i % 2 ? b : a, user, 'POST', '/tasks', { title: `contended ${i}` })),
    );
    const before = (await taskTurns(a)) + (await taskTurns(b));
    const writes = tasks.flatMap((task, k) =>
      Array.from({ length: 12 }, (_, i) =>
        api((i + k) % 2 ? b : a, user, 'PATCH', `/tasks/${task.id as string}`, { title: `t${k} w${i}` }),
      ),
    );
    await Promise.all(writes);
    const after = (await taskTurns(a)) + (await taskTurns(b));
    t.is(after - before, writes.length, 'each update ran once, on one process');
    for (const [k, task] of tasks.entries()) {
      const final = await api(k % 2 ? a : b, user, 'GET', `/tasks/${task.id as string}`);
      t.is(final.version, 13, `task ${k}: 12 updates on top of the create`);
      const history = (await api(a, user, 'GET', `/tasks/${task.id as string}/history`)).events as {
        data: { changes?: { title?: { from: string; to: string } } };
      }[];
      const changes = history.slice(1).map((e) => e.data.changes?.title);
      t.is(changes.length, 12);
      t.is(changes[0]?.from, `contended ${k}`);
      for (let i = 1; i < changes.length; i++)
        t.is(changes[i]?.from, changes[i - 1]?.to, `task ${k}: each update saw the one before it`);
      t.is(final.title, changes.at(-1)?.to, `task ${k}: the state is the last update in its history`);
    }
    t.is(await fallbackTurns(), 0, 'every turn went through Dapr');
  },
);

test.serial(
  'a replica killed: its actors move to the survivor, turns continue, and every reminder and spawn armed on either fires once',
  async (t) => {
    const user = `failover-${randomUUID()}`;
    const before = { a: await taskTurns(a), b: await taskTurns(b) };
    // Due a few seconds ahead, so most fire after the kill; a fire before it would be counted just the same.
    const tasks = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        createAhead(
          a,
          user,
          (lead) => ({
            title: `r${i}`,
            due_date: at(86_400_000),
            reminders: [{ at: at(lead) }, { at: at(lead + 1000) }],
          }),
          6000,
        ),
      ),
    );
    const series = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        api(a, user, 'POST', '/tasks', { title: `s${i}`, due_date: at(6000), recurrence_rule: 'FREQ=DAILY' }),
      ),
    );
    const onB = (await taskTurns(b)) - before.b;
    t.true(onB > 0, `B hosts some of the 20 new actors (${onB}), so killing it moves them`);

    await b.kill();
    const deadB = await call(b, user, 'GET', '/ready');
    t.is(deadB.status, 0, 'B no longer answers');

    // Every task, those B hosted included, takes commands through A once placement has dropped B.
    const aBefore = await taskTurns(a);
    const killedAt = Date.now();
    for (const [i, task] of tasks.entries()) {
      await eventuallyValue(
        () => call(a, user, 'PATCH', `/tasks/${task.id as string}`, { title: `r${i} after the kill` }),
        (r) => r.status === 200,
        { what: `task ${i} takes an update through A`, timeoutMs: 45_000, intervalMs: 200 },
      );
    }
    t.log(
      `${onB} of 20 actors were on B; all 16 tasks took an update through A ${Date.now() - killedAt} ms after the kill`,
    );
    t.true((await taskTurns(a)) - aBefore >= tasks.length, 'the updates ran on A');
    for (const [i, task] of tasks.entries())
      t.like(await api(a, user, 'GET', `/tasks/${task.id as string}`), { title: `r${i} after the kill` });

    const taskIds = tasks.map((task) => task.id as string);
    const reminderIds = tasks.flatMap((task) => (task.reminders as { id: string }[]).map((r) => r.id)).sort();
    const seriesIds = series.map((s) => s.id as string);
    // Deadline: past the latest due time, plus Dapr's reminder or the sweeper's grace on a busy machine.
    const fired = await eventuallyValue(
      () => countEvents('reminder.triggered', taskIds),
      (m) => reminderIds.every((id) => m.has(id)),
      { what: 'every reminder fired', timeoutMs: 45_000, intervalMs: 200 },
    );
    const spawned = await eventuallyValue(
      () => countEvents('recurring.spawned', seriesIds),
      (m) => seriesIds.every((id) => m.has(id)),
      { what: 'every series spawned', timeoutMs: 30_000, intervalMs: 200 },
    );
    t.deepEqual(
      reminderIds.map((id) => [id, fired.get(id)]),
      reminderIds.map((id) => [id, 1]),
      'each reminder exactly once',
    );
    // The turn that spawns a series' due occurrence also spawns the next one, ahead of its time.
    t.deepEqual(
      seriesIds.map((id) => spawned.get(id)),
      seriesIds.map(() => 2),
      'each series spawned its due and its next occurrence exactly once',
    );
    const instances = await pool!.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tasks WHERE series_id = ANY($1)',
      [seriesIds],
    );
    t.is(instances.rows[0]?.n, 8, 'the due instance and the next one per series');
    t.like(await api(a, user, 'GET', '/ready'), { ready: true, mode: 'dapr', sidecar: 'up', fallback: null });
  },
);

test.serial(
  'the app channel keeps an idle connection from daprd longer than daprd does, so a call after a quiet spell never meets a reset',
  async (t) => {
    // daprd's transport (Go's default) drops idle connections after 90 s and does not resend a PUT on a
    // connection closed under it: the app must not be the side that closes first.
    const agent = new http.Agent({ keepAlive: true });
    const header = await new Promise<string | undefined>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: a.appPort, path: '/dapr/config', agent }, (res) => {
          res.resume();
          const value = res.headers['keep-alive'];
          resolve(Array.isArray(value) ? value.join(', ') : value);
        })
        .on('error', reject);
    });
    agent.destroy();
    t.is(header, `timeout=${APP_CHANNEL_KEEP_ALIVE_MS / 1000}`);
    t.true(APP_CHANNEL_KEEP_ALIVE_MS > 90_000);
  },
);

test.serial(
  "the survivor's daprd killed and restarted: the app keeps serving in-process meanwhile, then through Dapr again, and every reminder fires once",
  async (t) => {
    const user = `sidecar-${randomUUID()}`;
    const ready = async () => (await call(a, user, 'GET', '/ready')).body;
    const armed = await createAhead(
      a,
      user,
      (lead) => ({ title: 'armed before the kill', due_date: at(86_400_000), reminders: [{ at: at(lead) }] }),
      4000,
    );
    const fallbackBefore = await a.turns({ via: 'fallback' });
    await a.killSidecar();
    // A call in flight as daprd dies is answered 503 (it may have reached daprd: running it here could run it
    // twice); once the app has seen the sidecar gone, turns run in this process (PostgreSQL's guard still
    // serialises them against other replicas).
    t.like(
      await eventuallyValue(ready, (r) => r.sidecar === 'down', {
        what: '/ready says the sidecar is down',
        timeoutMs: 30_000,
        intervalMs: 200,
      }),
      { ready: true, fallback: 'direct' },
    );
    const during = await createAhead(
      a,
      user,
      (lead) => ({ title: 'written while daprd was down', due_date: at(86_400_000), reminders: [{ at: at(lead) }] }),
      3000,
    );
    t.true((await a.turns({ via: 'fallback' })) > fallbackBefore, 'the write ran in-process');

    await a.restartSidecar();
    await eventuallyValue(ready, (r) => r.sidecar === 'up', {
      what: '/ready says the sidecar is back',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const counts = async () => ({ fallback: await a.turns({ via: 'fallback' }), dapr: await taskTurns(a) });
    const beforeAfter = await counts();
    const after = await createAhead(
      a,
      user,
      (lead) => ({ title: 'armed after the restart', due_date: at(86_400_000), reminders: [{ at: at(lead) }] }),
      3000,
    );
    const afterCounts = await counts();
    t.is(afterCounts.fallback, beforeAfter.fallback, 'calls go through Dapr again');
    t.true(afterCounts.dapr > beforeAfter.dapr);

    const ids = [armed, during, after].map((task) => task.id as string);
    const reminderIds = [armed, during, after].map((task) => (task.reminders as { id: string }[])[0]!.id);
    const fired = await eventuallyValue(
      () => countEvents('reminder.triggered', ids),
      (m) => reminderIds.every((id) => m.has(id)),
      { what: 'every reminder fired', timeoutMs: 45_000, intervalMs: 200 },
    );
    t.deepEqual(
      reminderIds.map((id) => fired.get(id)),
      [1, 1, 1],
      'each reminder exactly once: armed before the kill, while daprd was down, after the restart',
    );
  },
);
