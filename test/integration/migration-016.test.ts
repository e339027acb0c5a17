// Migration 016 on a database as the release before it left it: each task's shared_version and each
// reminder's version are filled in exactly as evolve folds the events (the last event not about a reminder;
// the last event of each reminder), so replay still rebuilds every row. On both databases.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { ok, DATABASES } from '../helpers/api-suite.ts';
import { replayAtRest } from '../helpers/replay.ts';

type Json = Record<string, unknown>;

const VERSIONS = `SELECT t.id::text AS task, t.version, t.shared_version,
    COALESCE((SELECT json_agg(json_build_array(r.user_id, r.version) ORDER BY r.created_at, r.id) FROM reminders r WHERE r.task_id = t.id), '[]') AS reminders
  FROM tasks t ORDER BY t.id`;

for (const database of DATABASES) {
  test(`${database}: upgrading fills in the versions every member sees and each reminder's, as replay folds them`, async (t) => {
    const first = await startTestApp({ database });
    let second: Awaited<ReturnType<typeof startTestApp>> | undefined;
    try {
      const call = injector(first.app.server);
      const [alice, bob] = ['alice', 'bob'].map((name) => {
        const id = `${name}-${randomUUID()}`;
        return { id, token: first.token(id) };
      }) as [{ id: string; token: string }, { id: string; token: string }];
      for (const u of [alice, bob]) await ok(call('GET', '/me', { token: u.token }));
      const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Home' } }), 201);
      await ok(call('POST', `/lists/${list.id}/members`, { token: alice.token, body: { user_id: bob.id } }), 201);
      await ok(call('POST', `/invitations/${list.id}/accept`, { token: bob.token }));
      const due = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const task = await ok(
        call('POST', '/tasks', {
          token: alice.token,
          body: { title: 'Boiler service', list_id: list.id, due_date: due, reminders: [{ before: 'P1D' }] },
        }),
        201,
      );
      const path = `/tasks/${task.id}`;
      const his = (await ok(
        call('POST', `${path}/reminders`, { token: bob.token, body: { before: 'PT1H' } }),
        201,
      )) as Json;
      await ok(call('PATCH', path, { token: alice.token, body: { title: 'Boiler service (call first)' } }));
      t.is((await call('DELETE', `${path}/reminders/${String(his.id)}`, { token: bob.token })).status, 204);
      await ok(call('POST', `${path}/reminders`, { token: bob.token, body: { before: 'PT2H' } }), 201);
      await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'Private, no reminders' } }), 201);
      const db = first.app.db;
      const before = (await db.query(VERSIONS)).rows;
      t.true(
        before.some(
          (r) =>
            (r as { version: number; shared_version: number }).version >
            (r as { shared_version: number }).shared_version,
        ),
        'a task whose last events are reminders',
      );
      // The database before 016: no columns, no constraint, migration not recorded.
      await db.query('ALTER TABLE tasks DROP CONSTRAINT tasks_shared_version_range');
      await db.query('ALTER TABLE tasks DROP COLUMN shared_version');
      await db.query('ALTER TABLE reminders DROP COLUMN version');
      await db.query("DELETE FROM schema_migrations WHERE name = '016_visible_versions.sql'");
      await first.halt();
      second = await startTestApp({ database, reuse: first });
      t.deepEqual((await second.app.db.query(VERSIONS)).rows, before);
      const report = await replayAtRest({ db: second.app.db, fromDb: true });
      t.deepEqual(report.mismatches, []);
      t.true(report.tasks >= 2);
    } finally {
      await (second ?? first).stop();
    }
  });
}
