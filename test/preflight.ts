// npx tsx test/preflight.ts [--only=services|deployment] — runs once before the test suite (`npm test`),
// after `stack.ts up`.
// Checks that everything the suite stands on works, each with its real client, and stops the run naming
// what cannot be used, instead of leaving dozens of tests to fail with a connection error:
//   services     PostgreSQL, Redis, Kafka, and Dapr (an actor call, an actor reminder, pub/sub to Kafka)
//                behind a real daprd with the stack's placement and scheduler
//   tools        the deployment validators reject a deliberately broken copy (hadolint, compose-go,
//                kubeconform), so none of their passes below can be vacuous
//   deployment   tools/validate/validate.ts, once: every deployment artefact through its validator
// The project's own consistency checks (image policy, compose and chart against components/, secrets in
// the docs) are tests: test/deploy/artefacts.test.ts.
// Exits 0 when all pass; otherwise prints each failure with the service or tool it names and exits 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { Kafka, logLevel } from 'kafkajs';
import {
  DaprServer,
  DaprClient,
  AbstractActor,
  ActorProxyBuilder,
  ActorId,
  CommunicationProtocolEnum,
  LogLevel,
} from '@dapr/dapr';
import { local } from '../deploy/local/lib/endpoints.ts';
import { startSidecar, type Sidecar } from '../deploy/local/lib/daprd.ts';
import {
  ROOT,
  DOCKERFILE,
  VALUE_SETS,
  VERSIONS,
  ensureTools,
  validateDockerfile,
  validateCompose,
  renderChart,
  kubeconform,
  brokenCopy,
  type Tools,
} from '../tools/validate/lib.ts';
import { freePorts } from './helpers/ports.ts';
import { eventually } from './helpers/eventually.ts';

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const log = (line: string) => process.stdout.write(`[preflight ${stamp()}] ${line}\n`);

// ------------------------------------------------------------------ services

const kafka = new Kafka({ clientId: 'preflight', brokers: [...local.kafkaBrokers], logLevel: logLevel.NOTHING });

async function postgres(): Promise<string> {
  const client = new pg.Client({ connectionString: local.databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const token = randomUUID();
    const result = await client.query<{ echoed: string; version: string }>(
      "SELECT $1::text AS echoed, current_setting('server_version') AS version",
      [token],
    );
    assert.equal(result.rows[0]?.echoed, token, 'an SQL round trip returns what it sent');
    return `server ${result.rows[0]?.version ?? '?'}`;
  } finally {
    await client.end();
  }
}

async function redis(): Promise<string> {
  const client = createClient({ url: local.redisUrl, socket: { connectTimeout: 10_000, reconnectStrategy: false } });
  await client.connect();
  try {
    const key = `preflight:${randomUUID()}`;
    const value = randomUUID();
    await client.set(key, value, { EX: 60 });
    assert.equal(await client.get(key), value, 'a value stored is read back');
    await client.del(key);
    return 'SET/GET';
  } finally {
    await client.quit();
  }
}

/** Reads `count` messages of `topic` from the beginning. */
async function readMessages(
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<{ key: string | null; value: string }[]> {
  const consumer = kafka.consumer({ groupId: `preflight-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const got: { key: string | null; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '' });
      },
    });
    await eventually(() => got.length >= count, { what: `${count} messages read back from ${topic}`, timeoutMs });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function withTopic<T>(prefix: string, body: (topic: string) => Promise<T>): Promise<T> {
  const topic = `${prefix}-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    return await body(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function kafkaRoundTrip(): Promise<string> {
  return withTopic('preflight', async (topic) => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = Array.from({ length: 5 }, (_, i) => ({ key: 'u1', value: JSON.stringify({ i, id: randomUUID() }) }));
    try {
      await producer.send({ topic, messages: sent });
    } finally {
      await producer.disconnect();
    }
    const received = await readMessages(topic, sent.length, 60_000);
    assert.deepEqual(
      received.map((m) => m.value),
      sent.map((m) => m.value),
      'messages come back in order',
    );
    return `${sent.length} messages produced and consumed`;
  });
}

// A trivial actor behind a real daprd sidecar.
const fired: { actorId: string; data: string; at: number }[] = [];
class PreflightActor extends AbstractActor {
  async greet(name: string): Promise<string> {
    return `hello ${name} from ${this.getActorId().getId()}`;
  }

  override async receiveReminder(data: string): Promise<void> {
    fired.push({
      actorId: this.getActorId().getId(),
      data: typeof data === 'string' ? data : JSON.stringify(data),
      at: Date.now(),
    });
  }
}

/** The SDK's own progress lines would bury the report; its warnings and errors still show. */
const quiet = { level: LogLevel.Warn };

async function dapr(): Promise<string> {
  const [appPort, httpPort, grpcPort, metricsPort] = (await freePorts(4)) as [number, number, number, number];
  const server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    clientOptions: {
      daprHost: '127.0.0.1',
      daprPort: String(httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      actor: { actorIdleTimeout: '1h' },
      logger: quiet,
    },
    logger: quiet,
  });
  let sidecar: Sidecar | undefined;
  try {
    await server.actor.init();
    server.actor.registerActor(PreflightActor);
    const serving = server.start();
    sidecar = await startSidecar({
      appId: `preflight-${appPort}`,
      appPort,
      httpPort,
      grpcPort,
      metricsPort,
      logName: `daprd-preflight-${httpPort}`,
    });
    await serving;
    const client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: quiet,
    });

    // The placement table takes a moment to include a freshly registered host.
    const actorId = `preflight-${randomUUID()}`;
    const proxy = new ActorProxyBuilder<PreflightActor>(PreflightActor, client).build(new ActorId(actorId));
    const reply = await eventually(() => proxy.greet('preflight'), {
      what: 'an actor call through placement (is dapr placement up?)',
      ignoreErrors: true,
      intervalMs: 500,
    });
    assert.equal(reply, `hello preflight from ${actorId}`);

    const payload = JSON.stringify({ kind: 'preflight', nonce: randomUUID() });
    const armedAt = Date.now();
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1.0/actors/PreflightActor/${actorId}/reminders/preflight`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dueTime: '1s', data: payload }),
    });
    assert.ok(res.ok, `register an actor reminder: ${res.status} ${await res.text()}`);
    const hit = await eventually(() => fired.find((f) => f.actorId === actorId), {
      what: 'the actor reminder fired (is dapr scheduler up?)',
    });
    assert.equal(hit.data, payload, 'the reminder carries its data');
    assert.ok(hit.at - armedAt >= 900, `the reminder fired ${hit.at - armedAt} ms after it was armed with dueTime 1s`);

    await withTopic('preflight-dapr', async (topic) => {
      const body = { event_id: randomUUID(), user_id: 'u-preflight', event_type: 'preflight.published' };
      await client.pubsub.publish('pubsub', topic, body, {
        metadata: { rawPayload: 'true', partitionKey: 'u-preflight' },
      });
      const [message] = await readMessages(topic, 1, 60_000);
      assert.deepEqual(
        JSON.parse(message?.value ?? 'null'),
        body,
        'pub/sub "pubsub" puts the raw JSON on the Kafka topic',
      );
      assert.equal(message?.key, 'u-preflight', 'the partition key becomes the message key');
    });
    return `actor call, reminder after ${hit.at - armedAt} ms, pub/sub "pubsub" → Kafka`;
  } finally {
    await server.stop().catch(() => undefined);
    await sidecar?.stop();
  }
}

// ------------------------------------------------------------------ deployment tools

const newestK8s = VERSIONS.kubernetes[VERSIONS.kubernetes.length - 1] ?? '1.37.2';

async function toolsRejectBrokenCopies(tools: Tools): Promise<string> {
  const dockerfile = brokenCopy(DOCKERFILE, [['FROM ${NODE_IMAGE} AS runtime', 'FROM node:latest AS runtime']]);
  try {
    const result = await validateDockerfile(tools, dockerfile.file);
    assert.ok(
      !result.ok && /DL3007/.test(result.output),
      `hadolint passed a Dockerfile with an unpinned base image:\n${result.output}`,
    );
  } finally {
    dockerfile.cleanup();
  }
  // Written inside the project (env_file and bind paths resolve from there), under a unique name.
  const compose = brokenCopy(path.join(ROOT, 'docker-compose.yml'), [
    ['    image: redis:7.4-alpine\n', '    image: redis:7.4-alpine\n    helthcheck: {}\n'],
  ]);
  try {
    const result = await validateCompose(tools, compose.file, ROOT);
    assert.ok(!result.ok && /helthcheck/.test(result.output), `compose-go passed an unknown key:\n${result.output}`);
  } finally {
    compose.cleanup();
  }
  const minikube = VALUE_SETS.minikube;
  assert.ok(minikube, 'the minikube value set');
  // A typo the values schema lets through (extraEnv is free-form) but the Kubernetes schema does not.
  const typo = await renderChart(
    tools,
    { ...minikube, setJson: ['app.extraEnv=[{"name":"EXTRA","valueFrm":"x"}]'] },
    newestK8s,
  );
  assert.equal(typo.code, 0, typo.stderr);
  const a = await kubeconform(tools, typo.stdout, newestK8s);
  assert.ok(
    !a.ok && /additional properties 'valueFrm' not allowed/.test(a.output),
    `kubeconform passed a container env with an unknown key:\n${a.output}`,
  );
  const good = await renderChart(tools, minikube, newestK8s);
  assert.equal(good.code, 0, good.stderr);
  const b = await kubeconform(tools, good.stdout.replace(/\nscopes:\n/, '\nscope:\n'), newestK8s);
  assert.ok(
    !b.ok && /Component statestore is invalid[\s\S]*'scope' not allowed/.test(b.output),
    `kubeconform passed a Dapr Component with an unknown key:\n${b.output}`,
  );
  const c = await kubeconform(tools, good.stdout.replace(/minReplicas: (\d+)/, 'minReplicas: "$1"'), newestK8s);
  assert.ok(!c.ok, 'kubeconform passed a quoted integer');
  return 'hadolint, compose-go and kubeconform each reject a broken copy';
}

/** tools/validate/validate.ts in its own process (it exits with its verdict); its report is printed when it ends. */
function deploymentValidation(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'validate', 'validate.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      process.stdout.write(
        output
          .split('\n')
          .filter(Boolean)
          .map((l) => `    ${l}\n`)
          .join(''),
      );
      if (code === 0) resolve(output.match(/all \d+ artefact checks passed/)?.[0] ?? 'passed');
      else
        reject(
          new Error(
            `tools/validate/validate.ts exited with ${code ?? 'a signal'}: ${output.match(/deploy:validate FAILED: .*/)?.[0] ?? 'see its report above'}`,
          ),
        );
    });
  });
}

// ------------------------------------------------------------------ run

interface Check {
  /** What cannot be used when it fails: the name an operator looks for. */
  name: string;
  run: () => Promise<string>;
  timeoutMs: number;
}

async function attempt(check: Check): Promise<string | undefined> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${check.timeoutMs / 1000} s`)), check.timeoutMs);
      }),
    ]);
    log(`PASS ${check.name}: ${detail} (${Date.now() - t0} ms)`);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(
      `FAIL ${check.name} (${Date.now() - t0} ms)\n${message
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`,
    );
    return `${check.name}: ${message.split('\n')[0] ?? ''}`;
  } finally {
    clearTimeout(timer);
  }
}

const services: Check[] = [
  { name: `PostgreSQL (${local.databaseUrl.replace(/\/\/[^@]*@/, '//')})`, run: postgres, timeoutMs: 60_000 },
  { name: `Redis (${local.redisUrl})`, run: redis, timeoutMs: 60_000 },
  { name: `Kafka (${local.kafkaBrokers.join(',')})`, run: kafkaRoundTrip, timeoutMs: 120_000 },
  { name: 'Dapr (daprd, placement, scheduler, pub/sub "pubsub")', run: dapr, timeoutMs: 240_000 },
];

let tools: Tools | undefined;
const deployment: Check[] = [
  {
    name: 'deployment validators (built once, then cached)',
    run: async () => {
      tools = await ensureTools(log);
      return Object.keys(tools).join(', ');
    },
    timeoutMs: 40 * 60_000,
  },
  {
    name: 'deployment validators reject broken copies',
    run: () => {
      if (!tools) throw new Error('validators not built');
      return toolsRejectBrokenCopies(tools);
    },
    timeoutMs: 300_000,
  },
  { name: 'deployment artefacts (tools/validate/validate.ts)', run: deploymentValidation, timeoutMs: 600_000 },
];

/** Runs checks in order, each whatever the one before it gave, so every failure is named. */
async function chain(checks: Check[]): Promise<string[]> {
  const failures: string[] = [];
  for (const check of checks) {
    const failure = await attempt(check);
    if (failure) failures.push(failure);
  }
  return failures;
}

// The services and the deployment validators need different things (the network vs. the CPU of the
// validators' first build); both chains run side by side.
const only = process.argv
  .slice(2)
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length);
const chains = { services, deployment };
if (only !== undefined && !(only in chains)) {
  process.stderr.write(`preflight: --only takes ${Object.keys(chains).join(' or ')}, got "${only}"\n`);
  process.exit(2);
}
const selected = Object.entries(chains)
  .filter(([name]) => only === undefined || name === only)
  .map(([, checks]) => checks);
const failures = (await Promise.all(selected.map(chain))).flat();
if (failures.length > 0) {
  process.stderr.write(
    `\npreflight FAILED: the test suite would not be testing tasklane. Cannot use:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}\n` +
      'The stack: npx tsx deploy/local/stack.ts status (logs under .stack/logs/).\n',
  );
  process.exit(1);
}
log('all checks passed');
process.exit(0);
