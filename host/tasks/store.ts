// SQL of the turns: load a task (one round trip, with or without its row lock), and `persist`, the one
// writer of events: ONE statement that writes a decision on the task and user aggregates (task rows,
// reminder rows, the user row, event rows with per-aggregate version and per-user seq) under checks
// that run in SQL, in a transaction or without one. Also the Idempotency-Key table and the SQLSTATEs
// after which a turn decides again.
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.ts';
import type { TaskState, ReminderState, TaskCommand } from '../../actors/task/index.ts';
import { evolve } from '../../actors/task/index.ts';
import { evolve as evolveUser, type UserState } from '../../actors/user/decider.ts';
import { evolveList, inboxIdOf, type ListState } from '../../actors/list/index.ts';
import { evolveLabel, type LabelState } from '../../actors/label/index.ts';
import type { PendingEvent, EventEnvelope } from '../../actors/events.ts';
import { DomainError } from '../../actors/errors.ts';
import { UNDO_READ_BEFORE, MAX_UNDO_LATER } from '../../actors/task/undo.ts';
import type { CommandMeta, IdempotencyMeta } from '../../actors/ports.ts';
import {
  TASK_COLUMNS,
  taskColumnsOf,
  TASK_FIELDS,
  REMINDER_COLUMNS,
  REMINDER_FIELDS,
  REMINDER_RECORD,
  REMINDER_TABLE,
  REMINDERS_JSON,
  EVENT_COLUMNS,
  EVENT_WRITTEN,
  EVENT_RECORD,
  USER_COLUMNS,
  sqlName,
  toTask,
  toEnvelope,
  LIST_FIELDS,
  LABEL_FIELDS,
  accessibleTo,
  viaSharedLists,
  sharedListsWhere,
  type TaskRow,
} from './rows.ts';

// Each of these rolled the statement back for certain, so deciding again cannot apply a command twice:
// serialization failure (a check in the write failed: `tasklane_guard`), deadlock, and unique violation
// (a row this decision inserts, such as a spawned occurrence, was inserted by a concurrent turn: a
// fresh read sees it).
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01', '23505']);

/** Whether a turn that failed with `error` may decide again on a fresh read (nothing of it was written). */
export function retryable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code !== undefined && RETRYABLE_SQLSTATE.has(code);
}

/** How long an Idempotency-Key's first answer is kept and replayed: 24 h from its write (documented in the README). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** The refusal of a key stored for another request (422, field `idempotency-key`). */
export function keyReused(): DomainError {
  return new DomainError(
    'key_reused',
    `idempotency-key: already used for a different request (method, path, If-Match or body) within ${IDEMPOTENCY_TTL_MS / 3_600_000} h; send a new key`,
    'idempotency-key',
  );
}

/** A write's first answer, to be stored under (user, key) by the statement that writes the turn. */
export interface IdempotencyRecord extends IdempotencyMeta {
  /** The answer as JSON-able data, made from the aggregates as the turn leaves them (an answer holding the user as `user` gets its `last_seq` as written). */
  answer(after: Persisted): unknown;
}

export interface StoredAnswer {
  fingerprint: string;
  answer: unknown;
}

/** The unexpired first answer stored under (user, key) at `now`, or null. */
export async function findAnswer(q: Queryable, userId: string, key: string, now: Date): Promise<StoredAnswer | null> {
  const rows = await q.query<StoredAnswer>(
    'SELECT fingerprint, answer FROM idempotency WHERE user_id = $1 AND key = $2 AND created_at > $3',
    [userId, key, new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()],
    'tasklane_idempotency_find',
  );
  return rows.rows[0] ?? null;
}

/** Deletes up to `batch` answers expired at `now` (lazily, now and then; short statements); returns how many. */
export async function deleteExpiredAnswers(q: Queryable, now: Date, batch = 1000): Promise<number> {
  const rows = await q.query(
    `DELETE FROM idempotency WHERE ctid IN (SELECT ctid FROM idempotency WHERE created_at <= $1 LIMIT $2)`,
    [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString(), batch],
  );
  return rows.rowCount;
}

/** Creates the user on first use (UTC) and returns their zone and version. Takes no row lock on an existing user. */
export async function ensureUser(q: Queryable, userId: string): Promise<{ timezone: string; version: number }> {
  // One round trip: the row as this statement's snapshot sees it, or the one it inserts. A row inserted
  // by a concurrent statement after this one's snapshot is neither: then it is read again.
  const found = await q.query<{ timezone: string; version: number }>(ENSURE_USER, [userId], 'tasklane_ensure_user');
  if (found.rows[0]) return found.rows[0];
  const created = await q.query<{ timezone: string; version: number }>(
    'SELECT timezone, version FROM users WHERE id = $1',
    [userId],
  );
  return created.rows[0] ?? { timezone: 'UTC', version: 0 };
}

const ENSURE_USER = `WITH i AS (INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING timezone, version)
  SELECT timezone, version FROM users WHERE id = $1 UNION ALL SELECT timezone, version FROM i`;

/** The user (created on first use, in UTC): GET /me, and what a user turn decides on. */
export async function readUser(q: Queryable, userId: string): Promise<UserState> {
  await ensureUser(q, userId);
  const row = await q.query<UserState>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return row.rows[0] as UserState;
}

/**
 * A live task with its reminders that `userId` may see (GET /tasks/{id}): its list is theirs or they
 * are an active editor of it (the by-id rule, rows.ts accessibleTo). Null when it does not exist, was
 * deleted, or the user has no access (every by-id route answers all three with 404).
 */
export async function readTask(q: Queryable, userId: string, taskId: string): Promise<TaskState | null> {
  const rows = await q.query<TaskRow & { reminder_rows: Record<string, unknown>[] }>(
    `SELECT ${taskColumnsOf('t')}, ${REMINDERS_JSON} AS reminder_rows FROM tasks t
      WHERE t.id = $1 AND t.deleted_at IS NULL AND ${accessibleTo('t', '$2')}`,
    [taskId, userId],
    'tasklane_read_task',
  );
  const row = rows.rows[0];
  if (!row) return null;
  const { reminder_rows, ...task } = row;
  return toTask(task, remindersFromJson(reminder_rows));
}

/**
 * The live list and label ids a task command of `userId` may name (DecideContext.refs): the lists they
 * have access to (their own, and the shared ones they are an active member of), and their own labels
 * (labels are personal).
 */
export async function readRefs(q: Queryable, userId: string): Promise<{ lists: Set<string>; labels: Set<string> }> {
  const rows = await q.query<{ kind: string; id: string }>(
    `SELECT 'list' AS kind, id::text AS id FROM lists WHERE user_id = $1 AND deleted_at IS NULL
    UNION ALL ${viaSharedLists('$1', `SELECT 'list' AS kind, lists.id::text AS id FROM lists WHERE ${sharedListsWhere('$1')}`)}
    UNION ALL SELECT 'label', id::text FROM labels WHERE user_id = $1 AND deleted_at IS NULL`,
    [userId],
    'tasklane_refs',
  );
  return {
    lists: new Set(rows.rows.filter((r) => r.kind === 'list').map((r) => r.id)),
    labels: new Set(rows.rows.filter((r) => r.kind === 'label').map((r) => r.id)),
  };
}

/**
 * What an undo of `eventId` decides on (actors/task/undo.ts UndoEvents): the task's events from
 * UNDO_READ_BEFORE versions before that event to MAX_UNDO_LATER after it, in version order; none when
 * `userId` has no access to the task (rows.ts accessibleTo) or did not issue that event (its actor_id;
 * an event written before actor_id existed reads as issued by its user_id): a member undoes only their own.
 */
export async function readUndoEvents(
  q: Queryable,
  userId: string,
  taskId: string,
  eventId: string,
): Promise<EventEnvelope[]> {
  const undone = `(SELECT u.version FROM events u WHERE u.event_id = $3 AND u.aggregate_id = $2
    AND COALESCE(u.actor_id, u.user_id) = $1)`;
  const rows = await q.query<EventEnvelope>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id = $2
      AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = $2::uuid AND ${accessibleTo('t', '$1')})
      AND version BETWEEN ${undone} - $4::int AND ${undone} + $5::int
      ORDER BY version`,
    [userId, taskId, eventId, UNDO_READ_BEFORE, MAX_UNDO_LATER],
    'tasklane_undo_events',
  );
  return rows.rows.map(toEnvelope);
}

/**
 * The user a reminder event of the events row `e` is about (its reminder's owner): the reminder it
 * carries, or the reminders row it names (never deleted). Null for any other event.
 */
const REMINDER_OWNER = `CASE WHEN e.event_type LIKE 'reminder.%' THEN COALESCE(e.data->'reminder'->>'user_id',
  (SELECT r.user_id FROM reminders r WHERE r.id = COALESCE(e.data->>'reminder_id', e.data->'reminder'->>'id')::uuid)) END`;

/**
 * A task's events with version > `after` (default 0), in version order, at most `limit` (default 1000);
 * deleted tasks keep their history. Null when `userId` has no access to the task (rows.ts accessibleTo).
 * Every event of the task is shown but other members' reminder events (reminders are private).
 */
export async function readHistory(
  q: Queryable,
  userId: string,
  taskId: string,
  page: { after?: number; limit?: number } = {},
): Promise<EventEnvelope[] | null> {
  const access = await q.query(`SELECT 1 FROM tasks t WHERE t.id = $1 AND ${accessibleTo('t', '$2')}`, [
    taskId,
    userId,
  ]);
  if (access.rowCount === 0) return null;
  const rows = await q.query<EventEnvelope>(
    `SELECT ${EVENT_COLUMNS} FROM events e WHERE aggregate_id = $1 AND version > $3
      AND NOT COALESCE((${REMINDER_OWNER}) <> $2, false)
      ORDER BY version LIMIT $4`,
    [taskId, userId, page.after ?? 0, page.limit ?? 1000],
  );
  return rows.rows.map(toEnvelope);
}

export async function loadTask(
  q: Queryable,
  userId: string,
  taskId: string,
  options: { lock?: boolean } = {},
): Promise<TaskState | null> {
  const rows = await q.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [taskId, userId],
  );
  const row = rows.rows[0];
  if (!row) return null;
  const reminders = await q.query<ReminderState>(
    `SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = $1 ORDER BY created_at, id`,
    [taskId],
  );
  return toTask(row, reminders.rows);
}

/**
 * The after-completion series of the instance `state` that `command` completes or deletes (what the
 * decider may spawn its next instance on: DecideContext.series), read without a lock (the write checks
 * its version); undefined for any other command or task, or a series that is not after_completion.
 */
export async function readSeriesFor(
  q: Queryable,
  userId: string,
  command: TaskCommand,
  state: TaskState | null,
): Promise<TaskState | undefined> {
  if (command.type !== 'complete' && command.type !== 'delete' && command.type !== 'undo') return undefined;
  if (state === null || state.series_id === null || state.deleted_at !== null) return undefined;
  // An undone completion of an instance may take back the instance that completion spawned.
  if (command.type === 'undo' && !state.completed) return undefined;
  if (command.type === 'complete' && state.completed) return undefined;
  const series = await loadTask(q, userId, state.series_id);
  return series !== null && series.recurrence_mode === 'after_completion' ? series : undefined;
}

/**
 * The live instance `series` spawned last (its `occurrence_at` is the series' `last_spawned_at`), or
 * undefined: what an undone completion of the instance before it may take back (actors/task/undo.ts).
 */
export async function readLatestInstance(
  q: Queryable,
  userId: string,
  series: TaskState,
): Promise<TaskState | undefined> {
  if (series.last_spawned_at === null) return undefined;
  const rows = await q.query<{ id: string }>(
    `SELECT id::text AS id FROM tasks
    WHERE user_id = $1 AND series_id = $2 AND occurrence_at = $3 AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1`,
    [userId, series.id, series.last_spawned_at],
  );
  const id = rows.rows[0]?.id;
  return id === undefined ? undefined : ((await loadTask(q, userId, id)) ?? undefined);
}

/** The aggregates a decision is written on, as the decision read them. */
export interface WriteTarget {
  userId: string;
  /**
   * The user row's version the decision was made at (it used the user's zone as read then): the
   * statement writes only while the row is still at it, so a zone change since makes the turn decide again.
   */
  userVersion: number;
  /** The state of each task aggregate the events touch (null for one being created). */
  tasks?: Map<string, TaskState | null>;
  /** The user aggregate, when the events touch it (its `version` equals `userVersion`). */
  user?: UserState;
  /** The state of each list and label aggregate the events touch (null for one being created). */
  lists?: Map<string, ListState | null>;
  labels?: Map<string, LabelState | null>;
}

export interface Persisted {
  /** As written, with their seq. */
  events: EventEnvelope[];
  /** The state of every task the decision touched, after it. */
  tasks: Map<string, TaskState | null>;
  /** The user after the decision (its zone and version as written, `last_seq` after the events), when it touched the user. */
  user?: UserState;
  /** Every list and label the decision touched, after it. */
  lists: Map<string, ListState | null>;
  labels: Map<string, LabelState | null>;
}

const LOAD = `SELECT (SELECT timezone FROM users u WHERE u.id = t.user_id) AS user_timezone, (SELECT version FROM users u WHERE u.id = t.user_id) AS user_version,
    (SELECT s.version FROM tasks s WHERE s.id = t.id) AS snapshot_version, ${TASK_COLUMNS}, ${REMINDERS_JSON} AS reminder_rows
  FROM tasks t WHERE t.id = $1 AND ${accessibleTo('t', '$2')}`;
const LOAD_FOR_TURN = `${LOAD} FOR UPDATE OF t`;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** Reminders as REMINDERS_JSON gives them (JSON has no timestamptz: instants come back as text) → ReminderState. */
function remindersFromJson(rows: Record<string, unknown>[]): ReminderState[] {
  // Each column read by its REMINDER_TABLE type: uuids as text, instants to ISO, booleans strict, text or null.
  return rows.map(
    (r) =>
      Object.fromEntries(
        REMINDER_FIELDS.map((f) => {
          const { type } = REMINDER_TABLE[f];
          const v = r[f];
          if (type === 'timestamptz') return [f, iso(v)];
          if (type === 'boolean') return [f, v === true];
          if (type === 'uuid' || f === 'user_id') return [f, String(v)];
          return [f, (v as string | null) ?? null];
        }),
      ) as unknown as ReminderState,
  );
}

/**
 * Candidates for the sweeper: live tasks that may have a timer due at or before `until` (ISO), with
 * their reminders and the owner's zone, oldest first, at most `limit`. Coarse on purpose (a series is
 * taken a day plus its largest reminder offset, or days before for an all-day one, ahead, or once the
 * occurrence it spawned last has come): which timers are due is decided by the caller
 * with `timersOf`, the function the turns arm timers with.
 */
export async function timerCandidates(
  q: Queryable,
  until: string,
  limit: number,
): Promise<{ task: TaskState; userTimezone: string }[]> {
  type Row = TaskRow & { user_timezone: string; reminder_rows: Record<string, unknown>[] };
  // Two index scans (reminders_due, tasks_spawn_due) name the tasks; the rows are read once.
  const rows = await q.query<Row>(
    `WITH c AS (
        SELECT r.task_id AS id, min(r.remind_at) AS due FROM reminders r
         WHERE NOT r.notified AND NOT r.cancelled AND r.remind_at IS NOT NULL AND r.remind_at <= $1 GROUP BY r.task_id
        UNION ALL
        SELECT s.id, s.next_occurrence FROM tasks s
         WHERE s.is_recurring AND s.deleted_at IS NULL AND s.next_occurrence IS NOT NULL
           AND s.next_occurrence <= $1::timestamptz + interval '1 day'
             + COALESCE((SELECT max(COALESCE(r."offset", make_interval(days => r.days_before::int))) FROM reminders r WHERE r.task_id = s.id AND NOT r.cancelled), interval '0')
        UNION ALL
        -- A series' next instance shows ahead: it spawns once the occurrence spawned last has come (timers.ts spawnDueAt).
        SELECT s.id, s.last_spawned_at FROM tasks s
         WHERE s.is_recurring AND s.deleted_at IS NULL AND s.next_occurrence IS NOT NULL AND s.last_spawned_at <= $1),
      d AS (SELECT id, min(due) AS due FROM c GROUP BY id)
    SELECT (SELECT timezone FROM users u WHERE u.id = t.user_id) AS user_timezone, ${taskColumnsOf('t')}, ${REMINDERS_JSON} AS reminder_rows
      FROM d JOIN tasks t ON t.id = d.id
     WHERE t.deleted_at IS NULL AND (t.is_recurring OR NOT t.completed)
     ORDER BY d.due LIMIT $2`,
    [until, limit],
    'tasklane_timer_candidates',
  );
  return rows.rows.map(({ user_timezone, reminder_rows, ...task }) => ({
    task: toTask(task, remindersFromJson(reminder_rows)),
    userTimezone: user_timezone,
  }));
}

/**
 * A turn's reads in one round trip: the task row (locked with `lock`), its reminders and the owner's zone.
 * Without the lock the read is one snapshot, and the write's version check catches any change since.
 * Under READ COMMITTED a statement that waited for the row lock re-reads the locked row but sees
 * everything else (the reminders) in its old snapshot. Every reminder change also bumps the task's
 * version, so the version read in the snapshot equals the locked row's exactly when the reminders are
 * current; when they differ (a concurrent turn just committed), the reminders are read again.
 * Null when the task does not exist for this user (the caller then makes sure the user exists).
 */
export async function loadForTurn(
  q: Queryable,
  userId: string,
  taskId: string,
  options: { lock: boolean } = { lock: true },
): Promise<{ state: TaskState; timezone: string; userVersion: number } | null> {
  type Row = TaskRow & {
    user_timezone: string;
    user_version: number;
    snapshot_version: number;
    reminder_rows: Record<string, unknown>[];
  };
  const rows = options.lock
    ? await q.query<Row>(LOAD_FOR_TURN, [taskId, userId], 'tasklane_load_for_turn')
    : await q.query<Row>(LOAD, [taskId, userId], 'tasklane_load');
  const row = rows.rows[0];
  if (!row) return null;
  const { user_timezone, user_version, snapshot_version, reminder_rows, ...task } = row;
  let reminders = remindersFromJson(reminder_rows);
  if (snapshot_version !== task.version) {
    reminders = (
      await q.query<ReminderState>(
        `SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = $1 ORDER BY created_at, id`,
        [taskId],
      )
    ).rows;
  }
  return { state: toTask(task, reminders), timezone: user_timezone, userVersion: user_version };
}

/**
 * The one writer of events: writes one decision in ONE statement — the user row (its seq bump; its
 * zone and version when the events are on the user), every touched task row (inserted, or updated
 * under a version check), changed reminder rows, the events, and the Idempotency-Key's first answer.
 * Every check runs in SQL (`tasklane_guard` raises serialization_failure, 40001), so the decision is
 * written whole or not at all, in a transaction or without one; the caller decides again after a
 * `retryable` error. Seq numbers come from the user's row, bumped in this statement, so they are
 * gapless and in commit order per user; an aggregate's versions continue from the state read.
 */
export async function persist(
  q: Queryable,
  target: WriteTarget,
  pending: PendingEvent[],
  meta: CommandMeta,
  now: Date,
  idempotency?: IdempotencyRecord,
): Promise<Persisted> {
  const { userId } = target;
  const before = target.tasks ?? new Map<string, TaskState | null>();
  const timestamp = now.toISOString();
  const versions = new Map<string, number>();
  let first: string | null = null;
  const events: EventEnvelope[] = pending.map((p) => {
    const read =
      p.aggregate_type === 'user'
        ? target.user?.version
        : p.aggregate_type === 'list'
          ? target.lists?.get(p.aggregate_id)?.version
          : p.aggregate_type === 'label'
            ? target.labels?.get(p.aggregate_id)?.version
            : before.get(p.aggregate_id)?.version;
    const current = versions.get(p.aggregate_id) ?? read ?? 0;
    versions.set(p.aggregate_id, current + 1);
    const event_id = randomUUID();
    // Events on another aggregate than the first (a spawned instance) were caused by that first event.
    const causation_id =
      first !== null && p.aggregate_id !== pending[0]?.aggregate_id ? first : (meta.causationId ?? null);
    first ??= event_id;
    return {
      event_id,
      event_type: p.event_type,
      user_id: userId,
      aggregate_type: p.aggregate_type,
      aggregate_id: p.aggregate_id,
      version: current + 1,
      seq: 0,
      timestamp,
      correlation_id: meta.correlationId,
      causation_id,
      data: p.data,
    };
  });
  const after = new Map<string, TaskState | null>();
  const listsAfter = new Map<string, ListState | null>();
  const labelsAfter = new Map<string, LabelState | null>();
  let user = target.user;
  for (const e of events) {
    if (e.aggregate_type === 'user') {
      if (user === undefined) throw new Error(`persist: a ${e.event_type} event without the user it applies to`);
      user = evolveUser(user, e);
      continue;
    }
    if (e.aggregate_type === 'list') {
      listsAfter.set(
        e.aggregate_id,
        evolveList(
          listsAfter.has(e.aggregate_id)
            ? (listsAfter.get(e.aggregate_id) ?? null)
            : (target.lists?.get(e.aggregate_id) ?? null),
          e,
        ),
      );
      continue;
    }
    if (e.aggregate_type === 'label') {
      labelsAfter.set(
        e.aggregate_id,
        evolveLabel(
          labelsAfter.has(e.aggregate_id)
            ? (labelsAfter.get(e.aggregate_id) ?? null)
            : (target.labels?.get(e.aggregate_id) ?? null),
          e,
        ),
      );
      continue;
    }
    const state = after.has(e.aggregate_id)
      ? (after.get(e.aggregate_id) ?? null)
      : (before.get(e.aggregate_id) ?? null);
    after.set(e.aggregate_id, evolve(state, e));
  }

  const params: unknown[] = [userId, events.length, timestamp];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const userSet =
    user === target.user || user === undefined
      ? ''
      : `, timezone = ${p(user.timezone)}, version = ${p(user.version)}, timezone_chosen = ${p(user.timezone_chosen)}`;
  const ctes: string[] = [
    `s AS (UPDATE users SET last_seq = last_seq + $2, updated_at = $3${userSet}
    WHERE id = $1 AND version = ${p(target.userVersion)} RETURNING last_seq)`,
  ];
  const taskCtes: string[] = [];
  const reminderRows: (ReminderState & { prev_notified: boolean | null; prev_cancelled: boolean | null })[] = [];
  const listRefs = new Set<string>();
  const labelRefs = new Set<string>();
  // Lists and labels: inserted, or updated under their version, like tasks (their writes count with the tasks').
  const rows = (
    table: string,
    fields: readonly string[],
    states: Map<string, ListState | LabelState | null>,
    read: Map<string, ListState | LabelState | null> | undefined,
  ) => {
    for (const [id, state] of states) {
      if (!state) continue;
      const old = read?.get(id) ?? null;
      const name = `t${taskCtes.length}`;
      taskCtes.push(name);
      const v = fields.map((f) => p((state as unknown as Record<string, unknown>)[f]));
      ctes.push(
        old === null
          ? `${name} AS (INSERT INTO ${table} (id, user_id, ${fields.join(', ')}) VALUES (${p(id)}, $1, ${v.join(', ')}) RETURNING 1)`
          : `${name} AS (UPDATE ${table} SET ${fields.map((f, i) => `${f} = ${v[i]}`).join(', ')} WHERE id = ${p(id)} AND user_id = $1 AND version = ${p(old.version)} RETURNING 1)`,
      );
    }
  };
  rows('lists', LIST_FIELDS, listsAfter, target.lists);
  rows('labels', LABEL_FIELDS, labelsAfter, target.labels);
  for (const [id, state] of after) {
    if (!state) continue;
    const old = before.get(id) ?? null;
    const name = `t${taskCtes.length}`;
    taskCtes.push(name);
    const v = TASK_FIELDS.map((f) => p(state[f]));
    if (old === null) {
      ctes.push(`${name} AS (INSERT INTO tasks (id, user_id, ${TASK_FIELDS.join(', ')})
        VALUES (${p(state.id)}, $1, ${v.join(', ')}) RETURNING 1)`);
    } else {
      ctes.push(`${name} AS (UPDATE tasks SET ${TASK_FIELDS.map((f, i) => `${f} = ${v[i]}`).join(', ')}
        WHERE id = ${p(id)} AND user_id = $1 AND version = ${p(old.version)} RETURNING 1)`);
    }
    // A list or label a task newly names must still be live when this writes (see `refs` below).
    // The Inbox is never deleted (lists_inbox_stays), so it needs no lock: most tasks are written unlocked.
    if ((old === null || old.list_id !== state.list_id) && state.list_id !== inboxIdOf(userId))
      listRefs.add(state.list_id);
    for (const l of state.labels) if (!old?.labels.includes(l)) labelRefs.add(l);
    const previous = new Map((old?.reminders ?? []).map((r) => [r.id, r]));
    for (const r of state.reminders) {
      const o = previous.get(r.id);
      if (!o || REMINDER_FIELDS.some((f) => o[f] !== r[f])) {
        reminderRows.push({ ...r, prev_notified: o?.notified ?? null, prev_cancelled: o?.cancelled ?? null });
      }
    }
  }
  if (reminderRows.length > 0) {
    const kept = REMINDER_FIELDS.filter((f) => f !== 'id' && f !== 'task_id' && f !== 'user_id' && f !== 'created_at');
    ctes.push(
      `rx AS (SELECT * FROM json_to_recordset(${p(JSON.stringify(reminderRows))}::json) AS x(${REMINDER_RECORD}, prev_notified boolean, prev_cancelled boolean))`,
    );
    ctes.push(`r AS (INSERT INTO reminders (${REMINDER_FIELDS.map(sqlName).join(', ')})
      SELECT ${REMINDER_FIELDS.map((f) => `${sqlName(f)}::${REMINDER_TABLE[f].type}`).join(', ')} FROM rx
      ON CONFLICT (id) DO UPDATE SET ${kept.map((f) => `${sqlName(f)} = EXCLUDED.${sqlName(f)}`).join(', ')}
        -- Guarded like every timer fire: a reminder someone else already changed is never changed again.
        WHERE (reminders.notified, reminders.cancelled) = (SELECT rx.prev_notified, rx.prev_cancelled FROM rx WHERE rx.id = reminders.id)
      RETURNING 1)`);
  }
  // The first answer under the Idempotency-Key, in the same statement: it exists exactly when the turn
  // committed. A row for the key that has not expired stays (no row returned → the guard below raises
  // and the writer retries, finding that answer); a concurrent duplicate waits on the key and sees it.
  if (idempotency !== undefined) {
    // The user's last_seq is known only inside the statement: an answer holding the user gets it from `s`.
    const answer = `${p(JSON.stringify(idempotency.answer({ events, tasks: after, lists: listsAfter, labels: labelsAfter, ...(userSet ? { user } : {}) })))}::jsonb`;
    const answerSql = userSet ? `jsonb_set(${answer}, '{user,last_seq}', to_jsonb((SELECT last_seq FROM s)))` : answer;
    ctes.push(`k AS (INSERT INTO idempotency (user_id, key, fingerprint, answer, created_at)
      VALUES ($1, ${p(idempotency.key)}, ${p(idempotency.fingerprint)}, ${answerSql}, $3)
      ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, answer = EXCLUDED.answer, created_at = EXCLUDED.created_at
        WHERE idempotency.created_at <= ${p(new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString())}
      RETURNING 1)`);
  }
  // Each list and label the decision newly names is locked (shared) and must be live: a list or label
  // deleted by a user turn that committed meanwhile fails the check (the row lock sees its latest
  // version), so the turn decides again and refuses; one deleted after this commits finds this task.
  const refs: string[] = [];
  for (const [table, ids] of [
    ['lists', listRefs],
    ['labels', labelRefs],
  ] as const) {
    if (ids.size === 0) continue;
    const name = `g${refs.length}`;
    ctes.push(
      `${name} AS (SELECT id FROM ${table} WHERE user_id = $1 AND id = ANY(${p([...ids])}::uuid[]) AND deleted_at IS NULL FOR SHARE)`,
    );
    refs.push(
      `\n       AND tasklane_guard((SELECT count(*) FROM ${name}) = ${p(ids.size)}::int, 'a ${table === 'lists' ? 'list' : 'label'} the task names was deleted')`,
    );
  }
  const eventRows = events.map((e, i) => ({ ...e, ord: i + 1 }));
  ctes.push(`e AS (INSERT INTO events (user_id, seq, ${EVENT_WRITTEN.map(sqlName).join(', ')})
    SELECT $1, s.last_seq - $2 + x.ord, ${EVENT_WRITTEN.map((f) => `x.${sqlName(f)}`).join(', ')}
      FROM s, json_to_recordset(${p(JSON.stringify(eventRows))}::json) AS x(ord int, ${EVENT_RECORD})
    RETURNING 1)`);
  const sql = `WITH ${ctes.join(',\n')},
    c AS (SELECT (SELECT last_seq FROM s) AS last_seq,
           ARRAY[${taskCtes.map((t) => `(SELECT count(*) FROM ${t})::int`).join(', ')}]::int[] AS tasks,
           ${reminderRows.length > 0 ? '(SELECT count(*) FROM r)::int' : '0'} AS reminders,
           (SELECT count(*) FROM e)::int AS events)
    SELECT c.last_seq FROM c
     WHERE tasklane_guard(c.last_seq IS NOT NULL, 'the user does not exist, or its version changed since it was read (a zone change)')
       AND tasklane_guard(c.tasks = ARRAY[${taskCtes.map(() => '1').join(', ')}]::int[], 'a task changed since it was read (version check failed)')
       AND tasklane_guard(c.reminders = ${p(reminderRows.length)}::int, 'a reminder changed since it was read')
       AND tasklane_guard(c.events = ${p(events.length)}::int, 'the decision was not written whole')${refs.join('')}${
         idempotency === undefined
           ? ''
           : `
       AND tasklane_guard((SELECT count(*) FROM k) = 1, 'the Idempotency-Key was used meanwhile')`
       }`;
  // Every value is a parameter, so the text depends only on the decision's shape (how many tasks, created
  // or updated, reminders or not): a handful of statements, each prepared once per connection.
  const name = statementName(sql);
  const result = await q.query<{ last_seq: number }>(sql, params, name);
  // One row: every guard held (a failed one raised above).
  const lastSeq = Number(result.rows[0]?.last_seq);
  events.forEach((e, i) => {
    e.seq = lastSeq - events.length + 1 + i;
  });
  return {
    events,
    tasks: after,
    lists: listsAfter,
    labels: labelsAfter,
    ...(user ? { user: { ...user, last_seq: lastSeq } } : {}),
  };
}

/** Names of persist's statement texts, by text (a handful of shapes; hashed once each, not per write). */
const NAMES = new Map<string, string>();
const MAX_NAMES = 1000;

function statementName(sql: string): string {
  let name = NAMES.get(sql);
  if (name === undefined) {
    name = `tasklane_persist_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    if (NAMES.size >= MAX_NAMES) NAMES.clear();
    NAMES.set(sql, name);
  }
  return name;
}

/**
 * A timer fired without a request: its events carry the correlation id of the request that armed it,
 * and their causation id is the event that armed it. Undefined for other commands, or when none is found.
 */
export async function timerCause(q: Queryable, taskId: string, command: TaskCommand): Promise<CommandMeta | undefined> {
  let rows;
  if (command.type === 'fire_reminder') {
    rows = await q.query<{ event_id: string; correlation_id: string }>(
      `SELECT event_id::text, correlation_id::text FROM events
      WHERE aggregate_id = $1 AND ((event_type = 'reminder.scheduled' AND data->'reminder'->>'id' = $2)
         OR (event_type = 'reminder.snoozed' AND data->>'reminder_id' = $2))
      ORDER BY version DESC LIMIT 1`,
      [taskId, command.reminder_id],
    );
  } else if (command.type === 'spawn') {
    rows = await q.query<{ event_id: string; correlation_id: string }>(
      `SELECT event_id::text, correlation_id::text FROM events
      WHERE aggregate_id = $1 AND event_type IN ('task.created', 'recurring.spawned', 'recurring.rescheduled')
      ORDER BY version DESC LIMIT 1`,
      [taskId],
    );
  } else {
    return undefined;
  }
  const row = rows.rows[0];
  return row ? { correlationId: row.correlation_id, causationId: row.event_id } : undefined;
}
