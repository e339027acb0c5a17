// Fan-outs: the task turns a turn sets off once its write committed (`fanOut`), and finishing those a crash
// cut short (`FanOutFinisher`).
//
// A turn's fan-out reaches each task as that task's own turn once the turn's write committed: a list or
// label delete's tasks and a zone change's series (host/users/turn.ts), a series delete's open instances
// (host/tasks/turn.ts followSeries), a member's tasks once they left a shared list (host/lists/turn.ts
// memberGone). A crash half-way left the rest behind — tasks in a deleted list or carrying a deleted label,
// series at their old zone's instants, open instances of a deleted series, reminders and assignments of a
// member who is gone — and each leftover is visible in the tables, so nothing else needs keeping to finish
// them: each source (`FanOutSource`) finds its own from the tables and runs the same fan-out again, under the
// cause's own correlation id.
//
// At start-up every source looks back over its `reach` ('all': all time; 'window' and 'recent': the last
// `windowMs`), then every `intervalMs` over the last `windowMs` ('all', 'window') or over what came past the
// grace since about two looks ago ('recent': a source whose every look costs a read per candidate, looked at
// once or twice, not every minute for a day). 'window' is for a fan-out added after rows it would change
// were already written and left so by design (a series delete did not delete its instances before
// 8063fab): only a recent cause can be a leftover. A fan-out younger than `graceMs` is left alone: it is
// under way (running beside it would do no harm, each task turn being a no-op for a task that has moved on,
// only twice the work). One that fails, or whose turns wrote nothing, is left out of the next looks for a
// while, doubling from two intervals up to an hour, so one that keeps failing, or that a source's query
// keeps naming with nothing to do, neither hides the others behind the look's limit nor costs turns and
// warnings every minute.

/** How many task turns of a fan-out run at once. */
export const FAN_OUT = 8;

/**
 * Lets the event loop serve other requests between two turns of a fan-out (DESIGN: bounded work): turns
 * whose answers are ready at once would otherwise follow each other without letting a request in.
 */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `turn` for every id, FAN_OUT at a time, yielding to the event loop after each: the task turns a
 * turn sets off (a zone change's reschedules, a deleted list's or label's tasks, a deleted series'
 * instances, a gone member's tasks). Turns of one user
 * that are ready together commit together (host/tasks/group-commit.ts), so a zone change that moves
 * 1,100 tasks costs about 1,100 / FAN_OUT commits instead of 1,100 in a row. Resolves to how many of the
 * turns wrote anything (an answer with events; undefined: a turn refused or skipped). Rejects with the first
 * error a turn throws (the others still run to their end).
 */
export async function fanOut(
  ids: readonly string[],
  turn: (id: string) => Promise<{ events: readonly unknown[] } | undefined>,
): Promise<number> {
  let next = 0;
  let wrote = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      if (((await turn(ids[i] as string))?.events.length ?? 0) > 0) wrote++;
      await yieldToLoop();
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAN_OUT, ids.length) }, worker));
  return wrote;
}

/** A fan-out a look finished: its source, its key (what it is about), whose it is, and how many task turns wrote. */
export interface FinishedFanOut {
  source: string;
  key: string;
  user: string;
  tasks: number;
}

/** A fan-out a look could not finish: its source, its key (what `skip` takes) and the first error a turn threw. */
export interface FailedFanOut {
  source: string;
  key: string;
  error: unknown;
}

/** What a source's look is given. */
export interface FinishOptions {
  /** Causes (a delete, a zone change, a member gone) made at or after this; null: any time. */
  from: Date | null;
  /** … and at or before this. */
  to: Date;
  /** At most this many causes, oldest first. */
  limit: number;
  /** Keys of fan-outs to leave out (ones that failed lately). */
  skip: readonly string[];
  /** Once aborted, no further fan-out is started (the one under way runs to its end). */
  signal?: AbortSignal;
}

/** What a source's look found: the fan-outs it finished (any turn wrote) and those that failed. */
export interface FinishResult {
  finished: FinishedFanOut[];
  failed: FailedFanOut[];
  /**
   * Keys of candidates whose fan-out wrote nothing (the tables named them, the turns found nothing to do, or
   * the original fan-out finished meanwhile): left out of the next looks for a while, as failures are, so one
   * the source's query keeps naming costs no turns every minute and hides no other behind the limit.
   */
  idle: { source: string; key: string }[];
}

/** One kind of fan-out that can be finished from what the tables show. */
export interface FanOutSource {
  name: string;
  /**
   * 'all': the first look goes back to the start, later ones a window; 'window': every look a window (a fan-out
   * added after rows it would change were already written, which were then left so by design: older rows are
   * not leftovers); 'recent': see the module comment.
   */
  reach: 'all' | 'window' | 'recent';
  finish(options: FinishOptions): Promise<FinishResult>;
}

/**
 * Runs `run` on each candidate in order until `signal` aborts: a candidate whose run resolves to a number
 * above 0 (task turns that wrote) is finished, to 0 idle, one that rejects failed (the others still run).
 * For sources.
 */
export async function finishEach<C extends { key: string; user: string }>(
  source: string,
  candidates: readonly C[],
  signal: AbortSignal | undefined,
  run: (candidate: C) => Promise<number>,
): Promise<FinishResult> {
  const result: FinishResult = { finished: [], failed: [], idle: [] };
  for (const candidate of candidates) {
    if (signal?.aborted) break;
    try {
      const tasks = await run(candidate);
      if (tasks > 0) result.finished.push({ source, key: candidate.key, user: candidate.user, tasks });
      else result.idle.push({ source, key: candidate.key });
    } catch (error) {
      result.failed.push({ source, key: candidate.key, error });
    }
  }
  return result;
}

export interface FanOutFinisherOptions {
  sources: readonly FanOutSource[];
  /** Between two looks, ms (default 60 s). */
  intervalMs?: number;
  /** How old a fan-out must be to be finished here, ms (default 30 s). */
  graceMs?: number;
  /** How far back a look goes, ms (default one day; see the module comment). */
  windowMs?: number;
  /** Fan-outs finished per source and look, oldest first (default 100; the next look takes the rest). */
  limit?: number;
  /** The longest a failed fan-out is left out, ms (default one hour). */
  maxBackoffMs?: number;
  /** What a look finished or failed, when anything. */
  onFinished?: (result: FinishResult) => void;
  /** A look that could not run (the database away); the next one tries again. */
  onError?: (error: unknown) => void;
  /**
   * Runs a look unless another process is looking at the same database (resolves `{ ran: false }`
   * without running it then; this look is skipped, the next comes an interval later). Replicas share
   * the tables, so each would otherwise finish the same leftovers, every turn after the first a no-op.
   * host/app.ts: host/db/advisory.ts `whileHolding` (PostgreSQL). Unset: every look runs.
   */
  oneAtATime?: (look: () => Promise<FinishResult>) => Promise<{ ran: true; value: FinishResult } | { ran: false }>;
  now?: () => number;
}

/** What one look did; `skipped`: it did not run, as another process was looking (`oneAtATime`). */
export interface LookResult extends FinishResult {
  skipped: boolean;
}

export class FanOutFinisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;
  private readonly stopping = new AbortController();
  /** Fan-outs that failed, by source and key: when they may be tried again and how long they were left out last. */
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

  /**
   * One look over every source, one after another (see the module comment), unless another process is
   * looking (`oneAtATime`: then skipped). Rejects when a source's look could not run, after the others ran.
   */
  async look(): Promise<LookResult> {
    const { oneAtATime } = this.options;
    if (!oneAtATime) return { ...(await this.lookNow()), skipped: false };
    const outcome = await oneAtATime(() => this.lookNow());
    return outcome.ran ? { ...outcome.value, skipped: false } : { finished: [], failed: [], idle: [], skipped: true };
  }

  private async lookNow(): Promise<FinishResult> {
    const now = (this.options.now ?? Date.now)();
    const first = this.first;
    this.first = false;
    const interval = this.options.intervalMs ?? 60_000;
    const to = new Date(now - (this.options.graceMs ?? 30_000));
    const since = new Date(now - (this.options.windowMs ?? 86_400_000));
    const recent = new Date(to.getTime() - 2 * interval);
    const all: FinishResult = { finished: [], failed: [], idle: [] };
    let broken: { error: unknown } | undefined;
    for (const source of this.options.sources) {
      if (this.stopping.signal.aborted) break;
      const skip = [...this.backoff]
        .filter(([key, b]) => b.until > now && key.startsWith(`${source.name} `))
        .map(([key]) => key.slice(source.name.length + 1));
      const from =
        source.reach === 'all' ? (first ? null : since) : source.reach === 'window' || first ? since : recent;
      try {
        const result = await source.finish({
          from,
          to,
          limit: this.options.limit ?? 100,
          skip,
          signal: this.stopping.signal,
        });
        all.finished.push(...result.finished);
        all.failed.push(...result.failed);
        all.idle.push(...result.idle);
      } catch (error) {
        broken ??= { error };
      }
    }
    for (const f of all.finished) this.backoff.delete(`${f.source} ${f.key}`);
    for (const { source, key: id } of [...all.failed, ...all.idle]) {
      const key = `${source} ${id}`;
      // Two intervals at first, so at least the next look leaves it out (it comes an interval after this one ends).
      const ms = Math.min(2 * (this.backoff.get(key)?.ms ?? interval), this.options.maxBackoffMs ?? 3_600_000);
      this.backoff.set(key, { until: now + ms, ms });
    }
    if (all.finished.length > 0 || all.failed.length > 0) this.options.onFinished?.(all);
    if (broken) throw broken.error;
    return all;
  }
}
