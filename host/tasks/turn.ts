// The task service: one actor turn = load → decide → persist, written in ONE atomic statement.
// Postgres is the truth; the state it keeps of active tasks is a guess every write verifies.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { decide, type TaskState, type TaskCommand } from '../../actors/task/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import type { TaskPort, TaskTurnResult, IdempotencyMeta } from '../../actors/ports.ts';
import { ensureUser, loadTask, loadForTurn, persist, findAnswer, deleteExpiredAnswers, ConcurrencyError, IDEMPOTENCY_TTL_MS, type CommandMeta } from './store.ts';
import { DomainError } from '../../actors/errors.ts';
import { EVENT_COLUMNS, toEnvelope } from './rows.ts';

export type ExecuteResult = TaskTurnResult;

export interface TaskServiceOptions {
  clock?: () => Date;
  newId?: () => string;
  /** Called after each commit that wrote events (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  maxAttempts?: number;
  /** How many active tasks keep their state in memory between turns (0 turns it off). */
  cacheSize?: number;
}

// Each of these rolled the statement back for certain, so deciding again cannot apply a command twice:
// serialization failure (a check in the write failed), deadlock, and unique violation (a row this
// decision inserts, such as a spawned occurrence, was inserted by a concurrent turn: a fresh read sees it).
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01', '23505']);

/** What the idempotency table keeps of a task turn: enough for the route to answer again as it did. */
interface TaskAnswer {
  task: TaskState | null;
  userTimezone: string;
}

/** Expired Idempotency-Key answers are deleted at most this often, after a keyed write (lazily). */
const CLEANUP_EVERY_MS = 60 * 60 * 1000;
const CLEANUP_BATCH = 1000;

/** What a turn decides on: the task (null before it exists), the user's zone, and the user row's version it was read at. */
interface TurnInput {
  state: TaskState | null;
  timezone: string;
  userVersion: number;
}


export class TaskService implements TaskPort {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private readonly cacheSize: number;
  /** Active tasks' state as last written by this process (DESIGN: state cached while the actor is active). */
  private readonly cache = new Map<string, TurnInput & { state: TaskState }>();
  private lastCleanup = 0;
  onCommitted: ((events: EventEnvelope[]) => void) | undefined;

  constructor(readonly db: Db, options: TaskServiceOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.cacheSize = options.cacheSize ?? 5000;
    this.onCommitted = options.onCommitted;
  }

  /**
   * One turn, written by ONE statement that carries its own checks (the task's version, each changed
   * reminder's previous flags, the user's version), so a command normally costs one round trip when its
   * task is cached here and two when it is read. The cache is only a guess: any failed check, or a
   * decision from it that writes nothing or refuses (both could come from a stale copy), drops it and
   * decides again from the database. When a check fails on a fresh read too (another process wrote the
   * task meanwhile), the retry locks the row in a transaction, which always makes progress. On PGlite
   * the same holds: its one connection runs a statement only between transactions.
   *
   * With an Idempotency-Key in `meta` (DESIGN: "Retries are safe"), the first answer stored under it for
   * this user is returned instead (`replayed`, nothing applied), before the first attempt and again
   * before each retry: a concurrent duplicate fails the key's check in the write statement, retries, and
   * finds the answer its twin just committed. A key stored for another request raises `key_reused` (422).
   */
  async execute(userId: string, taskId: string, command: TaskCommand, meta?: CommandMeta): Promise<ExecuteResult> {
    const key = meta?.idempotency;
    if (key !== undefined) {
      const replay = await this.replay(userId, key);
      if (replay !== null) return replay;
    }
    const cached = this.cache.get(taskId);
    if (cached !== undefined) {
      this.cache.delete(taskId); // taken back by `committed` once a turn on it writes
      try {
        // A no-op decided on the kept copy might only be stale: decide again on a fresh read.
        const turn = cached.state.user_id === userId ? await this.turn(this.db, userId, taskId, command, meta, cached) : null;
        if (turn !== null && turn.result.events.length > 0) return this.committed(turn);
      } catch (error) {
        if (!retryable(error) && !(error instanceof DomainError)) throw error;
        if (key !== undefined && retryable(error)) {
          const replay = await this.replay(userId, key);
          if (replay !== null) return replay;
        }
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const turn = attempt === 1
          ? await this.turn(this.db, userId, taskId, command, meta, await this.load(this.db, userId, taskId, false))
          : await this.db.transaction(async (tx) => this.turn(tx, userId, taskId, command, meta, await this.load(tx, userId, taskId, true)));
        return this.committed(turn);
      } catch (error) {
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
      if (key !== undefined) {
        const replay = await this.replay(userId, key);
        if (replay !== null) return replay;
      }
    }
  }

  /** The stored first answer to `key` for this user, as a turn result that applied nothing; null when there is none (or it expired). */
  private async replay(userId: string, key: IdempotencyMeta): Promise<ExecuteResult | null> {
    const stored = await findAnswer(this.db, userId, key.key, this.clock());
    if (stored === null) return null;
    if (stored.fingerprint !== key.fingerprint) {
      throw new DomainError('key_reused', `idempotency-key: already used for a different request (method, path, If-Match or body) within ${IDEMPOTENCY_TTL_MS / 3_600_000} h; send a new key`, 'idempotency-key');
    }
    const answer = stored.answer as TaskAnswer;
    return { task: answer.task, events: [], changed: [], userTimezone: answer.userTimezone, replayed: true };
  }

  /** Now and then, after a keyed write, deletes expired answers in batches, in the background; a failure only postpones it. */
  private cleanup(): void {
    const now = this.clock();
    if (now.getTime() - this.lastCleanup < CLEANUP_EVERY_MS) return;
    this.lastCleanup = now.getTime();
    const sweep = async (): Promise<void> => {
      while ((await deleteExpiredAnswers(this.db, now, CLEANUP_BATCH)) === CLEANUP_BATCH);
    };
    sweep().catch(() => { this.lastCleanup = 0; });
  }

  /** After the commit: keep the tasks' new state for the next turn, and tell the relay and the hub. */
  private committed({ result, userVersion }: { result: ExecuteResult; userVersion: number }): ExecuteResult {
    for (const task of result.changed) this.remember({ state: task, timezone: result.userTimezone, userVersion });
    if (result.events.length > 0) this.onCommitted?.(result.events);
    return result;
  }

  /** Decides on `input` and writes the decision in one statement (nothing when it changes nothing). */
  private async turn(q: Queryable, userId: string, taskId: string, command: TaskCommand, meta: CommandMeta | undefined, input: TurnInput): Promise<{ result: ExecuteResult; userVersion: number }> {
    const { state, timezone, userVersion } = input;
    const now = this.clock();
    const pending = decide(command, state, { now, userId, userTimezone: timezone, newId: this.newId });
    if (pending.length === 0) return { result: { task: state, events: [], changed: [], userTimezone: timezone }, userVersion };
    const resolved = meta ?? (await timerCause(q, taskId, command)) ?? { correlationId: randomUUID(), causationId: null };
    const before = new Map<string, TaskState | null>([[taskId, state]]);
    for (const p of pending) if (!before.has(p.aggregate_id) && p.aggregate_type === 'task') before.set(p.aggregate_id, null);
    const key = meta?.idempotency;
    const record = key === undefined ? undefined : {
      ...key, answer: (tasks: Map<string, TaskState | null>): TaskAnswer => ({ task: tasks.get(taskId) ?? state, userTimezone: timezone }),
    };
    const persisted = await persist(q, userId, before, pending, resolved, now, userVersion, record);
    if (key !== undefined) this.cleanup();
    const changed = [...persisted.tasks.values()].filter((t): t is TaskState => t !== null);
    return { result: { task: persisted.tasks.get(taskId) ?? state, events: persisted.events, changed, userTimezone: timezone }, userVersion };
  }

  /** The common case is one round trip: the task (locked with `lock`), its reminders and the user's zone. */
  private async load(q: Queryable, userId: string, taskId: string, lock: boolean): Promise<TurnInput> {
    const loaded = await loadForTurn(q, userId, taskId, { lock });
    if (loaded !== null) return loaded;
    const user = await ensureUser(q, userId);
    return { state: null, timezone: user.timezone, userVersion: user.version };
  }

  private remember(entry: TurnInput & { state: TaskState }): void {
    if (this.cacheSize <= 0) return;
    this.cache.delete(entry.state.id);
    this.cache.set(entry.state.id, entry);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }

  async get(userId: string, taskId: string): Promise<TaskState | null> {
    const task = await loadTask(this.db, userId, taskId);
    return task && task.deleted_at === null ? task : null;
  }

  /** A task's events in version order (deleted tasks keep their history). */
  async history(userId: string, taskId: string, limit = 1000): Promise<EventEnvelope[] | null> {
    const owner = await this.db.query('SELECT 1 FROM tasks WHERE id = $1 AND user_id = $2', [taskId, userId]);
    if (owner.rowCount === 0) return null;
    const rows = await this.db.query<EventEnvelope>(`SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id = $1 AND user_id = $2 ORDER BY version LIMIT $3`, [taskId, userId, limit]);
    return rows.rows.map(toEnvelope);
  }
}

function retryable(error: unknown): boolean {
  if (error instanceof ConcurrencyError) return true;
  const code = (error as { code?: string }).code;
  return code !== undefined && RETRYABLE_SQLSTATE.has(code);
}

/**
 * A timer fired without a request: its events carry the correlation id of the request that armed it,
 * and their causation id is the event that armed it.
 */
async function timerCause(q: Queryable, taskId: string, command: TaskCommand): Promise<CommandMeta | undefined> {
  let rows;
  if (command.type === 'fire_reminder') {
    rows = await q.query<{ event_id: string; correlation_id: string }>(`SELECT event_id::text, correlation_id::text FROM events
      WHERE aggregate_id = $1 AND ((event_type = 'reminder.scheduled' AND data->'reminder'->>'id' = $2)
         OR (event_type = 'reminder.snoozed' AND data->>'reminder_id' = $2))
      ORDER BY version DESC LIMIT 1`, [taskId, command.reminder_id]);
  } else if (command.type === 'spawn') {
    rows = await q.query<{ event_id: string; correlation_id: string }>(`SELECT event_id::text, correlation_id::text FROM events
      WHERE aggregate_id = $1 AND event_type IN ('task.created', 'recurring.spawned', 'recurring.rescheduled')
      ORDER BY version DESC LIMIT 1`, [taskId]);
  } else {
    return undefined;
  }
  const row = rows.rows[0];
  return row ? { correlationId: row.correlation_id, causationId: row.event_id } : undefined;
}
