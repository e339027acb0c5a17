// Prometheus metrics (prom-client) on /metrics: request latency, events written, outbox backlog,
// open sockets, actor mode and — in the Dapr runtime — the sidecar's state, the in-process fallback and the actor turns this process ran.
import client from 'prom-client';
import type { Server } from '@hapi/hapi';

export interface Metrics {
  registry: client.Registry;
  requestDuration: client.Histogram<'method' | 'route' | 'status'>;
  eventsWritten: client.Counter<'type'>;
  eventsPublished: client.Counter<'via'>;
  outboxBacklog: client.Gauge;
  openSockets: client.Gauge;
  actorMode: client.Gauge<'mode'>;
  /** Sweeps of the database for due timers started (tasklane_sweeps_total). */
  sweeps: client.Counter;
  timersFired: client.Counter<'kind' | 'via'>;
  timerLateness: client.Histogram<'kind'>;
  /**
   * Actor turns this process executed (Dapr runtime): `via="dapr"` when daprd delivered the call or
   * reminder to this process's actor (placement chose this replica), `via="fallback"` when the sidecar
   * was away and the turn ran here instead. Summed over replicas it is the number of turns; per replica
   * it shows how placement spread the actors.
   */
  actorTurns: client.Counter<'actor' | 'trigger' | 'via'>;
  timerTurnsInFlight: client.Gauge<'measure'>;
  /**
   * Timer turns in flight in this process's one fire queue (actors/runtime/fire-queue.ts):
   * `tasklane_timer_turns_in_flight{measure="now"}` and the most ever at once, `{measure="peak"}` —
   * never above the queue's limit, however many timers fall due together.
   */
  watchTimerTurns(read: () => { now: number; peak: number }): void;
  /** Shows the actor runtime's state; the sidecar gauges appear only once a sidecar state is given (Dapr runtime). */
  showActorState(state: ActorState): void;
}

/** The actor runtime as /ready and /metrics show it. */
export interface ActorState {
  /** The runtime chosen at start-up. */
  mode: 'dapr' | 'direct';
  /** Dapr runtime only: whether the sidecar can be reached. */
  sidecar?: 'up' | 'down';
  /** 'direct' while the Dapr runtime's sidecar is down and turns run in this process. */
  fallback?: 'direct' | null;
}

export function createMetrics(backlog: () => Promise<number>): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  // Registered on the first Dapr state only, so the direct runtime shows no sidecar it does not have.
  const sidecarUp = new client.Gauge({
    name: 'tasklane_dapr_sidecar_up',
    help: '1 while the Dapr sidecar can be reached, 0 while it cannot',
    registers: [],
  });
  const fallback = new client.Gauge({
    name: 'tasklane_actor_fallback_active',
    help: '1 while the Dapr sidecar is down and actor turns run in this process (fallback="direct")',
    labelNames: ['fallback'],
    registers: [],
  });
  let timerTurns: (() => { now: number; peak: number }) | undefined;
  const metrics: Metrics = {
    registry,
    requestDuration: new client.Histogram({
      name: 'tasklane_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsWritten: new client.Counter({
      name: 'tasklane_events_written_total',
      help: 'Events committed to the events table',
      labelNames: ['type'],
      registers: [registry],
    }),
    eventsPublished: new client.Counter({
      name: 'tasklane_events_published_total',
      help: 'Events published to the stream',
      labelNames: ['via'],
      registers: [registry],
    }),
    outboxBacklog: new client.Gauge({
      name: 'tasklane_outbox_backlog',
      help: 'Committed events not yet published to Kafka',
      registers: [registry],
      async collect() {
        this.set(await backlog().catch(() => -1));
      },
    }),
    openSockets: new client.Gauge({
      name: 'tasklane_open_sockets',
      help: 'WebSocket connections open on this instance',
      registers: [registry],
    }),
    actorMode: new client.Gauge({
      name: 'tasklane_actor_mode',
      help: '1 for the actor runtime chosen at start-up (dapr or direct); see tasklane_actor_fallback_active for turns running in-process while the sidecar is down',
      labelNames: ['mode'],
      registers: [registry],
    }),
    sweeps: new client.Counter({
      name: 'tasklane_sweeps_total',
      help: 'Sweeps of the database for due timers started by this process (every 1 s in the direct runtime, 0.5 s in the Dapr runtime)',
      registers: [registry],
    }),
    timersFired: new client.Counter({
      name: 'tasklane_timers_fired_total',
      help: 'Reminder and spawn timers that produced an event',
      labelNames: ['kind', 'via'],
      registers: [registry],
    }),
    timerLateness: new client.Histogram({
      name: 'tasklane_timer_lateness_seconds',
      help: 'How late a reminder or spawn fired after its time',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
      registers: [registry],
    }),
    timerTurnsInFlight: new client.Gauge({
      name: 'tasklane_timer_turns_in_flight',
      help: 'Timer turns (reminders, spawns) running at once in this process: measure="now", and "peak", the most since start; bounded by the fire queue',
      labelNames: ['measure'],
      registers: [registry],
      collect() {
        if (!timerTurns) return;
        const { now, peak } = timerTurns();
        this.set({ measure: 'now' }, now);
        this.set({ measure: 'peak' }, peak);
      },
    }),
    actorTurns: new client.Counter({
      name: 'tasklane_actor_turns_total',
      help: 'Actor turns executed in this process (Dapr runtime): via="dapr" when daprd placed the actor here, via="fallback" while the sidecar was away; trigger is "call" or "reminder"',
      labelNames: ['actor', 'trigger', 'via'],
      registers: [registry],
    }),
    watchTimerTurns(read) {
      timerTurns = read;
    },
    showActorState(state) {
      metrics.actorMode.set({ mode: state.mode }, 1);
      if (state.sidecar === undefined) return;
      if (!registry.getSingleMetric('tasklane_dapr_sidecar_up')) {
        registry.registerMetric(sidecarUp);
        registry.registerMetric(fallback);
      }
      sidecarUp.set(state.sidecar === 'up' ? 1 : 0);
      fallback.set({ fallback: 'direct' }, state.fallback === 'direct' ? 1 : 0);
    },
  };
  return metrics;
}

export function registerMetrics(server: Server, metrics: Metrics): void {
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    const status =
      'isBoom' in response && response.isBoom
        ? response.output.statusCode
        : ((response as { statusCode?: number }).statusCode ?? 200);
    const route = request.route.path;
    if (route !== '/metrics')
      metrics.requestDuration.observe(
        { method: request.method, route, status: String(status) },
        (Date.now() - request.info.received) / 1000,
      );
    return h.continue;
  });
  server.route({
    method: 'GET',
    path: '/metrics',
    options: {
      auth: false,
      tags: ['ops'],
      description: 'Prometheus metrics',
      handler: async (_request, h) => h.response(await metrics.registry.metrics()).type(metrics.registry.contentType),
    },
  });
}
