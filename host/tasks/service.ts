// The task service: one actor turn = load → decide → persist, in ONE transaction.
// It holds no state of its own; Postgres is the truth.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { decide, type TaskState, type TaskCommand } from '../../actors/task/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import type { TaskPort, TaskTurnResult } from '../../actors/ports.ts';
import { ensureUser, loadTask, loadForTurn, persist, ConcurrencyError, type CommandMeta } from './store.ts';
import { EVENT_COLUMNS, toEnvelope } from './rows.ts';

export type ExecuteResult = TaskTurnResult;

export interface TaskServiceOptions {
  clock?: () => Date;
  newId?: () => string;
  /** Called after each commit that wrote events (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  maxAttempts?: number;
}

const RETRYABLE_SQLSTATE = new Set(['40001', '40P01']);

export class TaskService implements TaskPort {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  onCommitted: ((events: EventEnvelope[]) => void) | undefined;

  constructor(readonly db: Db, options: TaskServiceOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.onCommitted = options.onCommitted;
  }

  async execute(userId: string, taskId: string, command: TaskCommand, meta?: CommandMeta): Promise<ExecuteResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.transaction((tx) => this.turn(tx, userId, taskId, command, meta));
        if (result.events.length > 0) this.onCommitted?.(result.events);
        return result;
      } catch (error) {
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
    }
  }

  private async turn(tx: Queryable, userId: string, taskId: string, command: TaskCommand, meta: CommandMeta | undefined): Promise<ExecuteResult> {
    // The common case is one round trip: the task (locked), its reminders and the user's zone.
    const loaded = await loadForTurn(tx, userId, taskId);
    const state = loaded?.state ?? null;
    const timezone = loaded?.timezone ?? (await ensureUser(tx, userId)).timezone;
    const now = this.clock();
    const pending = decide(command, state, { now, userId, userTimezone: timezone, newId: this.newId });
    if (pending.length === 0) return { task: state, events: [], changed: [], userTimezone: timezone };
    const resolved = meta ?? (await timerCause(tx, taskId, command)) ?? { correlationId: randomUUID(), causationId: null };
    const before = new Map<string, TaskState | null>([[taskId, state]]);
    for (const p of pending) if (!before.has(p.aggregate_id) && p.aggregate_type === 'task') before.set(p.aggregate_id, null);
    const persisted = await persist(tx, userId, before, pending, resolved, now);
    const changed = [...persisted.tasks.values()].filter((t): t is TaskState => t !== null);
    return { task: persisted.tasks.get(taskId) ?? state, events: persisted.events, changed, userTimezone: timezone };
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
