// Group commit (host/tasks/group-commit.ts): turns on different tasks that are ready while a write is in
// flight share one transaction, each under its own guard; a failed guard sends back only its turn.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { loadTask, readHistory } from '../../host/tasks/store.ts';
import { fold } from '../../actors/task/index.ts';
import { DirectRuntime } from '../../actors/runtime/direct.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { FAN_OUT } from '../../host/fan-outs.ts';
import { ListTurns } from '../../host/lists/turn.ts';
import { ADAPTERS } from '../helpers/db.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import type { TaskCall } from '../../actors/ports.ts';

const meta = () => ({ correlationId: randomUUID() });

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: one user's tasks updated concurrently through the direct runtime: gapless seqs in commit order, exact versions`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const committed: EventEnvelope[] = [];
      const tasks = new TaskTurns(db, { groupCommit: {}, onCommitted: (events) => committed.push(...events) });
      const runtime = new DirectRuntime({ task: tasks, user: new UserTurns(db), list: new ListTurns(db) });
      const user = `u-${randomUUID()}`;
      const ids = Array.from({ length: 24 }, () => randomUUID());
      await Promise.all(
        ids.map((id) =>
          runtime.executeTask(id, {
            userId: user,
            command: { type: 'create', id, data: { title: 'v1' } },
            meta: meta(),
          }),
        ),
      );
      // Five rounds of edits on every task, all in flight at once: the runtime keeps each task's order.
      await Promise.all(
        ids.flatMap((id) =>
          Array.from({ length: 5 }, (_, round) =>
            runtime.executeTask(id, {
              userId: user,
              command: { type: 'update', data: { title: `v${round + 2}` } },
              meta: meta(),
            }),
          ),
        ),
      );
      const events = (
        await db.query<{ seq: number; aggregate_id: string; version: number }>(
          'SELECT seq, aggregate_id, version FROM events WHERE user_id = $1 ORDER BY seq',
          [user],
        )
      ).rows;
      t.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: ids.length * 6 }, (_, i) => i + 1),
        'gapless from 1',
      );
      for (const id of ids) {
        t.deepEqual(
          events.filter((e) => e.aggregate_id === id).map((e) => e.version),
          [1, 2, 3, 4, 5, 6],
          "a task's versions rise with seq",
        );
        const history = (await readHistory(db, user, id)) ?? [];
        t.is(
          history.at(-1)?.data.changes && (history.at(-1)?.data.changes as { title: { to: string } }).title.to,
          'v6',
          'the last edit sent is the last applied',
        );
        t.true(isDeepStrictEqual(fold(history), await loadTask(db, user, id)));
      }
      // Every committed event was announced once, each with the seq it has in the database.
      t.deepEqual(
        committed.map((e) => e.seq).sort((a, b) => a - b),
        events.map((e) => e.seq),
      );
      t.true((tasks.group?.stats.writes ?? Infinity) < (tasks.group?.stats.turns ?? 0), 'turns shared commits');
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: a zone change's reschedules go on from the user's new row version: only the turns in flight when it moved decide twice`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      let runtime: DirectRuntime | undefined;
      const dispatch = (taskId: string, call: TaskCall) => (runtime as DirectRuntime).executeTask(taskId, call);
      const tasks = new TaskTurns(db, { groupCommit: {}, dispatch });
      runtime = new DirectRuntime({ task: tasks, user: new UserTurns(db, { dispatch }), list: new ListTurns(db) });
      const user = `u-${randomUUID()}`;
      await runtime.setTimezone(user, { timezone: 'Europe/Berlin', meta: meta() });
      const due = '2031-03-03T08:00:00.000Z';
      const ids = Array.from({ length: 120 }, () => randomUUID());
      // Created here, so each series is kept in memory with the user row as it was before the zone change.
      for (const id of ids)
        await runtime.executeTask(id, {
          userId: user,
          command: { type: 'create', id, data: { title: 'daily', due_date: due, recurrence_rule: 'FREQ=DAILY' } },
          meta: meta(),
        });
      const before = { ...(tasks.group as NonNullable<typeof tasks.group>).stats };
      await runtime.setTimezone(user, { timezone: 'America/New_York', meta: meta() });
      const stats = (tasks.group as NonNullable<typeof tasks.group>).stats;
      const moved = await db.query<{ n: number }>(
        "SELECT count(DISTINCT aggregate_id)::int AS n FROM events WHERE user_id = $1 AND event_type = 'recurring.rescheduled'",
        [user],
      );
      t.is(moved.rows[0]?.n, ids.length, 'every series followed the zone');
      // The first reschedule finds the kept user row stale and reads it again; the rest decide on the
      // fresh one. (With a user row kept per task, each of the 120 failed its check once.)
      t.true(stats.sentBack - before.sentBack <= FAN_OUT, `${stats.sentBack - before.sentBack} turns sent back`);
      t.true(stats.turns - before.turns <= ids.length + FAN_OUT, `${stats.turns - before.turns} turns written`);
    } finally {
      await drop();
    }
  });

  for (const isolate of ['resend', 'savepoint'] as const) {
    test(`${adapter.name} (${isolate}): a batch with one stale turn commits the others and sends back only that one, which decides again`, async (t) => {
      const { db, drop } = await adapter.open();
      try {
        // One write in flight at a time: the first update goes out alone, the four after it wait and share a batch.
        const a = new TaskTurns(db, { groupCommit: { maxInFlight: 1, isolate } });
        const b = new TaskTurns(db, { groupCommit: false });
        const user = `u-${randomUUID()}`;
        const ids = Array.from({ length: 5 }, () => randomUUID());
        for (const id of ids) await a.execute(user, id, { type: 'create', id, data: { title: 'one' } }, meta());
        // Another process renames the third task: a's kept copy of it is now stale.
        const stale = ids[2] as string;
        await b.execute(user, stale, { type: 'update', data: { title: 'two' } }, meta());
        const before = { ...a.group!.stats };
        // Issued in one tick from a's kept copies: no read before the write, so they meet in the batcher.
        const results = await Promise.all(
          ids.map((id) => a.execute(user, id, { type: 'update', data: { title: 'three' } }, meta())),
        );
        const stats = a.group!.stats;
        t.is(stats.sentBack - before.sentBack, 1, 'only the stale turn failed its check');
        // The lone write, the batch of four (resend: and its three again), and the stale turn written again on its own.
        t.is(stats.writes - before.writes, isolate === 'savepoint' ? 3 : 4);
        t.deepEqual(
          results.map((r) => r.task?.version),
          ids.map((id) => (id === stale ? 3 : 2)),
        );
        t.deepEqual(
          results[2]?.events[0]?.data.changes,
          { title: { from: 'two', to: 'three' } },
          'decided again on the fresh row',
        );
        // The batch's turns of this user got consecutive seqs in their order; the retried one came after.
        const seqOf = (r: (typeof results)[number]) => r.events[0]?.seq ?? 0;
        const firstSeq = seqOf(results[0]!);
        t.deepEqual(
          [results[0], results[1], results[3], results[4], results[2]].map((r) => seqOf(r!)),
          [0, 1, 2, 3, 4].map((i) => firstSeq + i),
        );
        const seqs = (
          await db.query<{ seq: number }>('SELECT seq FROM events WHERE user_id = $1 ORDER BY seq', [user])
        ).rows.map((r) => r.seq);
        t.deepEqual(
          seqs,
          Array.from({ length: 11 }, (_, i) => i + 1),
        );
        for (const id of ids)
          t.true(isDeepStrictEqual(fold((await readHistory(db, user, id)) ?? []), await loadTask(db, user, id)));
      } finally {
        await drop();
      }
    });

    test(`${adapter.name} (${isolate}): a refused turn in a batch does not hold back the others`, async (t) => {
      const { db, drop } = await adapter.open();
      try {
        const a = new TaskTurns(db, { groupCommit: { maxInFlight: 1, isolate } });
        const b = new TaskTurns(db, { groupCommit: false });
        const user = `u-${randomUUID()}`;
        const ids = Array.from({ length: 4 }, () => randomUUID());
        for (const id of ids) await a.execute(user, id, { type: 'create', id, data: { title: 'one' } }, meta());
        // Deleted elsewhere: a's copy is stale, the fresh read refuses the edit.
        await b.execute(user, ids[3] as string, { type: 'delete' }, meta());
        const settled = await Promise.allSettled(
          ids.map((id) => a.execute(user, id, { type: 'update', data: { title: 'two' } }, meta())),
        );
        t.deepEqual(
          settled.map((s) => s.status),
          ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
        );
        t.is((settled[3] as PromiseRejectedResult).reason.code, 'not_found');
        const titles = (
          await db.query<{ id: string; title: string }>(
            'SELECT id, title FROM tasks WHERE user_id = $1 AND deleted_at IS NULL',
            [user],
          )
        ).rows;
        t.deepEqual(
          titles.map((r) => r.title),
          ['two', 'two', 'two'],
        );
      } finally {
        await drop();
      }
    });
  }
}

test('PostgreSQL: a batch goes out as one pipelined transaction (one round trip), not one statement at a time', async (t) => {
  const { db, drop } = await ADAPTERS[0]!.open();
  try {
    const pipelines: number[] = [];
    let transactions = 0;
    const counted: typeof db = {
      ...db,
      pipeline: (statements) => {
        pipelines.push(statements.length);
        return db.pipeline!(statements);
      },
      transaction: (fn) => {
        transactions++;
        return db.transaction(fn);
      },
    };
    const tasks = new TaskTurns(counted, { groupCommit: { maxInFlight: 1 } });
    const user = `u-${randomUUID()}`;
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await tasks.execute(user, id, { type: 'create', id, data: { title: 'one' } }, meta());
    pipelines.length = 0;
    // Issued in one tick from kept copies: the first goes alone, the four after it wait and share a batch.
    const results = await Promise.all(
      ids.map((id) => tasks.execute(user, id, { type: 'update', data: { title: 'two' } }, meta())),
    );
    t.deepEqual(pipelines, [4], 'the four waiting turns: one pipeline of four statements');
    t.is(transactions, 0, 'no transaction sent statement by statement');
    t.deepEqual(
      results.map((r) => r.task?.title),
      ids.map(() => 'two'),
    );
    const seqs = (
      await db.query<{ seq: number }>('SELECT seq FROM events WHERE user_id = $1 ORDER BY seq', [user])
    ).rows.map((r) => r.seq);
    t.deepEqual(
      seqs,
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  } finally {
    await drop();
  }
});
