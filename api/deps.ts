// What the HTTP layer needs, handed in by the composition root (host/app.ts). api/ never imports host/:
// what it needs from there is an interface here or in api/ports.ts.
import type { Logger } from 'pino';
import type { ActorRuntime } from '../actors/runtime/types.ts';
import type { TaskState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { UserState } from '../actors/user/decider.ts';
import type { ListState } from '../actors/list/index.ts';

/** An open invitation as its invitee sees it: the list's name and colour only (GET /invitations). */
export interface Invitation {
  list_id: string;
  name: string;
  color: string | null;
  invited_by: string;
  invited_at: string;
}
import type { Metrics } from './metrics.ts';
import type { ReadsPort } from './ports.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { FeedsPort } from './feed/port.ts';

/** GET /ready: 200 when `ready`, else 503. Degraded states that still serve (Kafka away, sidecar down) keep `ready` true and say why. */
export interface Readiness {
  ready: boolean;
  /** The actor runtime chosen at start-up. */
  mode: ActorRuntime['mode'];
  /** Dapr runtime: whether the sidecar can be reached; null in the direct runtime. */
  sidecar: 'up' | 'down' | null;
  /** 'direct' while the Dapr sidecar is down and turns run in this process; null otherwise. */
  fallback: 'direct' | null;
  database: 'up' | 'down';
  kafka: 'connected' | 'disconnected' | 'disabled';
  /** Why Kafka is disconnected, when known: e.g. `topic "x" does not exist and could not be created: <reason>`; null otherwise. */
  kafka_error: string | null;
  outbox_backlog: number;
  outbox_oldest: string | null;
  instance: string;
  [key: string]: unknown;
}

/** An event of a task's history: the envelope in the reader's stream, and who issued it (events.actor_id). */
export type HistoryEvent = EventEnvelope & { actor_id: string | null };

export interface ApiDeps {
  logger: Logger;
  runtime: ActorRuntime;
  reads: ReadsPort;
  tasks: {
    get(userId: string, taskId: string): Promise<TaskState | null>;
    /** The task's events as `userId` received them (their stream's user_id and seq), with who issued each; null without access. */
    history(userId: string, taskId: string, page?: { after?: number; limit?: number }): Promise<HistoryEvent[] | null>;
  };
  users: { get(userId: string): Promise<UserState> };
  /** Shared lists (api/routes/sharing.ts): a list with its members, deleted or not (null: none), and a user's open invitations. */
  sharing: {
    list(listId: string): Promise<ListState | null>;
    invitations(userId: string): Promise<Invitation[]>;
  };
  /** Calendar feeds: hashes of their secrets (api/feed/routes.ts). */
  feeds: FeedsPort;
  readiness: () => Promise<Readiness>;
  /**
   * The app's time: what "now" is for the views' days, the Upcoming window, quick add's relative dates
   * and the series preview. The same clock the turns decide with (host/app.ts `clock`), so a test that
   * moves it moves them all; token lifetimes stay on the wall clock (api/auth.ts).
   */
  clock: () => Date;
  metrics: Metrics;
  rateLimiter: RateLimiter | undefined;
  /** TRUST_PROXY_HOPS: proxies in front of the app that append to X-Forwarded-For (api/client-address.ts); 0 when absent. */
  trustProxyHops?: number;
  /** maxLifetimeSec, clockSkewSec: JWT_MAX_LIFETIME_SEC, JWT_CLOCK_SKEW_SEC (api/auth.ts defaults when absent). */
  auth: {
    secret: string | undefined;
    jwksUrl: string | undefined;
    jwksRefreshSec?: number;
    devSignIn: boolean;
    maxLifetimeSec?: number;
    clockSkewSec?: number;
  };
  /** Realtime: wires nes and the dashboard onto the same server. */
  realtime?: (server: import('@hapi/hapi').Server) => Promise<void>;
}
