// A user turn's fan-out reaches each task as that task's own turn once the user's write committed: a list or
// label delete's tasks (host/users/turn.ts afterOrganise), a zone change's series and all-day tasks
// (setTimezone). A crash half-way left the rest behind: tasks in a deleted list or carrying a deleted label,
// series still at their old zone's instants. Both leftovers are visible in the tables, so nothing else needs
// keeping to finish them: at start-up this finishes the deletes of all time and the zone changes of the last
// `windowMs`; then every `intervalMs` the deletes of the last `windowMs` and the zone changes that came past
// the grace since about two looks ago (a zone change costs a read of each of its user's zone-bound tasks, so
// each is looked at once or twice, not every minute for a day). A fan-out younger than `graceMs` is left alone
// (it is under way; running beside it would do no harm, each task turn being a no-op for a task that has
// moved on, only twice the work). One that fails is left out of the next looks for a while, doubling from
// one interval up to an hour, so a fan-out that keeps failing neither hides the others behind the look's
// limit nor writes a warning every minute.
import type { FailedFanOut, FinishOptions, FinishedDelete } from './turn.ts';

/** What one look finished, and what failed (each left out of the next looks for a while). */
export interface FinishedFanOuts {
  deletes: FinishedDelete[];
  zoneChanges: [string, number][];
  failed: FailedFanOut[];
}

export interface FanOutFinisherOptions {
  /** UserTurns.finishDeletes. */
  deletes: (options: FinishOptions) => Promise<{ finished: FinishedDelete[]; failed: FailedFanOut[] }>;
  /** UserTurns.finishZoneChanges. */
  zoneChanges: (
    options: FinishOptions & { from: Date },
  ) => Promise<{ finished: [string, number][]; failed: FailedFanOut[] }>;
  /** Between two looks, ms (default 60 s). */
  intervalMs?: number;
  /** How old a fan-out must be to be finished here, ms (default 30 s). */
  graceMs?: number;
  /** How far back a look goes, ms (default one day; deletes at start-up go back to the start; see above for zone changes). */
  windowMs?: number;
  /** Deletes and zone changes finished per look, oldest first (default 100 each; the next look takes the rest). */
  limit?: number;
  /** The longest a failed fan-out is left out, ms (default one hour). */
  maxBackoffMs?: number;
  /** What a look finished or failed, when anything. */
  onFinished?: (finished: FinishedFanOuts) => void;
  /** A look that could not run (the database away); the next one tries again. */
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class FanOutFinisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;
  private readonly stopping = new AbortController();
  /** Fan-outs that failed, by key: when they may be tried again and how long they were left out last. */
  private readonly backoff = new Map<string, { until: number; ms: number }>();

  constructor(private readonly options: FanOutFinisherOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.look()
        .then(() => undefined)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.intervalMs ?? 60_000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** No new look, and no further fan-out in the look under way; resolves once the fan-out under way ended. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.running;
  }

  /** One look (see the module comment); rejects only when a look itself could not run. */
  async look(): Promise<FinishedFanOuts> {
    const now = (this.options.now ?? Date.now)();
    const first = this.first;
    this.first = false;
    const interval = this.options.intervalMs ?? 60_000;
    const to = new Date(now - (this.options.graceMs ?? 30_000));
    const since = new Date(now - (this.options.windowMs ?? 86_400_000));
    const skip = [...this.backoff].filter(([, b]) => b.until > now).map(([key]) => key);
    const common = { to, limit: this.options.limit ?? 100, skip, signal: this.stopping.signal };
    const [deletes, zoneChanges] = await Promise.all([
      this.options.deletes({ ...common, from: first ? null : since }),
      this.options.zoneChanges({ ...common, from: first ? since : new Date(to.getTime() - 2 * interval) }),
    ]);
    const failed = [...deletes.failed, ...zoneChanges.failed];
    for (const [, id] of deletes.finished) this.backoff.delete(id);
    for (const f of failed) {
      const ms = Math.min(2 * (this.backoff.get(f.key)?.ms ?? interval / 2), this.options.maxBackoffMs ?? 3_600_000);
      this.backoff.set(f.key, { until: now + ms, ms });
    }
    const finished = { deletes: deletes.finished, zoneChanges: zoneChanges.finished, failed };
    if (finished.deletes.length > 0 || finished.zoneChanges.length > 0 || failed.length > 0)
      this.options.onFinished?.(finished);
    return finished;
  }
}
