// SQL for the task aggregate: load with a row lock, and persist a decision (task rows, reminder rows,
// event rows with per-aggregate version and per-user seq) inside the caller's transaction.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.ts';
import type { TaskState, ReminderState } from '../../actors/task/index.ts';
import { evolve } from '../../actors/task/index.ts';
import type { PendingEvent, EventEnvelope } from '../../actors/events.ts';
import { TASK_COLUMNS, REMINDER_COLUMNS, toTask, type TaskRow } from './rows.ts';

/** The row changed under us (a version check failed): the caller retries the whole command. */
export class ConcurrencyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrencyError';
  }
}

export type { CommandMeta } from '../../actors/ports.ts';
import type { CommandMeta } from '../../actors/ports.ts';

/** Creates the user on first use (UTC) and returns their zone. Takes no row lock on an existing user. */
export async function ensureUser(q: Queryable, userId: string): Promise<{ timezone: string }> {
  const found = await q.query<{ timezone: string }>('SELECT timezone FROM users WHERE id = $1', [userId]);
  if (found.rows[0]) return found.rows[0];
  await q.query('INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [userId]);
  const created = await q.query<{ timezone: string }>('SELECT timezone FROM users WHERE id = $1', [userId]);
  return created.rows[0] ?? { timezone: 'UTC' };
}

export async function loadTask(q: Queryable, userId: string, taskId: string, options: { lock?: boolean } = {}): Promise<TaskState | null> {
  const rows = await q.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2${options.lock ? ' FOR UPDATE' : ''}`, [taskId, userId]);
  const row = rows.rows[0];
  if (!row) return null;
  const reminders = await q.query<ReminderState>(`SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = $1 ORDER BY created_at, id`, [taskId]);
  return toTask(row, reminders.rows);
}

export interface Persisted {
  events: EventEnvelope[];
  /** The state of every task the decision touched, after it. */
  tasks: Map<string, TaskState | null>;
}

/**
 * Writes one decision. `before` holds the current state of each task aggregate the events touch (null
 * for one being created). Seq numbers come from the user's row, bumped in this transaction, so they are
 * gapless and in commit order per user.
 */
export async function persist(q: Queryable, userId: string, before: Map<string, TaskState | null>, pending: PendingEvent[], meta: CommandMeta, now: Date): Promise<Persisted> {
  const bumped = await q.query<{ last_seq: number }>('UPDATE users SET last_seq = last_seq + $2, updated_at = $3 WHERE id = $1 RETURNING last_seq', [userId, pending.length, now.toISOString()]);
  const lastSeq = bumped.rows[0]?.last_seq;
  if (lastSeq === undefined) throw new Error(`user ${userId} does not exist`);
  const timestamp = now.toISOString();
  const versions = new Map<string, number>();
  let first: string | null = null;
  const events: EventEnvelope[] = pending.map((p, i) => {
    const current = versions.get(p.aggregate_id) ?? before.get(p.aggregate_id)?.version ?? 0;
    versions.set(p.aggregate_id, current + 1);
    const event_id = randomUUID();
    // Events on another aggregate than the first (a spawned instance) were caused by that first event.
    const causation_id = first !== null && p.aggregate_id !== pending[0]?.aggregate_id ? first : meta.causationId ?? null;
    first ??= event_id;
    return {
      event_id, event_type: p.event_type, user_id: userId, aggregate_type: p.aggregate_type, aggregate_id: p.aggregate_id,
      version: current + 1, seq: lastSeq - pending.length + 1 + i, timestamp, correlation_id: meta.correlationId, causation_id, data: p.data,
    };
  });

  const after = new Map<string, TaskState | null>();
  for (const e of events) {
    if (e.aggregate_type !== 'task') continue;
    const state = after.has(e.aggregate_id) ? after.get(e.aggregate_id) ?? null : before.get(e.aggregate_id) ?? null;
    after.set(e.aggregate_id, evolve(state, e));
  }
  for (const [id, state] of after) {
    if (state) await writeTask(q, before.get(id) ?? null, state);
  }
  await insertEvents(q, events);
  return { events, tasks: after };
}

async function writeTask(q: Queryable, before: TaskState | null, after: TaskState): Promise<void> {
  const values = [
    after.id, after.user_id, after.title, after.description, after.completed, after.due_date, after.recurrence_rule, after.timezone,
    after.is_recurring, after.next_occurrence, after.last_spawned_at, after.series_id, after.occurrence_at, after.version,
    after.created_at, after.updated_at, after.deleted_at,
  ];
  if (before === null) {
    await q.query(`INSERT INTO tasks (id, user_id, title, description, completed, due_date, recurrence_rule, timezone, is_recurring,
      next_occurrence, last_spawned_at, series_id, occurrence_at, version, created_at, updated_at, deleted_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, values);
  } else {
    const updated = await q.query(`UPDATE tasks SET title = $3, description = $4, completed = $5, due_date = $6, recurrence_rule = $7,
      timezone = $8, is_recurring = $9, next_occurrence = $10, last_spawned_at = $11, series_id = $12, occurrence_at = $13,
      version = $14, created_at = $15, updated_at = $16, deleted_at = $17
      WHERE id = $1 AND user_id = $2 AND version = $18`, [...values, before.version]);
    if (updated.rowCount !== 1) throw new ConcurrencyError(`task ${after.id} is no longer at version ${before.version}`);
  }
  const previous = new Map((before?.reminders ?? []).map((r) => [r.id, r]));
  for (const r of after.reminders) {
    const old = previous.get(r.id);
    if (!old) {
      await q.query(`INSERT INTO reminders (id, task_id, user_id, "offset", remind_at, notified, cancelled, created_at)
        VALUES ($1, $2, $3, $4::interval, $5, $6, $7, $8)`, [r.id, r.task_id, r.user_id, r.offset, r.remind_at, r.notified, r.cancelled, r.created_at]);
    } else if (old.remind_at !== r.remind_at || old.notified !== r.notified || old.cancelled !== r.cancelled || old.offset !== r.offset) {
      // Guarded like every timer fire: a reminder marked notified by someone else is never notified again.
      const updated = await q.query(`UPDATE reminders SET "offset" = $2::interval, remind_at = $3, notified = $4, cancelled = $5
        WHERE id = $1 AND notified = $6 AND cancelled = $7`, [r.id, r.offset, r.remind_at, r.notified, r.cancelled, old.notified, old.cancelled]);
      if (updated.rowCount !== 1) throw new ConcurrencyError(`reminder ${r.id} changed concurrently`);
    }
  }
}

async function insertEvents(q: Queryable, events: EventEnvelope[]): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [];
  const rows = events.map((e) => {
    const at = params.length;
    params.push(e.event_id, e.user_id, e.seq, e.aggregate_type, e.aggregate_id, e.version, e.event_type, JSON.stringify(e.data), e.correlation_id, e.causation_id, e.timestamp);
    return `(${Array.from({ length: 11 }, (_, k) => `$${at + k + 1}`).join(', ')})`;
  });
  await q.query(`INSERT INTO events (event_id, user_id, seq, aggregate_type, aggregate_id, version, event_type, data, correlation_id, causation_id, "timestamp")
    VALUES ${rows.join(', ')}`, params);
}
