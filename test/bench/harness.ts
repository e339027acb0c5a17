// Shared pieces of the benchmarks: the app as a real child process (optionally beside a daprd),
// tokens, seeding, percentiles, and the server's memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { signToken } from '../../api/tokens.ts';
import { startSidecar, type Sidecar } from '../../deploy/local/lib/daprd.ts';
import { freePostgres } from '../helpers/db-url.ts';
import { freePorts } from '../helpers/ports.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';
import { wsUrl } from '../helpers/socket.ts';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';
import { hasExited, stopChild } from '../../deploy/local/lib/proc.ts';
import { eventually } from '../helpers/eventually.ts';

export const ROOT = path.join(import.meta.dirname, '..', '..');

export interface BenchApp {
  url: string;
  pid: number;
  /** Resolves with the exit code when the process ends (null when a signal ended it). */
  exited: Promise<number | null>;
  secret: string;
  databaseUrl: string | undefined;
  /** The app's own PostgreSQL database (undefined for embedded): its backends' CPU is the app's database CPU. */
  databaseName: string | undefined;
  /** The Kafka topic this app alone uses (KAFKA_TOPIC, bench-<random>), so other runs' events never reach its sockets. */
  kafkaTopic: string | undefined;
  /** daprd's process id (Dapr shape). */
  daprdPid: number | undefined;
  token(user: string): string;
  rssMb(): number;
  /** Stops the app; `inspect` runs after it has exited and before its database and data folder are removed. */
  stop(inspect?: (storage: BenchStorage) => Promise<void>): Promise<void>;
}

/** Where a stopped bench app's data is: its PostgreSQL database, or its PGlite folder (embedded). */
export interface BenchStorage {
  databaseUrl: string | undefined;
  pgliteDir: string;
}

export type Shape = 'embedded' | 'direct+kafka' | 'dapr';

export async function startBenchApp(
  shape: Shape,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<BenchApp> {
  const [port, appPort, httpPort, grpcPort, metricsPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const secret = randomBytes(32).toString('base64url');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-bench-'));
  const db = shape === 'embedded' ? undefined : await freePostgres();
  const kafkaBrokers = extraEnv.KAFKA_BROKERS ?? local.kafkaBrokers.join(',');
  const kafkaTopic =
    shape === 'embedded' ? undefined : (extraEnv.KAFKA_TOPIC ?? `bench-${randomBytes(4).toString('hex')}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...LAUNCH_ENV,
    NODE_ENV: 'development',
    PORT: String(port),
    JWT_SECRET: secret,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SEC: '0',
    DAPR_PROBE: 'false',
    AUTH_DEV: 'false',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(kafkaTopic ? { KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC: kafkaTopic } : {}),
    ...(shape === 'dapr'
      ? { DAPR_HTTP_PORT: String(httpPort), DAPR_APP_PORT: String(appPort), DAPR_WAIT_MS: '60000' }
      : {}),
    ...extraEnv,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [...NODE_FLAGS, ...nodeArgs, '--import', 'tsx', path.join(ROOT, 'host', 'main.ts')],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let sidecar: Sidecar | undefined;
  const url = `http://127.0.0.1:${port}`;
  /** Until `probe` answers as `ok` wants; fails at once if the app has exited. */
  const answering = (probe: string, ok: (r: Response) => boolean) =>
    eventually(
      async () => {
        if (hasExited(child)) throw new Error(`bench app (${shape}) exited while starting`);
        return fetch(probe).then(ok, () => false);
      },
      { what: `bench app (${shape}) answering ${probe}`, timeoutMs: 90_000, intervalMs: 100 },
    );
  const bringUp = async () => {
    if (shape === 'dapr') {
      await answering(`http://127.0.0.1:${appPort}/healthz`, () => true);
      sidecar = await startSidecar({
        appId: 'tasklane-bench',
        appPort,
        httpPort,
        grpcPort,
        metricsPort,
        namespace: `bench-${randomBytes(3).toString('hex')}`,
      });
    }
    await answering(`${url}/ready`, (r) => r.ok);
  };
  try {
    await bringUp();
  } catch (error) {
    // Nothing it started outlives a start that failed: the app, its sidecar, its database and topic.
    await stopChild(child, { signal: 'SIGKILL' });
    await sidecar?.stop('SIGKILL');
    await db?.drop().catch(() => undefined);
    if (kafkaTopic) await deleteTopic(kafkaBrokers, kafkaTopic);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: child.pid ?? 0,
    exited,
    secret,
    databaseUrl: db?.url,
    databaseName: db ? new URL(db.url).pathname.slice(1) : undefined,
    kafkaTopic,
    daprdPid: sidecar?.process.pid,
    token: (user) => signToken(secret, user),
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async stop(inspect) {
      await stopChild(child, { graceMs: 30_000 });
      await sidecar?.stop();
      try {
        await inspect?.({ databaseUrl: db?.url, pgliteDir: path.join(dataDir, 'pglite') });
      } finally {
        await db?.drop();
        if (kafkaTopic) await deleteTopic(kafkaBrokers, kafkaTopic);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Deletes a bench app's private topic, so runs leave nothing on the broker; a broker already gone is fine. */
async function deleteTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'tasklane-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [topic], timeout: 5000 });
  } catch {
    // the broker is gone (a private one destroyed first) or the topic never existed
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Options of a load workload. */
export interface WorkloadOptions {
  /** Called after seeding, right before the load starts (to start CPU meters). */
  beforeLoad?: () => void | Promise<void>;
  /** Requests per second over all connections (autocannon's overallRate); unset: as fast as answered. */
  rate?: number;
}

/**
 * The throughput workload: 200 users × 5 tasks seeded, then PATCH /tasks/{id} (a title edit) round-robin
 * over them on 32 keep-alive connections for `seconds`. Returns autocannon's result.
 */
export async function patchWorkload(
  app: BenchApp,
  seconds: number,
  options: WorkloadOptions = {},
): Promise<autocannon.Result> {
  const tasks = await seedTasks(app, WORKLOAD_USERS.length, 5);
  const tokens = new Map(tasks.map(([u]) => [u, app.token(u)]));
  let n = 0;
  await options.beforeLoad?.();
  return autocannon({
    url: app.url,
    connections: 32,
    duration: seconds,
    pipelining: 1,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'PATCH',
        setupRequest: (req) => {
          const [user, id] = tasks[n++ % tasks.length] as [string, string];
          return {
            ...req,
            path: `/tasks/${id}`,
            headers: { authorization: `Bearer ${tokens.get(user) ?? ''}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `t${n}` }),
          };
        },
      },
    ],
  });
}

/**
 * The create workload: POST /tasks round-robin over 200 users on 32 keep-alive connections for `seconds`
 * (the users exist first: one seed task each). With `reminders`, each new task has a due date two days
 * ahead and one reminder an hour before it. Returns autocannon's result.
 */
export async function createWorkload(
  app: BenchApp,
  seconds: number,
  options: WorkloadOptions & { reminders?: boolean } = {},
): Promise<autocannon.Result> {
  const users = [...new Set((await seedTasks(app, WORKLOAD_USERS.length, 1)).map(([u]) => u))];
  const tokens = users.map((u) => app.token(u));
  const due = new Date(Date.now() + 48 * 3_600_000).toISOString().slice(0, 19);
  let n = 0;
  await options.beforeLoad?.();
  return autocannon({
    url: app.url,
    connections: 32,
    duration: seconds,
    pipelining: 1,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const token = tokens[n++ % tokens.length] ?? '';
          const body = options.reminders
            ? { title: `c${n}`, due_date: due, reminders: [{ before: 'PT1H' }] }
            : { title: `c${n}` };
          return {
            ...req,
            path: '/tasks',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          };
        },
      },
    ],
  });
}

/** The id of the workloads' `i`-th user (seedTasks creates them): `bench-u<i>`. */
export const workloadUser = (i: number): string => `bench-u${i}`;

/** The 200 users the throughput workloads write as (patchWorkload, createWorkload), who hold the sockets. */
export const WORKLOAD_USERS: readonly string[] = Array.from({ length: 200 }, (_, i) => workloadUser(i));

/** Creates `perUser` tasks for each of `users` users (workloadUser 0, 1, …) through the API; returns [user, taskId][]. */
export async function seedTasks(
  app: BenchApp,
  users: number,
  perUser: number,
  body: (i: number) => Record<string, unknown> = () => ({ title: 'seed' }),
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const jobs: Promise<void>[] = [];
  for (let u = 0; u < users; u++) {
    const user = workloadUser(u);
    jobs.push(
      (async () => {
        for (let i = 0; i < perUser; i++) {
          const res = await fetch(`${app.url}/tasks`, {
            method: 'POST',
            headers: { authorization: `Bearer ${app.token(user)}`, 'content-type': 'application/json' },
            body: JSON.stringify(body(i)),
          });
          if (res.status !== 201) throw new Error(`seed: ${res.status} ${await res.text()}`);
          out.push([user, ((await res.json()) as { id: string }).id]);
        }
      })(),
    );
    if (jobs.length >= 16) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summary(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** Opens `perUser` subscribed sockets per user; `onMessage` gets the socket's index and the event. */
export async function connectMany(
  app: BenchApp,
  users: string[],
  perUser: number,
  onMessage: (socket: number, user: string, m: { timestamp: string; seq: number }) => void,
): Promise<Nes.Client[]> {
  const clients: Nes.Client[] = [];
  const jobs: Promise<void>[] = [];
  let next = 0;
  for (const user of users) {
    for (let k = 0; k < perUser; k++) {
      const socket = next++;
      jobs.push(
        (async () => {
          const client = new Nes.Client(wsUrl(app.url));
          await client.connect({
            auth: { headers: { authorization: `Bearer ${app.token(user)}` } },
            reconnect: false,
            timeout: 20_000,
          });
          await client.subscribe('/events', (m: unknown) =>
            onMessage(socket, user, m as { timestamp: string; seq: number }),
          );
          clients.push(client);
        })(),
      );
      if (jobs.length >= 100) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
  return clients;
}
