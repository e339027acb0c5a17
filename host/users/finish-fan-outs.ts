// A user turn's fan-out reaches each task as that task's own turn once the user's write committed: a list or
// label delete's tasks (host/users/turn.ts afterOrganise), a zone change's series and all-day tasks
// (setTimezone). A crash half-way left the rest behind: tasks in a deleted list or carrying a deleted label,
// series still at their old zone's instants. Both leftovers are visible in the tables, so nothing else needs
// keeping to finish them: at start-up this finishes the deletes of all time and the zone changes of the last
// `windowMs`; then every `intervalMs` the deletes of the last `windowMs` and the zone changes that came past
// the grace since about two looks ago (a zone change costs a read of each of its user's zone-bound tasks, so
// each is looked at once or twice, not every minute for a day). A fan-out younger than `graceMs` is left alone
// (it is under way; running beside it would do no harm, each task turn being a no-op for a task that has
// moved on, only twice the work).
import type { FinishedDelete } from './turn.ts';

export interface FanOutFinisherOptions {
  /** UserTurns.finishDeletes: finishes up to `limit` deletes made between `from` (null: any time) and `to`. */
  deletes: (options: { from: Date | null; to: Date; limit: number }) => Promise<FinishedDelete[]>;
  /** UserTurns.finishZoneChanges: finishes up to `limit` zone changes made between `from` and `to`. */
  zoneChanges: (options: { from: Date; to: Date; limit: number }) => Promise<[string, number][]>;
  /** Between two looks, ms (default 60 s). */
  intervalMs?: number;
  /** How old a fan-out must be to be finished here, ms (default 30 s). */
  graceMs?: number;
  /** How far back a look goes, ms (default one day; deletes at start-up go back to the start; see the module comment for zone changes). */
  windowMs?: number;
  /** Deletes and zone changes finished per look, oldest first (default 100 each; the next look takes the rest). */
  limit?: number;
  /** What a look finished, when it finished anything. */
  onFinished?: (finished: { deletes: FinishedDelete[]; zoneChanges: [string, number][] }) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class FanOutFinisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;

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

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One look (see the module comment). Resolves to what it finished; rejects with the first error, after
   * the rest of the look ran (the next look tries again).
   */
  async look(): Promise<{ deletes: FinishedDelete[]; zoneChanges: [string, number][] }> {
    const now = (this.options.now ?? Date.now)();
    const first = this.first;
    this.first = false;
    const since = new Date(now - (this.options.windowMs ?? 86_400_000));
    const to = new Date(now - (this.options.graceMs ?? 30_000));
    const limit = this.options.limit ?? 100;
    const recent = new Date(to.getTime() - 2 * (this.options.intervalMs ?? 60_000));
    const [deletes, zoneChanges] = await Promise.allSettled([
      this.options.deletes({ from: first ? null : since, to, limit }),
      this.options.zoneChanges({ from: first ? since : recent, to, limit }),
    ]);
    const finished = {
      deletes: deletes.status === 'fulfilled' ? deletes.value : [],
      zoneChanges: zoneChanges.status === 'fulfilled' ? zoneChanges.value : [],
    };
    if (finished.deletes.length > 0 || finished.zoneChanges.length > 0) this.options.onFinished?.(finished);
    if (deletes.status === 'rejected') throw deletes.reason;
    if (zoneChanges.status === 'rejected') throw zoneChanges.reason;
    return finished;
  }
}
