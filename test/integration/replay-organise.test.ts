// Replay after lists, labels and moves (issue 15): every task, list and label rebuilt from the events
// table equals its row, on PostgreSQL and on PGlite; a tampered list row is reported by id and field.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector, type Call } from '../helpers/inject.ts';
import { replay } from '../../host/replay-core.ts';
import { replayAtRest } from '../helpers/replay.ts';

for (const database of ['pglite', 'postgres'] as const) {
  test(`${database}: after lists, labels, moves and deletes, replay rebuilds every task, list and label exactly`, async (t) => {
    t.timeout(120_000);
    const app: TestApp = await startTestApp({ database });
    try {
      const call: Call = injector(app.app.server);
      const ok = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
        const reply = await call(method, path, { token: app.token(user), ...(body === undefined ? {} : { body }) });
        if (reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status} ${reply.text}`);
        return reply.body;
      };
      const user = `replay-${randomUUID()}`;
      const lists = [];
      for (const name of ['Work', 'Home', 'Errands'])
        lists.push((await ok('POST', '/lists', { name, color: '#123abc' })).id as string);
      const labels = [];
      for (const name of ['a', 'b']) labels.push((await ok('POST', '/labels', { name })).id as string);
      const tasks = [];
      for (let i = 0; i < 9; i++) {
        tasks.push(
          (
            await ok('POST', '/tasks', {
              title: `t${i}`,
              list_id: lists[i % 3],
              priority: (i % 4) + 1,
              labels: labels.slice(0, i % 3),
              due_date: new Date(Date.now() + (i + 1) * 3_600_000).toISOString(),
            })
          ).id as string,
        );
      }
      await ok('POST', '/tasks', {
        title: 'series',
        list_id: lists[1],
        recurrence_rule: 'FREQ=DAILY',
        due_date: new Date(Date.now() + 86_400_000).toISOString(),
      });
      await ok('PATCH', `/tasks/${tasks[0]}`, { list_id: lists[2], labels: [labels[1]] });
      await ok('POST', `/tasks/${tasks[1]}/complete`);
      await ok('POST', `/tasks/${tasks[4]}/complete`);
      await ok('POST', `/tasks/${tasks[4]}/uncomplete`);
      await ok('PATCH', `/lists/${lists[1]}`, { name: 'House', position: 9 });
      await ok('PATCH', `/labels/${labels[0]}`, { name: 'A!' });
      await ok('PATCH', `/lists/${lists[0]}`, { color: null });
      await ok('DELETE', `/labels/${labels[1]}`);
      await ok('DELETE', `/lists/${lists[1]}`);
      await ok('DELETE', `/lists/${lists[2]}?tasks=delete`);

      const report = await replayAtRest({ db: app.app.db, fromDb: true });
      t.deepEqual(report.mismatches, []);
      t.is(report.matched, report.tasks);
      t.true(report.tasks >= 10);
      t.deepEqual(report.organisation, { checked: 6, matched: 6 }, 'the Inbox, three lists, two labels');

      // A list row changed behind the log's back is found, by id and field.
      await app.app.db.query('UPDATE lists SET name = $1 WHERE id = $2', ['tampered', lists[0]]);
      const tampered = await replay({ db: app.app.db, fromDb: true, user });
      t.deepEqual(
        tampered.mismatches.map((m) => [m.aggregate, m.taskId, m.problem, m.fields]),
        [['list', lists[0], 'differs', ['name']]],
      );
    } finally {
      await app.stop();
    }
  });
}

test('a list made while a replay reads is not reported as a list without history (the replay of a live system)', async (t) => {
  const app: TestApp = await startTestApp({ database: 'pglite' });
  try {
    const call: Call = injector(app.app.server);
    const user = `racing-${randomUUID()}`;
    const token = app.token(user);
    t.is((await call('POST', '/lists', { token, body: { name: 'Before' } })).status, 201);
    // The list is made right after the replay has read the list and label events, before it reads the rows.
    let made = false;
    const db = app.app.db;
    const racing = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<typeof db.query>) => {
          const result = await target.query(...args);
          if (!made && /aggregate_type IN \('list', 'label'\)/.test(String(args[0]))) {
            made = true;
            t.is((await call('POST', '/lists', { token, body: { name: 'Meanwhile' } })).status, 201);
          }
          return result;
        };
      },
    });
    const report = await replay({ db: racing, fromDb: true, user });
    t.true(made, 'the list was made between the reads');
    t.deepEqual(report.mismatches, []);
  } finally {
    await app.stop();
  }
});
