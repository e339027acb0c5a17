// The write's own check of lists and labels (host/tasks/store.ts persist): a task decision naming a list
// or label that a user turn deleted after the decision was made is not written (serialization failure,
// so the turn decides again and refuses), on both databases (issue 15).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ADAPTERS } from '../helpers/db.ts';
import { persist, retryable } from '../../host/tasks/store.ts';
import { decide, type TaskState } from '../../actors/task/index.ts';

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: a task is never written into a deleted list or with a deleted label`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `guard-${randomUUID()}`;
      await db.query('INSERT INTO users (id) VALUES ($1)', [user]);
      const list = randomUUID();
      const label = randomUUID();
      const at = new Date().toISOString();
      await db.query(
        `INSERT INTO lists (id, user_id, name, position, version, created_at, updated_at) VALUES ($1, $2, 'L', 1, 1, $3, $3)`,
        [list, user, at],
      );
      await db.query(
        `INSERT INTO labels (id, user_id, name, version, created_at, updated_at) VALUES ($1, $2, 'x', 1, $3, $3)`,
        [label, user, at],
      );
      const write = (data: Record<string, unknown>) => {
        const id = randomUUID();
        const pending = decide({ type: 'create', id, data: { title: 't', ...data } }, null, {
          now: new Date(),
          userId: user,
          userTimezone: 'UTC',
          newId: randomUUID,
        });
        return persist(
          db,
          { userId: user, userVersion: 0, tasks: new Map<string, TaskState | null>([[id, null]]) },
          pending,
          { correlationId: randomUUID() },
          new Date(),
        );
      };
      // Live: written.
      t.is((await write({ list_id: list, labels: [label] })).events.length, 1);
      // Deleted after the decision was made (the decider was not told): the write refuses, retryably.
      await db.query('UPDATE lists SET deleted_at = now() WHERE id = $1', [list]);
      const intoDeletedList = await t.throwsAsync(write({ list_id: list }));
      t.true(retryable(intoDeletedList), String(intoDeletedList));
      await db.query('UPDATE labels SET deleted_at = now() WHERE id = $1', [label]);
      const withDeletedLabel = await t.throwsAsync(write({ labels: [label] }));
      t.true(retryable(withDeletedLabel), String(withDeletedLabel));
      const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [user]);
      t.is(count.rows[0]?.n, 1, 'only the first task was written');
      // The Inbox needs no check and is always there.
      t.is((await write({})).events.length, 1);
    } finally {
      await drop();
    }
  });
}
