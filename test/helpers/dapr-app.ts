// The real app in the Dapr runtime: the app in-process (serving daprd's actor API on its own port) beside a real
// daprd sidecar, sharing the stack's placement and scheduler. Each test file gets its own Dapr
// namespace, so actor placement and reminders never cross between concurrently running files.
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from './app.ts';
import { startSidecar, type Sidecar } from '../../deploy/local/lib/daprd.ts';
import { freePorts } from './ports.ts';
import { eventually } from './eventually.ts';
import { portOpen } from '../../deploy/local/lib/proc.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';

export interface DaprTestApp extends TestApp {
  sidecar: Sidecar;
  appPort: number;
  /** Kills the sidecar (SIGKILL by default) and starts a new one on the same ports. */
  restartSidecar(signal?: NodeJS.Signals, downMs?: number): Promise<void>;
}

export async function startDaprTestApp(
  options: {
    namespace: string;
    appId?: string;
    reuse?: TestApp;
    database?: 'postgres';
    /** More environment for the app (e.g. its own KAFKA_TOPIC). */
    env?: Record<string, string>;
  } = {
    namespace: `ns-${randomBytes(4).toString('hex')}`,
  },
): Promise<DaprTestApp> {
  const [apiPort, appPort, httpPort, grpcPort, metricsPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const appId = options.appId ?? `tasklane-${options.namespace}`;
  const appToken = randomBytes(24).toString('base64url');
  const sidecarOptions = {
    appId,
    appPort,
    httpPort,
    grpcPort,
    metricsPort,
    namespace: options.namespace,
    appToken,
    logName: `daprd-${appId}-${httpPort}`,
  };
  const appStarting = startTestApp({
    ...(options.reuse ? { reuse: options.reuse } : {}),
    port: apiPort,
    env: {
      DAPR_HTTP_PORT: String(httpPort),
      DAPR_APP_PORT: String(appPort),
      DAPR_WAIT_MS: '60000',
      KAFKA_BROKERS: local.kafkaBrokers.join(','),
      APP_API_TOKEN: appToken,
      ...options.env,
    },
  });
  // daprd picks random ports for its own internal listeners: start it only once the app holds its
  // actor port, so it can never take that one.
  // A start that fails part-way stops what it started (the app, its database, daprd), so one failure
  // does not leave a worker with open handles that never exits.
  let sidecar: Sidecar | undefined;
  let app: TestApp | undefined;
  // An app that fails to start says why at once, rather than after the wait for its port.
  let startError: unknown;
  appStarting.catch((error: unknown) => {
    startError = error ?? new Error('the app failed to start');
  });
  try {
    await eventually(
      () => {
        if (startError !== undefined) throw startError;
        return portOpen(appPort);
      },
      { what: `the app listening on ${appPort} for daprd`, intervalMs: 50 },
    );
    sidecar = await startSidecar(sidecarOptions);
    app = await appStarting;
    if (app.app.runtime.mode !== 'dapr') throw new Error(`expected the Dapr runtime, got ${app.app.runtime.mode}`);
  } catch (error) {
    const started = app ?? (await appStarting.catch(() => undefined));
    await (options.reuse ? started?.halt() : started?.stop())?.catch(() => undefined);
    await sidecar?.stop('SIGKILL').catch(() => undefined);
    throw error;
  }
  const handle: DaprTestApp = {
    ...app,
    sidecar,
    appPort,
    async restartSidecar(signal = 'SIGKILL', downMs = 0) {
      await handle.sidecar.stop(signal);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      handle.sidecar = await startSidecar(sidecarOptions);
    },
    async stop() {
      await app.halt();
      await handle.sidecar.stop();
      await app.stop().catch(() => undefined);
    },
    async halt() {
      await app.halt();
      await handle.sidecar.stop();
    },
  };
  return handle;
}
