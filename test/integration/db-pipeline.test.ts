// Db.pipeline on both adapters (host/db/types.ts): statements in one transaction, answered in order; the
// first failing statement named and the whole rolled back; a refused COMMIT rejects; the connection
// serves the next batch afterwards. Group commit (host/tasks/group-commit.ts) relies on each of these.
import test from 'ava';
import { ADAPTERS } from '../helpers/db.ts';

const insert = (name: string) => ({
  sql: 'INSERT INTO scratch (k, v) VALUES ($1, $2) RETURNING k, v',
  name: `scratch-insert-${name}`,
});

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: a batch commits together, each statement's rows answered in order`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      await db.exec('CREATE TABLE scratch (k int PRIMARY KEY, v text NOT NULL)');
      const outcome = await db.pipeline!([
        { ...insert('a'), params: [1, 'one'] },
        { sql: 'SELECT count(*)::int AS n FROM scratch', name: 'scratch-count' },
        { ...insert('a'), params: [2, 'two'] },
        { sql: 'UPDATE scratch SET v = v || $1 WHERE k <= $2', params: ['!', 2], name: 'scratch-update' },
      ]);
      t.true(outcome.committed);
      if (!outcome.committed) return;
      t.deepEqual(
        outcome.results.map((r) => r.rows),
        [[{ k: 1, v: 'one' }], [{ n: 1 }], [{ k: 2, v: 'two' }], []],
      );
      t.is(outcome.results[3]?.rowCount, 2, 'UPDATE answers its own row count, not the batch total');
      t.deepEqual((await db.query('SELECT k, v FROM scratch ORDER BY k')).rows, [
        { k: 1, v: 'one!' },
        { k: 2, v: 'two!' },
      ]);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: a statement with no command (empty text) counts as answered; the ones after it keep their own results`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      await db.exec('CREATE TABLE scratch (k int PRIMARY KEY, v text NOT NULL)');
      const outcome = await db.pipeline!([
        { ...insert('d'), params: [1, 'one'] },
        { sql: '', name: 'scratch-empty' },
        { ...insert('d'), params: [2, 'two'] },
      ]);
      t.true(outcome.committed);
      if (!outcome.committed) return;
      t.deepEqual(
        outcome.results.map((r) => r.rows),
        [[{ k: 1, v: 'one' }], [], [{ k: 2, v: 'two' }]],
      );
      t.is((await db.query('SELECT count(*)::int AS n FROM scratch')).rows[0]?.n, 2);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: the first failing statement is named and nothing of the batch is written; the next batch runs`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      await db.exec('CREATE TABLE scratch (k int PRIMARY KEY, v text NOT NULL)');
      await db.query('INSERT INTO scratch (k, v) VALUES (5, $1)', ['five']);
      const refused = await db.pipeline!([
        { ...insert('b'), params: [6, 'six'] },
        { ...insert('b'), params: [5, 'again'] },
        { ...insert('b'), params: [7, 'seven'] },
      ]);
      t.false(refused.committed);
      if (refused.committed) return;
      t.is(refused.failed, 1);
      t.is((refused.error as { code?: string }).code, '23505', 'the unique violation, with its SQLSTATE');
      // A statement that cannot even be parsed is named too.
      const broken = await db.pipeline!([
        { ...insert('b'), params: [8, 'eight'] },
        { sql: 'SELEC 1', name: 'scratch-typo' },
      ]);
      t.false(broken.committed);
      if (!broken.committed) {
        t.is(broken.failed, 1);
        t.is((broken.error as { code?: string }).code, '42601');
      }
      t.deepEqual((await db.query('SELECT k FROM scratch ORDER BY k')).rows, [{ k: 5 }], 'both batches rolled back');
      const next = await db.pipeline!([{ ...insert('b'), params: [6, 'six'] }]);
      t.true(next.committed);
      t.deepEqual((await db.query('SELECT k FROM scratch ORDER BY k')).rows, [{ k: 5 }, { k: 6 }]);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: a COMMIT refused after every statement succeeded rejects the batch`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      // A deferred unique constraint is checked at COMMIT, after each statement has answered.
      await db.exec(
        'CREATE TABLE scratch (k int, v text NOT NULL, CONSTRAINT scratch_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)',
      );
      await t.throwsAsync(
        db.pipeline!([
          { ...insert('c'), params: [1, 'one'] },
          { ...insert('c'), params: [1, 'twin'] },
        ]),
        { message: /scratch_k/ },
      );
      t.deepEqual((await db.query('SELECT k FROM scratch')).rows, []);
      const next = await db.pipeline!([{ ...insert('c'), params: [1, 'one'] }]);
      t.true(next.committed);
    } finally {
      await drop();
    }
  });
}
