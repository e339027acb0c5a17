// A list or label delete reaches its tasks after the user's turn, one task turn each; a crash half-way used
// to leave the rest in a deleted list (or carrying a deleted label) until someone repeated the DELETE. Here
// the fan-out "crashes" after a few tasks (its dispatch throws, as a process that died would stop), and what
// the user would see afterwards is checked: every task reaches the Inbox (or is deleted, as the DELETE
// asked), the label is gone from every task, every series and all-day task is at its time in the new zone,
// once the app looks for leftovers — at start-up, and not for a fan-out younger than the grace, which may
// still be under way.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { ListTurns } from '../../host/lists/turn.ts';
import { FanOutFinisher, type FanOutFinisherOptions, type FinishResult, type LookResult } from '../../host/fan-outs.ts';
import { whileHolding, ADVISORY_LOCK } from '../../host/db/advisory.ts';
import { DirectRuntime } from '../../actors/runtime/direct.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import type { TaskCall } from '../../actors/ports.ts';
import type { TaskCommand } from '../../actors/task/index.ts';
import { openDb, type Db } from '../../host/db/index.ts';
import { DateTime } from 'luxon';
import { ADAPTERS, freshPostgres } from '../helpers/db.ts';
import { startTestApp } from '../helpers/app.ts';

const meta = () => ({ correlationId: randomUUID() });

/** The fan-out commands a crash cuts short here. */
const FANNED_OUT = ['list_deleted', 'label_deleted', 'reschedule', 'series_deleted', 'member_gone'];

/**
 * A runtime on `db` (its turns on `clock`) whose fan-out turns fail after `survive` of them, as a process that
 * crashed mid-way would stop; `finisher(now)` looks for leftovers through the same turns.
 */
function runtimeOn(db: Db, survive = Number.POSITIVE_INFINITY, clock?: () => Date) {
  let runtime: DirectRuntime | undefined;
  let reached = 0;
  const turns: Promise<unknown>[] = [];
  const dispatch = async (taskId: string, call: TaskCall) => {
    if (FANNED_OUT.includes(call.command.type) && ++reached > survive) throw new Error('the process died here');
    const turn = (runtime as DirectRuntime).executeTask(taskId, call);
    turns.push(turn);
    return turn;
  };
  const options = { dispatch, ...(clock ? { clock } : {}) };
  const actors = {
    task: new TaskTurns(db, options),
    user: new UserTurns(db, options),
    list: new ListTurns(db, options),
  };
  runtime = new DirectRuntime(actors);
  /** Every task turn it started has ended (a fan-out rejects at its first failure while the others run on). */
  const settled = () => Promise.allSettled(turns);
  const finisher = (now: () => number, limit?: number, oneAtATime?: FanOutFinisherOptions['oneAtATime']) =>
    new FanOutFinisher({
      sources: [
        { name: 'delete', reach: 'all', finish: (o) => actors.user.finishDeletes(o) },
        { name: 'zone change', reach: 'recent', finish: (o) => actors.user.finishZoneChanges(o) },
        { name: 'series delete', reach: 'window', finish: (o) => actors.task.finishSeriesDeletes(o) },
        { name: 'member gone', reach: 'window', finish: (o) => actors.list.finishMembersGone(o) },
      ],
      now,
      ...(limit ? { limit } : {}),
      ...(oneAtATime ? { oneAtATime } : {}),
    });
  /** How many fan-out turns it was asked for (FANNED_OUT). */
  const dispatched = () => reached;
  return { runtime, settled, finisher, dispatched };
}

/** The data of a task's `create` command. */
type CreateData = Extract<TaskCommand, { type: 'create' }>['data'];

/** Creates a task for each of `ids` as `user`, with the data `data(i)` gives the i-th. */
async function create(runtime: DirectRuntime, user: string, ids: string[], data: (i: number) => CreateData) {
  for (const [i, id] of ids.entries())
    await runtime.executeTask(id, {
      userId: user,
      command: { type: 'create', id, data: data(i) },
      meta: meta(),
    });
}

/** A list of `owner`'s shared with `member`, who accepted: its id. */
async function sharedList(runtime: DirectRuntime, owner: string, member: string): Promise<string> {
  const list = randomUUID();
  await runtime.organise(owner, { command: { type: 'create_list', id: list, data: { name: 'Shared' } }, meta: meta() });
  await runtime.membership(list, {
    userId: owner,
    command: { type: 'share', user_id: member, role: 'editor' },
    meta: meta(),
  });
  await runtime.membership(list, { userId: member, command: { type: 'accept' }, meta: meta() });
  return list;
}

/** What a look finished and failed (what it found nothing to do for left out). */
const done = ({ finished, failed }: FinishResult) => ({ finished, failed });

/** What a look finished of `source`, as "key user tasks". */
const of = (result: FinishResult, source: string) =>
  result.finished.filter((f) => f.source === source).map((f) => `${f.key} ${f.user} ${f.tasks}`);

/** A user with lists `Move` and `Drop` (8 tasks each) and the label `tag` on the 8 in `Move`. */
async function seed(runtime: DirectRuntime, user: string) {
  const [move, drop, label] = [randomUUID(), randomUUID(), randomUUID()];
  await runtime.organise(user, { command: { type: 'create_list', id: move, data: { name: 'Move' } }, meta: meta() });
  await runtime.organise(user, { command: { type: 'create_list', id: drop, data: { name: 'Drop' } }, meta: meta() });
  await runtime.organise(user, { command: { type: 'create_label', id: label, data: { name: 'tag' } }, meta: meta() });
  const moving = Array.from({ length: 8 }, () => randomUUID());
  const dropping = Array.from({ length: 8 }, () => randomUUID());
  await create(runtime, user, moving, () => ({ title: 'moving', list_id: move, labels: [label] }));
  await create(runtime, user, dropping, () => ({ title: 'dropping', list_id: drop }));
  return { move, drop, label, moving, dropping };
}

/** Deletes the lists and the label on a runtime whose fan-out dies after 3 tasks; each DELETE fails. */
async function crashDeletes(db: Db, user: string, seeded: Awaited<ReturnType<typeof seed>>) {
  for (const command of [
    { type: 'delete_list', list_id: seeded.move, tasks: 'move' },
    { type: 'delete_list', list_id: seeded.drop, tasks: 'delete' },
    { type: 'delete_label', label_id: seeded.label },
  ] as const) {
    const { runtime, settled } = runtimeOn(db, 3);
    await runtime.organise(user, { command, meta: meta() }).then(
      () => {
        throw new Error('the DELETE was to fail with its fan-out');
      },
      (error: Error) => {
        if (error.message !== 'the process died here') throw error;
      },
    );
    await settled();
  }
}

async function where(db: Db, ids: string[]) {
  const { rows } = await db.query<{ list_id: string; deleted: boolean; labels: string[] }>(
    'SELECT list_id::text AS list_id, deleted_at IS NOT NULL AS deleted, labels::text[] AS labels FROM tasks WHERE id = ANY($1) ORDER BY id',
    [ids],
  );
  return rows;
}

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: list and label deletes a crash cut short are finished once older than the grace, under their own correlation id`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `u-${randomUUID()}`;
      const seeded = await seed(runtimeOn(db).runtime, user);
      await crashDeletes(db, user, seeded);
      const before = await where(db, [...seeded.moving, ...seeded.dropping]);
      t.true(
        before.some((r) => r.list_id === seeded.move || (r.list_id === seeded.drop && !r.deleted)),
        'the crash left tasks in the deleted lists',
      );

      let clock = Date.now();
      const finisher = runtimeOn(db).finisher(() => clock);
      t.deepEqual(
        of(await finisher.look(), 'delete'),
        [],
        'a delete younger than the grace is left to its own fan-out',
      );
      t.deepEqual(await where(db, [...seeded.moving, ...seeded.dropping]), before);

      clock += 31_000;
      const finished = of(await finisher.look(), 'delete').map((f) => f.split(' ').slice(0, 2).join(' '));
      t.deepEqual(
        finished.sort(),
        [`${seeded.move} ${user}`, `${seeded.drop} ${user}`, `${seeded.label} ${user}`].sort(),
      );
      const moved = await where(db, seeded.moving);
      t.deepEqual(
        moved.map((r) => r.list_id),
        seeded.moving.map(() => inboxIdOf(user)),
        "every task of the list deleted with 'move' is in the Inbox",
      );
      t.true(
        moved.every((r) => !r.deleted && r.labels.length === 0),
        'none carries the deleted label',
      );
      t.true(
        (await where(db, seeded.dropping)).every((r) => r.deleted),
        "every task of the list deleted with 'delete' is deleted",
      );
      // The finishing turns belong to the DELETE they finish: its correlation id, caused by its event.
      const { rows } = await db.query<{ ok: boolean }>(
        `SELECT bool_and(e.correlation_id = d.correlation_id AND e.causation_id = d.event_id) AS ok
           FROM events e JOIN events d ON d.aggregate_id = $1 AND d.event_type = 'list.deleted'
          WHERE e.aggregate_id = ANY($2) AND e.data->>'reason' = 'list_deleted'`,
        [seeded.move, seeded.moving],
      );
      t.true(rows[0]?.ok, "each moved task's event carries the DELETE's correlation id and is caused by list.deleted");
      t.deepEqual(done(await finisher.look()), { finished: [], failed: [] }, 'nothing is left for the next look');
    } finally {
      await drop();
    }
  });
  test(`${adapter.name}: a zone change whose reschedules a crash cut short is finished: every series and all-day task at its time in the new zone`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `u-${randomUUID()}`;
      const { runtime } = runtimeOn(db);
      await runtime.setTimezone(user, { timezone: 'Europe/Berlin', meta: meta() });
      const series = Array.from({ length: 8 }, () => randomUUID());
      const days = Array.from({ length: 4 }, () => randomUUID());
      await create(runtime, user, series, (i) => ({
        title: 'daily',
        due_date: `2031-03-0${1 + (i % 5)}T0${7 + (i % 3)}:30:00`,
        recurrence_rule: 'FREQ=DAILY',
      }));
      await create(runtime, user, days, (i) => ({ title: 'all day', due_date: `2031-04-1${i}` }));
      const crashing = runtimeOn(db, 3);
      await crashing.runtime.setTimezone(user, { timezone: 'America/New_York', meta: meta() }).then(
        () => {
          throw new Error('PATCH /me was to fail with its fan-out');
        },
        (error: Error) => {
          if (error.message !== 'the process died here') throw error;
        },
      );
      await crashing.settled();

      /** Which of the tasks have their times in New York: a series' wall-clock start there, an all-day task's date's start. */
      const inNewYork = async () => {
        const { rows } = await db.query<{ id: string; ms: number; start: string | null; day: string | null }>(
          `SELECT id::text AS id, (extract(epoch FROM due_date) * 1000)::float8 AS ms,
                  dtstart_local::text AS start, due_day::text AS day FROM tasks WHERE id = ANY($1)`,
          [[...series, ...days]],
        );
        return rows.filter(
          (r) =>
            DateTime.fromISO((r.start ?? r.day ?? '').replace(' ', 'T'), { zone: 'America/New_York' }).toMillis() ===
            Number(r.ms),
        ).length;
      };
      const behind = series.length + days.length - (await inNewYork());
      t.true(behind > 0, 'the crash left series or all-day tasks at their Berlin times');

      let clock = Date.now();
      const finisher = runtimeOn(db).finisher(() => clock);
      t.deepEqual(
        of(await finisher.look(), 'zone change'),
        [],
        'a zone change younger than the grace is left to its own fan-out',
      );
      clock += 31_000;
      t.deepEqual(
        of(await finisher.look(), 'zone change').map((f) => f.split(' ').slice(1).join(' ')),
        [`${user} ${behind}`],
      );
      t.is(await inNewYork(), series.length + days.length, 'every series and all-day task is at its New York time');
      t.deepEqual(done(await finisher.look()), { finished: [], failed: [] }, 'nothing is left for the next look');
    } finally {
      await drop();
    }
  });
  test(`${adapter.name}: a delete whose fan-out keeps failing is left out for a while and hides no other behind the look's limit`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `u-${randomUUID()}`;
      const { runtime } = runtimeOn(db);
      const lists = [randomUUID(), randomUUID()];
      const tasks = new Map<string, string>();
      for (const list of lists) {
        await runtime.organise(user, {
          command: { type: 'create_list', id: list, data: { name: list.slice(0, 8) } },
          meta: meta(),
        });
        for (let i = 0; i < 3; i++) {
          const id = randomUUID();
          tasks.set(id, list);
          await runtime.executeTask(id, {
            userId: user,
            command: { type: 'create', id, data: { title: 't', list_id: list } },
            meta: meta(),
          });
        }
      }
      for (const list of lists) {
        const crashing = runtimeOn(db, 0);
        await crashing.runtime
          .organise(user, { command: { type: 'delete_list', list_id: list, tasks: 'move' }, meta: meta() })
          .catch(() => undefined);
        await crashing.settled();
      }
      // The first list's tasks always fail their turn here (a defect, say); the second list's go through.
      const [broken, healthy] = lists as [string, string];
      let finishing: DirectRuntime | undefined;
      const dispatch = async (taskId: string, call: TaskCall) => {
        if (tasks.get(taskId) === broken) throw new Error('this task cannot move');
        return (finishing as DirectRuntime).executeTask(taskId, call);
      };
      finishing = new DirectRuntime({
        task: new TaskTurns(db, { dispatch }),
        user: new UserTurns(db, { dispatch }),
        list: new ListTurns(db),
      });
      const turns = new UserTurns(db, { dispatch });
      let clock = Date.now() + 31_000;
      const finisher = new FanOutFinisher({
        sources: [{ name: 'delete', reach: 'all', finish: (o) => turns.finishDeletes(o) }],
        limit: 1,
        now: () => clock,
      });
      const first = await finisher.look();
      t.deepEqual(
        first.failed.map((f) => f.key),
        [broken],
        'the oldest delete is tried and fails',
      );
      clock += 1_000;
      const second = await finisher.look();
      t.deepEqual(of(second, 'delete'), [`${healthy} ${user} 3`], 'the next look leaves it out and finishes the other');
      t.deepEqual(second.failed, []);
      clock += 2 * 3_600_000;
      t.deepEqual(
        (await finisher.look()).failed.map((f) => f.key),
        [broken],
        'it is tried again later',
      );
    } finally {
      await drop();
    }
  });
  test(`${adapter.name}: a series delete whose fan-out a crash cut short is finished: no open instance of a deleted series is left`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `u-${randomUUID()}`;
      let now = new Date('2026-03-01T08:00:00Z');
      const clock = () => now;
      const { runtime } = runtimeOn(db, Number.POSITIVE_INFINITY, clock);
      const series = Array.from({ length: 6 }, () => randomUUID());
      await create(runtime, user, series, () => ({
        title: 'daily',
        due_date: '2026-03-01T09:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
      }));
      now = new Date('2026-03-01T09:00:00Z');
      for (const id of series)
        await runtime.executeTask(id, { userId: user, command: { type: 'spawn' }, meta: meta() });
      const open = async () =>
        (
          await db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tasks WHERE series_id = ANY($1) AND deleted_at IS NULL AND NOT completed',
            [series],
          )
        ).rows[0]?.n;
      const spawned = (await open()) ?? 0;
      t.true(spawned >= series.length, 'each series spawned its open instances');

      const crashing = runtimeOn(db, 2, clock);
      for (const id of series)
        await crashing.runtime.executeTask(id, { userId: user, command: { type: 'delete' }, meta: meta() });
      await crashing.settled();
      t.is(await open(), spawned - 2, 'the crash left open instances of deleted series');

      // Two days on, the deletes are older than the window: a series deleted then kept its instances by design
      // before series deletes reached them, so the look does not take such a one for a leftover.
      const late = runtimeOn(db, Number.POSITIVE_INFINITY, clock).finisher(() => now.getTime() + 2 * 86_400_000);
      t.deepEqual(of(await late.look(), 'series delete'), [], 'a series deleted before the window is left as it is');
      t.is(await open(), spawned - 2);

      const finisher = runtimeOn(db, Number.POSITIVE_INFINITY, clock).finisher(() => now.getTime() + 31_000);
      const finished = of(await finisher.look(), 'series delete');
      t.is(
        finished.reduce((n, f) => n + Number(f.split(' ')[2]), 0),
        spawned - 2,
        'each open instance the crash left is deleted by its series delete',
      );
      t.is(await open(), 0, 'no open instance of a deleted series is left');
      t.deepEqual(done(await finisher.look()), { finished: [], failed: [] }, 'nothing is left for the next look');
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: a member who left a shared list while a crash cut the fan-out short gets no reminder from its tasks`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const [owner, member] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
      const { runtime } = runtimeOn(db);
      const list = await sharedList(runtime, owner, member);
      const due = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const tasks = Array.from({ length: 6 }, () => randomUUID());
      await create(runtime, member, tasks, () => ({
        title: 'mine',
        list_id: list,
        due_date: due,
        reminders: [{ before: 'PT1H' }],
      }));
      const live = async () =>
        (
          await db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM reminders WHERE task_id = ANY($1) AND user_id = $2 AND NOT cancelled',
            [tasks, member],
          )
        ).rows[0]?.n;
      t.is(await live(), tasks.length, "the member's reminders on their tasks in the shared list");

      const crashing = runtimeOn(db, 2);
      await crashing.runtime
        .membership(list, { userId: member, command: { type: 'leave' }, meta: meta() })
        .catch((error: Error) => {
          if (error.message !== 'the process died here') throw error;
        });
      await crashing.settled();
      t.true(((await live()) ?? 0) > 0, 'the crash left reminders of the member who left');

      const finisher = runtimeOn(db).finisher(() => Date.now() + 31_000);
      t.deepEqual(
        of(await finisher.look(), 'member gone').map((f) => f.split(' ').slice(0, 2).join(' ')),
        [`${list} ${member}`],
      );
      t.is(await live(), 0, 'no reminder of the member who left is live');
      t.deepEqual(done(await finisher.look()), { finished: [], failed: [] }, 'nothing is left for the next look');
    } finally {
      await drop();
    }
  });
  test(`${adapter.name}: a leftover the turns find nothing to do for costs no turns every minute: it is left out for a while`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      // A member's series at 02:30 on the day Berlin skips that hour: the tables name it for member_gone (a
      // zone-bound task of theirs), the turn finds nothing to do (its times show no zone to keep).
      const [owner, member] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
      const { runtime } = runtimeOn(db);
      await runtime.setTimezone(member, { timezone: 'Europe/Berlin', meta: meta() });
      const list = await sharedList(runtime, owner, member);
      await create(runtime, member, [randomUUID()], () => ({
        title: 'gap',
        list_id: list,
        due_date: '2031-03-30T02:30:00',
        recurrence_rule: 'FREQ=DAILY',
      }));
      await runtime.membership(list, { userId: member, command: { type: 'leave' }, meta: meta() });

      let clock = Date.now() + 31_000;
      const looking = runtimeOn(db);
      const finisher = looking.finisher(() => clock);
      const first = await finisher.look();
      t.deepEqual(first.finished, [], 'nothing written, nothing reported');
      t.deepEqual(
        first.idle.filter((i) => i.source === 'member gone'),
        [{ source: 'member gone', key: `${list} ${member}` }],
      );
      const turns = looking.dispatched();
      t.true(turns > 0, 'the first look tried it');
      clock += 60_000;
      await finisher.look();
      t.is(looking.dispatched(), turns, 'the next look leaves it out: no turn');
    } finally {
      await drop();
    }
  });
}

test('PostgreSQL: two replicas do not finish the same leftovers: while one looks, the other skips its look without a turn', async (t) => {
  const { db, url, drop } = await freshPostgres();
  // Replica B: another process on the same database, with its own connections.
  const other = await openDb({ databaseUrl: url as string, poolSize: 4 });
  // Replica A takes the lock (as host/app.ts wires it) and holds it until the gate opens.
  let held: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => {
    held = resolve;
  });
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let lookA: Promise<LookResult> | undefined;
  try {
    const user = `u-${randomUUID()}`;
    const seeded = await seed(runtimeOn(db).runtime, user);
    await crashDeletes(db, user, seeded);
    const clock = Date.now() + 60_000;
    const b = runtimeOn(other);
    lookA = runtimeOn(db)
      .finisher(
        () => clock,
        undefined,
        (look) =>
          whileHolding(db, ADVISORY_LOCK.fanOutFinisher, async () => {
            held();
            await gate;
            return look();
          }),
      )
      .look();
    await holding;
    const bFinisher = b.finisher(
      () => clock,
      undefined,
      (look) => whileHolding(other, ADVISORY_LOCK.fanOutFinisher, look),
    );
    const skipped = await bFinisher.look();
    t.true(skipped.skipped, "B's look is skipped while A looks");
    t.is(b.dispatched(), 0, 'B ran no turn');
    open();
    const byA = await lookA;
    t.false(byA.skipped);
    t.is(
      byA.finished.filter((f) => f.source === 'delete').length,
      3,
      'A finished both list deletes and the label delete',
    );
    const after = await bFinisher.look();
    t.false(after.skipped, "once A's look ended, B looks");
    t.deepEqual(done(after), { finished: [], failed: [] }, 'and finds nothing left');
    t.true(
      (await where(db, seeded.moving)).every((r) => r.list_id === inboxIdOf(user) && r.labels.length === 0),
      "every task of the list deleted with 'move' is in the Inbox, without the label",
    );

    // A look that fails gives the lock back: the next replica's look runs.
    const failing = runtimeOn(db).finisher(
      () => clock,
      undefined,
      () => whileHolding(db, ADVISORY_LOCK.fanOutFinisher, () => Promise.reject(new Error('the look broke'))),
    );
    await t.throwsAsync(failing.look(), { message: 'the look broke' });
    t.false((await bFinisher.look()).skipped, 'the lock was given back');
  } finally {
    // A failed assertion throws: A's look must end (and give its connection back) before the database goes.
    open();
    await lookA?.catch(() => undefined);
    await other.close();
    await drop();
  }
});

test('embedded: after a crash mid list delete, the restarted app moves the rest of its tasks to the Inbox', async (t) => {
  // The app's clock runs a minute ahead after the restart, so the delete is past the grace at start-up.
  let ahead = 0;
  const first = await startTestApp({ database: 'pglite', clock: () => new Date(Date.now() + ahead) });
  let second: Awaited<ReturnType<typeof startTestApp>> | undefined;
  try {
    const user = `u-${randomUUID()}`;
    const seeded = await seed(runtimeOn(first.app.db).runtime, user);
    await crashDeletes(first.app.db, user, seeded);
    await first.halt();
    ahead = 60_000;
    second = await startTestApp({ reuse: first, clock: () => new Date(Date.now() + ahead) });
    const url = second.url;
    const token = second.token(user);
    const { eventually } = await import('../helpers/eventually.ts');
    const inbox = await eventually(
      async () => {
        const res = await fetch(`${url}/tasks?list_id=${inboxIdOf(user)}&limit=100`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { tasks: { id: string; labels: string[] }[] };
        const done = body.tasks.length === seeded.moving.length && body.tasks.every((i) => i.labels.length === 0);
        return done ? body.tasks : undefined;
      },
      {
        what: "the deleted list's 8 tasks in the Inbox, without the deleted label, after the restart",
        timeoutMs: 30_000,
      },
    );
    t.deepEqual(inbox.map((i) => i.id).sort(), [...seeded.moving].sort());
  } finally {
    await (second ?? first).stop();
  }
});
