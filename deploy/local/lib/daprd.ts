// Starts a daprd sidecar beside an app, with the flags `dapr run` would use, and waits until its
// HTTP API answers. Used by `npm run dev:dapr` and by the integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, LOG_DIR, sleep, hasExited, stopChild } from './proc.ts';
import { DAPR_BIN } from './services.ts';
import { local } from './endpoints.ts';
import { freePort } from './ports.ts';

export interface SidecarOptions {
  appId: string;
  appPort: number;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  /** Extra resource folders (e.g. a test's own components); the project's components/ is always first. */
  resourcesPaths?: string[];
  logName?: string;
  /** Dapr namespace (actor placement and reminders are per namespace): isolates concurrent test runs. */
  namespace?: string;
  /** Replaces the project's components/ (e.g. components pointing at private test services). */
  componentsPath?: string;
  /** APP_API_TOKEN: daprd sends it to the app as `dapr-api-token`. */
  appToken?: string;
  /**
   * The port of daprd's internal gRPC API (actor calls between sidecars), on 127.0.0.1. Picked by
   * startSidecar when absent: left to daprd, it picked a port in the ephemeral range on every address.
   */
  internalGrpcPort?: number;
}

export interface Sidecar {
  process: ChildProcess;
  options: SidecarOptions;
  log: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function daprdArgs(o: SidecarOptions): string[] {
  const resources = [o.componentsPath ?? path.join(ROOT, 'components'), ...(o.resourcesPaths ?? [])];
  return [
    '--app-id',
    o.appId,
    '--app-port',
    String(o.appPort),
    '--app-protocol',
    'http',
    '--app-channel-address',
    '127.0.0.1',
    '--dapr-http-port',
    String(o.httpPort),
    '--dapr-grpc-port',
    String(o.grpcPort),
    '--dapr-listen-addresses',
    '127.0.0.1',
    ...(o.internalGrpcPort !== undefined
      ? ['--dapr-internal-grpc-port', String(o.internalGrpcPort), '--dapr-internal-grpc-listen-address', '127.0.0.1']
      : []),
    '--metrics-port',
    String(o.metricsPort),
    '--metrics-listen-address',
    '127.0.0.1',
    ...resources.flatMap((r) => ['--resources-path', r]),
    '--config',
    path.join(ROOT, 'components', 'config.yaml'),
    '--placement-host-address',
    `127.0.0.1:${local.placement.port}`,
    '--scheduler-host-address',
    `127.0.0.1:${local.scheduler.port}`,
    '--enable-app-health-check=false',
    '--log-level',
    'info',
  ];
}

export async function startSidecar(given: SidecarOptions, readyTimeoutMs = 60_000): Promise<Sidecar> {
  const o = { ...given, internalGrpcPort: given.internalGrpcPort ?? (await freePort()) };
  mkdirSync(LOG_DIR, { recursive: true });
  const log = path.join(LOG_DIR, `${o.logName ?? `daprd-${o.appId}-${o.httpPort}`}.log`);
  const fd = openSync(log, 'a');
  const env = {
    ...process.env,
    ...(o.namespace ? { NAMESPACE: o.namespace } : {}),
    ...(o.appToken ? { APP_API_TOKEN: o.appToken } : {}),
  };
  const child = spawn(path.join(DAPR_BIN, 'daprd'), daprdArgs(o), { stdio: ['ignore', fd, fd], env });
  const sidecar: Sidecar = {
    process: child,
    options: o,
    log,
    stop: async (signal = 'SIGTERM') => {
      await stopChild(child, { signal, graceMs: 10_000 });
    },
  };
  // Outbound health: the sidecar's own API is up and its components are initialised.
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child))
      throw new Error(`daprd exited with ${child.exitCode ?? child.signalCode} while starting (log: ${log})`);
    const ok = await fetch(`http://127.0.0.1:${o.httpPort}/v1.0/healthz/outbound`, {
      signal: AbortSignal.timeout(1000),
    }).then(
      (r) => r.status < 300,
      () => false,
    );
    if (ok) return sidecar;
    await sleep(200);
  }
  await sidecar.stop('SIGKILL');
  throw new Error(`daprd did not become ready within ${readyTimeoutMs / 1000} s (log: ${log})`);
}
