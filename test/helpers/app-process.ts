// One replica as production runs it: the real app entry (host/main.ts) in its own Node process beside its
// own daprd, against the stack's placement and scheduler. Several replicas given the same namespace,
// app id and database form one actor app, and placement spreads the actors over their processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../deploy/local/lib/daprd.ts';
import { ROOT, LOG_DIR, portOpen, hasExited, stopChild } from '../../deploy/local/lib/proc.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';
import { sumMetric } from './metrics.ts';
import { freePorts } from './ports.ts';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';

export interface AppProcessOptions {
  /** Dapr namespace shared by the replicas of one test (placement and reminders are per namespace). */
  namespace: string;
  /** Dapr app id shared by the replicas (default `tasklane`). */
  appId?: string;
  /** postgres://… of the database the replicas share. */
  databaseUrl: string;
  /** JWT_SECRET shared by the replicas, so a token signed once is accepted by each. */
  secret: string;
  /** INSTANCE_ID of the process (default random): /ready shows it as `instance`, the logs as `instance`. */
  instanceId?: string;
  /** Extra environment for the app process. */
  env?: Record<string, string>;
  /** Deadline for the process and its sidecar to be ready (ms, default 90 000). */
  readyTimeoutMs?: number;
}

export interface AppProcess {
  /** The process's instance id, as its /ready reports it. */
  instance: string;
  /** http://127.0.0.1:<PORT> of the process's public API. */
  url: string;
  /** The port daprd calls the app's actor routes on (DAPR_APP_PORT). */
  appPort: number;
  process: ChildProcess;
  sidecar: Sidecar;
  /** The app process's stdout and stderr (pino lines at LOG_LEVEL info). */
  log: string;
  /** The process's /metrics counter `tasklane_actor_turns_total`, summed over the labels that match `labels`. */
  turns(labels?: Partial<Record<'actor' | 'trigger' | 'via', string>>): Promise<number>;
  /** SIGKILL to the sidecar alone; resolves once it has exited. The app keeps running. */
  killSidecar(): Promise<void>;
  /** A new sidecar on the same ports as the killed one; resolves once it answers. */
  restartSidecar(): Promise<void>;
  /** A replica dying at once: SIGKILL to the app and its sidecar; resolves when both have exited. */
  kill(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after 10 s) of the app, then of its sidecar. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Parses the Prometheus text of `tasklane_actor_turns_total` and sums the series whose labels match.
 * A counter never incremented has no series: 0.
 */
export function sumTurns(metrics: string, labels: Partial<Record<string, string>> = {}): number {
  return sumMetric(metrics, 'tasklane_actor_turns_total', labels);
}

/**
 * Starts host/main.ts in a child process (one Node process, `node --import tsx`, so a signal reaches the
 * app itself) and a daprd beside it, and resolves once /ready says the app runs the Dapr runtime with its
 * sidecar up. Rejects with the log's path if the process exits or the deadline passes; nothing is left
 * running then.
 */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const [port, appPort, httpPort, grpcPort, metricsPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const instanceId = options.instanceId ?? randomBytes(4).toString('hex');
  const appId = options.appId ?? 'tasklane';
  const appToken = randomBytes(24).toString('base64url');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-replica-'));
  const log = path.join(LOG_DIR, `app-${options.namespace}-${instanceId}.log`);
  const fd = openSync(log, 'a');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    ...LAUNCH_ENV,
    NODE_ENV: 'test',
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: options.secret,
    INSTANCE_ID: instanceId,
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_SEC: '0',
    KAFKA_BROKERS: local.kafkaBrokers.join(','),
    APP_ID: appId,
    DAPR_HTTP_PORT: String(httpPort),
    DAPR_GRPC_PORT: String(grpcPort),
    DAPR_APP_PORT: String(appPort),
    DAPR_WAIT_MS: '60000',
    APP_API_TOKEN: appToken,
    ...options.env,
  };
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'host', 'main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  // Should the test's own process end without its after hooks (a crash, a timeout), take the children along.
  let sidecar: Sidecar | undefined;
  const orphanGuard = () => {
    child.kill('SIGKILL');
    sidecar?.process.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  const cleanUp = async () => {
    await stopChild(child, { graceMs: 10_000 });
    if (sidecar) await sidecar.stop();
    process.off('exit', orphanGuard);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  let sidecarOptions: SidecarOptions | undefined;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  const failed = (why: string) => new Error(`replica ${instanceId}: ${why} (log: ${log})`);
  try {
    // daprd picks random ports for its own listeners: start it once the app holds the app port, so it never takes that one.
    while (!(await portOpen(appPort))) {
      if (hasExited(child)) throw failed(`the app exited with ${child.exitCode ?? child.signalCode} while starting`);
      if (Date.now() > deadline) throw failed(`the app did not listen on ${appPort} for daprd`);
      await new Promise((r) => setTimeout(r, 100));
    }
    sidecarOptions = {
      appId,
      appPort,
      httpPort,
      grpcPort,
      metricsPort,
      namespace: options.namespace,
      appToken,
      logName: `daprd-${options.namespace}-${instanceId}`,
    };
    sidecar = await startSidecar(sidecarOptions, Math.max(1000, deadline - Date.now()));
    for (;;) {
      if (hasExited(child)) throw failed(`the app exited with ${child.exitCode ?? child.signalCode} while starting`);
      const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => (await r.json()) as Record<string, unknown>,
        () => undefined,
      );
      if (ready?.ready === true) {
        if (ready.mode !== 'dapr' || ready.sidecar !== 'up')
          throw failed(`expected the Dapr runtime with its sidecar up, /ready says ${JSON.stringify(ready)}`);
        if (ready.instance !== instanceId) throw failed(`/ready names instance ${String(ready.instance)}`);
        break;
      }
      if (Date.now() > deadline) throw failed(`/ready did not say ready in time: ${JSON.stringify(ready)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    child.kill('SIGKILL');
    await cleanUp();
    throw error;
  }
  const options_ = sidecarOptions as SidecarOptions;
  let stopping: Promise<void> | undefined;
  const handle: AppProcess = {
    instance: instanceId,
    url,
    appPort,
    process: child,
    sidecar,
    log,
    async turns(labels = {}) {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return sumTurns(await res.text(), labels);
    },
    async killSidecar() {
      await handle.sidecar.stop('SIGKILL');
    },
    async restartSidecar() {
      await handle.sidecar.stop('SIGKILL');
      sidecar = await startSidecar(options_);
      handle.sidecar = sidecar;
    },
    async kill() {
      await Promise.all([stopChild(child, { signal: 'SIGKILL' }), handle.sidecar.stop('SIGKILL')]);
    },
    stop() {
      stopping ??= cleanUp();
      return stopping;
    },
  };
  return handle;
}
