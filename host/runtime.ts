// Chooses the actor runtime at start-up: Dapr when a sidecar answers (DAPR_HTTP_PORT, as `dapr run`
// sets it, or the default port when nothing is configured), the direct runtime otherwise. Either way
// the turns are the same pipeline (`makeTurns`); only the timers they arm differ: Dapr actor reminders,
// or the in-process timers.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { TimerPort, Turns } from '../actors/ports.ts';
import { DaprRuntime, type ActorTurn, type SidecarState } from '../actors/runtime/dapr.ts';
import { DaprReminders } from '../actors/runtime/dapr-timers.ts';
import { DirectRuntime } from '../actors/runtime/direct.ts';

const DEFAULT_DAPR_HTTP_PORT = 3500;

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (r) => r.status < 500,
    () => false,
  );
}

export interface DaprParts {
  /** The turns, arming their timers with `timers` (here: Dapr actor reminders). */
  makeTurns: (timers: TimerPort) => Turns;
  onTurn?: (turn: ActorTurn) => void;
  onSidecarChange?: (state: SidecarState, reason: string) => void;
}

/** The Dapr runtime, started (its actors registered and the sidecar answering); undefined when no sidecar answers. */
export async function connectDapr(config: Config, parts: DaprParts, logger: Logger): Promise<DaprRuntime | undefined> {
  let httpPort = config.dapr.httpPort;
  if (httpPort === undefined) {
    if (!config.dapr.probeDefault) return undefined;
    if (!(await answers(`http://${config.dapr.host}:${DEFAULT_DAPR_HTTP_PORT}/v1.0/healthz/outbound`, 300)))
      return undefined;
    httpPort = DEFAULT_DAPR_HTTP_PORT;
  }
  const onError = (error: unknown) => logger.warn({ err: error }, 'dapr: reminder call failed, will retry');
  const reminders = new DaprReminders(`http://${config.dapr.host}:${httpPort}`, onError, config.dapr.apiToken);
  const turns = parts.makeTurns(reminders);
  const runtime = new DaprRuntime({
    turns,
    reminders,
    fallback: new DirectRuntime(turns),
    daprHost: config.dapr.host,
    daprHttpPort: httpPort,
    appHost: config.dapr.appHost,
    appPort: config.dapr.appPort,
    appToken: config.dapr.appToken,
    daprApiToken: config.dapr.apiToken,
    onError,
    // Per turn, so debug: the transition itself is logged once (warn down, info back) where the app watches the sidecar.
    onFallback: (reason) => logger.debug({ reason }, 'dapr: sidecar unreachable, ran the turn in-process'),
    ...(parts.onTurn ? { onTurn: parts.onTurn } : {}),
    ...(parts.onSidecarChange ? { onSidecarChange: parts.onSidecarChange } : {}),
  });
  try {
    await runtime.start(config.dapr.waitMs);
    logger.info(
      { sidecar: `${config.dapr.host}:${httpPort}`, appPort: config.dapr.appPort },
      'dapr runtime: actors registered',
    );
    return runtime;
  } catch (error) {
    logger.warn({ err: error }, 'dapr: no sidecar; running the direct runtime');
    await runtime.stop();
    return undefined;
  }
}
