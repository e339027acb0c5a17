// POST /tasks/{id}/undo through the Dapr runtime: the undo command crosses the actor call to the task's
// actor (daprd serialises it as JSON) and a refusal keeps its status across the call (409, not a 500).
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';

let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `undo-${randomBytes(4).toString('hex')}` });
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

test('an undone completion and an undone delete run in the task actor; undoing twice is a 409', async (t) => {
  t.is((await call(app.token('probe'), 'GET', '/ready')).body.mode, 'dapr');
  const token = app.token(`undo-dapr-${randomUUID()}`);
  const due = new Date(Date.now() + 5 * 3_600_000).toISOString();
  const id = (
    await call(token, 'POST', '/tasks', { title: 'Dapr undo', due_date: due, reminders: [{ before: 'PT1H' }] })
  ).body.id as string;
  await call(token, 'POST', `/tasks/${id}/complete`);
  const history = async () =>
    (await call(token, 'GET', `/tasks/${id}/history`)).body.events as Record<string, unknown>[];
  const completion = (await history()).find((e) => e.event_type === 'task.completed');
  const undone = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: completion?.event_id });
  t.is(undone.status, 200);
  t.like(undone.body, { completed: false });
  t.deepEqual(
    (undone.body.reminders as { status: string }[]).map((r) => r.status),
    ['pending'],
  );
  const twice = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: completion?.event_id });
  t.is(twice.status, 409);
  t.regex(twice.body.message as string, /already undone/);

  t.is((await call(token, 'DELETE', `/tasks/${id}`)).status, 204);
  const deletion = (await history()).find((e) => e.event_type === 'task.deleted');
  t.is((await call(token, 'POST', `/tasks/${id}/undo`, { event_id: deletion?.event_id })).status, 200);
  const back = await call(token, 'GET', `/tasks/${id}`);
  t.is(back.status, 200);
  t.like(back.body, { deleted_at: null, completed: false });
});
