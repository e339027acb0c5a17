// A private, complete tasklane for chaos: its own PostgreSQL, Redis and Kafka processes, its own daprd
// (sharing only the stack's placement and scheduler), and the app as a child process, each of which
// can be killed with SIGKILL and started again on the same ports and data. Nothing the rest of the
// suite uses is ever touched.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, chownSync, openSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { privateBroker, type Broker } from '../helpers/kafka-broker.ts';
import { freePorts } from '../helpers/ports.ts';
import { eventually } from '../helpers/eventually.ts';
import { startSidecar, type Sidecar } from '../../deploy/local/lib/daprd.ts';
import { signToken } from '../../api/tokens.ts';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';
import { portOpen, stopChild } from '../../deploy/local/lib/proc.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

export interface Proc {
  name: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (child) await stopChild(child, { signal: 'SIGKILL' });
}

function postgresBin(tool: string): string {
  const base = '/usr/lib/postgresql';
  const v =
    readdirSync(base)
      .filter((x) => /^\d+$/.test(x))
      .sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return path.join(base, v, 'bin', tool);
}

export interface ChaosEnv {
  dir: string;
  url: string;
  databaseUrl: string;
  broker: Broker;
  token(user: string): string;
  procs: Record<'kafka' | 'daprd' | 'app' | 'postgres' | 'redis', Proc>;
  destroy(): Promise<void>;
}

export async function chaosEnv(): Promise<ChaosEnv> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-chaos-'));
  const [pgPort, redisPort, apiPort, appPort, httpPort, grpcPort, metricsPort] = (await freePorts(7)) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const secret = randomBytes(32).toString('base64url');
  // Logs outlive the run (the data does not): .stack/logs/chaos-<time>/.
  const logs = path.join(ROOT, '.stack', 'logs', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(logs, { recursive: true });
  const log = (name: string) => openSync(path.join(logs, `${name}.log`), 'a');

  // PostgreSQL, as Debian's postgres user when we are root.
  const pgData = path.join(dir, 'pg');
  const pgRun = path.join(dir, 'pgrun');
  mkdirSync(pgRun);
  const ids =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
          gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
        }
      : {};
  if (ids.uid !== undefined) {
    chownSync(dir, ids.uid, ids.gid);
    chownSync(pgRun, ids.uid, ids.gid);
  }
  execFileSync(postgresBin('initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '--no-instructions'], {
    ...ids,
    stdio: 'ignore',
  });
  let pgChild: ChildProcess | undefined;
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const pgReady = async () => {
    const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 500 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const postgres: Proc = {
    name: 'postgres',
    async start() {
      pgChild = spawn(
        postgresBin('postgres'),
        [
          '-D',
          pgData,
          '-p',
          String(pgPort),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${pgRun}`,
          '-c',
          'max_connections=100',
        ],
        { ...ids, stdio: ['ignore', log('postgres'), log('postgres')] },
      );
      await eventually(pgReady, { what: 'postgres', ignoreErrors: true });
    },
    kill: () => killChild(pgChild),
  };

  let redisChild: ChildProcess | undefined;
  const redis: Proc = {
    name: 'redis',
    async start() {
      redisChild = spawn(
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
        { stdio: ['ignore', log('redis'), log('redis')] },
      );
      await eventually(() => portOpen(redisPort), { what: 'redis', ignoreErrors: true });
    },
    kill: () => killChild(redisChild),
  };

  // A start that fails part-way stops what it started (the services below, daprd, the app), so a failed
  // chaos run does not leave processes behind.
  let started: Broker | undefined;
  const abandon = async (error: unknown): Promise<never> => {
    await killChild(appChild);
    await sidecar?.stop('SIGKILL');
    await started?.destroy();
    await killChild(redisChild);
    await killChild(pgChild);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    throw error;
  };
  let appChild: ChildProcess | undefined;
  let sidecar: Sidecar | undefined;
  await postgres.start().catch(abandon);
  await redis.start().catch(abandon);
  const broker = await privateBroker().catch(abandon);
  started = broker;
  const kafka: Proc = { name: 'kafka', start: () => broker.start(), kill: () => broker.kill() };

  // daprd with components pointing at the private Redis and Kafka.
  const components = path.join(dir, 'components');
  mkdirSync(components);
  writeFileSync(
    path.join(components, 'statestore.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.redis\n  version: v1\n  metadata:\n    - name: redisHost\n      value: "127.0.0.1:${redisPort}"\n    - name: actorStateStore\n      value: "true"\n`,
  );
  writeFileSync(
    path.join(components, 'pubsub.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\nspec:\n  type: pubsub.kafka\n  version: v1\n  metadata:\n    - name: brokers\n      value: "${broker.brokers}"\n    - name: authType\n      value: "none"\n`,
  );
  const namespace = `chaos-${randomBytes(3).toString('hex')}`;
  const daprd: Proc = {
    name: 'daprd',
    async start() {
      await eventually(() => portOpen(appPort), { what: 'app actor port', ignoreErrors: true });
      sidecar = await startSidecar({
        appId: 'tasklane-chaos',
        appPort,
        httpPort,
        grpcPort,
        metricsPort,
        namespace,
        componentsPath: components,
        logName: `daprd-chaos-${httpPort}`,
      });
    },
    kill: async () => {
      await sidecar?.stop('SIGKILL');
    },
  };

  const url = `http://127.0.0.1:${apiPort}`;
  const app: Proc = {
    name: 'app',
    async start() {
      appChild = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'host', 'main.ts')], {
        env: {
          ...process.env,
          ...LAUNCH_ENV,
          NODE_ENV: 'development',
          PORT: String(apiPort),
          DATA_DIR: dir,
          JWT_SECRET: secret,
          LOG_LEVEL: 'error',
          RATE_LIMIT_PER_SEC: '0',
          DATABASE_URL: databaseUrl,
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          KAFKA_BROKERS: broker.brokers,
          AUTH_DEV: 'false',
          DAPR_HTTP_PORT: String(httpPort),
          DAPR_APP_PORT: String(appPort),
          DAPR_WAIT_MS: '60000',
          DAPR_PROBE: 'false',
        },
        stdio: ['ignore', log('app'), log('app')],
      });
      await eventually(async () => (await fetch(`${url}/ready`)).ok, {
        what: 'app',
        ignoreErrors: true,
        timeoutMs: 90_000,
      });
    },
    kill: () => killChild(appChild),
  };

  // First start: the app listens for daprd before daprd starts.
  const appStarting = app.start();
  appStarting.catch(() => undefined); // awaited below; a daprd failure first must not leave it unhandled
  await daprd.start().catch(abandon);
  await appStarting.catch(abandon);
  return {
    dir,
    url,
    databaseUrl,
    broker,
    token: (user) => signToken(secret, user),
    procs: { kafka, daprd, app, postgres, redis },
    async destroy() {
      await killChild(appChild);
      await sidecar?.stop('SIGKILL');
      await broker.destroy();
      await killChild(redisChild);
      await killChild(pgChild);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
