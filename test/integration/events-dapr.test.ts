// The relay through daprd's pub/sub to Kafka (the stack's broker, as components/pubsub.yaml says), on the
// app's own topic: every value is the envelope's JSON as the kafkajs sink writes it, keyed by user, with
// event_type and correlation_id headers, and each user's events are on the topic in seq order, also when
// a user's commands come in together (a relay batch then may hold several of their events; how a batch is
// split into rounds of one event per user is test/unit/dapr-sink.test.ts).
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';
import { eventually } from '../helpers/eventually.ts';
import { readMetric } from '../helpers/metrics.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';
import type { EventEnvelope } from '../../actors/events.ts';

const topic = `dapr-events-${randomBytes(4).toString('hex')}`;
let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `ns-${randomBytes(4).toString('hex')}`, env: { KAFKA_TOPIC: topic } });
});
test.after.always(async () => {
  await app?.stop();
});

interface Read {
  value: string;
  key: string | null;
  headers: Record<string, string>;
  partition: number;
}

/** Everything on `topic` until `done` holds of what was read (or the deadline passes). */
async function readTopic(done: (read: Read[]) => boolean, timeoutMs = 30_000): Promise<Read[]> {
  const kafka = new Kafka({ clientId: 'dapr-events-reader', brokers: local.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const got: Read[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        got.push({
          value: message.value?.toString('utf8') ?? '',
          key: message.key?.toString() ?? null,
          partition,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await eventually(() => done(got), { what: 'the events on the topic', timeoutMs });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

test('dapr pub/sub: each value is the envelope as written, keyed by user, with headers, in seq order per user', async (t) => {
  const target: Target = { url: app.url, token: app.token, label: 'dapr-events' };
  const users = [`events-a-${randomUUID()}`, `events-b/${randomUUID()}`];
  // The app's topic is new: daprd's first publish creates it, which on a busy machine may outlast the
  // sink's timeout (that batch then goes through kafkajs). Warm up until daprd has published one.
  const warm = app.token(`events-warm-${randomUUID()}`);
  await eventually(
    async () => {
      await api(target, warm, 'POST', '/tasks', { title: 'warm-up' });
      return (await readMetric(app.url, 'tasklane_events_published_total', { via: 'dapr' })) >= 1;
    },
    { what: 'daprd published an event', intervalMs: 500 },
  );
  const viaKafkaBefore = await readMetric(app.url, 'tasklane_events_published_total', { via: 'kafka' });
  const publishedBefore = await readMetric(app.url, 'tasklane_events_published_total');
  const perUser = 3;
  const edits = 4;
  // Every user's commands at once, so the relay's batches may hold several events of one user.
  await Promise.all(
    users.map(async (user) => {
      const token = app.token(user);
      const tasks = await Promise.all(
        Array.from({ length: perUser }, (_, i) =>
          api(target, token, 'POST', '/tasks', { title: `task ${i} <b>"é" & ü</b>` }),
        ),
      );
      await Promise.all(
        tasks.flatMap((task) =>
          Array.from({ length: edits }, (_, i) =>
            api(target, token, 'PATCH', `/tasks/${task.id as string}`, { title: `edit ${i}` }),
          ),
        ),
      );
    }),
  );
  const expected = perUser * (1 + edits);
  await eventually(
    async () =>
      (await readMetric(app.url, 'tasklane_events_published_total')) - publishedBefore >= expected * users.length,
    { what: 'the outbox published' },
  );
  t.is(
    (await readMetric(app.url, 'tasklane_events_published_total', { via: 'kafka' })) - viaKafkaBefore,
    0,
    'all through daprd',
  );

  const read = await readTopic((got) => {
    const ids = new Set(got.map((r) => (JSON.parse(r.value) as EventEnvelope).event_id));
    return ids.size >= expected * users.length;
  });
  for (const user of users) {
    const mine = read
      .map((r) => ({ ...r, event: JSON.parse(r.value) as EventEnvelope }))
      .filter((r) => r.event.user_id === user);
    const seqs = [...new Map(mine.map((r) => [r.event.event_id, r.event.seq])).values()];
    t.deepEqual(
      seqs,
      Array.from({ length: expected }, (_, i) => i + 1),
      `${user}: every event once in seq order`,
    );
    t.is(new Set(mine.map((r) => r.partition)).size, 1, 'one user, one partition');
    for (const r of mine) {
      t.is(r.value, JSON.stringify(r.event), 'the bytes the kafkajs sink writes (no re-encoding, no envelope)');
      t.is(r.key, user);
      t.is(r.headers.event_type, r.event.event_type);
      t.is(r.headers.correlation_id, r.event.correlation_id);
    }
  }
});
