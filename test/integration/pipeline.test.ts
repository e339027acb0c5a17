// The event pipeline on the real stack: outbox relay to Kafka, a socket on one instance receiving
// events written through another, and a Kafka broker killed and restarted mid-stream.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { privateBroker, type Broker } from '../helpers/kafka-broker.ts';
import { connectSocket } from '../helpers/socket.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';
import type { EventEnvelope } from '../../actors/events.ts';

let broker: Broker;
let a: TestApp;
let b: TestApp;
test.before(async () => {
  broker = await privateBroker();
  a = await startTestApp({ env: { KAFKA_BROKERS: broker.brokers } });
  b = await startTestApp({ reuse: a, env: { KAFKA_BROKERS: broker.brokers } });
  await Promise.all([a, b].map((app) => waitReady(app, (r) => r.kafka === 'connected')));
});
test.after.always(async () => {
  await b?.halt();
  await a?.stop();
  await broker?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const target = (app: TestApp): Target => ({ url: app.url, token: app.token, label: 'pipeline' });

async function ready(app: TestApp): Promise<Record<string, unknown>> {
  return fetch(`${app.url}/ready`).then((r) => r.json() as Promise<Record<string, unknown>>);
}

async function waitReady(
  app: TestApp,
  ok: (r: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    last = await ready(app);
    if (ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`not ready in time: ${JSON.stringify(last)}`);
}

interface Read {
  key: string | null;
  headers: Record<string, string>;
  event: EventEnvelope;
  partition: number;
  offset: string;
}

async function readTopic(userId: string, expected: number, timeoutMs = 30_000): Promise<Read[]> {
  const kafka = new Kafka({ clientId: 'pipeline-reader', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const got: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: broker.topic, fromBeginning: true });
  const deadline = Date.now() + timeoutMs;
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const event = JSON.parse(message.value?.toString() ?? 'null') as EventEnvelope;
      if (event.user_id !== userId) return;
      got.push({
        key: message.key?.toString() ?? null,
        partition,
        offset: message.offset,
        event,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  while (new Set(got.map((g) => g.event.event_id)).size < expected && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  return got;
}

test.serial('a socket on instance A receives events written through instance B', async (t) => {
  const user = `cross-${randomUUID()}`;
  const socket = await connectSocket(a.url, a.token(user));
  try {
    const started = Date.now();
    const task = await api(target(b), b.token(user), 'POST', '/tasks', { title: 'from B' });
    await socket.waitFor(1, 10_000);
    t.log(`B → A socket: ${Date.now() - started} ms`);
    t.is(socket.messages[0]?.type, 'task.created');
    t.is(socket.messages[0]?.data.task && (socket.messages[0].data.task as { id: string }).id, task.id);
  } finally {
    await socket.close();
  }
});

test.serial(
  'every value on the topic is the envelope, keyed by user, with event_type and correlation_id headers, in seq order per user',
  async (t) => {
    const user = `topic-${randomUUID()}`;
    const token = a.token(user);
    const task = await api(target(a), token, 'POST', '/tasks', {
      title: 'envelope',
      due_date: new Date(Date.now() + 86_400_000).toISOString(),
      reminders: [{ before: 'PT1H' }],
    });
    for (let i = 0; i < 5; i++)
      await api(target(i % 2 ? a : b), token, 'PATCH', `/tasks/${task.id as string}`, { title: `envelope ${i}` });
    const read = await readTopic(user, 7);
    const unique = [...new Map(read.map((r) => [r.event.event_id, r])).values()];
    t.deepEqual(
      unique.map((r) => r.event.seq),
      [1, 2, 3, 4, 5, 6, 7],
    );
    t.is(new Set(read.map((r) => r.partition)).size, 1, 'one user, one partition');
    for (const r of read) {
      t.is(r.key, user);
      t.is(r.headers.event_type, r.event.event_type);
      t.is(r.headers.correlation_id, r.event.correlation_id);
      for (const field of [
        'event_id',
        'event_type',
        'user_id',
        'aggregate_type',
        'aggregate_id',
        'version',
        'seq',
        'timestamp',
        'correlation_id',
        'causation_id',
        'data',
      ] as const)
        t.true(field in r.event, field);
      t.regex(r.event.correlation_id, /^[0-9a-f-]{36}$/);
    }
  },
);

test.serial(
  'Kafka killed mid-stream: writes are accepted, events wait in the outbox, and all go out in order after the restart',
  async (t) => {
    t.timeout(180_000);
    const user = `outage-${randomUUID()}`;
    const token = a.token(user);
    const socketOnB = await connectSocket(b.url, b.token(user));
    const task = await api(target(a), token, 'POST', '/tasks', { title: 'before the outage' });
    await broker.kill();
    for (let i = 0; i < 10; i++)
      await api(target(i % 2 ? b : a), token, 'PATCH', `/tasks/${task.id as string}`, { title: `during ${i}` });
    const during = await waitReady(a, (r) => r.kafka === 'disconnected' && Number(r.outbox_backlog) > 0, 30_000);
    t.true(Number(during.outbox_backlog) >= 10, `backlog ${String(during.outbox_backlog)}`);
    const metrics = await fetch(`${a.url}/metrics`).then((r) => r.text());
    t.regex(metrics, /tasklane_outbox_backlog [1-9]\d*/);
    // Sockets on the other instance still hear about it, from the outbox rows.
    await socketOnB.waitFor(11, 15_000);
    await broker.start();
    await waitReady(a, (r) => Number(r.outbox_backlog) === 0, 90_000);
    const read = await readTopic(user, 11, 60_000);
    const unique = [...new Map(read.map((r) => [r.event.event_id, r])).values()];
    t.deepEqual(
      unique.map((r) => r.event.seq),
      Array.from({ length: 11 }, (_, i) => i + 1),
      'all delivered, in order',
    );
    t.log(
      `copies on the topic: ${read.length} for ${unique.length} events (at-least-once; consumers de-duplicate by event_id)`,
    );
    const seqs = socketOnB.messages.map((m) => m.seq);
    t.deepEqual(
      [...new Set(seqs)].sort((x, y) => x - y),
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
    t.is(seqs.length, new Set(seqs).size, 'the socket got none twice');
    await socketOnB.close();
  },
);
