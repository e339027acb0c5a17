// Each event reaches the hub once (direct runtime + Kafka, two replicas on one PostgreSQL, a private
// broker this file may stop): with everything healthy the Kafka consumer is the one feed (a replica's own
// commits go out at commit time when next in seq order, and their Kafka copy is skipped as local) — every
// event reaches each of its user's sockets on both replicas exactly once, in seq order, and no replica's
// hub drops a single duplicate; with the broker down the outbox feed covers, and after it returns nothing
// is missing and no socket sees an event twice (the copies Kafka brings again are the hub's to drop).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { privateBroker, type Broker } from '../helpers/kafka-broker.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { connectSocket, type Collector } from '../helpers/socket.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';

let broker: Broker;
let a: TestApp;
let b: TestApp;
test.before(async () => {
  broker = await privateBroker();
  a = await startTestApp({ env: { KAFKA_BROKERS: broker.brokers } });
  b = await startTestApp({ reuse: a, env: { KAFKA_BROKERS: broker.brokers } });
  await Promise.all([a, b].map((app) => readyUntil(app, (r) => r.kafka === 'connected')));
});
test.after.always(async () => {
  await b?.halt();
  await a?.stop();
  await broker?.destroy();
});

const target = (app: TestApp): Target => ({ url: app.url, token: app.token, label: 'delivery' });

async function readyUntil(
  app: TestApp,
  ok: (r: Record<string, unknown>) => boolean,
  timeoutMs = 90_000,
): Promise<Record<string, unknown>> {
  const ready = () => fetch(`${app.url}/ready`).then((r) => r.json() as Promise<Record<string, unknown>>);
  return eventuallyValue(ready, ok, { what: '/ready never got there', timeoutMs, intervalMs: 200 });
}

type Source = 'kafka' | 'outbox' | 'relay' | 'commit';
type Counts = Record<Source, { delivered: number; duplicates: number; local: number }>;

/** The hub's per-feed counters as /metrics shows them. */
async function hubCounts(app: TestApp): Promise<Counts> {
  const text = await fetch(`${app.url}/metrics`).then((r) => r.text());
  const read = (name: string, source: string) =>
    Number(new RegExp(`^${name}\\{source="${source}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const of = (source: string) => ({
    delivered: read('tasklane_realtime_events_delivered_total', source),
    duplicates: read('tasklane_realtime_duplicates_dropped_total', source),
    local: read('tasklane_realtime_local_copies_skipped_total', source),
  });
  return { kafka: of('kafka'), outbox: of('outbox'), relay: of('relay'), commit: of('commit') };
}

const minus = (x: Counts, y: Counts): Counts => {
  const d = (k: Source) => ({
    delivered: x[k].delivered - y[k].delivered,
    duplicates: x[k].duplicates - y[k].duplicates,
    local: x[k].local - y[k].local,
  });
  return { kafka: d('kafka'), outbox: d('outbox'), relay: d('relay'), commit: d('commit') };
};

interface User {
  id: string;
  sockets: Collector[];
  task: string | undefined;
  written: number;
}

/** Users with one socket on each replica. */
async function users(n: number, label: string): Promise<User[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const id = `${label}-${i}-${randomUUID()}`;
      return {
        id,
        sockets: await Promise.all([connectSocket(a.url, a.token(id)), connectSocket(b.url, b.token(id))]),
        task: undefined,
        written: 0,
      };
    }),
  );
}

/** `rounds` writes per user, alternating replicas, users concurrently; returns after every write is acknowledged. */
async function write(list: User[], rounds: number): Promise<void> {
  await Promise.all(
    list.map(async (u, k) => {
      for (let i = 0; i < rounds; i++) {
        const app = (i + k) % 2 === 0 ? a : b;
        if (!u.task)
          u.task = (await api(target(app), app.token(u.id), 'POST', '/tasks', { title: 'first' })).id as string;
        else await api(target(app), app.token(u.id), 'PATCH', `/tasks/${u.task}`, { title: `edit ${i}` });
        u.written++;
      }
    }),
  );
}

/** Every socket got seq 1..written, each once, in order. */
async function allDelivered(t: import('ava').ExecutionContext, list: User[], timeoutMs: number): Promise<void> {
  for (const u of list) {
    for (const [i, s] of u.sockets.entries()) {
      await s.waitFor(u.written, timeoutMs).catch(() => undefined);
      t.deepEqual(
        s.messages.map((m) => m.seq),
        Array.from({ length: u.written }, (_, j) => j + 1),
        `${u.id} on replica ${i === 0 ? 'A' : 'B'}`,
      );
    }
  }
}

test.serial(
  'all healthy: each event reaches each socket of its user once, in order, through Kafka or (own commits) at commit time; no hub drops a duplicate',
  async (t) => {
    t.timeout(120_000);
    const before = await Promise.all([hubCounts(a), hubCounts(b)]);
    const list = await users(6, 'healthy');
    try {
      await write(list, 12);
      await allDelivered(t, list, 30_000);
      const total = list.reduce((n, u) => n + u.written, 0);
      // Every event reaches both hubs (each replica consumes the whole topic) once: through Kafka, or at
      // commit time on the replica that wrote it; the outbox feed stays idle.
      for (const [i, app] of [a, b].entries()) {
        const d = minus(await hubCounts(app), before[i] as Counts);
        t.log(`replica ${i === 0 ? 'A' : 'B'}: ${JSON.stringify(d)}`);
        t.is(d.kafka.delivered + d.commit.delivered, total, 'each event delivered once, by Kafka or at commit time');
        t.true(
          d.commit.delivered > 0 && d.kafka.delivered > 0,
          "own commits at commit time, the other replica's through Kafka",
        );
        t.is(d.outbox.delivered + d.relay.delivered, 0, 'no fallback feed delivered');
        t.is(
          d.kafka.duplicates + d.outbox.duplicates + d.relay.duplicates + d.commit.duplicates,
          0,
          'no unexpected copy reached the hub',
        );
      }
    } finally {
      await Promise.all(list.flatMap((u) => u.sockets.map((s) => s.close())));
    }
  },
);

test.serial(
  'Kafka stopped: the outbox feed delivers meanwhile; after it returns no socket misses an event or sees one twice',
  async (t) => {
    t.timeout(240_000);
    const list = await users(4, 'outage');
    try {
      await write(list, 3);
      await allDelivered(t, list, 30_000);
      const before = await Promise.all([hubCounts(a), hubCounts(b)]);
      await broker.kill();
      await write(list, 5);
      // Each replica's sockets hear of writes made on either replica, from the outbox rows.
      await allDelivered(t, list, 60_000);
      const during = await Promise.all([hubCounts(a), hubCounts(b)]);
      for (const [i] of [a, b].entries())
        t.true(
          minus(during[i] as Counts, before[i] as Counts).outbox.delivered > 0,
          'the outbox feed delivered while Kafka was away',
        );
      await broker.start();
      await Promise.all([a, b].map((app) => readyUntil(app, (r) => r.kafka === 'connected' && r.outbox_backlog === 0)));
      await write(list, 4);
      await allDelivered(t, list, 60_000);
      // The consumer resumed where it stopped: the outage's events came again through Kafka and were
      // dropped as copies; what was written after the return came through Kafka once.
      for (const [i, app] of [a, b].entries())
        t.log(
          `replica ${i === 0 ? 'A' : 'B'} over the outage: ${JSON.stringify(minus(await hubCounts(app), before[i] as Counts))}`,
        );
    } finally {
      await Promise.all(list.flatMap((u) => u.sockets.map((s) => s.close())));
    }
  },
);
