// The event store on both adapters: one transaction per command, per-aggregate versions, a gapless
// per-user seq, immutable events, and rows that equal the fold of their events.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { loadForTurn, loadTask, readTask, readHistory } from '../../host/tasks/store.ts';
import { eventually } from '../helpers/eventually.ts';
import { fold, type TaskCommand } from '../../actors/task/index.ts';
import { DomainError } from '../../actors/errors.ts';
import { ADAPTERS } from '../helpers/db.ts';
import { migrate } from '../../host/db/migrate.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { ListTurns } from '../../host/lists/turn.ts';
import type { Db, Queryable } from '../../host/db/index.ts';

const meta = () => ({ correlationId: randomUUID() });

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: 50 concurrent updates of one task end at version 51 with 50 events, none lost`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const service = new TaskTurns(db);
      const user = `u-${randomUUID()}`;
      const id = randomUUID();
      await service.execute(user, id, { type: 'create', id, data: { title: 'start' } }, meta());
      const titles = Array.from({ length: 50 }, (_, i) => `title ${i}`);
      await Promise.all(titles.map((title) => service.execute(user, id, { type: 'update', data: { title } }, meta())));
      const task = await readTask(db, user, id);
      t.is(task?.version, 51);
      const history = (await readHistory(db, user, id)) ?? [];
      t.is(history.length, 51);
      t.deepEqual(
        history.map((e) => e.version),
        Array.from({ length: 51 }, (_, i) => i + 1),
      );
      // Every update is there, and each one's `from` is the previous one's `to`: no lost update.
      const updates = history.filter((e) => e.event_type === 'task.updated');
      t.deepEqual(
        updates.map((e) => (e.data.changes as { title: { to: string } }).title.to).sort(),
        [...titles].sort(),
      );
      for (let i = 1; i < updates.length; i++) {
        const prev = updates[i - 1]?.data.changes as { title: { to: string } };
        const cur = updates[i]?.data.changes as { title: { from: string } };
        t.is(cur.title.from, prev.title.to);
      }
      t.is(task?.title, (updates.at(-1)?.data.changes as { title: { to: string } }).title.to);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: concurrent writes of one user produce a gapless, ordered seq`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const service = new TaskTurns(db);
      const user = `u-${randomUUID()}`;
      const ids = Array.from({ length: 20 }, () => randomUUID());
      await Promise.all(
        ids.map((id) => service.execute(user, id, { type: 'create', id, data: { title: id, reminders: [] } }, meta())),
      );
      await Promise.all(
        ids.flatMap((id) => [
          service.execute(user, id, { type: 'update', data: { description: 'x' } }, meta()),
          service.execute(user, id, { type: 'complete' }, meta()),
        ]),
      );
      const seqs = (
        await db.query<{ seq: number }>('SELECT seq FROM events WHERE user_id = $1 ORDER BY seq', [user])
      ).rows.map((r) => r.seq);
      t.deepEqual(
        seqs,
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      const last = await db.query<{ last_seq: number }>('SELECT last_seq FROM users WHERE id = $1', [user]);
      t.is(last.rows[0]?.last_seq, 60);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: events cannot be changed or deleted; published_at is set once`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const service = new TaskTurns(db);
      const user = `u-${randomUUID()}`;
      const id = randomUUID();
      const { events } = await service.execute(user, id, { type: 'create', id, data: { title: 'immutable' } }, meta());
      const eventId = events[0]?.event_id;
      await t.throwsAsync(db.query(`UPDATE events SET data = '{}'::jsonb WHERE event_id = $1`, [eventId]), {
        message: /immutable/,
      });
      await t.throwsAsync(db.query('DELETE FROM events WHERE event_id = $1', [eventId]), { message: /immutable/ });
      await t.throwsAsync(db.query('TRUNCATE events'), { message: /immutable|cannot truncate/ });
      const set = await db.query('UPDATE events SET published_at = now() WHERE event_id = $1', [eventId]);
      t.is(set.rowCount, 1);
      await t.throwsAsync(
        db.query(`UPDATE events SET published_at = now() + interval '1 hour' WHERE event_id = $1`, [eventId]),
        { message: /once/ },
      );
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: a failing command writes nothing (one transaction)`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const service = new TaskTurns(db);
      const user = `u-${randomUUID()}`;
      const id = randomUUID();
      await service.execute(user, id, { type: 'create', id, data: { title: 'ok' } }, meta());
      const error = await t.throwsAsync(
        service.execute(
          user,
          id,
          { type: 'update', data: { title: 'fine', recurrence_rule: 'FREQ=DAILY;BYSETPOS=1' } },
          meta(),
        ),
      );
      t.true(error instanceof DomainError);
      t.regex(error?.message ?? '', /BYSETPOS/);
      const task = await readTask(db, user, id);
      t.is(task?.title, 'ok');
      t.is(task?.version, 1);
      const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE user_id = $1', [user]);
      t.is(count.rows[0]?.n, 1);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: for random command sequences the row equals the fold of its events and seq is gapless`, async (t) => {
    t.timeout(180_000);
    const { db, drop } = await adapter.open();
    try {
      let clock = Date.parse('2026-03-01T12:00:00Z');
      const service = new TaskTurns(db, { clock: () => new Date(clock) });
      const command = fc.oneof(
        fc.record({
          type: fc.constant('update' as const),
          data: fc.record(
            { title: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0) },
            { requiredKeys: [] },
          ),
        }),
        fc.record({
          type: fc.constant('update' as const),
          data: fc.record({ description: fc.option(fc.string({ maxLength: 30 }), { nil: null }) }),
        }),
        fc.record({
          type: fc.constant('update' as const),
          data: fc.record({
            due_date: fc.option(
              fc.integer({ min: 1, max: 400 }).map((h) => new Date(clock + h * 3_600_000).toISOString()),
              { nil: null },
            ),
          }),
        }),
        fc.record({
          type: fc.constant('update' as const),
          data: fc.record({
            timezone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', null),
          }),
        }),
        fc.record({
          type: fc.constant('update' as const),
          data: fc.record({
            recurrence_rule: fc.constantFrom(
              'FREQ=DAILY',
              'FREQ=WEEKLY;BYDAY=MO,WE',
              'FREQ=MONTHLY;BYMONTHDAY=-1',
              null,
            ),
          }),
        }),
        fc.constant({ type: 'complete' as const }),
        fc.constant({ type: 'uncomplete' as const }),
        fc.constantFrom(
          { type: 'add_reminder' as const, data: { before: 'PT1H' } },
          { type: 'add_reminder' as const, data: { before: 'P1D' } },
        ),
        fc.constant({ type: 'spawn' as const }),
        fc.integer({ min: 1, max: 72 }).map((h) => ({ type: 'tick' as const, hours: h })),
      );
      const user = `u-${randomUUID()}`;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          runs++;
          const id = randomUUID();
          await service.execute(
            user,
            id,
            { type: 'create', id, data: { title: 'p', due_date: new Date(clock + 48 * 3_600_000).toISOString() } },
            meta(),
          );
          for (const c of commands) {
            if (c.type === 'tick') {
              clock += c.hours * 3_600_000;
              continue;
            }
            try {
              await service.execute(user, id, c as TaskCommand, meta());
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
            }
          }
          const ids = (
            await db.query<{ id: string }>('SELECT id::text AS id FROM tasks WHERE id = $1 OR series_id = $1', [id])
          ).rows.map((r) => r.id);
          for (const taskId of ids) {
            const history = (await readHistory(db, user, taskId)) ?? [];
            const row = await loadTask(db, user, taskId);
            if (!isDeepStrictEqual(fold(history), row)) return false;
          }
          return true;
        }),
        { numRuns: adapter.name === 'PGlite' ? 25 : 40 },
      );
      const seqs = (
        await db.query<{ seq: number }>('SELECT seq FROM events WHERE user_id = $1 ORDER BY seq', [user])
      ).rows.map((r) => r.seq);
      t.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, i) => i + 1),
      );
      t.true(runs > 0);
    } finally {
      await drop();
    }
  });
}

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: upgrading to cancel reasons fills them from the events, so rows still equal their fold`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const service = new TaskTurns(db);
      const user = `u-${randomUUID()}`;
      const id = randomUUID();
      const due = new Date(Date.now() + 86_400_000).toISOString();
      await service.execute(
        user,
        id,
        {
          type: 'create',
          id,
          data: { title: 'old data', due_date: due, reminders: [{ before: 'PT1H' }, { before: 'PT2H' }] },
        },
        meta(),
      );
      const [first] = (await readTask(db, user, id))?.reminders ?? [];
      await service.execute(user, id, { type: 'remove_reminder', reminder_id: first?.id ?? '' }, meta());
      await service.execute(user, id, { type: 'complete' }, meta());
      // The database as the release before this migration left it: no column, migration not recorded.
      await db.query('ALTER TABLE reminders DROP COLUMN cancel_reason');
      await db.query("DELETE FROM schema_migrations WHERE name = '002_reminder_cancel_reason.sql'");
      t.deepEqual(await migrate(db), ['002_reminder_cancel_reason.sql']);
      const row = await loadTask(db, user, id);
      t.deepEqual(
        row?.reminders.map((r) => r.cancel_reason),
        ['removed', 'task_completed'],
      );
      t.true(isDeepStrictEqual(fold((await readHistory(db, user, id)) ?? []), row));
      // And the upgrade is what lets an uncomplete bring back the one the completion cancelled.
      const undone = await service.execute(user, id, { type: 'uncomplete' }, meta());
      t.deepEqual(
        undone.task?.reminders.map((r) => r.cancelled),
        [true, false],
      );
    } finally {
      await drop();
    }
  });
}

// Two services on one PostgreSQL are two processes: each keeps the state of the tasks it wrote, and
// every write proves that copy current or decides again from the database.
test('PostgreSQL: a task state kept by one process and changed by another is never written over or lost', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  try {
    const a = new TaskTurns(db);
    const b = new TaskTurns(db);
    const user = `u-${randomUUID()}`;
    const id = randomUUID();
    await a.execute(user, id, { type: 'create', id, data: { title: 'one' } }, meta());
    await b.execute(user, id, { type: 'update', data: { title: 'two' } }, meta());
    // a's copy says "one" at version 1: its write fails the version check and is decided again.
    const renamed = await a.execute(user, id, { type: 'update', data: { title: 'three' } }, meta());
    t.is(renamed.task?.version, 3);
    t.deepEqual(renamed.events[0]?.data.changes, { title: { from: 'two', to: 'three' } });
    // a's copy says completed; b undoes it. "complete" on a's copy would change nothing, and must not be lost.
    await a.execute(user, id, { type: 'complete' }, meta());
    await b.execute(user, id, { type: 'uncomplete' }, meta());
    const again = await a.execute(user, id, { type: 'complete' }, meta());
    t.deepEqual(
      again.events.map((e) => e.event_type),
      ['task.completed'],
    );
    t.is((await readTask(db, user, id))?.completed, true);
    // a's copy says the task exists; b deletes it: a's command is refused as a fresh read would refuse it.
    await b.execute(user, id, { type: 'delete' }, meta());
    const error = await t.throwsAsync(a.execute(user, id, { type: 'update', data: { title: 'four' } }, meta()), {
      instanceOf: DomainError,
    });
    t.is(error?.code, 'not_found');
    const history = (await readHistory(db, user, id)) ?? [];
    t.deepEqual(
      history.map((e) => e.version),
      history.map((_, i) => i + 1),
    );
    t.true(isDeepStrictEqual(fold(history), await loadTask(db, user, id)));
  } finally {
    await drop();
  }
});

test('PostgreSQL: a zone change made elsewhere is seen by the next command on a kept task', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  try {
    const tasks = new TaskTurns(db);
    const users = new UserTurns(db);
    const user = `u-${randomUUID()}`;
    const id = randomUUID();
    await tasks.execute(
      user,
      id,
      { type: 'create', id, data: { title: 'call', due_date: '2031-03-10T09:00:00' } },
      meta(),
    );
    t.is((await readTask(db, user, id))?.due_date, '2031-03-10T09:00:00.000Z', 'UTC at first');
    await users.execute(user, { type: 'set_timezone', timezone: 'Asia/Tokyo' });
    const moved = await tasks.execute(user, id, { type: 'update', data: { due_date: '2031-03-11T09:00:00' } }, meta());
    t.is(moved.task?.due_date, '2031-03-11T00:00:00.000Z', '09:00 in Tokyo, not 09:00 UTC');
  } finally {
    await drop();
  }
});

// A turn that decides again locks what it reads (host/tasks/store.ts loadForTurn); a write from another
// process moves the task's user row and then the task. Locked the other way round, the two deadlocked,
// and each deadlock cost PostgreSQL's deadlock_timeout (1 s) before one was rolled back.
test('PostgreSQL: a turn deciding again under locks and a write of the same task from another process wait for each other, never deadlock', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  try {
    const user = `u-${randomUUID()}`;
    const id = randomUUID();
    await new TaskTurns(db).execute(user, id, { type: 'create', id, data: { title: 'one' } }, meta());
    // One attempt: a deadlock would surface here instead of being decided again.
    const other = new TaskTurns(db, { maxAttempts: 1 });
    let write: Promise<unknown> = Promise.resolve();
    await db.transaction(async (tx) => {
      const read = await loadForTurn(tx, user, id, { lock: true });
      t.is(read?.state.title, 'one');
      write = other.execute(user, id, { type: 'update', data: { title: 'two' } }, meta());
      write.catch(() => undefined); // awaited below
      await eventually(
        async () =>
          (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]?.n === 1,
        { what: "the other process's write waits for the locks", timeoutMs: 30_000, intervalMs: 10 },
      );
      // The locked turn's own write moves the user's row first, as persist's one statement does.
      await tx.query('UPDATE users SET last_seq = last_seq WHERE id = $1', [user]);
    });
    await t.notThrowsAsync(write);
    t.is((await readTask(db, user, id))?.title, 'two');
  } finally {
    await drop();
  }
});

/** `db` counting every deadlock (40P01) any statement, transaction or pipelined batch through it met in `seen`. */
function countingDeadlocks(db: Db, seen: { deadlocks: number }): Db {
  const note = (error: unknown): never => {
    if ((error as { code?: string } | null)?.code === '40P01') seen.deadlocks++;
    throw error;
  };
  const watched = (q: Queryable): Queryable => ({
    query: <R>(sql: string, params?: readonly unknown[], name?: string) => q.query<R>(sql, params, name).catch(note),
    exec: (sql) => q.exec(sql).catch(note),
  });
  const pipeline = db.pipeline?.bind(db);
  return {
    ...watched(db),
    kind: db.kind,
    transaction: (fn) => db.transaction((tx) => fn(watched(tx))).catch(note),
    ...(pipeline
      ? {
          pipeline: async (statements) => {
            const outcome = await pipeline(statements).catch(note);
            if (!outcome.committed && (outcome.error as { code?: string } | null)?.code === '40P01') seen.deadlocks++;
            return outcome;
          },
        }
      : {}),
    reserve: () => db.reserve(),
    close: () => db.close(),
  };
}

// Two processes move one user's tasks between two shared lists with different members while the members
// edit them and the other list's owner writes her own: the turns that decide again under locks must lock
// every user their decision reaches before the task (host/tasks/store.ts LOCK_WRITERS, MoreLocksNeeded).
// Locking only the task's current list's members deadlocked here about 400 times a round (1 s each).
test('PostgreSQL: moves between shared lists with different members, made from two processes at once, never deadlock', async (t) => {
  const { db: raw, drop } = await ADAPTERS[0].open();
  const seen = { deadlocks: 0 };
  const db = countingDeadlocks(raw, seen);
  try {
    const users = new UserTurns(db);
    const lists = new ListTurns(db);
    // User ids in this order (COLLATE "C"): the mover's own rows sort between the other list's owner and member.
    const run = randomUUID().slice(0, 8);
    const [ada, hal, zoe] = [`a-${run}`, `h-${run}`, `z-${run}`];
    const [home, other]: [string, string] = [randomUUID(), randomUUID()];
    await users.organise(hal, { command: { type: 'create_list', id: home, data: { name: 'Home' } } });
    await users.organise(ada, { command: { type: 'create_list', id: other, data: { name: 'Other' } } });
    await users.organise(zoe, { command: { type: 'create_list', id: randomUUID(), data: { name: 'Zoe' } } });
    await lists.membership(home, { userId: hal, command: { type: 'share', user_id: zoe, role: 'editor' } });
    await lists.membership(home, { userId: zoe, command: { type: 'accept' } });
    await lists.membership(other, { userId: ada, command: { type: 'share', user_id: hal, role: 'editor' } });
    await lists.membership(other, { userId: hal, command: { type: 'accept' } });
    const [one, two] = [new TaskTurns(db, { maxAttempts: 50 }), new TaskTurns(db, { maxAttempts: 50 })];
    const hals = Array.from({ length: 6 }, () => randomUUID());
    const adas = Array.from({ length: 6 }, () => randomUUID());
    for (const id of hals)
      await one.execute(hal, id, { type: 'create', id, data: { title: 'h', list_id: home } }, meta());
    for (const id of adas)
      await one.execute(ada, id, { type: 'create', id, data: { title: 'a', list_id: other } }, meta());
    const turns: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (const id of hals) {
        turns.push(one.execute(hal, id, { type: 'update', data: { list_id: round % 2 === 0 ? other : home } }, meta()));
        turns.push(two.execute(hal, id, { type: 'update', data: { title: `title ${round}` } }, meta()));
      }
      for (const id of adas)
        turns.push(two.execute(ada, id, { type: 'update', data: { title: `ada ${round}` } }, meta()));
    }
    const settled = await Promise.allSettled(turns);
    t.deepEqual(
      settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)),
      [],
    );
    t.is(seen.deadlocks, 0);
    for (const id of hals) t.true([home, other].includes((await readTask(db, hal, id))?.list_id ?? ''));
  } finally {
    await drop();
  }
});

// A locked read waits for a concurrent write of a row it locks, then takes that row's new version: a row
// must never drop out of what it locks because it changed meanwhile (PostgreSQL's EvalPlanQual recheck).
// LOCK_WRITERS chose its users through a semi-join; once the tables held rows the planner made it a
// nested loop with Memoize, whose recheck returned none for a user row updated meanwhile, so under a
// shared list's traffic (every event moves each member's last_seq) the locked attempts never held the
// users their write moves (MoreLocksNeeded, five times: a 500). The planner is held to that plan here.
test('PostgreSQL: a locked read keeps every row a concurrent write changed while it waited, and locks the users of a list the command names', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  const other = await db.reserve();
  try {
    const users = new UserTurns(db);
    const lists = new ListTurns(db);
    const run = randomUUID().slice(0, 8);
    const [owner, editor] = [`o-${run}`, `e-${run}`];
    const list = randomUUID();
    await users.organise(owner, { command: { type: 'create_list', id: list, data: { name: 'Shared' } } });
    await lists.membership(list, { userId: owner, command: { type: 'share', user_id: editor, role: 'editor' } });
    await lists.membership(list, { userId: editor, command: { type: 'accept' } });
    const id = randomUUID();
    await new TaskTurns(db).execute(owner, id, { type: 'create', id, data: { title: 'one', list_id: list } }, meta());
    const changes: Record<string, string> = {
      [`the owner's user row`]: `UPDATE users SET last_seq = last_seq + 1 WHERE id = '${owner}'`,
      [`the editor's user row`]: `UPDATE users SET last_seq = last_seq + 1 WHERE id = '${editor}'`,
      'the task row': `UPDATE tasks SET updated_at = updated_at WHERE id = '${id}'`,
    };
    for (const [what, change] of Object.entries(changes)) {
      await other.query('BEGIN');
      await other.query(change);
      const locked = new Set<string>();
      const read = db.transaction(async (tx) => {
        await tx.query(
          'SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off',
        );
        return loadForTurn(tx, editor, id, { lock: true, locked });
      });
      await eventually(
        async () =>
          (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]?.n === 1,
        { what: `the locked read waits for the write of ${what}`, timeoutMs: 30_000, intervalMs: 10 },
      );
      await other.query('COMMIT');
      t.is((await read)?.state.title, 'one', `the task is read after a write of ${what}`);
      t.deepEqual([...locked].sort(), [editor, owner].sort(), `both users are locked after a write of ${what}`);
    }
    // A task not written yet, in the list its create names: that list's owner and members are locked up
    // front, so the create's locked attempt never has to decide a third time for them (MoreLocksNeeded).
    const locked = new Set<string>();
    const absent = await db.transaction((tx) =>
      loadForTurn(tx, editor, randomUUID(), { lock: true, lists: [list], locked }),
    );
    t.is(absent, null);
    t.deepEqual([...locked].sort(), [editor, owner].sort(), 'the named list’s users are locked for a create');
  } finally {
    other.release();
    await drop();
  }
});

test('PostgreSQL: a rename of a shared list whose members keep changing gets through, as its retry locks out their writes', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  try {
    const run = randomUUID().slice(0, 8);
    const owner = `o-${run}`;
    const members = Array.from({ length: 6 }, (_, i) => `m${i}-${run}`);
    const lists = new ListTurns(db);
    const list = randomUUID();
    await new UserTurns(db).organise(owner, { command: { type: 'create_list', id: list, data: { name: 'Shared' } } });
    for (const m of members) {
      await lists.membership(list, { userId: owner, command: { type: 'share', user_id: m, role: 'editor' } });
      await lists.membership(list, { userId: m, command: { type: 'accept' } });
    }
    // Between every attempt's read of the owner's lists and its write, a member leaves: the list's version
    // moves under each attempt that does not hold it. A leave either commits at once, or waits for a lock
    // the rename's attempt holds (seen in pg_stat_activity) and commits after it.
    const leaves: Promise<unknown>[] = [];
    let waited = 0;
    const leave = async (): Promise<void> => {
      const member = members[leaves.length];
      if (member === undefined) return;
      let settled = false;
      const write = lists.membership(list, { userId: member, command: { type: 'leave' } }).finally(() => {
        settled = true;
      });
      leaves.push(write);
      const waiting = await eventually(
        async () =>
          settled ||
          ((
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]?.n ?? 0) > 0,
        { what: `${member}'s leave commits or waits for the rename's locks`, timeoutMs: 30_000, intervalMs: 10 },
      );
      if (waiting && !settled) waited++;
    };
    const afterListsRead = <Q extends Queryable>(q: Q): Q =>
      Object.assign(Object.create(q) as Q, {
        query: async (sql: string, params?: readonly unknown[], name?: string) => {
          const answer = await q.query(sql, params, name);
          if (sql.includes('FROM lists WHERE user_id = $1')) await leave();
          return answer;
        },
      });
    const hooked: Db = Object.assign(afterListsRead(db), {
      transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(afterListsRead(tx))),
    });
    const renamed = await new UserTurns(hooked, { maxAttempts: 3 }).organise(owner, {
      command: { type: 'update_list', list_id: list, data: { name: 'Renamed' } },
    });
    t.is(renamed.list?.name, 'Renamed', 'the rename was written');
    t.true(waited >= 1, 'a leave waited for the locked attempt');
    await Promise.all(leaves);
    const after = await db.query<{ name: string; active: number }>(
      `SELECT l.name, (SELECT count(*)::int FROM list_members m WHERE m.list_id = l.id AND m.state = 'active') AS active
         FROM lists l WHERE l.id = $1`,
      [list],
    );
    // The owner is an active member too.
    t.deepEqual(after.rows[0], { name: 'Renamed', active: 1 + members.length - leaves.length }, 'and every leave too');
  } finally {
    await drop();
  }
});

test('PostgreSQL: an instance reopened while its series is deleted stays closed: the write checks the series is live, the turn decides again and refuses', async (t) => {
  const { db, drop } = await ADAPTERS[0].open();
  try {
    const user = `u-${randomUUID().slice(0, 8)}`;
    let now = new Date('2026-03-01T08:00:00Z');
    const turns = new TaskTurns(db, { clock: () => now, groupCommit: false });
    const series = randomUUID();
    await turns.execute(
      user,
      series,
      {
        type: 'create',
        id: series,
        data: { title: 'daily', due_date: '2026-03-01T09:00:00Z', recurrence_rule: 'FREQ=DAILY' },
      },
      meta(),
    );
    now = new Date('2026-03-01T09:00:00Z');
    await turns.execute(user, series, { type: 'spawn' }, meta());
    const instance = (await db.query<{ id: string }>('SELECT id::text AS id FROM tasks WHERE series_id = $1', [series]))
      .rows[0]?.id as string;
    t.truthy(instance, 'the series spawned its instance');
    await turns.execute(user, instance, { type: 'complete' }, meta());
    // The reopening turn reads the series live; the series' delete commits before its write.
    let deleted = false;
    const afterSeriesRead = <Q extends Queryable>(q: Q): Q =>
      Object.assign(Object.create(q) as Q, {
        query: async (sql: string, params?: readonly unknown[], name?: string) => {
          const answer = await q.query(sql, params, name);
          if (!deleted && sql.includes('deleted_at IS NOT NULL AS gone')) {
            deleted = true;
            await turns.execute(user, series, { type: 'delete' }, meta());
          }
          return answer;
        },
      });
    const hooked: Db = Object.assign(afterSeriesRead(db), {
      transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(afterSeriesRead(tx))),
    });
    const error = await t.throwsAsync(
      new TaskTurns(hooked, { clock: () => now, groupCommit: false }).execute(
        user,
        instance,
        { type: 'uncomplete' },
        meta(),
      ),
    );
    t.true(deleted, "the series' delete ran between the read and the write");
    t.like(error, { code: 'conflict', field: 'series_id' });
    const row = await db.query<{ completed: boolean }>('SELECT completed FROM tasks WHERE id = $1', [instance]);
    t.true(row.rows[0]?.completed, 'the instance of the deleted series is still done');
  } finally {
    await drop();
  }
});
