// SQL for the task aggregate: load with a row lock, and persist a decision (task rows, reminder rows,
// event rows with per-aggregate version and per-user seq) inside the caller's transaction.
import { createHash, randomUUID } from 'node:crypto';
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
import type { CommandMeta, IdempotencyMeta } from '../../actors/ports.ts';

/** How long an Idempotency-Key's first answer is kept and replayed: 24 h from its write (documented in the README). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A write's first answer, to be stored under (user, key) by the statement that writes the turn. */
export interface IdempotencyRecord extends IdempotencyMeta {
  /** The answer as JSON-able data, made from the tasks as the turn leaves them. */
  answer(tasks: Map<string, TaskState | null>): unknown;
}

export interface StoredAnswer {
  fingerprint: string;
  answer: unknown;
}

/** The unexpired first answer stored under (user, key) at `now`, or null. */
export async function findAnswer(q: Queryable, userId: string, key: string, now: Date): Promise<StoredAnswer | null> {
  const rows = await q.query<StoredAnswer>('SELECT fingerprint, answer FROM idempotency WHERE user_id = $1 AND key = $2 AND created_at > $3',
    [userId, key, new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()], 'tasklane_idempotency_find');
  return rows.rows[0] ?? null;
}

/**
 * Stores a first answer inside the caller's transaction (the user aggregate's turn). An unexpired row
 * for the key already there is left alone and this returns false: the caller looked it up under the
 * user row's lock, so that cannot happen unless the key was just used by another aggregate's write.
 */
export async function storeAnswer(q: Queryable, userId: string, record: IdempotencyMeta & { answer: unknown }, now: Date): Promise<boolean> {
  const rows = await q.query(`INSERT INTO idempotency (user_id, key, fingerprint, answer, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)
    ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, answer = EXCLUDED.answer, created_at = EXCLUDED.created_at
      WHERE idempotency.created_at <= $6 RETURNING 1`,
  [userId, record.key, record.fingerprint, JSON.stringify(record.answer), now.toISOString(), new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()]);
  return rows.rowCount === 1;
}

/** Deletes up to `batch` answers expired at `now` (lazily, now and then; short statements); returns how many. */
export async function deleteExpiredAnswers(q: Queryable, now: Date, batch = 1000): Promise<number> {
  const rows = await q.query(`DELETE FROM idempotency WHERE ctid IN (SELECT ctid FROM idempotency WHERE created_at <= $1 LIMIT $2)`,
    [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString(), batch]);
  return rows.rowCount;
}

/** Creates the user on first use (UTC) and returns their zone and version. Takes no row lock on an existing user. */
export async function ensureUser(q: Queryable, userId: string): Promise<{ timezone: string; version: number }> {
  const found = await q.query<{ timezone: string; version: number }>('SELECT timezone, version FROM users WHERE id = $1', [userId]);
  if (found.rows[0]) return found.rows[0];
  await q.query('INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [userId]);
  const created = await q.query<{ timezone: string; version: number }>('SELECT timezone, version FROM users WHERE id = $1', [userId]);
  return created.rows[0] ?? { timezone: 'UTC', version: 0 };
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

const REMINDERS_JSON = `COALESCE((SELECT json_agg(json_build_object('id', r.id, 'task_id', r.task_id, 'user_id', r.user_id, 'offset', r."offset",
    'remind_at', r.remind_at, 'notified', r.notified, 'cancelled', r.cancelled, 'cancel_reason', r.cancel_reason, 'created_at', r.created_at) ORDER BY r.created_at, r.id)
  FROM reminders r WHERE r.task_id = t.id), '[]'::json)`;

const LOAD = `SELECT (SELECT timezone FROM users u WHERE u.id = t.user_id) AS user_timezone, (SELECT version FROM users u WHERE u.id = t.user_id) AS user_version,
    (SELECT s.version FROM tasks s WHERE s.id = t.id) AS snapshot_version, ${TASK_COLUMNS}, ${REMINDERS_JSON} AS reminder_rows
  FROM tasks t WHERE t.id = $1 AND t.user_id = $2`;
const LOAD_FOR_TURN = `${LOAD} FOR UPDATE OF t`;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/**
 * A turn's reads in one round trip: the task row (locked with `lock`), its reminders and the owner's zone.
 * Without the lock the read is one snapshot, and the write's version check catches any change since.
 * Under READ COMMITTED a statement that waited for the row lock re-reads the locked row but sees
 * everything else (the reminders) in its old snapshot. Every reminder change also bumps the task's
 * version, so the version read in the snapshot equals the locked row's exactly when the reminders are
 * current; when they differ (a concurrent turn just committed), the reminders are read again.
 * Null when the task does not exist for this user (the caller then makes sure the user exists).
 */
export async function loadForTurn(q: Queryable, userId: string, taskId: string, options: { lock: boolean } = { lock: true }): Promise<{ state: TaskState; timezone: string; userVersion: number } | null> {
  type Row = TaskRow & { user_timezone: string; user_version: number; snapshot_version: number; reminder_rows: Record<string, unknown>[] };
  const rows = options.lock
    ? await q.query<Row>(LOAD_FOR_TURN, [taskId, userId], 'tasklane_load_for_turn')
    : await q.query<Row>(LOAD, [taskId, userId], 'tasklane_load');
  const row = rows.rows[0];
  if (!row) return null;
  const { user_timezone, user_version, snapshot_version, reminder_rows, ...task } = row;
  let reminders: ReminderState[] = reminder_rows.map((r) => ({
    id: String(r.id), task_id: String(r.task_id), user_id: String(r.user_id), offset: (r.offset as string | null) ?? null,
    remind_at: iso(r.remind_at), notified: r.notified === true, cancelled: r.cancelled === true,
    cancel_reason: (r.cancel_reason as string | null) ?? null, created_at: iso(r.created_at) as string,
  }));
  if (snapshot_version !== task.version) {
    reminders = (await q.query<ReminderState>(`SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = $1 ORDER BY created_at, id`, [taskId])).rows;
  }
  return { state: toTask(task, reminders), timezone: user_timezone, userVersion: user_version };
}

/**
 * Writes one decision in ONE statement: the user's seq bump, every touched task row (inserted, or
 * updated under a version check), changed reminder rows, and the events. A failed check raises inside
 * the statement (`tasklane_guard`, serialization_failure), so the decision is written whole or not at
 * all, in a transaction or without one. `before` holds the current
 * state of each task aggregate the events touch (null for one being created). Seq numbers come from
 * the user's row, bumped in this transaction, so they are gapless and in commit order per user.
 * With `userVersion` the user's row must still be at that version: the decision used the user's zone
 * as read then, and a zone change since makes the writer decide again.
 */
export async function persist(q: Queryable, userId: string, before: Map<string, TaskState | null>, pending: PendingEvent[], meta: CommandMeta, now: Date, userVersion?: number, idempotency?: IdempotencyRecord): Promise<Persisted> {
  const timestamp = now.toISOString();
  const versions = new Map<string, number>();
  let first: string | null = null;
  const events: EventEnvelope[] = pending.map((p) => {
    const current = versions.get(p.aggregate_id) ?? before.get(p.aggregate_id)?.version ?? 0;
    versions.set(p.aggregate_id, current + 1);
    const event_id = randomUUID();
    // Events on another aggregate than the first (a spawned instance) were caused by that first event.
    const causation_id = first !== null && p.aggregate_id !== pending[0]?.aggregate_id ? first : meta.causationId ?? null;
    first ??= event_id;
    return {
      event_id, event_type: p.event_type, user_id: userId, aggregate_type: p.aggregate_type, aggregate_id: p.aggregate_id,
      version: current + 1, seq: 0, timestamp, correlation_id: meta.correlationId, causation_id, data: p.data,
    };
  });
  const after = new Map<string, TaskState | null>();
  for (const e of events) {
    if (e.aggregate_type !== 'task') continue;
    const state = after.has(e.aggregate_id) ? after.get(e.aggregate_id) ?? null : before.get(e.aggregate_id) ?? null;
    after.set(e.aggregate_id, evolve(state, e));
  }

  const params: unknown[] = [userId, events.length, timestamp];
  const p = (value: unknown) => { params.push(value); return `$${params.length}`; };
  const ctes: string[] = [`s AS (UPDATE users SET last_seq = last_seq + $2, updated_at = $3 WHERE id = $1${userVersion === undefined ? '' : ` AND version = ${p(userVersion)}`} RETURNING last_seq)`];
  const taskCtes: string[] = [];
  const reminderRows: (ReminderState & { prev_notified: boolean | null; prev_cancelled: boolean | null })[] = [];
  for (const [id, state] of after) {
    if (!state) continue;
    const old = before.get(id) ?? null;
    const name = `t${taskCtes.length}`;
    taskCtes.push(name);
    const v = [state.title, state.description, state.completed, state.due_date, state.recurrence_rule, state.timezone, state.is_recurring,
      state.next_occurrence, state.last_spawned_at, state.series_id, state.occurrence_at, state.version, state.created_at, state.updated_at, state.deleted_at,
      state.dtstart_local].map(p);
    if (old === null) {
      ctes.push(`${name} AS (INSERT INTO tasks (id, user_id, title, description, completed, due_date, recurrence_rule, timezone, is_recurring,
        next_occurrence, last_spawned_at, series_id, occurrence_at, version, created_at, updated_at, deleted_at, dtstart_local)
        VALUES (${p(state.id)}, $1, ${v.join(', ')}) RETURNING 1)`);
    } else {
      ctes.push(`${name} AS (UPDATE tasks SET title = ${v[0]}, description = ${v[1]}, completed = ${v[2]}, due_date = ${v[3]}, recurrence_rule = ${v[4]},
        timezone = ${v[5]}, is_recurring = ${v[6]}, next_occurrence = ${v[7]}, last_spawned_at = ${v[8]}, series_id = ${v[9]}, occurrence_at = ${v[10]},
        version = ${v[11]}, created_at = ${v[12]}, updated_at = ${v[13]}, deleted_at = ${v[14]}, dtstart_local = ${v[15]}
        WHERE id = ${p(id)} AND user_id = $1 AND version = ${p(old.version)} RETURNING 1)`);
    }
    const previous = new Map((old?.reminders ?? []).map((r) => [r.id, r]));
    for (const r of state.reminders) {
      const o = previous.get(r.id);
      if (!o || o.remind_at !== r.remind_at || o.notified !== r.notified || o.cancelled !== r.cancelled || o.cancel_reason !== r.cancel_reason || o.offset !== r.offset) {
        reminderRows.push({ ...r, prev_notified: o?.notified ?? null, prev_cancelled: o?.cancelled ?? null });
      }
    }
  }
  if (reminderRows.length > 0) {
    ctes.push(`rx AS (SELECT * FROM json_to_recordset(${p(JSON.stringify(reminderRows))}::json) AS x(id uuid, task_id uuid, user_id text, "offset" text,
      remind_at timestamptz, notified boolean, cancelled boolean, cancel_reason text, created_at timestamptz, prev_notified boolean, prev_cancelled boolean))`);
    ctes.push(`r AS (INSERT INTO reminders (id, task_id, user_id, "offset", remind_at, notified, cancelled, cancel_reason, created_at)
      SELECT id, task_id, user_id, "offset"::interval, remind_at, notified, cancelled, cancel_reason, created_at FROM rx
      ON CONFLICT (id) DO UPDATE SET "offset" = EXCLUDED."offset", remind_at = EXCLUDED.remind_at, notified = EXCLUDED.notified,
        cancelled = EXCLUDED.cancelled, cancel_reason = EXCLUDED.cancel_reason
        -- Guarded like every timer fire: a reminder someone else already changed is never changed again.
        WHERE (reminders.notified, reminders.cancelled) = (SELECT rx.prev_notified, rx.prev_cancelled FROM rx WHERE rx.id = reminders.id)
      RETURNING 1)`);
  }
  // The first answer under the Idempotency-Key, in the same statement: it exists exactly when the turn
  // committed. A row for the key that has not expired stays (no row returned → the guard below raises
  // and the writer retries, finding that answer); a concurrent duplicate waits on the key and sees it.
  if (idempotency !== undefined) {
    ctes.push(`k AS (INSERT INTO idempotency (user_id, key, fingerprint, answer, created_at)
      VALUES ($1, ${p(idempotency.key)}, ${p(idempotency.fingerprint)}, ${p(JSON.stringify(idempotency.answer(after)))}::jsonb, $3)
      ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, answer = EXCLUDED.answer, created_at = EXCLUDED.created_at
        WHERE idempotency.created_at <= ${p(new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString())}
      RETURNING 1)`);
  }
  const eventRows = events.map((e, i) => ({ ...e, ord: i + 1 }));
  ctes.push(`e AS (INSERT INTO events (event_id, user_id, seq, aggregate_type, aggregate_id, version, event_type, data, correlation_id, causation_id, "timestamp")
    SELECT x.event_id, $1, s.last_seq - $2 + x.ord, x.aggregate_type, x.aggregate_id, x.version, x.event_type, x.data, x.correlation_id, x.causation_id, x."timestamp"
      FROM s, json_to_recordset(${p(JSON.stringify(eventRows))}::json) AS x(event_id uuid, ord int, aggregate_type text, aggregate_id text, version int,
        event_type text, data jsonb, correlation_id uuid, causation_id uuid, "timestamp" timestamptz)
    RETURNING 1)`);
  const sql = `WITH ${ctes.join(',\n')},
    c AS (SELECT (SELECT last_seq FROM s) AS last_seq,
           ARRAY[${taskCtes.map((t) => `(SELECT count(*) FROM ${t})::int`).join(', ')}]::int[] AS tasks,
           ${reminderRows.length > 0 ? '(SELECT count(*) FROM r)::int' : '0'} AS reminders,
           (SELECT count(*) FROM e)::int AS events)
    SELECT c.* FROM c
     WHERE tasklane_guard(c.last_seq IS NOT NULL, 'the user does not exist, or changed zone since it was read')
       AND tasklane_guard(c.tasks = ARRAY[${taskCtes.map(() => '1').join(', ')}]::int[], 'a task changed since it was read (version check failed)')
       AND tasklane_guard(c.reminders = ${p(reminderRows.length)}::int, 'a reminder changed since it was read')
       AND tasklane_guard(c.events = ${p(events.length)}::int, 'the decision was not written whole')${idempotency === undefined ? '' : `
       AND tasklane_guard((SELECT count(*) FROM k) = 1, 'the Idempotency-Key was used meanwhile')`}`;
  // Every value is a parameter, so the text depends only on the decision's shape (how many tasks, created
  // or updated, reminders or not): a handful of statements, each prepared once per connection.
  const name = `tasklane_persist_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
  const result = await q.query<{ last_seq: number | null; tasks: number[]; reminders: number; events: number }>(sql, params, name);
  const out = result.rows[0];
  if (!out || out.last_seq === null) throw new Error(`user ${userId} does not exist`);
  if (out.tasks.some((n) => n !== 1)) throw new ConcurrencyError('a task changed since it was read (version check failed)');
  if (out.reminders !== reminderRows.length) throw new ConcurrencyError('a reminder changed since it was read');
  if (out.events !== events.length) throw new Error('the decision was not written whole');
  events.forEach((e, i) => { e.seq = (out.last_seq as number) - events.length + 1 + i; });
  return { events, tasks: after };
}
