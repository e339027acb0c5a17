// A stopped app closes every Kafka client it opened — the topic guard's admin, the relay's producer,
// the realtime consumer and its offsets admin — even when the stop lands while one of them is still
// connecting, subscribing or joining its group. A client left connected keeps the process alive
// after stop() (seen as a test worker that never exits). Real Kafka on the local stack.
import test from 'ava';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startTestApp } from '../helpers/app.ts';
import { KafkaFeed } from '../../realtime/feeds.ts';
import { TopicGuard } from '../../host/kafka.ts';
import { kafkaSink } from '../../host/outbox/sinks.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';

const brokerPort = Number(new URL(`kafka://${local.kafkaBrokers[0]}`).port);
const topics: string[] = [];
const kafka = new Kafka({ clientId: 'kafka-stop-test', brokers: [...local.kafkaBrokers], logLevel: logLevel.NOTHING });

/** A topic of this file's own, created and its admin client closed again. */
async function newTopic(): Promise<string> {
  const topic = `kafka-stop-${randomUUID()}`;
  topics.push(topic);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

type Phase =
  | 'admin.connect'
  | 'consumer.connect'
  | 'consumer.subscribe'
  | 'consumer.run'
  | 'producer.connect'
  | 'producer.send';

/**
 * The real Kafka client, with `onCall` told the moment a client's connect/subscribe/run/send is called
 * (after the call went out), so a test stops its owner exactly while that step is in flight.
 */
function tapped(onCall: (phase: Phase) => void): Kafka {
  const tap = <T extends object>(client: T, prefix: 'admin' | 'consumer' | 'producer', methods: string[]): T => {
    const c = client as Record<string, unknown>;
    for (const m of methods) {
      const original = c[m] as (...args: unknown[]) => Promise<unknown>;
      c[m] = (...args: unknown[]) => {
        const result = original(...args);
        // Told on the next microtask: the caller has the call's promise in hand by then, as in real use.
        queueMicrotask(() => onCall(`${prefix}.${m}` as Phase));
        return result;
      };
    }
    return client;
  };
  // Only the three factories the product calls; `as unknown as Kafka`: a partial stand-in typed as the real one.
  return {
    admin: (...args: Parameters<Kafka['admin']>) => tap(kafka.admin(...args), 'admin', ['connect']),
    consumer: (...args: Parameters<Kafka['consumer']>) =>
      tap(kafka.consumer(...args), 'consumer', ['connect', 'subscribe', 'run']),
    producer: (...args: Parameters<Kafka['producer']>) => tap(kafka.producer(...args), 'producer', ['connect', 'send']),
  } as unknown as Kafka;
}

/** This process's open sockets to the broker (kafkajs' connections), as process._getActiveHandles() lists them. */
function brokerSockets(): net.Socket[] {
  // _getActiveHandles is undocumented but stable since Node 0.x; it is what `node inspect` shows for a hung worker.
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h): h is net.Socket => h instanceof net.Socket && !h.destroyed && h.remotePort === brokerPort);
}

/** Polls until no socket to the broker is left, or fails at the deadline with how many are. */
async function noBrokerSockets(ms = 30_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = brokerSockets().length;
    if (open === 0 || Date.now() > deadline) return open;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.after.always(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

// Each point stops the app at another moment of its Kafka start: before the topic guard's first look,
// while it creates the topic, while the consumer fetches offsets / connects / joins, and once it is live.
const points: { name: string; until?: (ready: Record<string, unknown>) => boolean; afterMs?: number }[] = [
  { name: 'at once' },
  { name: 'after 50 ms', afterMs: 50 },
  { name: 'after 250 ms', afterMs: 250 },
  { name: 'after 600 ms', afterMs: 600 },
  { name: 'after 1200 ms', afterMs: 1200 },
  { name: 'once the consumer is live', until: (b) => b.kafka === 'connected' },
];

test.serial('stopping an app at any point of its Kafka start leaves no connection to the broker', async (t) => {
  t.timeout(600_000);
  t.is(brokerSockets().length, 0);
  for (const point of points) {
    const topic = `kafka-stop-${randomUUID()}`;
    topics.push(topic);
    const s = await startTestApp({ env: { KAFKA_BROKERS: local.kafkaBrokers.join(','), KAFKA_TOPIC: topic } });
    // A committed event, so the relay's producer has something to publish whenever the app stops.
    t.is(
      (
        await fetch(`${s.url}/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.token('kim')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: point.name }),
        })
      ).status,
      201,
    );
    if (point.afterMs !== undefined) await new Promise((r) => setTimeout(r, point.afterMs));
    if (point.until) {
      const deadline = Date.now() + 60_000;
      while (
        !point.until((await (await fetch(`${s.url}/ready`)).json()) as Record<string, unknown>) &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 100));
    }
    await s.stop();
    t.is(await noBrokerSockets(), 0, `stopped ${point.name}: no socket to the broker stays open`);
  }
});

for (const phase of ['admin.connect', 'consumer.connect', 'consumer.subscribe', 'consumer.run'] as const) {
  test.serial(`the realtime consumer stopped while its ${phase} is in flight closes all its connections`, async (t) => {
    t.timeout(120_000);
    const topic = await newTopic();
    t.is(await noBrokerSockets(), 0);
    let stopping: Promise<void> | undefined;
    const errors: unknown[] = [];
    const feed: KafkaFeed = new KafkaFeed(
      tapped((p) => {
        if (p === phase) stopping ??= feed.stop();
      }),
      topic,
      'kafka-stop-test',
      async () => undefined,
      (e) => errors.push(e),
    );
    await feed.start().catch(() => undefined);
    t.truthy(stopping, `stopped during ${phase}`);
    await stopping;
    t.false(feed.live);
    t.is(await noBrokerSockets(), 0, `stopped during ${phase}: no socket to the broker stays open`);
  });
}

test.serial(
  'the topic guard stopped while its admin connects closes its admin client and says the topic is not ready',
  async (t) => {
    t.timeout(120_000);
    const topic = `kafka-stop-${randomUUID()}`;
    topics.push(topic);
    let stopping: Promise<void> | undefined;
    const guard: TopicGuard = new TopicGuard(
      tapped((p) => {
        if (p === 'admin.connect') stopping ??= guard.stop();
      }),
      { topic, partitions: 1, replicationFactor: -1 },
      pino({ level: 'silent' }),
    );
    t.false(await guard.ready(), 'a stopped guard starts nothing on the topic');
    await stopping;
    t.is(await noBrokerSockets(), 0);
  },
);

for (const phase of ['producer.connect', 'producer.send'] as const) {
  test.serial(`the relay's producer closed while its ${phase} is in flight is disconnected`, async (t) => {
    t.timeout(120_000);
    const topic = await newTopic();
    let closing: Promise<void> | undefined;
    const sink = kafkaSink(
      tapped((p) => {
        if (p === phase) closing ??= sink.close();
      }),
      topic,
    );
    const event = {
      event_id: randomUUID(),
      user_id: 'kim',
      event_type: 'task.created',
      correlation_id: randomUUID(),
    } as unknown as Parameters<typeof sink.publish>[0][number];
    await sink.publish([event]).catch(() => undefined);
    t.truthy(closing, `closed during ${phase}`);
    await closing;
    await t.throwsAsync(sink.publish([event]), { message: /closed/ }, 'a closed sink publishes nothing');
    t.is(await noBrokerSockets(), 0, `closed during ${phase}: no socket to the broker stays open`);
  });
}
