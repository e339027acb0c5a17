// The Dapr runtime: TaskActor and UserActor as Dapr virtual actors (DaprServer on the app port that
// daprd calls), API calls through ActorProxyBuilder, timers as Dapr actor reminders. If the sidecar
// cannot be reached at all, a call runs in-process instead (PostgreSQL's row lock still serialises it
// against turns on other replicas), so the app keeps serving while daprd restarts.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { DaprServer, DaprClient, AbstractActor, ActorProxyBuilder, ActorId, CommunicationProtocolEnum, LogLevel } from '@dapr/dapr';
import { DomainError, type DomainErrorCode } from '../errors.ts';
import { taskActor, userActor } from '../shells.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { DaprReminders, type ReminderData } from './dapr-timers.ts';
import type { ActorRuntime } from './types.ts';
import type { TaskPort, UserPort, TaskCall, TaskTurnResult, TimezoneCall, UserTurnResult } from '../ports.ts';

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

interface Shells {
  task: ReturnType<typeof taskActor>;
  user: ReturnType<typeof userActor>;
  onTimerError?: (error: unknown) => void;
  onTurn?: (turn: ActorTurn) => void;
}

/** One actor turn this process executed: which actor, what started it, and how it got here. */
export interface ActorTurn {
  actor: 'task' | 'user';
  trigger: 'call' | 'reminder';
  /** 'dapr': daprd delivered it to this process's actor; 'fallback': the sidecar was away, so it ran here. */
  via: 'dapr' | 'fallback';
}

// The SDK constructs actor instances itself; they find their collaborators here.
let shells: Shells | undefined;
const need = (): Shells => {
  if (!shells) throw new Error('Dapr actors are not wired to the task service');
  return shells;
};

export class TaskActor extends AbstractActor {
  async execute(call: TaskCall): Promise<Outcome<TaskTurnResult>> {
    const shells = need();
    shells.onTurn?.({ actor: 'task', trigger: 'call', via: 'dapr' });
    return outcome(() => shells.task.execute(this.getActorId().getId(), call));
  }

  /**
   * A Dapr actor reminder: `spawn` or `remind:<id>`; what to do is in its data. It never throws: the
   * SDK leaves a rejection here unhandled (which ends the process), and a fire that fails (database
   * away) is not lost — the sweeper fires whatever is overdue, exactly once.
   */
  override async receiveReminder(data: unknown): Promise<void> {
    try {
      need().onTurn?.({ actor: 'task', trigger: 'reminder', via: 'dapr' });
      const parsed = (typeof data === 'string' ? JSON.parse(data) : data) as ReminderData;
      await need().task.execute(this.getActorId().getId(), { userId: parsed.userId, command: parsed.command });
    } catch (error) {
      need().onTimerError?.(error);
    }
  }
}

export class UserActor extends AbstractActor {
  async setTimezone(call: TimezoneCall): Promise<Outcome<UserTurnResult>> {
    const shells = need();
    shells.onTurn?.({ actor: 'user', trigger: 'call', via: 'dapr' });
    return outcome(() => shells.user.setTimezone(this.getActorId().getId(), call));
  }
}

export interface DaprRuntimeOptions {
  tasks: TaskPort;
  users: UserPort;
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
  private readonly local = new KeyedQueue();
  private readonly shells: Shells;
  // One builder per actor type: its HTTP client is initialised once, so a missing sidecar fails fast
  // (ECONNREFUSED) instead of each new client waiting up to a minute for it.
  private readonly taskProxies: ActorProxyBuilder<TaskActor>;
  private readonly userProxies: ActorProxyBuilder<UserActor>;
  fallbacks = 0;
  private sidecarState: SidecarState = 'up';
  private probe: NodeJS.Timeout | undefined;
  /**
   * Called once per transition of the sidecar's state (not per turn): 'down' when it refuses connections
   * (a call fell back, or the health probe could not connect), 'up' when it answers again.
   */
  onSidecarChange: ((state: SidecarState, reason: string) => void) | undefined;

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
    this.onSidecarChange?.(state, reason);
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
    const daprUrl = `http://${options.daprHost}:${options.daprHttpPort}`;
    this.reminders = new DaprReminders(daprUrl, options.onError);
    this.shells = {
      task: taskActor({ tasks: options.tasks, timers: this.reminders }),
      user: userActor({ users: options.users, executeTask: (id, call) => this.executeTask(id, call) }),
      ...(options.onError ? { onTimerError: options.onError } : {}),
      ...(options.onTurn ? { onTurn: options.onTurn } : {}),
    };
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
    this.taskProxies = new ActorProxyBuilder<TaskActor>(TaskActor, this.client);
    this.userProxies = new ActorProxyBuilder<UserActor>(UserActor, this.client);
  }

  private starting: Promise<void> | undefined;

  /** Listens for daprd and waits until the sidecar answers; rejects after `timeoutMs`. Idempotent. */
  start(timeoutMs = 60_000): Promise<void> {
    this.starting ??= this.listen(timeoutMs);
    return this.starting;
  }

  private async listen(timeoutMs: number): Promise<void> {
    shells = this.shells;
    await this.server.actor.init();
    this.server.actor.registerActor(TaskActor);
    this.server.actor.registerActor(UserActor);
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
    await this.local.drain();
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
    return this.viaDapr(() => proxy.execute(call), () => this.local.run(`TaskActor/${taskId}`, () => {
      this.shells.onTurn?.({ actor: 'task', trigger: 'call', via: 'fallback' });
      return this.shells.task.execute(taskId, call);
    }));
  }

  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
    const proxy = this.userProxies.build(new ActorId(userId));
    return this.viaDapr(() => proxy.setTimezone(call), () => this.local.run(`UserActor/${userId}`, () => {
      this.shells.onTurn?.({ actor: 'user', trigger: 'call', via: 'fallback' });
      return this.shells.user.setTimezone(userId, call);
    }));
  }
}
