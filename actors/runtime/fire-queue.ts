// The one dispatcher through which every timer of this process fires (the direct runtime's in-process
// timers, and the sweeper's batch of overdue timers in either runtime). Timers that fall due together —
// hundreds of reminders set for the same second — would otherwise all start their turns at once; on the
// embedded shape (PGlite runs on the main thread, its queries resolve as microtasks) that holds the event
// loop until the last one has committed, so /health, other requests and sockets wait for all of them.
//
// So: at most `limit` timer turns are in flight, the rest wait in due order (oldest first), and each
// dispatch waits for the event loop (setImmediate) so requests interleave with a storm of fires. A timer
// already waiting or in flight is not queued twice (same task, timer name and due time); a fire is never
// dropped while the process runs — the turn itself stays the authority on whether it is still due, and
// stays idempotent. Lateness is what the turn reports: it is measured when the turn runs.
import type { Timer } from '../task/timers.ts';

/** Timer turns in flight at most, by default (issue 12, "Bounded work"). */
export const TIMER_TURNS_IN_FLIGHT = 4;

export interface FireQueueOptions {
  /** Runs a timer's turn. */
  fire: (timer: Timer) => Promise<void>;
  /** Timer turns in flight at most (≥ 1); TIMER_TURNS_IN_FLIGHT by default. */
  limit?: number;
}

interface Entry {
  key: string;
  timer: Timer;
  /** Arrival order, to keep timers due at the same time first come, first served. */
  seq: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class FireQueue {
  readonly limit: number;
  /** Waiting entries, ordered by due time, then arrival. */
  private readonly waiting: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private readonly running = new Set<Promise<void>>();
  private seq = 0;
  private scheduled = false;
  private stopped = false;
  private inFlightNow = 0;
  private inFlightPeak = 0;
  private dispatched = 0;

  constructor(private readonly options: FireQueueOptions) {
    const limit = options.limit ?? TIMER_TURNS_IN_FLIGHT;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`FireQueue limit must be an integer ≥ 1, got ${limit}`);
    this.limit = limit;
  }

  /** Timer turns running now (never more than `limit`). */
  get inFlight(): number {
    return this.inFlightNow;
  }

  /** The most timer turns that were ever in flight at once since start. */
  get peak(): number {
    return this.inFlightPeak;
  }

  /** Timers waiting for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Timer turns started since start. */
  get started(): number {
    return this.dispatched;
  }

  /**
   * Queues a timer to fire. Resolves when its turn has run, rejects with the turn's error (the sweeper
   * retries anything still due). A timer already waiting or in flight (same task, name and due time)
   * shares that fire. Once stopped, rejects: the timer stays due in the database for the next start.
   */
  fire(timer: Timer): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('timers are stopping'));
    const key = `${timer.taskId}/${timer.name}@${timer.dueAt}`;
    const existing = this.byKey.get(key);
    if (existing) return existing.promise;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = { key, timer, seq: this.seq++, promise, resolve, reject };
    this.byKey.set(key, entry);
    this.waiting.splice(this.insertionIndex(entry), 0, entry);
    this.schedule();
    return promise;
  }

  /** Stops dispatching; waiting timers are rejected (they stay due in the database); resolves once the turns in flight have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.waiting.splice(0)) {
      this.byKey.delete(entry.key);
      entry.reject(new Error('timers are stopping'));
    }
    await Promise.allSettled([...this.running]);
  }

  /** Where `entry` goes in `waiting`: after every entry due before it or at its time (binary search). */
  private insertionIndex(entry: Entry): number {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.waiting[mid] as Entry;
      if (other.timer.dueAt < entry.timer.dueAt || (other.timer.dueAt === entry.timer.dueAt && other.seq < entry.seq))
        lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The next dispatch waits for the event loop, so I/O (requests, /health, sockets) runs between fires. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    if (this.waiting.length === 0 || this.inFlightNow >= this.limit) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatchOne();
      this.schedule();
    });
  }

  private dispatchOne(): void {
    if (this.stopped || this.inFlightNow >= this.limit) return;
    const entry = this.waiting.shift();
    if (!entry) return;
    this.inFlightNow++;
    this.dispatched++;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlightNow);
    // The slot and the key are freed before the caller hears the outcome, so a fire asked for after it
    // (a re-arm) is a fire of its own.
    const settle = (outcome: () => void) => {
      this.inFlightNow--;
      this.byKey.delete(entry.key);
      this.running.delete(run);
      outcome();
      this.schedule();
    };
    const run: Promise<void> = Promise.resolve()
      .then(() => this.options.fire(entry.timer))
      .then(
        () => settle(entry.resolve),
        (error: unknown) => settle(() => entry.reject(error)),
      );
    this.running.add(run);
  }
}
