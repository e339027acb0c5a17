// The outbox relay's leadership on the real PostgreSQL: of two relays on one database exactly one
// publishes; when its connection is killed, or it stops, publishing carries on — nothing stays behind.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { Relay } from '../../host/outbox/relay.ts';
import { hubSink } from '../../host/outbox/sinks.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { freshPostgres } from '../helpers/db.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one relay leads; killing its connection or stopping it hands the work on, in seq order, nothing left unpublished', async (t) => {
  const { db, drop } = await freshPostgres(6);
  const got: Record<'a' | 'b', EventEnvelope[]> = { a: [], b: [] };
  const relay = (name: 'a' | 'b') =>
    new Relay({
      db,
      sinks: [
        hubSink(async (events) => {
          got[name].push(...events);
        }),
      ],
      pollMs: 50,
      lingerMs: 2,
    });
  const relays = { a: relay('a'), b: relay('b') };
  const service = new TaskTurns(db, {
    onCommitted: () => {
      relays.a.nudge();
      relays.b.nudge();
    },
  });
  const user = `relay-${randomUUID()}`;
  const write = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      await service.execute(
        user,
        id,
        { type: 'create', id, data: { title: `t${i}` } },
        { correlationId: randomUUID() },
      );
    }
  };
  const allPublished = async (timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM events WHERE user_id = $1 AND published_at IS NULL',
          [user],
        )
      ).rows[0]?.n;
      if (left === 0) return true;
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  };
  const leaderPid = async () =>
    (
      await db.query<{ pid: number }>(`SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
    ).rows.map((r) => r.pid);
  try {
    relays.a.start();
    relays.b.start();
    await write(10);
    t.true(await allPublished(), 'the first batch went out');
    t.is((await leaderPid()).length, 1, 'exactly one session holds the relay lock');
    t.true(got.a.length === 0 || got.b.length === 0, 'only the leader published');

    // The leader's connection dies (as when PostgreSQL drops it): the lock goes with it.
    await db.query('SELECT pg_terminate_backend($1)', [(await leaderPid())[0]]);
    await write(10);
    t.true(await allPublished(), 'publishing resumed after the leader lost its connection');

    // The leader stops (shutdown): the other takes over.
    const leader = got.a.length >= got.b.length ? 'a' : 'b';
    const other = leader === 'a' ? 'b' : 'a';
    const before = got[other].length;
    await relays[leader].stop();
    await write(10);
    t.true(await allPublished(), 'the other relay took over');
    t.true(got[other].length > before, `relay ${other} published after ${leader} stopped`);

    // At least once, in seq order per publisher, and every event of the user is there.
    const seqs = [...new Set([...got.a, ...got.b].map((e) => e.seq))].sort((x, y) => x - y);
    t.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    for (const list of [got.a, got.b]) {
      const mine = list.filter((e) => e.user_id === user).map((e) => e.seq);
      t.deepEqual(
        mine,
        [...mine].sort((x, y) => x - y),
        'each relay published in seq order',
      );
    }
  } finally {
    await relays.a.stop();
    await relays.b.stop();
    await drop();
  }
});
