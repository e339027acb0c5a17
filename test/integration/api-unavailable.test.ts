// A database that is away is a 503 with Retry-After on every route — reads as well as writes — never a
// 500: the client may retry (writes with their Idempotency-Key). The embedded database is closed under a
// running app, the deterministic stand-in for PostgreSQL restarting. Requests go through server.inject:
// the answer is the point, not the wire.
import test from 'ava';
import { rmSync } from 'node:fs';
import { startTestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';

test('with the database away, reads and writes answer 503 with Retry-After and say nothing of the cause', async (t) => {
  const t0 = await startTestApp({ database: 'pglite' });
  try {
    const call = injector(t0.app.server);
    const token = t0.token('away-user');
    const created = await call('POST', '/tasks', { token, body: { title: 'before the outage' } });
    t.is(created.status, 201);
    const id = created.body.id as string;

    await t0.app.db.close();

    const requests: Array<[string, string, unknown?]> = [
      ['GET', '/events?after=0'],
      ['GET', '/tasks'],
      ['GET', '/tasks?due_before=2030-01-01'],
      ['GET', `/tasks/${id}`],
      ['GET', `/tasks/${id}/history`],
      ['GET', '/me'],
      ['POST', '/tasks', { title: 'during the outage' }],
      ['PATCH', `/tasks/${id}`, { title: 'edited during the outage' }],
      ['POST', `/tasks/${id}/complete`],
      ['PATCH', '/me', { timezone: 'Europe/Berlin' }],
    ];
    for (const [method, path, body] of requests) {
      const res = await call(method, path, { token, ...(body !== undefined ? { body } : {}) });
      const text = res.text;
      t.is(res.status, 503, `${method} ${path}: ${text}`);
      t.is(res.headers.get('retry-after'), '2', `${method} ${path}`);
      t.truthy(res.headers.get('x-correlation-id'), `${method} ${path}: the answer carries the correlation id`);
      const payload = JSON.parse(text) as { message: string };
      t.regex(payload.message, /database is unavailable; retry shortly/, `${method} ${path}`);
      t.notRegex(text, /PGlite|closed|\n\s+at /, `${method} ${path}: no internals`);
    }
    const health = await call('GET', '/health');
    t.is(health.status, 200, 'liveness does not depend on the database');
  } finally {
    await t0.app.stop().catch(() => undefined);
    rmSync(t0.dataDir, { recursive: true, force: true });
  }
});

test('a write whose actor call daprd could not complete (the app behind it restarting) is a 503 with Retry-After', async (t) => {
  const t0 = await startTestApp({ database: 'pglite' });
  try {
    const call = injector(t0.app.server);
    const token = t0.token('sidecar-user');
    // What the Dapr SDK's HTTP client throws when daprd answers 500 for an actor call it could not deliver.
    const daprd = () =>
      new Error(
        JSON.stringify({
          error: 'Internal Server Error',
          status: 500,
          error_msg: JSON.stringify({
            errorCode: 'ERR_ACTOR_INVOKE_METHOD',
            message:
              'error invoke actor method: failed to invoke target app: Post "http://127.0.0.1:3000/actors/TaskActor/x/method/execute": read tcp 127.0.0.1:50012->127.0.0.1:3000: read: connection reset by peer',
          }),
        }),
      );
    const runtime = t0.app.runtime as unknown as Record<'executeTask' | 'setTimezone', () => Promise<never>>;
    runtime.executeTask = () => Promise.reject(daprd());
    runtime.setTimezone = () => Promise.reject(daprd());
    for (const [method, path, body] of [
      ['POST', '/tasks', { title: 'x' }],
      ['PATCH', '/me', { timezone: 'Europe/Berlin' }],
    ] as const) {
      const res = await call(method, path, { token, body });
      const text = res.text;
      t.is(res.status, 503, `${method} ${path}: ${text}`);
      t.is(res.headers.get('retry-after'), '2');
      t.regex(text, /actor sidecar \(Dapr\) is unavailable; retry shortly/);
      t.notRegex(text, /ERR_ACTOR|connection reset|127\.0\.0\.1/, 'no internals');
    }
  } finally {
    await t0.stop();
  }
});
