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
import { evolveList, inboxIdOf, type ListState, type MemberState } from '../../actors/list/index.ts';
import {
  accessOf,
  audienceOf,
  canonicalOf,
  scopeOf,
  type AudienceState,
  type ListScope,
} from '../../actors/list/audience.ts';
import { evolveLabel, type LabelState } from '../../actors/label/index.ts';
import type { PendingEvent, EventEnvelope } from '../../actors/events.ts';
import { DomainError, invalid, notFound } from '../../actors/errors.ts';
import { UNDO_READ_BEFORE, MAX_UNDO_LATER } from '../../actors/task/undo.ts';
import type { CommandMeta, IdempotencyMeta } from '../../actors/ports.ts';
import {
  TASK_COLUMNS,
  eventColumnsIn,
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
  LIST_COLUMNS,
  LABEL_FIELDS,
  accessibleTo,
  accessibleOrOwnGone,
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

/** True when `userId` may see the task `taskId`, live or deleted (the by-id rule, rows.ts accessibleTo). */
export async function canAccess(q: Queryable, userId: string, taskId: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM tasks t WHERE t.id = $1 AND ${accessibleOrOwnGone('t', '$2')}`,
    [taskId, userId],
    'tasklane_can_access',
  );
  return rows.rowCount !== 0;
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
 * an event written before actor_id existed reads as issued by its user_id): a member undoes only their own
 * changes, and any delete of a task they may open.
 */
export async function readUndoEvents(
  q: Queryable,
  userId: string,
  taskId: string,
  eventId: string,
): Promise<EventEnvelope[]> {
  // A change is its author's to undo, except a delete: anyone who may open the task may bring it back (a
  // member's delete of a shared task would otherwise stand for good once that member leaves the list).
  const undone = `(SELECT u.version FROM events u WHERE u.event_id = $3 AND u.aggregate_id = $2
    AND (COALESCE(u.actor_id, u.user_id) = $1 OR u.event_type = 'task.deleted'))`;
  const rows = await q.query<EventEnvelope>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id = $2
      AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = $2::uuid AND ${accessibleOrOwnGone('t', '$1')})
      AND version BETWEEN ${undone} - $4::int AND ${undone} + $5::int
      ORDER BY version`,
    [userId, taskId, eventId, UNDO_READ_BEFORE, MAX_UNDO_LATER],
    'tasklane_undo_events',
  );
  return rows.rows.map(toEnvelope);
}

/**
 * A task's events with version > `after` (default 0), in version order, at most `limit` (default 1000);
 * deleted tasks keep their history. Null when `userId` has no access to the task (rows.ts accessibleTo).
 * Only the events that reached the user's own stream (stored there, or delivered there): what the task
 * went through while it was in a list the user had no access to, and other members' reminder events
 * (reminders are private), are not theirs to read.
 */
export async function readHistory(
  q: Queryable,
  userId: string,
  taskId: string,
  page: { after?: number; limit?: number } = {},
): Promise<(EventEnvelope & { actor_id: string | null })[] | null> {
  const access = await q.query(`SELECT 1 FROM tasks t WHERE t.id = $1 AND ${accessibleOrOwnGone('t', '$2')}`, [
    taskId,
    userId,
  ]);
  if (access.rowCount === 0) return null;
  // Each event in the reader's own stream: the canonical row when it is theirs, else their delivery row.
  const rows = await q.query<EventEnvelope & { actor_id: string | null }>(
    `SELECT ${HISTORY_COLUMNS}, e.actor_id FROM events e
       LEFT JOIN event_deliveries d ON d.event_id = e.event_id AND d.user_id = $2 AND e.user_id <> $2
      WHERE e.aggregate_id = $1 AND e.version > $3 AND (e.user_id = $2 OR d.user_id IS NOT NULL)
      ORDER BY e.version LIMIT $4`,
    [taskId, userId, page.after ?? 0, page.limit ?? 1000],
  );
  return rows.rows.map((row) => ({ ...toEnvelope(row), actor_id: row.actor_id }));
}

/** An event's envelope from `events e` in the reader's stream: their delivery row `d` when there is one, else the row's own. */
const HISTORY_COLUMNS = eventColumnsIn({ user_id: 'COALESCE(d.user_id, e.user_id)', seq: 'COALESCE(d.seq, e.seq)' });

export async function loadTask(q: Queryable, userId: string, taskId: string): Promise<TaskState | null> {
  const rows = await q.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2`, [
    taskId,
    userId,
  ]);
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
  command: TaskCommand,
  state: TaskState | null,
): Promise<TaskState | undefined> {
  if (command.type !== 'complete' && command.type !== 'delete' && command.type !== 'undo') return undefined;
  if (state === null || state.series_id === null || state.deleted_at !== null) return undefined;
  // An undone completion of an instance may take back the instance that completion spawned.
  if (command.type === 'undo' && !state.completed) return undefined;
  if (command.type === 'complete' && state.completed) return undefined;
  // The series is its instance's home user's, whichever member of a shared list completes the instance.
  const series = await loadTask(q, state.user_id, state.series_id);
  return series !== null && series.recurrence_mode === 'after_completion' ? series : undefined;
}

/**
 * For a command that may reopen an instance (`uncomplete`, `undo`): whether its series is deleted or
 * gone (actors/task/decide.ts `seriesDeleted`); undefined for any other command or a task of no series.
 */
export async function readSeriesDeleted(
  q: Queryable,
  command: TaskCommand,
  state: TaskState | null,
): Promise<boolean | undefined> {
  if ((command.type !== 'uncomplete' && command.type !== 'undo') || state === null || state.series_id === null)
    return undefined;
  const row = await q.query<{ gone: boolean }>('SELECT deleted_at IS NOT NULL AS gone FROM tasks WHERE id = $1', [
    state.series_id,
  ]);
  return row.rows[0]?.gone ?? true;
}

/**
 * For an `undo` on a deleted occurrence: the instants (UTC ISO) of the live occurrences of its series within
 * 36 hours of its own (a day either side, whatever the zone), which the decider compares by local day
 * (actors/task/undo.ts restore: its series' schedule was edited since and spawned one that day); undefined
 * for any other command or task. A spawn racing the restore is caught by tasks_series_occurrence where it
 * takes the same instant (23505, and the turn decides again on this read).
 */
export async function readOccurrencesNear(
  q: Queryable,
  command: TaskCommand,
  state: TaskState | null,
): Promise<string[] | undefined> {
  if (command.type !== 'undo' || state === null || state.deleted_at === null) return undefined;
  if (state.series_id === null || state.occurrence_at === null) return undefined;
  const rows = await q.query<{ at: Date | string }>(
    `SELECT occurrence_at AS at FROM tasks WHERE series_id = $1 AND deleted_at IS NULL AND id <> $3
      AND occurrence_at BETWEEN $2::timestamptz - interval '36 hours' AND $2::timestamptz + interval '36 hours'`,
    [state.series_id, state.occurrence_at, state.id],
  );
  return rows.rows.map((r) => new Date(r.at).toISOString());
}

/**
 * For a completion of a series (its next occurrence, ahead of time: actors/task/decide.ts completeNext): its
 * earliest open occurrence (a live, not completed instance), or null when none is open; undefined for any
 * other command. One index scan (tasks_by_series).
 */
export async function readOpenOccurrence(
  q: Queryable,
  command: TaskCommand,
  state: TaskState | null,
): Promise<{ id: string; due_date: string | null } | null | undefined> {
  if (command.type !== 'complete' || state === null || !state.is_recurring) return undefined;
  const rows = await q.query<{ id: string; due_date: Date | string | null }>(
    `SELECT id::text AS id, due_date FROM tasks
      WHERE series_id = $1 AND NOT completed AND deleted_at IS NULL ORDER BY occurrence_at LIMIT 1`,
    [state.id],
  );
  const row = rows.rows[0];
  if (row === undefined) return null;
  const due = row.due_date;
  return { id: row.id, due_date: due === null ? null : new Date(due).toISOString() };
}

/**
 * For an edit of a calendar series' schedule (its due date, rule or zone): its open occurrences spawned
 * ahead of their time (`occurrence_at` after `now`), which the old schedule made; whether it had spawned
 * ahead others since done or deleted (`alsoAhead`); and the latest occurrence kept (done and live, or whose
 * time has come, deleted or not: a day whose occurrence the user deleted stays done with), or null
 * (actors/task/decide.ts update: the edit discards the ones ahead for the new schedule's). Undefined for
 * any other command.
 */
export async function readAheadOccurrences(
  q: Queryable,
  command: TaskCommand,
  state: TaskState | null,
  now: Date,
): Promise<{ open: TaskState[]; alsoAhead: boolean; latestKept: string | null } | undefined> {
  if (command.type !== 'update' || state === null || !state.is_recurring || state.recurrence_mode !== 'calendar')
    return undefined;
  const d = command.data;
  if (!('due_date' in d) && !('recurrence_rule' in d) && !('timezone' in d)) return undefined;
  const rows = await q.query<{ ids: string[] | null; also_ahead: boolean; latest: Date | string | null }>(
    `SELECT (SELECT array_agg(id::text ORDER BY occurrence_at) FROM tasks
              WHERE series_id = $1 AND deleted_at IS NULL AND NOT completed AND occurrence_at > $2)::text[] AS ids,
            EXISTS (SELECT 1 FROM tasks
              WHERE series_id = $1 AND occurrence_at > $2 AND (completed OR deleted_at IS NOT NULL)) AS also_ahead,
            (SELECT max(occurrence_at) FROM tasks
              WHERE series_id = $1 AND (occurrence_at <= $2 OR (completed AND deleted_at IS NULL))) AS latest`,
    [state.id, now.toISOString()],
    'tasklane_ahead_occurrences',
  );
  const row = rows.rows[0];
  const open: TaskState[] = [];
  for (const id of row?.ids ?? []) {
    const task = await loadTask(q, state.user_id, id);
    if (task) open.push(task);
  }
  const latest = row?.latest ?? null;
  return {
    open,
    alsoAhead: row?.also_ahead === true,
    latestKept: latest === null ? null : new Date(latest).toISOString(),
  };
}

/**
 * The live instance `series` spawned last (its `occurrence_at` is the series' `last_spawned_at`), or
 * undefined: what an undone completion of the instance before it may take back (actors/task/undo.ts).
 */
export async function readLatestInstance(q: Queryable, series: TaskState): Promise<TaskState | undefined> {
  if (series.last_spawned_at === null) return undefined;
  const rows = await q.query<{ id: string }>(
    `SELECT id::text AS id FROM tasks
    WHERE user_id = $1 AND series_id = $2 AND occurrence_at = $3 AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1`,
    [series.user_id, series.id, series.last_spawned_at],
  );
  const id = rows.rows[0]?.id;
  return id === undefined ? undefined : ((await loadTask(q, series.user_id, id)) ?? undefined);
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
  /**
   * Who issued the decision, written as events.actor_id: a user, or null for a timer or system turn
   * (default: `userId`). The canonical recipient of an event is the actor when they receive it.
   */
  actor?: string | null;
  /**
   * The lists the decision's tasks are in before or after it, as the turn read them (`readScopes`): who
   * receives each task event (actors/list/audience.ts). Each is checked in SQL to be still at its version
   * (`FOR SHARE`), so a membership change committed meanwhile makes the turn decide again. A task's list
   * without a scope here is taken as the private list of `userId` (the Inbox needs none: it is never shared).
   */
  scopes?: Map<string, ListScope>;
  /**
   * The users whose rows the transaction locked before the task's (loadForTurn `locked`): a decision that
   * reaches any other user is not written (MoreLocksNeeded), as locking that row now could deadlock.
   */
  locked?: ReadonlySet<string>;
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
  /**
   * The events again, once per recipient other than the one whose stream holds the event (its
   * event_deliveries rows): `user_id` is the recipient and `seq` the recipient's own; empty when every
   * event reached `userId` alone. Turns hand them to the hub and the relay with the events.
   */
  copies: EventEnvelope[];
}

/**
 * The scope of each of these lists (their version, owner, shared flag and members), as a write that
 * touches their tasks checks it (WriteTarget.scopes); a list that does not exist is left out.
 */
export async function readScopes(q: Queryable, listIds: Iterable<string>): Promise<Map<string, ListScope>> {
  const ids = [...new Set(listIds)];
  if (ids.length === 0) return new Map();
  const rows = await q.query<ListState>(
    `SELECT ${LIST_COLUMNS} FROM lists WHERE id = ANY($1::uuid[])`,
    [ids],
    'tasklane_read_scopes',
  );
  return new Map(rows.rows.map((l) => [l.id, scopeOf(l)]));
}

/**
 * The lists other than `userId`'s Inbox that a decision on `before` (task states, null: created) with
 * `pending` puts tasks in or takes them from: what a task turn reads the scopes of (`readScopes`).
 */
export function listsTouched(
  userId: string,
  before: Iterable<TaskState | null>,
  pending: readonly PendingEvent[],
): string[] {
  const ids = new Set<string>();
  for (const t of before) if (t) ids.add(t.list_id);
  for (const p of pending) {
    if (p.aggregate_type !== 'task') continue;
    const task = p.data.task as { list_id?: unknown } | undefined;
    if (typeof task?.list_id === 'string') ids.add(task.list_id);
    const moved = (p.data.changes as { list_id?: { to?: unknown } } | undefined)?.list_id?.to;
    if (typeof moved === 'string') ids.add(moved);
  }
  ids.delete(inboxIdOf(userId));
  return [...ids];
}

const LOAD_ANY = `SELECT (SELECT timezone FROM users u WHERE u.id = t.user_id) AS user_timezone, (SELECT version FROM users u WHERE u.id = t.user_id) AS user_version,
    (SELECT s.version FROM tasks s WHERE s.id = t.id) AS snapshot_version, ${TASK_COLUMNS}, ${REMINDERS_JSON} AS reminder_rows
  FROM tasks t WHERE t.id = $1`;
const LOAD = `${LOAD_ANY} AND ${accessibleOrOwnGone('t', '$2')}`;
const LOAD_FOR_TURN = `${LOAD} FOR UPDATE OF t`;
/**
 * The rows of the users a write on task $1 moves, locked in the order every write takes them (user id,
 * COLLATE "C": persist's shared path and group commit): the task's home user, the caller ($2), its list's
 * owner and its invited and active members, the owners and members of the lists $4 (the list a command
 * names: a create's, a move's target), and the users $3 (those a decision of an earlier attempt reached
 * beyond these: a series in another list, a member who left).
 * Every write of a task moves its users' rows before it updates the task, so a turn that locked the task
 * first and a user's row second (the old order) deadlocked with a concurrent write, and each deadlock
 * cost PostgreSQL's deadlock_timeout (1 s) before one of them was rolled back. persist refuses to write a
 * decision reaching a user not locked here (MoreLocksNeeded), so no row is taken out of order.
 * The ids are computed once (`ANY(ARRAY(…))`, an InitPlan) and the rows locked by a plain index scan on
 * them: a row updated by another transaction while this one waits is then always locked at its new
 * version. Chosen through a semi-join (`IN (…)`), a populated database planned a nested loop with
 * Memoize whose EvalPlanQual recheck dropped such a row, so under a shared list's traffic (each event
 * moves every member's last_seq) the users were left out attempt after attempt and the turn failed
 * (test/integration/store.test.ts holds the planner to that plan).
 */
const LOCK_WRITERS = `SELECT u.id FROM users u WHERE u.id = ANY(ARRAY(
    SELECT t.user_id FROM tasks t WHERE t.id = $1
    UNION ALL SELECT $2
    UNION ALL SELECT unnest($3::text[])
    UNION ALL SELECT m.user_id FROM tasks t JOIN list_members m ON m.list_id = t.list_id
      WHERE t.id = $1 AND m.state IN ('invited', 'active')
    UNION ALL SELECT l.user_id FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = $1
    UNION ALL SELECT m.user_id FROM list_members m WHERE m.list_id = ANY($4::uuid[]) AND m.state IN ('invited', 'active')
    UNION ALL SELECT l.user_id FROM lists l WHERE l.id = ANY($4::uuid[])))
  ORDER BY u.id COLLATE "C" FOR UPDATE OF u`;

/**
 * Locks, for a retry of a list's or a label's own write (rename, delete, a membership change), the rows
 * it moves, as LOCK_WRITERS locks a task write's (no task; the list as the one the command names): `users`
 * (the caller first, then a user being invited) and, for a list (`listId`; null for a label), its owner and
 * its invited and active members, whose rows a shared list's write moves before the list row. While they
 * are held no other write of the list can commit, so the retry's read stays true until its own write: it
 * makes progress however often the list changes (a rename was refused on every retry while members came
 * and went). Must run inside the retry's transaction.
 */
export async function lockListWriters(
  q: Queryable,
  users: readonly [string, ...string[]],
  listId: string | null,
): Promise<void> {
  const [caller, ...others] = users;
  await q.query(LOCK_WRITERS, [null, caller, others, listId === null ? [] : [listId]], 'tasklane_lock_writers');
}

/**
 * A locked turn's decision reaches users whose rows it did not lock first (`users`): nothing was written;
 * the turn decides again with them locked too (retryable, as a failed guard is: SQLSTATE 40001).
 */
export class MoreLocksNeeded extends Error {
  readonly code = '40001';
  constructor(readonly users: readonly string[]) {
    super(`the decision reaches users not locked first: ${users.join(', ')}`);
    this.name = 'MoreLocksNeeded';
  }
}
/** A system turn's read (a timer, a fan-out): the task by id, whoever may see it. */
const LOAD_SYSTEM_FOR_TURN = `${LOAD_ANY} FOR UPDATE OF t`;

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
 * With it, the rows of the users the write moves are locked first (LOCK_WRITERS, with `alsoLock`: one more
 * round trip, taken only by a turn deciding again; their ids are added to `locked`), then the task's: the
 * order every write takes them in. They stay locked until the transaction ends, so every write of those
 * users waits for the turn's decision (rare: only a turn whose write failed its check takes this path).
 * Under READ COMMITTED a statement that waited for the row lock re-reads the locked row but sees
 * everything else (the reminders) in its old snapshot. Every reminder change also bumps the task's
 * version, so the version read in the snapshot equals the locked row's exactly when the reminders are
 * current; when they differ (a concurrent turn just committed), the reminders are read again.
 * Null when the task does not exist for this user (the caller then makes sure the user exists). With
 * `system` (a timer or fan-out turn, which has no actor) the task is read by id alone, without the access
 * rule: the decider then decides what a user who has no access any more may still get (nothing).
 */
export async function loadForTurn(
  q: Queryable,
  userId: string,
  taskId: string,
  options: {
    lock: boolean;
    system?: boolean;
    alsoLock?: readonly string[];
    /** Lists the command names (LOCK_WRITERS $4): their owners and members are locked too. */
    lists?: readonly string[];
    locked?: Set<string>;
  } = { lock: true },
): Promise<{ state: TaskState; timezone: string; userVersion: number } | null> {
  type Row = TaskRow & {
    user_timezone: string;
    user_version: number;
    snapshot_version: number;
    reminder_rows: Record<string, unknown>[];
  };
  if (options.lock) {
    const locked = await q.query<{ id: string }>(
      LOCK_WRITERS,
      [taskId, userId, [...(options.alsoLock ?? [])], [...(options.lists ?? [])]],
      'tasklane_lock_writers',
    );
    for (const row of locked.rows) options.locked?.add(row.id);
  }
  const rows = options.system
    ? options.lock
      ? await q.query<Row>(LOAD_SYSTEM_FOR_TURN, [taskId], 'tasklane_load_system_for_turn')
      : await q.query<Row>(LOAD_ANY, [taskId], 'tasklane_load_system')
    : options.lock
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

/** Who receives each event of a decision, and where each is stored (persist's fan-out, shared-lists plan section 4). */
interface FanOut {
  /** events.actor_id of every event. */
  actor: string | null;
  /** Some event reaches a user other than the target user, or is stored in another stream: the shared path. */
  shared: boolean;
  /** Per event: the recipient whose stream holds it (events.user_id) and its rank among that user's events of this decision (1-based). */
  canon: string[];
  rank: number[];
  /** Per event: the shared lists whose members make up its audience (events.scope), or null. */
  scope: (string[] | null)[];
  /** Events each recipient receives (the target user always listed, possibly with 0): how far its last_seq moves. */
  counts: Map<string, number>;
  /** Each delivery: event index, recipient, and its rank among the recipient's events of this decision. */
  copies: { index: number; user_id: string; rank: number }[];
}

function audiences(
  target: WriteTarget,
  events: readonly EventEnvelope[],
  states: readonly { before: AudienceState | null; after: AudienceState | null }[],
): FanOut {
  const { userId } = target;
  const actor = target.actor === undefined ? userId : target.actor;
  const scopes = new Map(target.scopes ?? []);
  // A task's list without a scope: the target user's private list (today's rule: their events only).
  const own: ListScope = { version: 0, owner: userId, shared: false, deleted_at: null, members: [] };
  const listsOf = (i: number): string[] =>
    events[i]?.aggregate_type === 'task'
      ? [
          ...new Set(
            [states[i]?.before, states[i]?.after].flatMap((t) => (t && 'list_id' in t ? [t.list_id as string] : [])),
          ),
        ]
      : [];
  events.forEach((_, i) => {
    for (const id of listsOf(i)) if (!scopes.has(id)) scopes.set(id, own);
  });
  const out: FanOut = {
    actor,
    shared: false,
    canon: [],
    rank: [],
    scope: [],
    counts: new Map([[userId, 0]]),
    copies: [],
  };
  events.forEach((e, i) => {
    const st = states[i] ?? { before: null, after: null };
    // A user writes a task only in lists they have access to (the scopes' versions are checked in SQL, so
    // this holds at commit): a member removed since the turn read the task is refused as a stranger is.
    // A list it would move into (or be made in) that the user has no access to is not one of theirs: 400
    // naming list_id, as for any list they cannot see (an editor moving a task into its creator's Inbox).
    if (actor !== null)
      for (const id of listsOf(i)) {
        if (accessOf(scopes.get(id) ?? own).includes(actor)) continue;
        const from = (st.before as TaskState | null)?.list_id;
        // The undo of a delete whose list is gone since brings the task back to its creator's Inbox, whoever
        // undoes it (actors/task/undo.ts restore): they had access to where it was, checked with `from`.
        if (e.event_type === 'task.restored' && id !== from && id === inboxIdOf(userId)) continue;
        // Its creator's own undo of a delete in a list deleted since: no one has access to a deleted list, and
        // the task leaves it for their Inbox (rows.ts accessibleOrOwnGone read it for them).
        if (e.event_type === 'task.restored' && id === from && actor === userId && scopes.get(from)?.deleted_at)
          continue;
        if (id !== from && (from === undefined || accessOf(scopes.get(from) ?? own).includes(actor)))
          throw invalid('list_id', 'no such list');
        throw notFound('task');
      }
    // A list that was never shared holds only its owner's tasks (the listings find another user's task
    // only through a shared list): another member's task moves only to a shared list or to its creator's.
    const moved = st.after as TaskState | null;
    if (e.aggregate_type === 'task' && moved && (st.before as TaskState | null)?.list_id !== moved.list_id) {
      const into = scopes.get(moved.list_id) ?? own;
      if (!into.shared && into.owner !== moved.user_id)
        throw invalid(
          'list_id',
          "another member's task can move only to a shared list or to one of its creator's lists",
        );
    }
    const audience = audienceOf(e, st.before, st.after, scopes);
    const canon = canonicalOf(audience, actor);
    if (audience.length !== 1 || canon !== userId) out.shared = true;
    for (const u of audience) {
      const rank = (out.counts.get(u) ?? 0) + 1;
      out.counts.set(u, rank);
      if (u === canon) out.rank.push(rank);
      else out.copies.push({ index: i, user_id: u, rank });
    }
    out.canon.push(canon);
    const lists =
      e.aggregate_type === 'task'
        ? listsOf(i).filter((id) => scopes.get(id)?.shared === true)
        : e.aggregate_type === 'list' && [st.before, st.after].some((l) => (l as ListState | null)?.shared === true)
          ? [e.aggregate_id]
          : [];
    out.scope.push(lists.length > 0 ? lists : null);
  });
  return out;
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
  // Each event's aggregate just before and just after it: who receives it (audienceOf) depends on both.
  const states: { before: AudienceState | null; after: AudienceState | null }[] = [];
  let user = target.user;
  for (const e of events) {
    if (e.aggregate_type === 'user') {
      if (user === undefined) throw new Error(`persist: a ${e.event_type} event without the user it applies to`);
      user = evolveUser(user, e);
      states.push({ before: null, after: null });
      continue;
    }
    if (e.aggregate_type === 'list') {
      const prev = listsAfter.has(e.aggregate_id)
        ? (listsAfter.get(e.aggregate_id) ?? null)
        : (target.lists?.get(e.aggregate_id) ?? null);
      const next = evolveList(prev, e);
      listsAfter.set(e.aggregate_id, next);
      states.push({ before: prev, after: next });
      continue;
    }
    if (e.aggregate_type === 'label') {
      const prev = labelsAfter.has(e.aggregate_id)
        ? (labelsAfter.get(e.aggregate_id) ?? null)
        : (target.labels?.get(e.aggregate_id) ?? null);
      const next = evolveLabel(prev, e);
      labelsAfter.set(e.aggregate_id, next);
      states.push({ before: prev, after: next });
      continue;
    }
    const state = after.has(e.aggregate_id)
      ? (after.get(e.aggregate_id) ?? null)
      : (before.get(e.aggregate_id) ?? null);
    const next = evolve(state, e);
    after.set(e.aggregate_id, next);
    states.push({ before: state, after: next });
  }
  const fanOut = audiences(target, events, states);
  if (target.locked) {
    const missing = [...(fanOut.shared ? fanOut.counts.keys() : [userId])].filter((u) => !target.locked?.has(u));
    if (missing.length > 0) throw new MoreLocksNeeded(missing);
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
  if (fanOut.shared && userSet !== '') throw new Error('persist: a user event in a decision that reaches other users');
  // Private: the target user's row alone moves by the events' count. Shared: every recipient's row moves
  // by the count of events it receives (the target user's checked at its version, moved by 0 if it
  // receives none), in this one statement, so each user's events and deliveries stay gapless.
  const ctes: string[] = fanOut.shared
    ? [
        `dv AS (SELECT * FROM json_to_recordset(${p(JSON.stringify([...fanOut.counts].map(([id, n]) => ({ user_id: id, n }))))}::json) AS x(user_id text, n int))`,
        // The rows are locked in user id order (as group commit orders its users), so two shared writes
        // with overlapping members wait for each other instead of deadlocking.
        `lk AS (SELECT u.id FROM users u JOIN dv ON dv.user_id = u.id ORDER BY u.id COLLATE "C" FOR UPDATE OF u)`,
        `s AS (UPDATE users u SET last_seq = u.last_seq + dv.n, updated_at = $3 FROM lk JOIN dv ON dv.user_id = lk.id
    WHERE u.id = lk.id AND (u.id <> $1 OR u.version = ${p(target.userVersion)}) RETURNING u.id, u.last_seq, dv.n)`,
      ]
    : [
        `s AS (UPDATE users SET last_seq = last_seq + $2, updated_at = $3${userSet}
    WHERE id = $1 AND version = ${p(target.userVersion)} RETURNING last_seq)`,
      ];
  const taskCtes: string[] = [];
  const reminderRows: (ReminderState & { prev_notified: boolean | null; prev_cancelled: boolean | null })[] = [];
  const memberRows: (MemberState & { list_id: string })[] = [];
  const listRefs = new Set<string>();
  const labelRefs = new Set<string>();
  /** The series of instances this write reopens, which must still be live (see `refs` below). */
  const seriesRefs = new Set<string>();
  // Lists and labels: inserted, or updated under their version, like tasks (their writes count with the tasks').
  // A shared list is written by whichever member the turn is for (an invitee accepting), and a transfer
  // moves its owner, so it is checked by its version alone; a private one also by its owner, as before.
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
      const shared = old !== null && 'shared' in old && (old.shared || (state as ListState).shared);
      const owner = old !== null && state.user_id !== old.user_id ? `user_id = ${p(state.user_id)}, ` : '';
      ctes.push(
        old === null
          ? `${name} AS (INSERT INTO ${table} (id, user_id, ${fields.join(', ')}) VALUES (${p(id)}, $1, ${v.join(', ')}) RETURNING 1)`
          : `${name} AS (UPDATE ${table} SET ${owner}${fields.map((f, i) => `${f} = ${v[i]}`).join(', ')} WHERE id = ${p(id)}${shared ? '' : ' AND user_id = $1'} AND version = ${p(old.version)} RETURNING 1)`,
      );
      if (!('members' in state)) continue;
      const was = new Map((old as ListState | null)?.members.map((m) => [m.user_id, m]) ?? []);
      for (const m of state.members) {
        const o = was.get(m.user_id);
        if (!o || (Object.keys(m) as (keyof MemberState)[]).some((f) => o[f] !== m[f]))
          memberRows.push({ ...m, list_id: id });
      }
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
      // A task's user is its home (the creator; a spawned instance's is its series'), whoever the turn is for.
      ctes.push(`${name} AS (INSERT INTO tasks (id, user_id, ${TASK_FIELDS.join(', ')})
        VALUES (${p(state.id)}, ${state.user_id === userId ? '$1' : p(state.user_id)}, ${v.join(', ')}) RETURNING 1)`);
    } else {
      ctes.push(`${name} AS (UPDATE tasks SET ${TASK_FIELDS.map((f, i) => `${f} = ${v[i]}`).join(', ')}
        WHERE id = ${p(id)} AND user_id = ${old.user_id === userId ? '$1' : p(old.user_id)} AND version = ${p(old.version)} RETURNING 1)`);
    }
    // A list or label a task newly names must still be live when this writes (see `refs` below).
    // The Inbox is never deleted (lists_inbox_stays), so it needs no lock: most tasks are written unlocked.
    if ((old === null || old.list_id !== state.list_id) && state.list_id !== inboxIdOf(state.user_id))
      listRefs.add(state.list_id);
    for (const l of state.labels) if (!old?.labels.includes(l)) labelRefs.add(l);
    // An instance reopened (uncompleted, or restored open) needs its series live; a series' own turn, which
    // spawns and writes the series too, is checked by the series' version instead.
    if (
      old !== null &&
      state.series_id !== null &&
      !state.completed &&
      state.deleted_at === null &&
      (old.completed || old.deleted_at !== null) &&
      !after.has(state.series_id)
    )
      seriesRefs.add(state.series_id);
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
  // A list's member rows as its state holds them, upserted under the list's version check above. A
  // transfer's demotion is written before its promotion (list_members_one_owner holds at every row).
  if (memberRows.length > 0) {
    memberRows.sort((a, b) => (a.role === b.role ? 0 : a.role === 'editor' ? -1 : 1));
    ctes.push(`m AS (INSERT INTO list_members (list_id, user_id, role, state, invited_by, created_at, updated_at)
      SELECT x.list_id, x.user_id, x.role, x.state, x.invited_by, x.created_at, x.updated_at
        FROM json_to_recordset(${p(JSON.stringify(memberRows.map((m, i) => ({ ...m, ord: i + 1 }))))}::json)
          AS x(ord int, list_id uuid, user_id text, role text, state text, invited_by text, created_at timestamptz, updated_at timestamptz)
       ORDER BY x.ord
      ON CONFLICT (list_id, user_id) DO UPDATE SET role = EXCLUDED.role, state = EXCLUDED.state,
        invited_by = EXCLUDED.invited_by, updated_at = EXCLUDED.updated_at
      RETURNING 1)`);
  }
  // The first answer under the Idempotency-Key, in the same statement: it exists exactly when the turn
  // committed. A row for the key that has not expired stays (no row returned → the guard below raises
  // and the writer retries, finding that answer); a concurrent duplicate waits on the key and sees it.
  if (idempotency !== undefined) {
    // The user's last_seq is known only inside the statement: an answer holding the user gets it from `s`.
    const answer = `${p(JSON.stringify(idempotency.answer({ events, tasks: after, lists: listsAfter, labels: labelsAfter, copies: [], ...(userSet ? { user } : {}) })))}::jsonb`;
    const answerSql = userSet ? `jsonb_set(${answer}, '{user,last_seq}', to_jsonb((SELECT last_seq FROM s)))` : answer;
    // Kept for the user who sent the request (the actor; a system turn's: the target user), who asks again.
    const keyOwner = fanOut.actor === null || fanOut.actor === userId ? '$1' : p(fanOut.actor);
    ctes.push(`k AS (INSERT INTO idempotency (user_id, key, fingerprint, answer, created_at)
      VALUES (${keyOwner}, ${p(idempotency.key)}, ${p(idempotency.fingerprint)}, ${answerSql}, $3)
      ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, answer = EXCLUDED.answer, created_at = EXCLUDED.created_at
        WHERE idempotency.created_at <= ${p(new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString())}
      RETURNING 1)`);
  }
  // Each list and label the decision newly names is locked (shared) and must be live: a list or label
  // deleted by a user turn that committed meanwhile fails the check (the row lock sees its latest
  // version), so the turn decides again and refuses; one deleted after this commits finds this task.
  // A list must be one the actor (a system turn: the target user) has access to; a label, the user's own.
  const refs: string[] = [];
  for (const [table, ids] of [
    ['lists', listRefs],
    ['labels', labelRefs],
  ] as const) {
    if (ids.size === 0) continue;
    const name = `g${refs.length}`;
    // The list_access rule (migration 013) for a live list: its owner, or an active member.
    // A system turn (a timer, a fan-out) acts for nobody: a task's home user may have left the shared
    // list their series is in, which keeps spawning there (a list never shared holds only its owner's tasks).
    const who = fanOut.actor === null || fanOut.actor === userId ? '$1' : p(fanOut.actor);
    const whose =
      table !== 'lists'
        ? 'user_id = $1'
        : fanOut.actor === null
          ? '(user_id = $1 OR shared)'
          : `(user_id = ${who} OR EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = lists.id AND m.user_id = ${who} AND m.state = 'active'))`;
    ctes.push(
      `${name} AS (SELECT id FROM ${table} WHERE ${whose} AND id = ANY(${p([...ids])}::uuid[]) AND deleted_at IS NULL FOR SHARE)`,
    );
    refs.push(
      `\n       AND tasklane_guard((SELECT count(*) FROM ${name}) = ${p(ids.size)}::int, 'a ${table === 'lists' ? 'list' : 'label'} the task names was deleted')`,
    );
  }
  // A series deleted by a turn that committed meanwhile fails the check (the share lock sees its latest
  // version), so the reopening turn decides again and refuses (actors/task/decide.ts seriesStaysClosed); a
  // delete after this commits waits for it, and its fan-out then finds the instance open and deletes it.
  if (seriesRefs.size > 0) {
    ctes.push(
      `gi AS (SELECT id FROM tasks WHERE id = ANY(${p([...seriesRefs])}::uuid[]) AND deleted_at IS NULL FOR SHARE)`,
    );
    refs.push(
      `\n       AND tasklane_guard((SELECT count(*) FROM gi) = ${p(seriesRefs.size)}::int, 'the series of a reopened instance was deleted')`,
    );
  }
  // Each list whose members decided who receives the task events (and who may write them) is still at
  // the version the turn read: a share, an accept or a removal committed meanwhile makes the turn decide again.
  const guarded = [...(target.scopes ?? [])].filter(([id]) => !listsAfter.has(id));
  if (guarded.length > 0) {
    ctes.push(`gs AS (SELECT l.id FROM lists l
      JOIN unnest(${p(guarded.map(([id]) => id))}::uuid[], ${p(guarded.map(([, sc]) => sc.version))}::int[]) AS v(id, version)
        ON l.id = v.id AND l.version = v.version FOR SHARE OF l)`);
    refs.push(
      `\n       AND tasklane_guard((SELECT count(*) FROM gs) = ${p(guarded.length)}::int, 'a list the task is in changed since it was read (its members or owner)')`,
    );
  }
  const eventRows = events.map((e, i) => ({
    ...e,
    ord: i + 1,
    canon: fanOut.canon[i],
    rank: fanOut.rank[i],
    actor_id: fanOut.actor,
    scope: fanOut.scope[i],
  }));
  const eventRecord = `ord int, canon text, rank int, actor_id text, scope uuid[], ${EVENT_RECORD}`;
  const eventCols = EVENT_WRITTEN.map((f) => `x.${sqlName(f)}`).join(', ');
  if (fanOut.shared) {
    // Each event in the stream of its canonical recipient, at that user's next seqs; a delivery row,
    // with a seq of their own, for every other recipient.
    ctes.push(`e AS (INSERT INTO events (user_id, seq, actor_id, scope, ${EVENT_WRITTEN.map(sqlName).join(', ')})
    SELECT x.canon, s.last_seq - s.n + x.rank, x.actor_id, x.scope, ${eventCols}
      FROM json_to_recordset(${p(JSON.stringify(eventRows))}::json) AS x(${eventRecord}) JOIN s ON s.id = x.canon
    RETURNING 1)`);
    ctes.push(`d AS (INSERT INTO event_deliveries (user_id, seq, event_id)
    SELECT y.user_id, s.last_seq - s.n + y.rank, y.event_id
      FROM json_to_recordset(${p(JSON.stringify(fanOut.copies.map((c) => ({ user_id: c.user_id, rank: c.rank, event_id: events[c.index]?.event_id }))))}::json)
        AS y(user_id text, rank int, event_id uuid) JOIN s ON s.id = y.user_id
    RETURNING 1)`);
  } else {
    ctes.push(`e AS (INSERT INTO events (user_id, seq, actor_id, scope, ${EVENT_WRITTEN.map(sqlName).join(', ')})
    SELECT $1, s.last_seq - $2 + x.ord, x.actor_id, x.scope, ${eventCols}
      FROM s, json_to_recordset(${p(JSON.stringify(eventRows))}::json) AS x(${eventRecord})
    RETURNING 1)`);
  }
  const shared = fanOut.shared
    ? `
       AND tasklane_guard((SELECT count(*) FROM s) = ${p(fanOut.counts.size)}::int, 'a member of the list does not exist')
       AND tasklane_guard((SELECT count(*) FROM d) = ${p(fanOut.copies.length)}::int, 'the deliveries were not written whole')`
    : '';
  const sql = `WITH ${ctes.join(',\n')},
    c AS (SELECT (SELECT last_seq FROM s${fanOut.shared ? ' WHERE id = $1' : ''}) AS last_seq,
           ARRAY[${taskCtes.map((t) => `(SELECT count(*) FROM ${t})::int`).join(', ')}]::int[] AS tasks,
           ${reminderRows.length > 0 ? '(SELECT count(*) FROM r)::int' : '0'} AS reminders,
           ${memberRows.length > 0 ? '(SELECT count(*) FROM m)::int' : '0'} AS members,
           (SELECT count(*) FROM e)::int AS events)
    SELECT c.last_seq${fanOut.shared ? ", (SELECT json_agg(json_build_object('id', s.id, 'last_seq', s.last_seq, 'n', s.n)) FROM s) AS seqs" : ''} FROM c
     WHERE tasklane_guard(c.last_seq IS NOT NULL, 'the user does not exist, or its version changed since it was read (a zone change)')
       AND tasklane_guard(c.tasks = ARRAY[${taskCtes.map(() => '1').join(', ')}]::int[], 'a task, list or label changed since it was read (version check failed)')
       AND tasklane_guard(c.reminders = ${p(reminderRows.length)}::int, 'a reminder changed since it was read')
       AND tasklane_guard(c.members = ${p(memberRows.length)}::int, 'a member row was not written')
       AND tasklane_guard(c.events = $2::int, 'the decision was not written whole')${shared}${refs.join('')}${
         idempotency === undefined
           ? ''
           : `
       AND tasklane_guard((SELECT count(*) FROM k) = 1, 'the Idempotency-Key was used meanwhile')`
       }`;
  // Every value is a parameter, so the text depends only on the decision's shape (how many tasks, created
  // or updated, reminders or not): a handful of statements, each prepared once per connection.
  const name = statementName(sql);
  const result = await q.query<{ last_seq: number; seqs?: { id: string; last_seq: number; n: number }[] | string }>(
    sql,
    params,
    name,
  );
  // One row: every guard held (a failed one raised above).
  const row = result.rows[0];
  const lastSeq = Number(row?.last_seq);
  const copies: EventEnvelope[] = [];
  if (fanOut.shared) {
    const raw = row?.seqs ?? [];
    const moved = new Map(
      (typeof raw === 'string' ? (JSON.parse(raw) as { id: string; last_seq: number; n: number }[]) : raw).map(
        (u) => [u.id, Number(u.last_seq) - Number(u.n)] as const,
      ),
    );
    const seqOf = (userId: string, rank: number): number => (moved.get(userId) ?? 0) + rank;
    events.forEach((e, i) => {
      e.user_id = fanOut.canon[i] ?? userId;
      e.seq = seqOf(e.user_id, fanOut.rank[i] ?? 0);
    });
    for (const c of fanOut.copies) {
      const e = events[c.index] as EventEnvelope;
      copies.push({ ...e, user_id: c.user_id, seq: seqOf(c.user_id, c.rank) });
    }
  } else {
    events.forEach((e, i) => {
      e.seq = lastSeq - events.length + 1 + i;
    });
  }
  return {
    events,
    tasks: after,
    lists: listsAfter,
    labels: labelsAfter,
    copies,
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
