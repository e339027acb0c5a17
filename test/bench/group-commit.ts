// npx tsx test/bench/group-commit.ts [pg|pglite] ['[{"off":true},{},{"maxInFlight":2}]'] [rounds=4] [slice seconds=2]
// Group commit A/B in one process, without HTTP: TaskTurns variants (GroupCommitOptions, or {"off":true}
// for one commit per turn) take turns in short slices on one database, each on its own 200 users × 5
// tasks, 32 concurrent title edits; prints turns/s and WAL syncs per turn (pg_stat_wal) for each.
// Interleaving the slices keeps a busy machine's swings out of the comparison.
import { randomUUID } from 'node:crypto';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { freshPostgres, freshPglite } from '../helpers/db.ts';
const kind = process.argv[2] ?? 'pg';
const variants: Record<string, unknown>[] = JSON.parse(process.argv[3] ?? '[{"off":true},{}]');
const rounds = Number(process.argv[4] ?? 4);
const slice = Number(process.argv[5] ?? 2);
const { db, drop } = kind === 'pg' ? await freshPostgres() : await freshPglite();
const all = variants.map((o) => new TaskTurns(db, o.off ? { groupCommit: false } : { groupCommit: o }));
const sets: [string, string][][] = [];
for (let v = 0; v < all.length; v++) {
  const tasks: [string, string][] = [];
  sets.push(tasks);
  for (let u = 0; u < 200; u++)
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      tasks.push([`u${v}_${u}`, id]);
      await all[v]!.execute(
        `u${v}_${u}`,
        id,
        { type: 'create', id, data: { title: 's' } },
        { correlationId: randomUUID() },
      );
    }
}
const totals = variants.map(() => ({ done: 0, secs: 0, syncs: 0 }));
const walSyncs = async () =>
  kind === 'pg'
    ? Number((await db.query<{ n: number }>('SELECT wal_sync::bigint AS n FROM pg_stat_wal')).rows[0]?.n)
    : 0;
for (let r = 0; r < rounds; r++) {
  for (let v = 0; v < variants.length; v++) {
    const turns = all[v]!;
    const tasks = sets[v]!;
    const busy = new Set<string>();
    let done = 0;
    let n = Math.floor(Math.random() * 1000);
    const s0 = await walSyncs();
    const t0 = Date.now();
    const until = t0 + slice * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (Date.now() < until) {
          let pick = tasks[n++ % tasks.length]!;
          while (busy.has(pick[1])) pick = tasks[n++ % tasks.length]!;
          busy.add(pick[1]);
          try {
            await turns.execute(
              pick[0],
              pick[1],
              { type: 'update', data: { title: `t${n}` } },
              { correlationId: randomUUID() },
            );
            done++;
          } finally {
            busy.delete(pick[1]);
          }
        }
      }),
    );
    totals[v]!.done += done;
    totals[v]!.secs += (Date.now() - t0) / 1000;
    totals[v]!.syncs += (await walSyncs()) - s0;
  }
}
variants.forEach((o, v) => {
  const t = totals[v]!;
  console.log(
    kind,
    JSON.stringify(o).padEnd(40),
    `${(t.done / t.secs).toFixed(0)}/s`,
    'wal syncs/turn',
    (t.syncs / t.done).toFixed(2),
    'stats',
    JSON.stringify(all[v]!.group?.stats ?? {}),
  );
});
await drop();
