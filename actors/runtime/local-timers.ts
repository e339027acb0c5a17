// In-process timers for the direct runtime: each timer due within the horizon gets a setTimeout, so it
// fires on time rather than on the next sweep. Timers further out are picked up by the sweeper as they
// come within the horizon. Firing twice is harmless (the turn is idempotent), so this only has to be fast.
// A timer that comes due is handed to the process's one FireQueue (fire-queue.ts), which runs a few turns
// at a time in due order, so hundreds due at one instant never hold the event loop together.
import type { TaskTurnResult, TimerPort } from '../ports.ts';
import { timerChanges, type Timer } from '../task/timers.ts';
import type { FireQueue } from './fire-queue.ts';

export interface LocalTimersOptions {
  /** The process's one bounded dispatcher of timer turns (shared with the sweeper). */
  queue: FireQueue;
  /** Only timers due within this many ms are held in memory. */
  horizonMs?: number;
  now?: () => number;
}

export class LocalTimers implements TimerPort {
  private readonly pending = new Map<string, { dueAt: number; handle: NodeJS.Timeout }>();
  private readonly horizonMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: LocalTimersOptions) {
    this.horizonMs = options.horizonMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.pending.size;
  }

  async sync(turn: TaskTurnResult): Promise<void> {
    const change = timerChanges(turn.events, turn.changed, turn.userTimezone);
    for (const c of change.cancel) this.cancel(c.taskId, c.name);
    for (const timer of change.arm) this.schedule(timer);
  }

  /** Holds a timer if it is due within the horizon (an overdue one fires at once). */
  schedule(timer: Timer): void {
    if (this.stopped) return;
    const key = `${timer.taskId}/${timer.name}`;
    const existing = this.pending.get(key);
    if (existing?.dueAt === timer.dueAt) return;
    if (existing) clearTimeout(existing.handle);
    const delay = timer.dueAt - this.now();
    if (delay > this.horizonMs) {
      this.pending.delete(key);
      return;
    }
    const handle = setTimeout(
      () => {
        if (this.pending.get(key)?.handle === handle) this.pending.delete(key);
        this.options.queue.fire(timer).catch(() => undefined); // the sweeper retries anything still due
      },
      Math.max(0, delay),
    );
    handle.unref?.();
    this.pending.set(key, { dueAt: timer.dueAt, handle });
  }

  cancel(taskId: string, name: string): void {
    const key = `${taskId}/${name}`;
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing.handle);
    this.pending.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const { handle } of this.pending.values()) clearTimeout(handle);
    this.pending.clear();
  }
}
