// Smoke test of the local stack: each part is the real service, reached with a real client.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { Kafka, logLevel } from 'kafkajs';
import { DaprServer, DaprClient, AbstractActor, ActorProxyBuilder, ActorId, CommunicationProtocolEnum } from '@dapr/dapr';
import { local } from '../../deploy/local/lib/endpoints.ts';
import { startSidecar, type Sidecar } from '../../deploy/local/lib/daprd.ts';
import { freePorts } from '../helpers/ports.ts';

const kafka = new Kafka({ clientId: 'stack-test', brokers: [...local.kafkaBrokers], logLevel: logLevel.WARN });

test('PostgreSQL answers an SQL round trip', async (t) => {
  const client = new pg.Client({ connectionString: local.databaseUrl });
  await client.connect();
  try {
    const token = randomUUID();
    const result = await client.query<{ echoed: string; version: string }>('SELECT $1::text AS echoed, current_setting(\'server_version\') AS version', [token]);
    t.is(result.rows[0]?.echoed, token);
    t.regex(result.rows[0]?.version ?? '', /^\d+/);
  } finally {
    await client.end();
  }
});

test('Redis stores and returns a value', async (t) => {
  const client = createClient({ url: local.redisUrl });
  await client.connect();
  try {
    const key = `stack-test:${randomUUID()}`;
    const value = randomUUID();
    await client.set(key, value, { EX: 60 });
    t.is(await client.get(key), value);
    await client.del(key);
  } finally {
    await client.quit();
  }
});

async function readMessages(topic: string, count: number, timeoutMs = 30_000): Promise<{ key: string | null; value: string; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: `stack-test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const got: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length}/${count} messages from ${topic} within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          got.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
          if (got.length >= count) { clearTimeout(timer); resolve(); }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

test('Kafka: kafkajs produces to a fresh topic and consumes it back', async (t) => {
  const topic = `stack-test-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const sent = Array.from({ length: 5 }, (_, i) => ({ key: 'u1', value: JSON.stringify({ i, id: randomUUID() }) }));
  await producer.send({ topic, messages: sent });
  await producer.disconnect();
  const received = await readMessages(topic, sent.length);
  t.deepEqual(received.map((m) => m.value), sent.map((m) => m.value));
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

// ---- Dapr: a trivial actor behind a real daprd sidecar, with placement and scheduler from the stack.
const fired: { actorId: string; data: string; at: number }[] = [];

class SmokeActor extends AbstractActor {
  async greet(name: string): Promise<string> {
    return `hello ${name} from ${this.getActorId().getId()}`;
  }

  override async receiveReminder(data: string): Promise<void> {
    fired.push({ actorId: this.getActorId().getId(), data: typeof data === 'string' ? data : JSON.stringify(data), at: Date.now() });
  }
}

let sidecar: Sidecar | undefined;
let server: DaprServer | undefined;
let client: DaprClient | undefined;
let daprHttpPort = 0;

test.before(async () => {
  const [appPort, httpPort, grpcPort, metricsPort] = (await freePorts(4)) as [number, number, number, number];
  daprHttpPort = httpPort;
  server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    clientOptions: { daprHost: '127.0.0.1', daprPort: String(httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, actor: { actorIdleTimeout: '1h' } },
  });
  await server.actor.init();
  server.actor.registerActor(SmokeActor);
  const started = server.start();
  sidecar = await startSidecar({ appId: `stack-smoke-${appPort}`, appPort, httpPort, grpcPort, metricsPort });
  await started;
  client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP });
});

test.after.always(async () => {
  await server?.stop().catch(() => undefined);
  await sidecar?.stop();
});

test.serial('Dapr: an actor is called through ActorProxyBuilder and its actor reminder fires', async (t) => {
  t.timeout(90_000);
  if (!client) throw new Error('Dapr client not started');
  const actorId = `smoke-${randomUUID()}`;
  const proxy = new ActorProxyBuilder<SmokeActor>(SmokeActor, client).build(new ActorId(actorId));
  // The placement table takes a moment to include a freshly registered host.
  let reply = '';
  for (let attempt = 0; attempt < 60 && !reply; attempt++) {
    reply = await proxy.greet('stack').catch(async () => { await new Promise((r) => setTimeout(r, 500)); return ''; });
  }
  t.is(reply, `hello stack from ${actorId}`);

  const payload = JSON.stringify({ kind: 'smoke', nonce: randomUUID() });
  const armedAt = Date.now();
  const res = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/actors/SmokeActor/${actorId}/reminders/smoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dueTime: '1s', data: payload }),
  });
  t.true(res.ok, `register reminder: ${res.status} ${await res.text()}`);
  const deadline = Date.now() + 30_000;
  while (!fired.some((f) => f.actorId === actorId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const hit = fired.find((f) => f.actorId === actorId);
  t.truthy(hit, 'the reminder fired');
  t.is(hit?.data, payload);
  t.true((hit?.at ?? 0) - armedAt >= 900, 'not before its due time');
});

test.serial('Dapr: a message published through pub/sub "pubsub" lands on the Kafka topic as raw JSON', async (t) => {
  t.timeout(90_000);
  if (!client) throw new Error('Dapr client not started');
  const topic = `stack-dapr-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const body = { event_id: randomUUID(), user_id: 'u-smoke', event_type: 'smoke.published' };
  await client.pubsub.publish('pubsub', topic, body, { metadata: { rawPayload: 'true', partitionKey: 'u-smoke' } });
  const [message] = await readMessages(topic, 1);
  t.deepEqual(JSON.parse(message?.value ?? 'null'), body);
  t.is(message?.key, 'u-smoke');
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});
