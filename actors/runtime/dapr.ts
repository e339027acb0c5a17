// The Dapr runtime: decides that a turn runs in a Dapr virtual actor (TaskActor, UserActor: DaprServer
// on the app port that daprd calls; API calls through ActorProxyBuilder), so placement picks the
// replica; timers are Dapr actor reminders. What the turn does is the pipeline it is given (`turns`).
// If the sidecar cannot be reached at all, a call runs in this process through the fallback
// DirectRuntime on the same turns (the turn's guarded write still orders it against turns on other
// replicas), so the app keeps serving while daprd restarts.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { DaprServer, DaprClient, AbstractActor, ActorProxyBuilder, ActorId, CommunicationProtocolEnum, LogLevel } from '@dapr/dapr';
import { DomainError, type DomainErrorCode } from '../errors.ts';
import type { DaprReminders, ReminderData } from './dapr-timers.ts';
import type { DirectRuntime } from './direct.ts';
import type { ActorRuntime } from './types.ts';
import type { Turns, TaskCall, TaskTurnResult, TimezoneCall, UserTurnResult } from '../ports.ts';

/** What an actor method returns: domain errors travel as values, so they keep their type across daprd. */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: DomainErrorCode | 'internal'; message: string; field?: string } };

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
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
  actor: 'task' | 'user';
  trigger: 'call' | 'reminder';
  /** 'dapr': daprd delivered it to this process's actor; 'fallback': the sidecar was away, so it ran here. */
  via: 'dapr' | 'fallback';
}

interface ActorHooks {
  onTurn?: ((turn: ActorTurn) => void) | undefined;
  onTimerError?: ((error: unknown) => void) | undefined;
}

/**
 * The actor classes, closed over the turns they run. The SDK constructs actor instances itself and
 * knows a class by its name (`constructor.name`: the actor type daprd calls), so the classes are
 * declared here under the names `TaskActor` and `UserActor`. Note that the SDK keeps ONE actor registry
 * per process (its ActorRuntime is a singleton, and the first class registered under a name stays):
 * a process hosts one DaprRuntime's actors; a second DaprRuntime in the same process has its actor
 * calls run by the first one's turns (same database, so the same outcome, but not its own replica).
 */
export function actorClasses(turns: Turns, hooks: ActorHooks) {
  class TaskActor extends AbstractActor {
    async execute(call: TaskCall): Promise<Outcome<TaskTurnResult>> {
      hooks.onTurn?.({ actor: 'task', trigger: 'call', via: 'dapr' });
      return outcome(() => turns.task.execute(call.userId, this.getActorId().getId(), call.command, call.meta));
    }

    /**
     * A Dapr actor reminder: `spawn` or `remind:<id>`; what to do is in its data. It never throws: the
     * SDK leaves a rejection here unhandled (which ends the process), and a fire that fails (database
     * away) is not lost — the sweeper fires whatever is overdue, exactly once.
     */
    override async receiveReminder(data: unknown): Promise<void> {
      try {
        hooks.onTurn?.({ actor: 'task', trigger: 'reminder', via: 'dapr' });
        const parsed = (typeof data === 'string' ? JSON.parse(data) : data) as ReminderData;
        await turns.task.execute(parsed.userId, this.getActorId().getId(), parsed.command);
      } catch (error) {
        hooks.onTimerError?.(error);
      }
    }
  }

  class UserActor extends AbstractActor {
    async setTimezone(call: TimezoneCall): Promise<Outcome<UserTurnResult>> {
      hooks.onTurn?.({ actor: 'user', trigger: 'call', via: 'dapr' });
      return outcome(() => turns.user.setTimezone(this.getActorId().getId(), call));
    }
  }

  return { TaskActor, UserActor };
}

type ActorClasses = ReturnType<typeof actorClasses>;
export type TaskActor = InstanceType<ActorClasses['TaskActor']>;
export type UserActor = InstanceType<ActorClasses['UserActor']>;

export interface DaprRuntimeOptions {
  /** What a turn does, wherever it runs (host/tasks/turn.ts, host/users/turn.ts); its timers are `reminders`. */
  turns: Turns;
  /** Arms the turns' timers as Dapr actor reminders; stopped with the runtime. */
  reminders: DaprReminders;
  /** Where turns run while the sidecar cannot be reached (built on the same `turns`). */
  fallback: DirectRuntime;
  daprHost: string;
  daprHttpPort: number;
  /** Where DaprServer listens for daprd (the sidecar's --app-port); loopback, as the sidecar is local. */
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

/**
 * The SDK's HTTP client waits (up to a minute) for the sidecar on its first request. A builder's client
 * started while the sidecar answers never waits again: calls fail fast when the sidecar is gone.
 * The SDK does not expose this client in its types, hence the structural access.
 */
async function warm(builder: ActorProxyBuilder<unknown>): Promise<void> {
  const http = (builder as unknown as { actorClient?: { actor?: { client?: { start?: () => Promise<void> } } } }).actorClient?.actor?.client;
  await http?.start?.();
}

/** How long the app channel keeps an idle connection from daprd (ms): longer than daprd's own 90 s idle timeout, so daprd closes first. */
export const APP_CHANNEL_KEEP_ALIVE_MS = 120_000;

/**
 * The express app DaprServer serves its actor routes on. The actor routes take commands for any user
 * without a JWT (daprd is trusted), so they answer only on `host` (loopback: the sidecar shares the
 * app's host, pod or network namespace) and, with an app token, only to callers presenting it.
 */
function appChannel(host: string, token: string | undefined): express.Express {
  const app = express();
  if (token) {
    const expected = Buffer.from(token);
    app.use((req, res, next) => {
      const got = Buffer.from(req.header('dapr-api-token') ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        res.status(401).json({ error: 'dapr-api-token missing or wrong: only the Dapr sidecar may call the actor routes' });
        return;
      }
      next();
    });
  }
  // The SDK calls app.listen(port), which binds every interface; bind the given host instead.
  // (express' listen is overloaded; this keeps its (port, callback?) form, the one the SDK uses.)
  app.listen = ((port: number, callback?: () => void) => {
    const server = http.createServer(app);
    // daprd (Go's default transport) keeps an idle connection for 90 s and does not resend a PUT whose
    // reused connection was closed under it. Node's 5 s default closed idle connections first, so an
    // actor call after a quiet spell could meet a reset (500 from daprd, 503 to the user): hold them longer.
    server.keepAliveTimeout = APP_CHANNEL_KEEP_ALIVE_MS;
    server.headersTimeout = APP_CHANNEL_KEEP_ALIVE_MS + 1000;
    return server.listen(port, host, callback);
  }) as unknown as typeof app.listen;
  return app;
}

function unreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: string }).code;
    const message = (e as { message?: string }).message ?? '';
    if (code === 'ECONNREFUSED' || /ECONNREFUSED|DAPR_SIDECAR_COULD_NOT_BE_STARTED/.test(message)) return true;
  }
  return false;
}

export class DaprRuntime implements ActorRuntime {
  readonly mode = 'dapr' as const;
  readonly reminders: DaprReminders;
  private readonly server: DaprServer;
  private readonly client: DaprClient;
  // One builder per actor type: its HTTP client is initialised once, so a missing sidecar fails fast
  // (ECONNREFUSED) instead of each new client waiting up to a minute for it.
  private readonly taskProxies: ActorProxyBuilder<TaskActor>;
  private readonly userProxies: ActorProxyBuilder<UserActor>;
  private readonly actors: ActorClasses;
  fallbacks = 0;
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
    const url = `http://${this.options.daprHost}:${this.options.daprHttpPort}/v1.0/healthz/outbound`;
    const every = this.options.probeMs ?? 1000;
    const tick = async () => {
      try {
        await fetch(url, { signal: AbortSignal.timeout(Math.max(every, 2000)) });
        this.setSidecar('up', 'the sidecar answers its health endpoint');
      } catch (error) {
        const timedOut = (error as { name?: string }).name === 'TimeoutError';
        if (!timedOut) this.setSidecar('down', `${url}: ${String((error as { cause?: unknown }).cause ?? error)}`);
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
    this.actors = actorClasses(options.turns, { onTurn: options.onTurn, onTimerError: options.onError });
    const clientOptions = {
      daprHost: options.daprHost, daprPort: String(options.daprHttpPort), communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Warn },
      actor: { actorIdleTimeout: '1h', actorScanInterval: '30s', drainOngoingCallTimeout: '30s', drainRebalancedActors: true },
    };
    this.server = new DaprServer({
      serverHost: options.appHost, serverPort: String(options.appPort), communicationProtocol: CommunicationProtocolEnum.HTTP, clientOptions,
      logger: { level: LogLevel.Warn }, serverHttp: appChannel(options.appHost, options.appToken),
    });
    this.client = new DaprClient(clientOptions);
    this.taskProxies = new ActorProxyBuilder<TaskActor>(this.actors.TaskActor, this.client);
    this.userProxies = new ActorProxyBuilder<UserActor>(this.actors.UserActor, this.client);
  }

  private starting: Promise<void> | undefined;

  /** Listens for daprd and waits until the sidecar answers; rejects after `timeoutMs`. Idempotent. */
  start(timeoutMs = 60_000): Promise<void> {
    this.starting ??= this.listen(timeoutMs);
    return this.starting;
  }

  private async listen(timeoutMs: number): Promise<void> {
    await this.server.actor.init();
    this.server.actor.registerActor(this.actors.TaskActor);
    this.server.actor.registerActor(this.actors.UserActor);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.server.start(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no Dapr sidecar answered on ${this.options.daprHost}:${this.options.daprHttpPort} within ${timeoutMs / 1000} s`)), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
    // The sidecar answers now: initialise the proxies' HTTP clients while it does.
    await Promise.all([warm(this.taskProxies), warm(this.userProxies)]);
    this.watchSidecar();
  }

  async stop(): Promise<void> {
    if (this.probe) clearTimeout(this.probe);
    this.probe = undefined;
    this.reminders.stop();
    await this.options.fallback.stop();
    await this.server.stop().catch(() => undefined);
  }

  private async viaDapr<T>(call: () => Promise<Outcome<T>>, local: () => Promise<T>): Promise<T> {
    const delays = [100, 250, 500];
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await call();
        this.setSidecar('up', 'an actor call went through the sidecar');
        return unwrap(result);
      } catch (error) {
        if (error instanceof DomainError || !unreachable(error)) throw error;
        const delay = delays[attempt];
        if (delay === undefined) {
          // The sidecar is away: run the turn here rather than fail the request.
          this.fallbacks++;
          this.setSidecar('down', error instanceof Error ? error.message : String(error));
          this.options.onFallback?.(error instanceof Error ? error.message : String(error));
          return local();
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  executeTask(taskId: string, call: TaskCall): Promise<TaskTurnResult> {
    const proxy = this.taskProxies.build(new ActorId(taskId));
    return this.viaDapr(() => proxy.execute(call), () => {
      this.options.onTurn?.({ actor: 'task', trigger: 'call', via: 'fallback' });
      return this.options.fallback.executeTask(taskId, call);
    });
  }

  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
    const proxy = this.userProxies.build(new ActorId(userId));
    return this.viaDapr(() => proxy.setTimezone(call), () => {
      this.options.onTurn?.({ actor: 'user', trigger: 'call', via: 'fallback' });
      return this.options.fallback.setTimezone(userId, call);
    });
  }
}
