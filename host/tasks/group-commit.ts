// Group commit for task turns: turns on different tasks whose decisions are ready while a write is in
// flight go to the database together, in ONE transaction, so many commands share one commit (one WAL
// flush, one fsync) instead of paying one each. Nothing waits on a timer: the first write goes out at
// once; only what arrives while writes are in flight is held, and it leaves the moment one returns
// (like PostgreSQL's own commit grouping or Kafka's linger with linger = "while busy").
//
// Each turn keeps its own decision and its own guarded statement (`persist`, host/tasks/store.ts). A
// failed check (40001 from `tasklane_guard`), a unique violation or a deadlock must cost only its own
// turn: by default (`resend`) the transaction is rolled back, that turn is sent back to decide again and
// the others are sent again at once; with `savepoint` each statement runs under a SAVEPOINT and is
// rolled back alone (one more round trip per turn). Statements run in arrival order, stably grouped by
// user; each bumps its user's `last_seq`, so several turns of one user in one batch get consecutive seqs
// in commit order. A batch leaves out users with a write in flight (their row stays locked until that
// commits), so concurrent batches never wait on each other's user rows. Answers are given only after
// COMMIT (a failed turn retries against committed state; an Idempotency-Key lost to a twin is found).
//
// Per-task order is the caller's (one turn at a time per task: actors/runtime/keyed-queue.ts, Dapr's
// actor lock); without it the guards still hold (a second turn on a task fails its version check).
// Used where a batch is one write (`Db.pipeline`). PostgreSQL: each commit waits for a WAL flush;
// in-process, 32 concurrent PATCH-like turns, WAL syncs per turn 0.30 → 0.18 and turns/s +35% at
// maxInFlight 8 (0.10 and ±0 at 2); since a batch is one pipelined round trip, waiting for the next batch
// costs little: 8 → 2 in flight gave 534 → 723 turns/s and WAL syncs per turn 0.14 → 0.10
// (test/bench/group-commit.ts, interleaved). PGlite (fsync off, one connection in a worker thread): a
// batch is one message to the thread and one Bind/Execute run to the backend with one commit (sent
// statement by statement it had cost more than it saved); `npm run bench -- --quick --shapes=embedded
// --group-commit=both` (AMD EPYC): the app's CPU per 1,000 PATCH 1.48 → 1.19 s, POST 1.44 → 1.08 s.
import type { Db, Queryable, QueryResult, Statement, PipelineOutcome } from '../db/index.ts';
import type { PendingEvent } from '../../actors/events.ts';
import type { CommandMeta } from '../../actors/ports.ts';
import { persist, type IdempotencyRecord, type Persisted, type WriteTarget } from './store.ts';

export interface GroupCommitOptions {
  /** Most turns in one transaction (default 32; PostgreSQL keeps 64 subtransactions per backend cached, one per turn). */
  maxBatch?: number;
  /**
   * Writes (single statements or batches) in flight at once before arrivals are held for the next batch
   * (default 2: one batch fills while the other is out; measured best of 2, 4, 8 in-process with
   * pipelined batches, where 8 was best when a batch cost a round trip per statement).
   */
  maxInFlight?: number;
  /**
   * How one failed statement is kept from sinking the batch. `savepoint`: each statement under a
   * SAVEPOINT, rolled back alone (two round trips per turn). `resend`: no savepoints (one round trip per
   * turn); a failed statement aborts the transaction, its turn is sent back and the others are sent
   * again at once in a new transaction. Default `resend` (fewer round trips; failures are rare).
   */
  isolate?: 'savepoint' | 'resend';
}

/** Counters for /metrics and the bench: how much grouping happened. */
export interface GroupCommitStats {
  /** Writes sent: a lone statement or one batch transaction each. */
  writes: number;
  /** Turns written through this (committed or sent back). */
  turns: number;
  /** Turns whose statement failed inside a batch and were sent back alone. */
  sentBack: number;
}

interface Pending {
  target: WriteTarget;
  pending: PendingEvent[];
  meta: CommandMeta;
  now: Date;
  idempotency: IdempotencyRecord | undefined;
  resolve: (persisted: Persisted) => void;
  reject: (error: unknown) => void;
}

/** Whether a write touches a shared list (one of its scopes, or a list it writes): such a write bypasses the batches. */
export function touchesShared(target: WriteTarget): boolean {
  for (const scope of target.scopes?.values() ?? []) if (scope.shared) return true;
  for (const list of target.lists?.values() ?? []) if (list?.shared) return true;
  return false;
}

/** A round of a batch: committed with each turn's result (in round order), or rolled back at `failed`. */
type Round = { committed: true; persisted: Persisted[] } | { committed: false; failed: number; error: unknown };

const SAVEPOINT = 'SAVEPOINT tasklane_turn';
const NEXT_SAVEPOINT = 'RELEASE SAVEPOINT tasklane_turn; SAVEPOINT tasklane_turn';
const ROLLBACK_SAVEPOINT = 'ROLLBACK TO SAVEPOINT tasklane_turn';

/** Stable by user: a user's turns keep their arrival order (their seqs follow it), and batches take user rows in one order. */
function byUser(batch: Pending[]): Pending[] {
  return batch
    .map((item, i) => ({ item, i }))
    .sort((a, b) =>
      a.item.target.userId < b.item.target.userId ? -1 : a.item.target.userId > b.item.target.userId ? 1 : a.i - b.i,
    )
    .map((x) => x.item);
}

export class GroupCommit {
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly isolate: 'savepoint' | 'resend';
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  /** Users with a write in flight, and how many of their turns it holds. */
  private readonly busyUsers = new Map<string, number>();
  readonly stats: GroupCommitStats = { writes: 0, turns: 0, sentBack: 0 };

  constructor(
    private readonly db: Db,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.isolate = options.isolate ?? 'resend';
  }

  /**
   * Writes one turn's decision as `persist(db, …)` would, alone or in a batch with other turns' decisions.
   * Resolves after its transaction committed; rejects with the error of its own statement (rolled back
   * alone: `retryable` tells whether to decide again), or with the batch's error when the transaction as
   * a whole failed (connection lost, COMMIT refused: then none of the batch is known to be written).
   */
  persist(
    target: WriteTarget,
    pending: PendingEvent[],
    meta: CommandMeta,
    now: Date,
    idempotency?: IdempotencyRecord,
  ): Promise<Persisted> {
    // A write on a shared list moves several users' rows (each recipient's seq): batched with other
    // users' turns it could take those rows in another order than they do, so it is written alone.
    if (touchesShared(target)) return persist(this.db, target, pending, meta, now, idempotency);
    return new Promise<Persisted>((resolve, reject) => {
      this.queue.push({ target, pending, meta, now, idempotency, resolve, reject });
      this.pump();
    });
  }

  /**
   * The next batch: up to `maxBatch` held turns in arrival order, leaving out those of users with a write
   * in flight (their user row is locked by it until it commits: a batch waiting on it would stall whole).
   * A user's later turns stay behind its first one left out, so each user's order holds.
   */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const kept: Pending[] = [];
    for (const item of this.queue) {
      if (batch.length < this.maxBatch && !this.busyUsers.has(item.target.userId)) batch.push(item);
      else kept.push(item);
    }
    if (batch.length > 0) this.queue.splice(0, this.queue.length, ...kept);
    return batch;
  }

  /** Sends what is held while fewer than `maxInFlight` writes are out. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return;
      for (const item of batch)
        this.busyUsers.set(item.target.userId, (this.busyUsers.get(item.target.userId) ?? 0) + 1);
      this.inFlight++;
      this.stats.writes++;
      this.stats.turns += batch.length;
      const sent =
        batch.length === 1
          ? this.writeOne(batch[0] as Pending)
          : this.isolate === 'savepoint'
            ? this.writeBatch(batch)
            : this.resendBatch(batch);
      void sent.finally(() => {
        for (const item of batch) {
          const left = (this.busyUsers.get(item.target.userId) ?? 1) - 1;
          if (left === 0) this.busyUsers.delete(item.target.userId);
          else this.busyUsers.set(item.target.userId, left);
        }
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** A lone turn: its one statement, without a transaction (the statement is its own). */
  private async writeOne(item: Pending): Promise<void> {
    try {
      item.resolve(await persist(this.db, item.target, item.pending, item.meta, item.now, item.idempotency));
    } catch (error) {
      item.reject(error);
    }
  }

  /**
   * Several turns in one transaction without savepoints: the first failed statement aborts it (rolled
   * back whole), its turn is sent back with its error, and the rest go again in a new transaction; each
   * round drops one turn, so it ends. Answers after COMMIT; an error outside the statements (COMMIT, the
   * connection) rejects every turn still in the batch. Where the database pipelines (`Db.pipeline`), a
   * round is one write and one round trip (BEGIN, every statement, COMMIT); otherwise one per statement.
   */
  private async resendBatch(batch: Pending[]): Promise<void> {
    let rest = byUser(batch);
    while (rest.length > 0) {
      const round = rest;
      let outcome: Round;
      try {
        outcome = this.db.pipeline ? await this.pipelined(round) : await this.oneByOne(round);
      } catch (error) {
        for (const item of round) item.reject(error);
        return;
      }
      if (outcome.committed) {
        round.forEach((item, i) => {
          item.resolve(outcome.persisted[i] as Persisted);
        });
        return;
      }
      this.stats.sentBack++;
      (round[outcome.failed] as Pending).reject(outcome.error);
      rest = round.filter((_, i) => i !== outcome.failed);
      if (rest.length > 0) this.stats.writes++;
    }
  }

  /** A round as one transaction, each statement awaited before the next is sent. */
  private async oneByOne(round: Pending[]): Promise<Round> {
    let failed = -1;
    let failure: unknown;
    try {
      const persisted = await this.db.transaction(async (tx: Queryable) => {
        const out: Persisted[] = [];
        for (let i = 0; i < round.length; i++) {
          const item = round[i] as Pending;
          try {
            out.push(await persist(tx, item.target, item.pending, item.meta, item.now, item.idempotency));
          } catch (error) {
            failed = i;
            failure = error;
            throw error;
          }
        }
        return out;
      });
      return { committed: true, persisted };
    } catch (error) {
      if (failed < 0) throw error;
      return { committed: false, failed, error: failure };
    }
  }

  /**
   * A round as one pipelined transaction: each turn's `persist` builds its one statement against a
   * recorder (it issues it before its first await), the statements go out together, and each persist
   * finishes on its own statement's result.
   */
  private async pipelined(round: Pending[]): Promise<Round> {
    const pipeline = this.db.pipeline?.bind(this.db);
    if (pipeline === undefined) return this.oneByOne(round);
    const statements: Statement[] = [];
    const answers: { resolve: (result: QueryResult<Record<string, unknown>>) => void; reject: (e: unknown) => void }[] =
      [];
    const recorder: Queryable = {
      query: <R>(sql: string, params?: readonly unknown[], name?: string) =>
        new Promise<QueryResult<R>>((resolve, reject) => {
          statements.push({ sql, ...(params ? { params } : {}), ...(name ? { name } : {}) });
          answers.push({ resolve: resolve as (result: QueryResult<Record<string, unknown>>) => void, reject });
        }),
      exec: () => Promise.reject(new Error('group commit: a turn ran a script in a pipelined batch')),
    };
    const persisted: Promise<Persisted>[] = [];
    for (const item of round) {
      const before = statements.length;
      const written = persist(recorder, item.target, item.pending, item.meta, item.now, item.idempotency);
      written.catch(() => undefined); // settled below; a rejection is read where it is awaited
      persisted.push(written);
      if (statements.length !== before + 1) {
        // persist refused before its statement (a defect in the decision): only this turn fails.
        for (const answer of answers.splice(before)) answer.reject(new Error('group commit: not sent'));
        statements.splice(before);
        const error = await written.then(
          () => new Error('group commit: a turn wrote without its one statement'),
          (e: unknown) => e,
        );
        for (const answer of answers) answer.reject(new Error('group commit: not sent'));
        return { committed: false, failed: persisted.length - 1, error };
      }
    }
    let outcome: PipelineOutcome;
    try {
      outcome = await pipeline(statements);
    } catch (error) {
      for (const answer of answers) answer.reject(error);
      throw error;
    }
    if (!outcome.committed) {
      for (const answer of answers) answer.reject(outcome.error);
      return { committed: false, failed: outcome.failed, error: outcome.error };
    }
    outcome.results.forEach((result, i) => {
      answers[i]?.resolve(result);
    });
    return { committed: true, persisted: await Promise.all(persisted) };
  }

  /** Several turns in one transaction, a savepoint around each statement; answers after COMMIT. */
  private async writeBatch(batch: Pending[]): Promise<void> {
    const ordered = byUser(batch);
    const outcomes: ({ ok: true; persisted: Persisted } | { ok: false; error: unknown })[] = [];
    try {
      await this.db.transaction(async (tx: Queryable) => {
        await tx.exec(SAVEPOINT);
        for (let i = 0; i < ordered.length; i++) {
          const item = ordered[i] as Pending;
          try {
            outcomes.push({
              ok: true,
              persisted: await persist(tx, item.target, item.pending, item.meta, item.now, item.idempotency),
            });
            if (i < ordered.length - 1) await tx.exec(NEXT_SAVEPOINT);
          } catch (error) {
            outcomes.push({ ok: false, error });
            // The savepoint stays after ROLLBACK TO: the next turn runs under it as is.
            await tx.exec(ROLLBACK_SAVEPOINT);
          }
        }
      });
    } catch (error) {
      for (const item of ordered) item.reject(error);
      return;
    }
    ordered.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.persisted);
      else {
        this.stats.sentBack++;
        item.reject(outcome?.error);
      }
    });
  }
}
