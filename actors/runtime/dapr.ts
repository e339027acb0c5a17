// The Dapr runtime: decides that a turn runs in a Dapr virtual actor (TaskActor, UserActor: served on
// the app port that daprd calls, and called through daprd's actor API; both channels in dapr-channel.ts,
// plain kept-alive HTTP without the SDK's proxy client and Express server), so placement picks the
// replica; timers are Dapr actor reminders. What the turn does is the pipeline it is given (`turns`).
// If the sidecar cannot be reached at all, a call runs in this process through the fallback
// DirectRuntime on the same turns (the turn's guarded write still orders it against turns on other
// replicas), so the app keeps serving while daprd restarts.
import type http from 'node:http';
import { DomainError, type DomainErrorCode } from '../errors.ts';
import { SidecarChannel, serveActors, closeServer, type ActorType } from './dapr-channel.ts';
import { sidecarRefused } from './dapr-errors.ts';
import { TASK_ACTOR, type DaprReminders, type ReminderData } from './dapr-timers.ts';
import type { DirectRuntime } from './direct.ts';
import type { ActorRuntime } from './types.ts';
import type {
  Turns,
  TaskCall,
  TaskCallAnswer,
  TimezoneCall,
  UserTurnResult,
  OrganiseCall,
  MembershipCall,
  ListTurnResult,
} from '../ports.ts';

/** What an actor method returns: domain errors travel as values, so they keep their type across daprd. */
type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: DomainErrorCode | 'internal'; message: string; field?: string } };

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof DomainError)
      return {
        ok: false,
        error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
      };
    return { ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } };
  }
}

function unwrap<T>(result: Outcome<T>): T {
  if (result.ok) return result.value;
  if (result.error.code === 'internal') throw new Error(result.error.message);
  throw new DomainError(result.error.code, result.error.message, result.error.field);
}

/** One actor turn this process executed: which actor, what started it, and how it got here. */
export interface ActorTurn {
  actor: 'task' | 'user' | 'list';
  trigger: 'call' | 'reminder';
  /** 'dapr': daprd delivered it to this process's actor; 'fallback': the sidecar was away, so it ran here. */
  via: 'dapr' | 'fallback';
}

interface ActorHooks {
  onTurn?: ((turn: ActorTurn) => void) | undefined;
  onTimerError?: ((error: unknown) => void) | undefined;
}

/** The actor types daprd knows this app by (the names the SDK took from its classes, kept so placement and reminders carry over). */
export const USER_ACTOR = 'UserActor';
/** The actor that serialises a shared list's membership (id = list id). */
export const LIST_ACTOR = 'ListActor';

/**
 * The actor types this process hosts, closed over the turns they run: what daprd's calls on the app
 * channel do. Each DaprRuntime serves its own (no process-wide registry, unlike the SDK's singleton).
 */
export function actorTypes(turns: Turns, hooks: ActorHooks): Record<string, ActorType> {
  return {
    [TASK_ACTOR]: {
      methods: {
        execute: (id, body) => {
          const call = body as TaskCall;
          hooks.onTurn?.({ actor: 'task', trigger: 'call', via: 'dapr' });
          return outcome(async (): Promise<TaskCallAnswer> => {
            const { changed: _armedHere, ...answer } = await turns.task.execute(
              call.userId,
              id,
              call.command,
              call.meta,
            );
            return answer;
          });
        },
      },
      /**
       * A Dapr actor reminder: `spawn` or `remind:<id>`; what to do is in its data. It never throws: a
       * fire that fails (database away) is not lost — the sweeper fires whatever is overdue, exactly once.
       */
      remind: async (id, _name, data) => {
        try {
          hooks.onTurn?.({ actor: 'task', trigger: 'reminder', via: 'dapr' });
          const parsed = (typeof data === 'string' ? JSON.parse(data) : data) as ReminderData;
          await turns.task.execute(parsed.userId, id, parsed.command);
        } catch (error) {
          hooks.onTimerError?.(error);
        }
      },
    },
    [USER_ACTOR]: {
      methods: {
        setTimezone: (id, body) => {
          hooks.onTurn?.({ actor: 'user', trigger: 'call', via: 'dapr' });
          return outcome(() => turns.user.setTimezone(id, body as TimezoneCall));
        },
        organise: (id, body) => {
          hooks.onTurn?.({ actor: 'user', trigger: 'call', via: 'dapr' });
          return outcome(() => turns.user.organise(id, body as OrganiseCall));
        },
      },
    },
    [LIST_ACTOR]: {
      methods: {
        membership: (id, body) => {
          hooks.onTurn?.({ actor: 'list', trigger: 'call', via: 'dapr' });
          return outcome(() => turns.list.membership(id, body as MembershipCall));
        },
      },
    },
  };
}

export interface DaprRuntimeOptions {
  /** What a turn does, wherever it runs (host/tasks/turn.ts, host/users/turn.ts); its timers are `reminders`. */
  turns: Turns;
  /** Arms the turns' timers as Dapr actor reminders; stopped with the runtime. */
  reminders: DaprReminders;
  /** Where turns run while the sidecar cannot be reached (built on the same `turns`). */
  fallback: DirectRuntime;
  daprHost: string;
  daprHttpPort: number;
  /** DAPR_API_TOKEN: sent to daprd as `dapr-api-token` when its API requires one. */
  daprApiToken?: string | undefined;
  /** Where the app channel listens for daprd (the sidecar's --app-port); loopback, as the sidecar is local. */
  appHost: string;
  appPort: number;
  /** APP_API_TOKEN: when set, daprd sends it as `dapr-api-token` and every other caller is refused. */
  appToken?: string | undefined;
  onError?: (error: unknown) => void;
  onFallback?: (reason: string) => void;
  /** Called as each actor turn starts in this process (e.g. a per-replica turn counter). */
  onTurn?: (turn: ActorTurn) => void;
  /**
   * Called once per transition of the sidecar's state (not per turn): 'down' when it refuses connections
   * (a call fell back, or the health probe could not connect), 'up' when it answers again.
   */
  onSidecarChange?: (state: SidecarState, reason: string) => void;
  /** How often the sidecar's health endpoint is probed, so a sidecar gone quiet is noticed without traffic (ms, default 1000). */
  probeMs?: number;
}

/** Whether the sidecar can be reached: 'down' means turns run in-process (the direct fallback). */
export type SidecarState = 'up' | 'down';

/** How long the app channel keeps an idle connection from daprd (ms): longer than daprd's own 90 s idle timeout, so daprd closes first. */
export const APP_CHANNEL_KEEP_ALIVE_MS = 120_000;

/** The actor runtime settings this app gives daprd (`GET /dapr/config`), as the SDK's clientOptions.actor gave them. */
const ACTOR_CONFIG = {
  actorIdleTimeout: '1h',
  actorScanInterval: '30s',
  drainOngoingCallTimeout: '30s',
  drainRebalancedActors: true,
};

export class DaprRuntime implements ActorRuntime {
  readonly mode = 'dapr' as const;
  readonly reminders: DaprReminders;
  /** This process → daprd: actor calls over kept-alive connections. */
  private readonly sidecarChannel: SidecarChannel;
  private readonly types: Record<string, ActorType>;
  private appServer: http.Server | undefined;
  private sidecarState: SidecarState = 'up';
  private probe: NodeJS.Timeout | undefined;

  /** 'up' while the sidecar can be reached; 'down' while turns run in-process instead (see `fallback`). */
  get sidecar(): SidecarState {
    return this.sidecarState;
  }

  /** 'direct' while the sidecar is down and turns run in this process; null while they go through Dapr. */
  get fallback(): 'direct' | null {
    return this.sidecarState === 'down' ? 'direct' : null;
  }

  private setSidecar(state: SidecarState, reason: string): void {
    if (state === this.sidecarState) return;
    this.sidecarState = state;
    this.options.onSidecarChange?.(state, reason);
  }

  /**
   * Probes `/v1.0/healthz/outbound`: a refused or reset connection means down; any HTTP answer means up (the
   * sidecar is there, so calls go to it). A probe that times out says nothing (a loaded machine, not a gone
   * sidecar) and leaves the state as it is.
   */
  private watchSidecar(): void {
    const path = '/v1.0/healthz/outbound';
    const every = this.options.probeMs ?? 1000;
    const tick = async () => {
      try {
        await this.sidecarChannel.status(path, Math.max(every, 2000));
        this.setSidecar('up', 'the sidecar answers its health endpoint');
      } catch (error) {
        const timedOut = (error as { name?: string }).name === 'TimeoutError';
        if (!timedOut)
          this.setSidecar(
            'down',
            `http://${this.options.daprHost}:${this.options.daprHttpPort}${path}: ${String(error)}`,
          );
      }
      if (this.probe) this.probe = setTimeout(() => void tick(), every).unref();
    };
    this.probe = setTimeout(() => void tick(), every).unref();
  }

  get httpPort(): number {
    return this.options.daprHttpPort;
  }

  constructor(private readonly options: DaprRuntimeOptions) {
    this.reminders = options.reminders;
    this.types = actorTypes(options.turns, { onTurn: options.onTurn, onTimerError: options.onError });
    this.sidecarChannel = new SidecarChannel({
      host: options.daprHost,
      port: options.daprHttpPort,
      apiToken: options.daprApiToken,
    });
  }

  private starting: Promise<void> | undefined;

  /** Listens for daprd and waits until the sidecar answers; rejects after `timeoutMs`. Idempotent. */
  start(timeoutMs = 60_000): Promise<void> {
    this.starting ??= this.listen(timeoutMs);
    return this.starting;
  }

  private async listen(timeoutMs: number): Promise<void> {
    this.appServer = await serveActors({
      host: this.options.appHost,
      port: this.options.appPort,
      token: this.options.appToken,
      types: this.types,
      config: ACTOR_CONFIG,
      keepAliveMs: APP_CHANNEL_KEEP_ALIVE_MS,
      onError: this.options.onError,
    });
    // Wait for the sidecar as the SDK did: its metadata endpoint answers 2xx once daprd is up.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.sidecarChannel.status('/v1.0/metadata', 2000).catch(() => 0);
      if (status >= 200 && status < 300) break;
      if (Date.now() > deadline)
        throw new Error(
          `no Dapr sidecar answered on ${this.options.daprHost}:${this.options.daprHttpPort} within ${timeoutMs / 1000} s`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    this.watchSidecar();
  }

  async stop(): Promise<void> {
    if (this.probe) clearTimeout(this.probe);
    this.probe = undefined;
    this.reminders.stop();
    await this.options.fallback.stop();
    if (this.appServer) await closeServer(this.appServer);
    this.sidecarChannel.close();
  }

  private async viaDapr<T>(
    type: string,
    id: string,
    method: string,
    body: unknown,
    local: () => Promise<T>,
  ): Promise<T> {
    const json = JSON.stringify(body);
    const delays = [100, 250, 500];
    for (let attempt = 0; ; attempt++) {
      try {
        const result = JSON.parse(await this.sidecarChannel.invoke(type, id, method, json)) as Outcome<T>;
        this.setSidecar('up', 'an actor call went through the sidecar');
        return unwrap(result);
      } catch (error) {
        if (error instanceof DomainError || !sidecarRefused(error)) throw error;
        const delay = delays[attempt];
        if (delay === undefined) {
          // The sidecar is away: run the turn here rather than fail the request.
          this.setSidecar('down', error instanceof Error ? error.message : String(error));
          this.options.onFallback?.(error instanceof Error ? error.message : String(error));
          return local();
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  executeTask(taskId: string, call: TaskCall): Promise<TaskCallAnswer> {
    return this.viaDapr(TASK_ACTOR, taskId, 'execute', call, () => {
      this.options.onTurn?.({ actor: 'task', trigger: 'call', via: 'fallback' });
      return this.options.fallback.executeTask(taskId, call);
    });
  }

  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
    return this.viaDapr(USER_ACTOR, userId, 'setTimezone', call, () => {
      this.options.onTurn?.({ actor: 'user', trigger: 'call', via: 'fallback' });
      return this.options.fallback.setTimezone(userId, call);
    });
  }

  async organise(userId: string, call: OrganiseCall): Promise<UserTurnResult> {
    let fellBack = false;
    const result = await this.viaDapr(USER_ACTOR, userId, 'organise', call, () => {
      this.options.onTurn?.({ actor: 'user', trigger: 'call', via: 'fallback' });
      fellBack = true;
      return this.options.fallback.organise(userId, call);
    });
    // A delete's fan-out runs here, after the UserActor's turn ended (its task turns go through daprd);
    // the fallback ran it already.
    if (!fellBack) await this.options.turns.user.afterOrganise(userId, call, result);
    return result;
  }

  membership(listId: string, call: MembershipCall): Promise<ListTurnResult> {
    return this.viaDapr(LIST_ACTOR, listId, 'membership', call, () => {
      this.options.onTurn?.({ actor: 'list', trigger: 'call', via: 'fallback' });
      return this.options.fallback.membership(listId, call);
    });
  }
}
