// Idempotency-Key through the Dapr runtime: the key crosses the actor call (daprd serialises the call as
// JSON) and so does a refusal of a reused key (422, not a 500). Two replicas, each with its own daprd,
// share one PostgreSQL: duplicates sent to both at once apply once.
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import { readMetric } from '../helpers/metrics.ts';

const namespace = `idem-${randomBytes(4).toString('hex')}`;
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

async function call(
  app: DaprTestApp,
  token: string,
  method: string,
  path: string,
  body: unknown,
  key: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('duplicates sent to both replicas at once create one task and all answer with it; a reused key is a 422', async (t) => {
  const user = `idem-dapr-${randomUUID()}`;
  const token = a.token(user);
  const key = randomUUID();
  const body = { title: 'one through dapr' };
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => call(i % 2 ? b : a, token, 'POST', '/tasks', body, key)),
  );
  t.deepEqual(
    answers.map((r) => r.status),
    Array(6).fill(201),
  );
  t.is(new Set(answers.map((r) => r.body.id)).size, 1);
  const count = await a.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [user]);
  t.is(count.rows[0]?.n, 1);

  const reused = await call(b, token, 'POST', '/tasks', { title: 'another' }, key);
  t.is(reused.status, 422);
  t.is(reused.body.field, 'idempotency-key');

  const meKey = randomUUID();
  const zone = await call(a, token, 'PATCH', '/me', { timezone: 'Asia/Tokyo' }, meKey);
  const zoneAgain = await call(b, token, 'PATCH', '/me', { timezone: 'Asia/Tokyo' }, meKey);
  t.is(zone.status, 200);
  t.deepEqual(zoneAgain.body, zone.body);
  t.is((await call(b, token, 'PATCH', '/me', { timezone: 'UTC' }, meKey)).status, 422, 'through the UserActor too');
  t.is(
    (await readMetric(a.url, 'tasklane_actor_turns_total', { via: 'fallback' })) +
      (await readMetric(b.url, 'tasklane_actor_turns_total', { via: 'fallback' })),
    0,
    'every call went through daprd',
  );
});
