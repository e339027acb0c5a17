// Degraded states are visible: a missing event topic is created (with the configured partitions), or —
// when the broker refuses — an error names the topic and /ready shows the broker's reason; the direct
// runtime shows no sidecar. Real Kafka on the local stack, each case on a topic of its own.
import test from 'ava';
import { randomUUID, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../host/config.ts';
import { startApp, type App } from '../../host/app.ts';
import { signToken } from '../../api/tokens.ts';
import { freePort } from '../helpers/ports.ts';
import { freePostgres } from '../helpers/db-url.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';

const kafka = new Kafka({ clientId: 'degraded-test', brokers: [...local.kafkaBrokers], logLevel: logLevel.NOTHING });
const topics: string[] = [];

interface LogLine {
  level: number;
  msg: string;
  topic?: string;
  [key: string]: unknown;
}

/** The real app with its log captured, so a test can assert what an operator would read. */
async function start(
  env: Record<string, string>,
): Promise<{ app: App; logs: LogLine[]; secret: string; stop(): Promise<void> }> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-degraded-'));
  const db = await freePostgres();
  const secret = randomBytes(32).toString('base64url');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    RATE_LIMIT_PER_SEC: '0',
    DATABASE_URL: db.url,
    KAFKA_BROKERS: local.kafkaBrokers.join(','),
    ...env,
  });
  const app = await startApp(config, { logger: pino({ level: 'info' }, sink) });
  return {
    app,
    logs,
    secret,
    async stop() {
      await app.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function ready(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls /ready until `done` holds, or fails with the last answer at the deadline. */
async function readyUntil(
  url: string,
  done: (body: Record<string, unknown>) => boolean,
  ms = 60_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return eventuallyValue(
    () => ready(url),
    (answer) => done(answer.body),
    { what: '/ready never got there', timeoutMs: ms, intervalMs: 200 },
  );
}

test.after.always(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

test('a KAFKA_TOPIC that does not exist is created with KAFKA_PARTITIONS and events flow through it', async (t) => {
  t.timeout(120_000);
  const topic = `degraded-new-${randomUUID()}`;
  topics.push(topic);
  const admin = kafka.admin();
  await admin.connect();
  t.false((await admin.listTopics()).includes(topic));
  const s = await start({ KAFKA_TOPIC: topic, KAFKA_PARTITIONS: '3' });
  try {
    const { status, body } = await readyUntil(s.app.url, (b) => b.kafka === 'connected');
    t.is(status, 200);
    t.is(body.kafka_error, null);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    t.is(meta.topics[0]?.partitions.length, 3);
    t.true(
      s.logs.some((l) => l.level === 30 && l.topic === topic && /created topic/.test(l.msg)),
      'the creation is logged with the topic',
    );
    // An event written now reaches the new topic.
    const res = await fetch(`${s.app.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signToken(s.secret, 'ann')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'through the new topic' }),
    });
    t.is(res.status, 201);
    const onTopic = await eventuallyValue(
      async () => (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0),
      (n) => n > 0,
      { what: 'the event on the new topic', timeoutMs: 30_000, intervalMs: 200 },
    );
    t.is(onTopic, 1);
  } finally {
    await admin.disconnect();
    await s.stop();
  }
});

test('a topic the broker refuses to create: an error log names it, /ready shows the reason and the app keeps serving', async (t) => {
  t.timeout(120_000);
  const topic = `degraded-refused-${randomUUID()}`;
  topics.push(topic);
  // The stack's broker is a single node: a replication factor of 3 is a real refusal (INVALID_REPLICATION_FACTOR).
  const s = await start({ KAFKA_TOPIC: topic, KAFKA_REPLICATION_FACTOR: '3' });
  try {
    const { status, body } = await readyUntil(s.app.url, (b) => typeof b.kafka_error === 'string');
    t.is(status, 200, 'the database is up: the app is ready, degraded');
    t.is(body.kafka, 'disconnected');
    t.regex(
      body.kafka_error as string,
      new RegExp(`^topic "${topic}" does not exist and could not be created: .*INVALID_REPLICATION_FACTOR`),
    );
    const errors = s.logs.filter((l) => l.level === 50 && l.topic === topic);
    t.is(errors.length, 1, 'logged once, not once per retry');
    t.regex(errors[0]?.msg ?? '', new RegExp(`topic "${topic}" does not exist and could not be created`));
    const res = await fetch(`${s.app.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signToken(s.secret, 'ben')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'waits in the outbox' }),
    });
    t.is(res.status, 201);
    const after = await readyUntil(s.app.url, (b) => b.outbox_backlog === 1);
    t.is(after.body.kafka, 'disconnected');
    const admin = kafka.admin();
    await admin.connect();
    t.false((await admin.listTopics()).includes(topic), 'nothing created the topic behind the refusal');
    await admin.disconnect();
  } finally {
    await s.stop();
  }
});

test('the direct runtime shows no sidecar and no fallback, in /ready and in /metrics', async (t) => {
  t.timeout(60_000);
  const topic = `degraded-direct-${randomUUID()}`;
  topics.push(topic);
  const s = await start({ KAFKA_TOPIC: topic });
  try {
    const { body } = await ready(s.app.url);
    t.like(body, { mode: 'direct', sidecar: null, fallback: null });
    const metrics = await (await fetch(`${s.app.url}/metrics`)).text();
    t.regex(metrics, /^tasklane_actor_mode\{mode="direct"\} 1$/m);
    t.notRegex(metrics, /^(tasklane_dapr_sidecar_up|tasklane_actor_fallback_active)\b/m);
  } finally {
    await s.stop();
  }
});
