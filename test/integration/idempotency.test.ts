// Idempotency-Key (DESIGN: "Retries are safe"): a retry of a write with the same key and user gets the
// first answer and never applies twice — after the answer was lost to a restart, while the first call is
// still in flight, on every write route; the key reused for another request is a 422, a malformed key a
// 400, and a key expires after 24 h. On PostgreSQL and on the embedded PGlite.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ADAPTERS } from '../helpers/db.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { IDEMPOTENCY_TTL_MS } from '../../host/tasks/store.ts';
import { DomainError } from '../../actors/errors.ts';

interface Res {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  app: TestApp,
  method: string,
  path: string,
  options: { token: string; body?: unknown; key?: string; headers?: Record<string, string> },
): Promise<Res> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, ...options.headers };
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const eventTypes = async (app: TestApp, token: string, id: string) =>
  ((await call(app, 'GET', `/tasks/${id}/history`, { token })).body.events as { event_type: string }[]).map(
    (e) => e.event_type,
  );
const titles = async (app: TestApp, token: string) =>
  ((await call(app, 'GET', '/tasks', { token })).body.tasks as { title: string }[]).map((t) => t.title);

for (const database of ['postgres', 'pglite'] as const) {
  test.serial(
    `${database}: every write route replays its first answer for the same key and applies once`,
    async (t) => {
      const app = await startTestApp({ database });
      try {
        const token = app.token(`idem-${randomUUID()}`);
        const twice = async (method: string, path: string, body?: unknown): Promise<[Res, Res]> => {
          const key = randomUUID();
          const first = await call(app, method, path, { token, key, ...(body !== undefined ? { body } : {}) });
          const again = await call(app, method, path, { token, key, ...(body !== undefined ? { body } : {}) });
          t.is(again.status, first.status, `${method} ${path}: same status`);
          t.deepEqual(again.body, first.body, `${method} ${path}: same body`);
          return [first, again];
        };

        const [created, createdAgain] = await twice('POST', '/tasks', {
          title: 'once',
          due_date: future(48),
          reminders: [{ before: 'PT1H' }],
        });
        t.is(created.status, 201);
        t.is(createdAgain.headers.get('location'), `/tasks/${created.body.id as string}`);
        t.deepEqual(await titles(app, token), ['once'], 'one task, not two');
        const id = created.body.id as string;

        await twice('PATCH', `/tasks/${id}`, { title: 'renamed' });
        const [reminder] = await twice('POST', `/tasks/${id}/reminders`, { before: 'PT2H' });
        t.is(reminder.status, 201);
        await twice('DELETE', `/tasks/${id}/reminders/${reminder.body.id as string}`);
        const [completed] = await twice('POST', `/tasks/${id}/complete`);
        t.is(completed.body.completed, true);
        await twice('POST', `/tasks/${id}/uncomplete`);
        const [me] = await twice('PATCH', '/me', { timezone: 'Europe/Berlin' });
        t.is(me.status, 200);

        t.deepEqual(
          await eventTypes(app, token, id),
          [
            'task.created',
            'reminder.scheduled',
            'task.updated',
            'reminder.scheduled',
            'reminder.cancelled',
            'task.completed',
            'reminder.cancelled',
            'task.uncompleted',
            'reminder.scheduled',
          ],
          'each write applied once',
        );

        // A replay is the first answer, not the current state: the completion's retry after the task was
        // uncompleted answers "completed" as the first call did, and leaves the task as it is.
        const key = randomUUID();
        const first = await call(app, 'POST', `/tasks/${id}/complete`, { token, key });
        await call(app, 'POST', `/tasks/${id}/uncomplete`, { token });
        const retry = await call(app, 'POST', `/tasks/${id}/complete`, { token, key });
        t.deepEqual(retry.body, first.body);
        t.is((await call(app, 'GET', `/tasks/${id}`, { token })).body.completed, false);

        const [deleted, deletedAgain] = await twice('DELETE', `/tasks/${id}`);
        t.is(deleted.status, 204);
        t.is(deletedAgain.status, 204, 'the retry of a delete is its 204, not a 404');
        t.is(
          (await call(app, 'DELETE', `/tasks/${id}`, { token })).status,
          404,
          'without the key a second delete is a 404',
        );
      } finally {
        await app.stop();
      }
    },
  );

  test.serial(
    `${database}: a key reused for another request is a 422, another user's key is theirs, a malformed key a 400`,
    async (t) => {
      const app = await startTestApp({ database });
      try {
        const alice = app.token(`idem-a-${randomUUID()}`);
        const bob = app.token(`idem-b-${randomUUID()}`);
        const key = randomUUID();
        const first = await call(app, 'POST', '/tasks', { token: alice, key, body: { title: 'a', description: 'd' } });
        t.is(first.status, 201);
        // The same body with its keys in another order is the same request.
        const reordered = await call(app, 'POST', '/tasks', {
          token: alice,
          key,
          body: { description: 'd', title: 'a' },
        });
        t.is(reordered.status, 201);
        t.deepEqual(reordered.body, first.body);
        const reused = await call(app, 'POST', '/tasks', { token: alice, key, body: { title: 'b' } });
        t.is(reused.status, 422);
        t.is(reused.body.field, 'idempotency-key');
        t.regex(reused.body.message as string, /idempotency-key/);
        const otherRoute = await call(app, 'PATCH', '/me', { token: alice, key, body: { timezone: 'Asia/Tokyo' } });
        t.is(otherRoute.status, 422, 'the key of a task write cannot answer PATCH /me');
        t.is((await call(app, 'GET', '/me', { token: alice })).body.timezone, 'UTC');
        const bobs = await call(app, 'POST', '/tasks', { token: bob, key, body: { title: 'a', description: 'd' } });
        t.is(bobs.status, 201);
        t.not(bobs.body.id, first.body.id, 'keys are per user');
        t.deepEqual(await titles(app, alice), ['a']);

        for (const bad of ['x'.repeat(256), 'caf\u00e9', '']) {
          const res = await call(app, 'POST', '/tasks', { token: alice, key: bad, body: { title: 'bad key' } });
          t.is(res.status, 400, JSON.stringify(bad));
          t.is(res.body.field, 'idempotency-key');
        }
        t.is(
          (await call(app, 'POST', '/tasks', { token: alice, key: 'k'.repeat(255), body: { title: 'long key' } }))
            .status,
          201,
        );
        t.deepEqual((await titles(app, alice)).sort(), ['a', 'long key']);
      } finally {
        await app.stop();
      }
    },
  );

  test.serial(`${database}: concurrent duplicates apply once and all answer the same`, async (t) => {
    const app = await startTestApp({ database });
    try {
      const token = app.token(`idem-c-${randomUUID()}`);
      const key = randomUUID();
      const body = { title: 'raced', due_date: future(5) };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => call(app, 'POST', '/tasks', { token, key, body })),
      );
      t.deepEqual(
        answers.map((a) => a.status),
        Array(8).fill(201),
      );
      t.is(new Set(answers.map((a) => a.body.id)).size, 1, 'one task id in every answer');
      t.deepEqual(await titles(app, token), ['raced']);
      const id = answers[0]?.body.id as string;

      const reminderKey = randomUUID();
      const reminders = await Promise.all(
        Array.from({ length: 6 }, () =>
          call(app, 'POST', `/tasks/${id}/reminders`, { token, key: reminderKey, body: { before: 'PT1H' } }),
        ),
      );
      t.deepEqual(
        reminders.map((r) => r.status),
        Array(6).fill(201),
      );
      t.is(new Set(reminders.map((r) => r.body.id)).size, 1);
      t.deepEqual(await eventTypes(app, token, id), ['task.created', 'reminder.scheduled']);
    } finally {
      await app.stop();
    }
  });

  test.serial(`${database}: a write whose answer was lost to a restart replays after it`, async (t) => {
    const first = await startTestApp({ database });
    let second: TestApp | undefined;
    try {
      const user = `idem-r-${randomUUID()}`;
      const key = randomUUID();
      const meKey = randomUUID();
      const created = await call(first, 'POST', '/tasks', {
        token: first.token(user),
        key,
        body: { title: 'survives' },
      });
      const zone = await call(first, 'PATCH', '/me', {
        token: first.token(user),
        key: meKey,
        body: { timezone: 'Asia/Tokyo' },
      });
      await first.halt();
      second = await startTestApp({ reuse: first, port: first.port });
      const token = second.token(user);
      const retried = await call(second, 'POST', '/tasks', { token, key, body: { title: 'survives' } });
      t.is(retried.status, 201);
      t.deepEqual(retried.body, created.body);
      t.deepEqual(await titles(second, token), ['survives']);
      const zoneAgain = await call(second, 'PATCH', '/me', { token, key: meKey, body: { timezone: 'Asia/Tokyo' } });
      t.deepEqual(zoneAgain.body, zone.body);
      t.is(
        (await call(second, 'GET', '/me', { token })).body.last_seq,
        zone.body.last_seq,
        'no event written by the retries',
      );
    } finally {
      if (second) await second.stop();
      else await first.stop();
    }
  });
}

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: two processes racing one key apply it once; a key expires after 24 h`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      let now = new Date('2031-05-01T08:00:00Z');
      const clock = () => now;
      // Two services stand for two replicas: no in-process queue serialises them.
      const a = new TaskTurns(db, { clock });
      const b = new TaskTurns(db, { clock });
      const user = `u-${randomUUID()}`;
      const key = { key: 'create-1', fingerprint: 'f1' };
      const meta = () => ({ correlationId: randomUUID(), idempotency: key });
      const ids = Array.from({ length: 6 }, () => randomUUID());
      const results = await Promise.all(
        ids.map((id, i) =>
          (i % 2 === 0 ? a : b).execute(user, id, { type: 'create', id, data: { title: 'once' } }, meta()),
        ),
      );
      t.is(new Set(results.map((r) => r.task?.id)).size, 1);
      t.is(results.filter((r) => r.replayed !== true).length, 1, 'one applied, the others replayed');
      const count = async () =>
        Number(
          (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [user])).rows[0]?.n,
        );
      t.is(await count(), 1);
      const edited = results[0]?.task?.id as string;
      await a.execute(
        user,
        edited,
        { type: 'update', data: { title: 'edited' } },
        { correlationId: randomUUID(), idempotency: { key: 'edit-1', fingerprint: 'e1' } },
      );
      // A twin that reads what the other just wrote decides nothing; it still gets the twin's answer.
      for (let round = 0; round < 4; round++) {
        const done = { correlationId: randomUUID(), idempotency: { key: `done-${round}`, fingerprint: 'd' } };
        const command = { type: round % 2 === 0 ? 'complete' : 'uncomplete' } as const;
        const twins = await Promise.all([
          a.execute(user, edited, command, done),
          b.execute(user, edited, command, done),
        ]);
        t.is(twins.filter((r) => r.replayed === true).length, 1, `round ${round}: one applied, one replayed`);
        t.deepEqual(twins[0]?.task, twins[1]?.task);
      }

      const other = randomUUID();
      const reused = { correlationId: randomUUID(), idempotency: { key: 'create-1', fingerprint: 'f2' } };
      await t.throwsAsync(a.execute(user, other, { type: 'create', id: other, data: { title: 'other' } }, reused), {
        instanceOf: DomainError,
        message: /idempotency-key/,
      });
      now = new Date(now.getTime() + IDEMPOTENCY_TTL_MS - 1000);
      t.is(
        (await a.execute(user, other, { type: 'create', id: other, data: { title: 'other' } }, meta())).replayed,
        true,
        'still kept just before 24 h',
      );
      now = new Date(now.getTime() + 2000);
      const fresh = await b.execute(user, other, { type: 'create', id: other, data: { title: 'other' } }, reused);
      t.not(fresh.replayed, true, 'after 24 h the key is free again');
      t.is(await count(), 2);
      // That keyed write, more than an hour after the last sweep, deleted the other expired answer lazily.
      const keys = async () =>
        (
          await db.query<{ key: string }>('SELECT key FROM idempotency WHERE user_id = $1 ORDER BY key', [user])
        ).rows.map((r) => r.key);
      t.deepEqual(
        await eventuallyValue(keys, (k) => !k.includes('edit-1'), {
          what: 'the expired answer deleted',
          timeoutMs: 10_000,
          intervalMs: 50,
        }),
        ['create-1'],
      );
      t.deepEqual(
        (
          await db.query<{ fingerprint: string }>('SELECT fingerprint FROM idempotency WHERE user_id = $1', [user])
        ).rows.map((r) => r.fingerprint),
        ['f2'],
      );

      // The user aggregate: a replay under the row lock, the answer as first given.
      const users = new UserTurns(db, { clock });
      const userKey = { correlationId: randomUUID(), idempotency: { key: 'zone-1', fingerprint: 'z1' } };
      const [x, y] = await Promise.all([
        users.execute(user, { type: 'set_timezone', timezone: 'Asia/Tokyo' }, userKey),
        users.execute(user, { type: 'set_timezone', timezone: 'Asia/Tokyo' }, userKey),
      ]);
      t.deepEqual(x?.user, y?.user);
      t.is([x, y].filter((r) => r?.replayed === true).length, 1);
      await t.throwsAsync(
        users.execute(
          user,
          { type: 'set_timezone', timezone: 'UTC' },
          { correlationId: randomUUID(), idempotency: { key: 'zone-1', fingerprint: 'z2' } },
        ),
        { instanceOf: DomainError },
      );
    } finally {
      await drop();
    }
  });
}
