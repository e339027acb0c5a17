// The sweeper: every interval it asks the database for timers that are due (or nearly), so nothing
// due is ever dropped — after downtime, when an arm failed, or when another process armed it. In the
// direct runtime it feeds the in-process timers; in the Dapr runtime it is a safety net that fires only
// what Dapr has left overdue for more than a grace period, through the process's one FireQueue
// (fire-queue.ts): a batch of up to `batch` overdue timers runs a few turns at a time, in due order.
import type { Timer } from '../task/timers.ts';
import type { FireQueue } from './fire-queue.ts';

export interface DueTimersPort {
  /** Timers due at or before `until` (epoch ms), oldest first, at most `limit`. */
  due(until: number, limit: number): Promise<Timer[]>;
}

export interface SweeperOptions {
  source: DueTimersPort;
  /** Direct runtime: hand every timer due within the lookahead to the in-process timers. */
  schedule?: (timer: Timer) => void;
  /** Dapr runtime: the process's one bounded dispatcher, which fires what Dapr has left overdue. */
  queue?: FireQueue;
  intervalMs?: number;
  lookaheadMs?: number;
  /** Fire only timers overdue by more than this (Dapr's own reminders should have fired them). */
  graceMs?: number;
  batch?: number;
  onError?: (error: unknown) => void;
  /** Called as each sweep starts (the host counts them in `tasklane_sweeps_total`). */
  onSweep?: () => void;
  now?: () => number;
}

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SweeperOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    const interval = this.options.intervalMs ?? 1000;
    const tick = () => {
      this.running = this.sweep()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(tick, interval);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async sweep(): Promise<void> {
    this.options.onSweep?.();
    const now = this.now();
    const grace = this.options.graceMs ?? 0;
    const until = this.options.schedule ? now + (this.options.lookaheadMs ?? 30_000) : now - grace;
    const batch = this.options.batch ?? 1000;
    const timers = await this.options.source.due(until, batch);
    if (this.options.schedule) {
      for (const t of timers) this.options.schedule(t);
      return;
    }
    const queue = this.options.queue;
    if (!queue) return;
    // The whole batch is queued at once in due order; the queue bounds how many turns run together.
    await Promise.all(timers.map((t) => queue.fire(t).catch((error: unknown) => this.options.onError?.(error))));
  }
}
