// Chooses the actor runtime at start-up: Dapr when a sidecar answers (DAPR_HTTP_PORT, as `dapr run`
// sets it, or the default port when nothing is configured), the direct runtime otherwise.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { TaskPort, UserPort } from '../actors/ports.ts';
import { DaprRuntime, type ActorTurn } from '../actors/runtime/dapr.ts';

const DEFAULT_DAPR_HTTP_PORT = 3500;

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.status < 500, () => false);
}

export async function connectDapr(config: Config, ports: { tasks: TaskPort; users: UserPort; onTurn?: (turn: ActorTurn) => void }, logger: Logger): Promise<DaprRuntime | undefined> {
  let httpPort = config.dapr.httpPort;
  if (httpPort === undefined) {
    if (!config.dapr.probeDefault) return undefined;
    if (!(await answers(`http://${config.dapr.host}:${DEFAULT_DAPR_HTTP_PORT}/v1.0/healthz/outbound`, 300))) return undefined;
    httpPort = DEFAULT_DAPR_HTTP_PORT;
  }
  const runtime = new DaprRuntime({
    ...ports, daprHost: config.dapr.host, daprHttpPort: httpPort, appHost: config.dapr.appHost, appPort: config.dapr.appPort, appToken: config.dapr.appToken,
    onError: (error) => logger.warn({ err: error }, 'dapr: reminder call failed, will retry'),
    // Per turn, so debug: the transition itself is logged once (warn down, info back) where the app watches the sidecar.
    onFallback: (reason) => logger.debug({ reason }, 'dapr: sidecar unreachable, ran the turn in-process'),
  });
  try {
    await runtime.start(config.dapr.waitMs);
    logger.info({ sidecar: `${config.dapr.host}:${httpPort}`, appPort: config.dapr.appPort }, 'dapr runtime: actors registered');
    return runtime;
  } catch (error) {
    logger.warn({ err: error }, 'dapr: no sidecar; running the direct runtime');
    await runtime.stop();
    return undefined;
  }
}
