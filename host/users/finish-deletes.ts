// A list or label delete reaches its tasks after the user's turn, one task turn each (host/users/turn.ts
// afterOrganise), so a crash half-way left the rest in a deleted list, or carrying a deleted label, until
// someone repeated the DELETE. This finishes them: at start-up over all time, then every `intervalMs` over
// the last `windowMs`, leaving alone a delete younger than `graceMs` (its own fan-out is under way; running
// beside it would do no harm, each task turn being a no-op for a task that moved on, only twice the work).
import type { FinishedDelete } from './turn.ts';

export interface DeleteFinisherOptions {
  /** UserTurns.finishDeletes: finishes up to `limit` deletes made between `from` (null: any time) and `to`. */
  finish: (options: { from: Date | null; to: Date; limit: number }) => Promise<FinishedDelete[]>;
  /** Between two looks, ms (default 60 s). */
  intervalMs?: number;
  /** How old a delete must be to be finished here, ms (default 30 s). */
  graceMs?: number;
  /** How far back a look after the first goes, ms (default one day; the first, at start-up, goes back to the start). */
  windowMs?: number;
  /** Deletes finished per look, oldest first (default 100; the next look takes the rest). */
  limit?: number;
  onFinished?: (finished: FinishedDelete[]) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class DeleteFinisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;

  constructor(private readonly options: DeleteFinisherOptions) {}

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

  /** One look: finishes what it finds (see the module comment); rejects with the first fan-out's error. */
  async look(): Promise<FinishedDelete[]> {
    const now = (this.options.now ?? Date.now)();
    const from = this.first ? null : new Date(now - (this.options.windowMs ?? 86_400_000));
    const finished = await this.options.finish({
      from,
      to: new Date(now - (this.options.graceMs ?? 30_000)),
      limit: this.options.limit ?? 100,
    });
    this.first = false;
    if (finished.length > 0) this.options.onFinished?.(finished);
    return finished;
  }
}
