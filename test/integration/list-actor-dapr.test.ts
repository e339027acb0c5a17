// The membership of a shared list through the Dapr runtime: each command crosses the actor call to the
// list's ListActor (daprd learns the type from the app's /dapr/config and places the actor), and a
// refusal keeps its status across the call (403 and 404, not a 500).
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import { readMetric } from '../helpers/metrics.ts';

let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `lists-${randomBytes(4).toString('hex')}` });
});
test.after.always(async () => {
  await app?.stop();
});

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

test('share, accept, a refused share and a removal run in the ListActor through daprd', async (t) => {
  t.is((await call(app.token('probe'), 'GET', '/ready')).body.mode, 'dapr');
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((n) => `${n}-${randomUUID()}`) as [string, string, string];
  const token = (u: string) => app.token(u);
  const list = (await call(token(alice), 'POST', '/lists', { name: 'Dapr groceries' })).body;
  const id = list.id as string;
  t.is((await call(token(alice), 'POST', `/lists/${id}/members`, { user_id: bob })).status, 201);
  const accepted = await call(token(bob), 'POST', `/invitations/${id}/accept`);
  t.is(accepted.status, 200);
  t.deepEqual(
    (accepted.body.members as { user_id: string; state: string }[]).map((m) => [m.user_id, m.state]),
    [
      [alice, 'active'],
      [bob, 'active'],
    ],
  );
  const refused = await call(token(bob), 'POST', `/lists/${id}/members`, { user_id: carol });
  t.is(refused.status, 403);
  t.regex(refused.body.message as string, /owner/);
  t.is((await call(token(carol), 'POST', `/invitations/${id}/accept`)).status, 404);
  t.is((await call(token(alice), 'DELETE', `/lists/${id}/members/${bob}`)).status, 204);
  t.is((await call(token(bob), 'GET', `/lists/${id}/members`)).status, 404);
  t.true((await readMetric(app.url, 'tasklane_actor_turns_total', { actor: 'list', via: 'dapr' })) >= 5);
  t.is(await readMetric(app.url, 'tasklane_actor_turns_total', { actor: 'list', via: 'fallback' }), 0);
});
