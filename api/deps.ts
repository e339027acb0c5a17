// What the HTTP layer needs, handed in by the composition root (host/main.ts).
import type { Logger } from 'pino';
import type { ActorRuntime } from '../actors/runtime/types.ts';
import type { TaskState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { UserState } from '../actors/user/decider.ts';
import type { Reads } from '../host/reads.ts';
import type { Metrics } from './metrics.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface Readiness {
  ready: boolean;
  mode: ActorRuntime['mode'];
  database: 'up' | 'down';
  kafka: 'connected' | 'disconnected' | 'disabled';
  outbox_backlog: number;
  outbox_oldest: string | null;
  instance: string;
  [key: string]: unknown;
}

export interface ApiDeps {
  logger: Logger;
  runtime: ActorRuntime;
  reads: Reads;
  tasks: { get(userId: string, taskId: string): Promise<TaskState | null>; history(userId: string, taskId: string): Promise<EventEnvelope[] | null> };
  users: { get(userId: string): Promise<UserState> };
  readiness: () => Promise<Readiness>;
  metrics: Metrics;
  rateLimiter: RateLimiter | undefined;
  /** maxLifetimeSec, clockSkewSec: JWT_MAX_LIFETIME_SEC, JWT_CLOCK_SKEW_SEC (api/auth.ts defaults when absent). */
  auth: { secret: string | undefined; jwksUrl: string | undefined; devSignIn: boolean; maxLifetimeSec?: number; clockSkewSec?: number };
  /** Realtime: wires nes and the dashboard onto the same server. */
  realtime?: (server: import('@hapi/hapi').Server) => Promise<void>;
}
