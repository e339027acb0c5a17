// Timers as Dapr actor reminders (held by the Dapr Scheduler, so they survive restarts and move with
// the actor between replicas). An arm that fails (sidecar away) is kept and retried; the sweeper
// fires anything left overdue meanwhile.
import type { TaskTurnResult, TimerPort } from '../ports.ts';
import { timerChanges, type Timer } from '../task/timers.ts';
import { actorIdSegment, pathSegment } from './dapr-channel.ts';

export const TASK_ACTOR = 'TaskActor';

export interface ReminderData {
  userId: string;
  command: Timer['command'];
}

export class DaprReminders implements TimerPort {
  private readonly retry = new Map<string, { op: 'arm' | 'cancel'; timer?: Timer; taskId: string; name: string }>();
  private retryTimer: NodeJS.Timeout | undefined;

  /** Sent on every call: `dapr-api-token` when daprd's API requires one (DAPR_API_TOKEN). */
  private readonly auth: Record<string, string>;

  constructor(
    private readonly daprUrl: string,
    private readonly onError: (error: unknown) => void = () => undefined,
    apiToken?: string,
  ) {
    this.auth = apiToken ? { 'dapr-api-token': apiToken } : {};
  }

  async sync(turn: TaskTurnResult): Promise<void> {
    const change = timerChanges(turn.events, turn.changed, turn.userTimezone);
    await Promise.all([
      ...change.cancel.map((c) => this.cancel(c.taskId, c.name)),
      ...change.arm.map((t) => this.arm(t)),
    ]);
  }

  private url(taskId: string, name: string): string {
    return `${this.daprUrl}/v1.0/actors/${TASK_ACTOR}/${actorIdSegment(taskId)}/reminders/${pathSegment(name)}`;
  }

  async arm(timer: Timer): Promise<void> {
    const key = `${timer.taskId}/${timer.name}`;
    const body = JSON.stringify({
      // An absolute RFC 3339 due time: no duration formats to get wrong; one-shot (no period).
      dueTime: timer.dueAt <= Date.now() ? '0s' : new Date(timer.dueAt).toISOString(),
      data: JSON.stringify({ userId: timer.userId, command: timer.command } satisfies ReminderData),
    });
    try {
      let res = await fetch(this.url(timer.taskId, timer.name), {
        method: 'POST',
        headers: { ...this.auth, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok && /already exists/i.test(await res.clone().text())) {
        // The Scheduler may refuse to overwrite a job (dapr/dapr#9105): remove it and register again.
        await fetch(this.url(timer.taskId, timer.name), {
          method: 'DELETE',
          headers: this.auth,
          signal: AbortSignal.timeout(5000),
        });
        res = await fetch(this.url(timer.taskId, timer.name), {
          method: 'POST',
          headers: { ...this.auth, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        });
      }
      if (!res.ok) throw new Error(`register reminder ${timer.name}: ${res.status} ${await res.text()}`);
      this.retry.delete(key);
    } catch (error) {
      this.later(key, { op: 'arm', timer, taskId: timer.taskId, name: timer.name }, error);
    }
  }

  async cancel(taskId: string, name: string): Promise<void> {
    const key = `${taskId}/${name}`;
    try {
      const res = await fetch(this.url(taskId, name), {
        method: 'DELETE',
        headers: this.auth,
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok && res.status !== 404)
        throw new Error(`unregister reminder ${name}: ${res.status} ${await res.text()}`);
      this.retry.delete(key);
    } catch (error) {
      this.later(key, { op: 'cancel', taskId, name }, error);
    }
  }

  private later(
    key: string,
    entry: { op: 'arm' | 'cancel'; timer?: Timer; taskId: string; name: string },
    error: unknown,
  ): void {
    this.onError(error);
    this.retry.set(key, entry);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      const entries = [...this.retry.values()];
      for (const e of entries) void (e.op === 'arm' && e.timer ? this.arm(e.timer) : this.cancel(e.taskId, e.name));
    }, 2000);
    this.retryTimer.unref?.();
  }

  get pendingRetries(): number {
    return this.retry.size;
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }
}
