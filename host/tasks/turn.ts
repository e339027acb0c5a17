// One task turn, top to bottom: what a TaskActor does, whichever runtime runs it (a Dapr actor on some
// replica, or the in-process queue: actors/runtime/). Modelled on command handling in an event store
// (load → decide → append with the expected version):
//
//   0. a retry of a keyed request gets its first answer back            replay
//   1. the task's state: this process's cached copy, or loaded          cache / loadForTurn
//   2. decide(command, state, context) → pending events                 actors/task (pure)
//   3. ONE guarded statement writes them (versions checked in SQL)      persist (host/tasks/store.ts)
//      grouped with other tasks' turns ready meanwhile into one commit    GroupCommit (./group-commit.ts)
//      a failed guard: decide again on a fresh read, then under the row lock
//   4. notify: the hub and the relay                                    onCommitted
//   5. arm and cancel the timers the events touched                     timers.sync
//
// Postgres is the truth; the state kept of active tasks is a guess every write verifies.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { decide, LEFT_NO_TIME, type TaskState, type TaskCommand } from '../../actors/task/index.ts';
import type { UpdateTask } from '../../actors/task/commands.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import type {
  TaskTurnPort,
  TaskTurnResult,
  IdempotencyMeta,
  TimerPort,
  CommandMeta,
  TaskCall,
  TaskCallAnswer,
} from '../../actors/ports.ts';
import { fanOut, finishEach, type FinishOptions, type FinishResult } from '../fan-outs.ts';
import {
  ensureUser,
  loadForTurn,
  persist,
  findAnswer,
  deleteExpiredAnswers,
  timerCause,
  retryable,
  keyReused,
  readRefs,
  readAheadOccurrences,
  readScopes,
  readOpenOccurrence,
  listsTouched,
  readUndoEvents,
  readSeriesFor,
  readLatestInstance,
  readSeriesDeleted,
  readOccurrencesNear,
  canAccess,
  MoreLocksNeeded,
} from './store.ts';
import { DomainError, notFound } from '../../actors/errors.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import { accessOf, type ListScope } from '../../actors/list/audience.ts';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';

export interface TaskTurnsOptions {
  clock?: () => Date;
  newId?: () => string;
  /** Called after each commit that wrote events (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  /** Arms and cancels the timers a turn touched (Dapr reminders, or in-process timers); none when absent. */
  timers?: TimerPort;
  maxAttempts?: number;
  /** How many active tasks keep their state in memory between turns (0 turns it off). */
  cacheSize?: number;
  /**
   * Group commit (./group-commit.ts): decisions of turns on different tasks that are ready while a write
   * is in flight share one transaction. On by default where the database pipelines a batch (`Db.pipeline`:
   * both adapters); `false` writes each turn with its own statement.
   */
  groupCommit?: GroupCommitOptions | false;
  /** Runs a task turn where the runtime runs task turns (the fan-out of a series' delete to its instances); without it, none is run. */
  dispatch?: (taskId: string, call: TaskCall) => Promise<TaskCallAnswer>;
  /** A fan-out turn that failed for another reason than a refusal (logged; the turn that set it off had committed). */
  onFanOutError?: (error: unknown, taskId: string) => void;
}

/**
 * The open instances of series `seriesId` (not completed, not deleted), oldest first; with `listId`, only
 * those in that list (the ones the series' row there stands for).
 */
export async function openInstancesOf(q: Queryable, seriesId: string, listId?: string): Promise<string[]> {
  const inList = listId === undefined ? '' : ' AND list_id = $2';
  const rows = await q.query<{ id: string }>(
    `SELECT id::text AS id FROM tasks WHERE series_id = $1${inList} AND deleted_at IS NULL AND NOT completed
     ORDER BY occurrence_at, id`,
    listId === undefined ? [seriesId] : [seriesId, listId],
    listId === undefined ? 'tasklane_open_instances' : 'tasklane_open_instances_in',
  );
  return rows.rows.map((r) => r.id);
}

/**
 * The fields of a series' edit that its open occurrences take too: what its row shows and acts on for
 * them (the row of a series stands for its open occurrence, realtime/public/views.js oneRowPerSeries), so
 * a rename, a priority, labels or an assignee given to "the repeating task" reach the occurrence the user
 * sees and will do, not only the ones spawned later. Not its schedule (an open occurrence keeps its date),
 * nor its list (an occurrence in another list was moved there on purpose).
 */
export const OCCURRENCE_FIELDS = ['title', 'description', 'priority', 'labels', 'assignee'] as const;

/** The update of an open occurrence that follows a series edit whose changes are `changes` ({from, to} by field); null: none. */
export function occurrenceUpdate(changes: Record<string, { to: unknown } | undefined>): UpdateTask | null {
  const data: Record<string, unknown> = {};
  for (const field of OCCURRENCE_FIELDS) if (changes[field] !== undefined) data[field] = changes[field]?.to;
  return Object.keys(data).length === 0 ? null : { type: 'update', data: data as UpdateTask['data'] };
}

/** The instances of series `seriesId` that the series' delete `deletedBy` (an event id) deleted, with each one's delete event. */
export async function instancesDeletedBy(
  q: Queryable,
  seriesId: string,
  deletedBy: string,
): Promise<{ id: string; event_id: string }[]> {
  const rows = await q.query<{ id: string; event_id: string }>(
    `SELECT t.id::text AS id, e.event_id::text AS event_id FROM tasks t
       JOIN events e ON e.aggregate_id = t.id::text AND e.event_type = 'task.deleted' AND e.causation_id = $2
     WHERE t.series_id = $1 AND t.deleted_at IS NOT NULL
     ORDER BY t.occurrence_at, t.id`,
    [seriesId, deletedBy],
    'tasklane_instances_deleted_by',
  );
  return rows.rows;
}

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
  /** The users whose rows a locked read took (loadForTurn), which the write may move; undefined unlocked. */
  locked?: ReadonlySet<string>;
}

/**
 * The task a turn's answer is about: the commanded one, except for a series' completion, which answers with
 * the occurrence it completed ahead of time (decide.ts completeNext), as completing an occurrence does.
 */
function answered(taskId: string, command: TaskCommand, tasks: Map<string, TaskState | null>): TaskState | null {
  if (command.type === 'complete')
    for (const task of tasks.values()) if (task?.series_id === taskId && task.completed) return task;
  return tasks.get(taskId) ?? null;
}

/** Commands no user issues (timers, and the fan-out of another turn): their events have no actor (events.actor_id null). */
const SYSTEM_COMMANDS = new Set<TaskCommand['type']>([
  'fire_reminder',
  'spawn',
  'reschedule',
  'list_deleted',
  'label_deleted',
  'member_gone',
  'series_deleted',
]);

/**
 * Commands whose decision depends on who has access to the task's list (DecideContext.membersOf): an
 * assignment (and a move, which must keep the assignee a member), a create naming an assignee, an undo
 * (it may undo one) and an uncomplete (they re-arm only members' reminders), a reminder's fire (its owner
 * must still have access), a member's removal, and a zone change's reschedule (a task whose maker left its
 * list keeps its zone instead), and a due date's move when it may bring back another member's reminder.
 */
function needsMembers(command: TaskCommand, state: TaskState | null): boolean {
  switch (command.type) {
    case 'create':
      return command.data.assignee !== undefined && command.data.assignee !== null;
    case 'update':
      // A due date moved may bring back a reminder its earlier move cancelled, its owner's only while they have
      // access to the list (decide.ts mayComeBack): the creator's too, who may have left a shared list since.
      return (
        'assignee' in command.data ||
        'list_id' in command.data ||
        (('due_date' in command.data || 'timezone' in command.data) &&
          (state?.reminders.some((r) => r.cancelled && LEFT_NO_TIME.has(r.cancel_reason ?? '')) ?? false))
      );
    case 'undo':
    case 'uncomplete':
    case 'fire_reminder':
    case 'member_gone':
    case 'reschedule':
      return true;
    default:
      return false;
  }
}

/** A decision written (or one that wrote nothing), with the user version it was decided at. */
interface Written {
  result: TaskTurnResult;
  userVersion: number;
  /** The events' delivery copies to the other members of a shared list (Persisted.copies). */
  copies?: EventEnvelope[];
}

/** The list a create or a move names (list_id, as the lists table spells ids), or none. */
function listsNamedBy(command: TaskCommand): string[] {
  return (command.type === 'create' || command.type === 'update') && typeof command.data.list_id === 'string'
    ? [command.data.list_id.toLowerCase()]
    : [];
}

export class TaskTurns implements TaskTurnPort {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly maxAttempts: number;
  private readonly cacheSize: number;
  private readonly onCommitted: (events: EventEnvelope[]) => void;
  private readonly timers: TimerPort | undefined;
  private readonly dispatch: ((taskId: string, call: TaskCall) => Promise<TaskCallAnswer>) | undefined;
  private readonly onFanOutError: (error: unknown, taskId: string) => void;
  /** Where first and cached attempts write (retries under the row lock write in their own transaction). */
  readonly group: GroupCommit | undefined;
  /**
   * Active tasks' state as last written by this process (DESIGN: state cached while the actor is active).
   * Only the task: its home user's zone and row version are taken from `users` when the copy is used.
   */
  private readonly cache = new Map<string, TaskState>();
  /**
   * Users' zone and row version as last read or written here: what a create, or a turn on a kept task,
   * decides on without a read (a guess the write's user-version check verifies). ONE entry per user, so
   * when a turn finds it stale (a zone change or a list committed elsewhere bumped the row) and reads
   * again, every later turn of that user's tasks goes on from the fresh entry: after a zone change
   * rescheduled 1,000 series, a copy per task made each of them fail its check once (and, in a group
   * commit batch, abort the batch for the others).
   */
  private readonly users = new Map<string, { timezone: string; userVersion: number }>();
  private lastCleanup = 0;

  constructor(
    readonly db: Db,
    options: TaskTurnsOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.cacheSize = options.cacheSize ?? 5000;
    this.onCommitted = options.onCommitted ?? (() => undefined);
    this.timers = options.timers;
    this.dispatch = options.dispatch;
    this.onFanOutError = options.onFanOutError ?? (() => undefined);
    // Where a batch is one write (Db.pipeline: PostgreSQL's pipeline mode, PGlite's one message to its
    // thread), grouping pays; sent statement by statement it cost PGlite more than it saved (measured).
    const group = options.groupCommit ?? (db.pipeline ? {} : false);
    this.group = group === false ? undefined : new GroupCommit(db, group);
  }

  /**
   * One turn. Errors: DomainError (a refusal, or `key_reused` for an Idempotency-Key stored for another
   * request: 422); a database error once the attempts are spent. With an Idempotency-Key in `meta`
   * (DESIGN: "Retries are safe") the first answer stored under it for this user is returned instead
   * (`replayed`, nothing applied), before the first attempt and again before each retry.
   */
  async execute(userId: string, taskId: string, command: TaskCommand, meta?: CommandMeta): Promise<TaskTurnResult> {
    const key = meta?.idempotency;
    const replay = key === undefined ? null : await this.replay(userId, key);
    if (replay !== null) return replay;
    const written = await this.decideAndWrite(userId, taskId, command, meta);
    const { result } = written;
    // A keyed turn that decided nothing may have read what its concurrent twin just committed: the
    // twin's answer is the one to give (checked after the read, so it is seen whenever it mattered).
    if (result.events.length === 0 && key !== undefined && result.replayed !== true)
      return (await this.replay(userId, key)) ?? result;
    if (result.replayed === true || result.events.length === 0) return result;
    for (const task of result.changed) this.remember(task);
    // The zone and version are the task's home user's (a member may act on another's task).
    this.rememberUser(result.task?.user_id ?? userId, result.userTimezone, written.userVersion);
    this.onCommitted(written.copies?.length ? [...result.events, ...written.copies] : result.events);
    await this.timers?.sync(result);
    await this.followSeries(userId, result, command).catch((error: unknown) => this.onFanOutError(error, taskId));
    return result;
  }

  /**
   * Step 5, after a series' delete committed (whatever deleted it: DELETE, a list deleted with its tasks):
   * `series_deleted` on each of its open instances, FAN_OUT at a time, as system turns caused by the delete,
   * so a deleted repeating task leaves no copies behind; after an undo restored the series: `undo` of each
   * instance delete it caused. A refusal or a failure of one instance's turn does not stop the others nor fail
   * this turn (failures go to onFanOutError); should the fan-out not run to its end (a crash), the open
   * instances left are deleted by `finishSeriesDeletes` (host/fan-outs.ts); instances an undo did not
   * restore stay deleted. After a user's edit of a series: the same edit of OCCURRENCE_FIELDS on each open
   * occurrence in its list, as that user's own turn (one cut short by a crash is not finished later, and
   * an undo of the series' edit does not take it back from the occurrences).
   */
  private async followSeries(userId: string, result: TaskTurnResult, command: TaskCommand): Promise<void> {
    const dispatch = this.dispatch;
    if (dispatch === undefined) return;
    for (const e of result.events) {
      const series = result.changed.find((t) => t.id === e.aggregate_id);
      if (series === undefined || !series.is_recurring) continue;
      const cause = { correlationId: e.correlation_id, causationId: e.event_id };
      // The series' own turn has committed and is answered as such: an instance's turn that fails (the
      // database or the runtime away) is logged and the others go on, as after a crash half-way.
      const turn = (taskId: string, call: TaskCall) =>
        dispatch(taskId, call).catch((error: unknown) => {
          if (!(error instanceof DomainError)) this.onFanOutError(error, taskId);
          return undefined;
        });
      if (e.event_type === 'task.deleted') await this.deleteInstances(series.id, series.user_id, cause, turn);
      else if (e.event_type === 'task.updated' && command.type === 'update' && series.deleted_at === null) {
        // By the one who edited the series, as their own edit of each open occurrence its row stands for.
        const update = occurrenceUpdate(e.data.changes as Record<string, { to: unknown }>);
        if (update)
          await fanOut(await openInstancesOf(this.db, series.id, series.list_id), (id) =>
            turn(id, { userId, command: update, meta: cause }),
          );
      } else if (e.event_type === 'task.restored' && command.type === 'undo') {
        const deleteOf = new Map(
          (await instancesDeletedBy(this.db, series.id, command.event_id)).map((i) => [i.id, i.event_id]),
        );
        // By the one who undid the series' delete, as their own undo of each.
        await fanOut([...deleteOf.keys()], (id) =>
          turn(id, { userId, command: { type: 'undo', event_id: deleteOf.get(id) as string }, meta: cause }),
        );
      }
    }
  }

  /**
   * `series_deleted` on each open instance of the deleted series `seriesId` (home user `userId`), FAN_OUT at
   * a time, through `turn`. Resolves to how many of those turns wrote anything.
   */
  private async deleteInstances(
    seriesId: string,
    userId: string,
    cause: CommandMeta,
    turn: (taskId: string, call: TaskCall) => Promise<TaskCallAnswer | undefined>,
  ): Promise<number> {
    return fanOut(await openInstancesOf(this.db, seriesId), (id) =>
      turn(id, { userId, command: { type: 'series_deleted', series_id: seriesId }, meta: cause }),
    );
  }

  /**
   * Finishes series deletes whose fan-out a crash cut short (a fan-out source: host/fan-outs.ts): each
   * series deleted between `from` and `to` that still has an open instance gets `series_deleted` on each, under
   * the delete's correlation id and caused by its event. Keyed by the series' id. (An undo of a series' delete
   * cut short is not finished here: the instances it did not restore stay deleted, as they were.)
   */
  async finishSeriesDeletes(options: FinishOptions): Promise<FinishResult> {
    const dispatch = this.dispatch;
    if (dispatch === undefined) return { finished: [], failed: [], idle: [] };
    const { rows } = await this.db.query<{ id: string; user_id: string; event_id: string; correlation_id: string }>(
      `SELECT s.id::text AS id, s.user_id, e.event_id::text AS event_id, e.correlation_id::text AS correlation_id
         FROM tasks s
         JOIN LATERAL (SELECT event_id, correlation_id FROM events
                        WHERE aggregate_id = s.id::text AND event_type = 'task.deleted'
                        ORDER BY version DESC LIMIT 1) e ON true
        WHERE s.is_recurring AND s.deleted_at IS NOT NULL
          AND s.deleted_at >= COALESCE($1::timestamptz, '-infinity') AND s.deleted_at <= $2
          AND NOT s.id::text = ANY($4::text[])
          AND (SELECT 1 FROM tasks i WHERE i.series_id = s.id AND i.deleted_at IS NULL AND NOT i.completed LIMIT 1)
              IS NOT NULL
        ORDER BY s.deleted_at LIMIT $3`,
      [options.from?.toISOString() ?? null, options.to.toISOString(), options.limit, options.skip],
    );
    return finishEach(
      'series delete',
      rows.map((r) => ({ ...r, key: r.id, user: r.user_id })),
      options.signal,
      (r) =>
        this.deleteInstances(
          r.id,
          r.user_id,
          { correlationId: r.correlation_id, causationId: r.event_id },
          (id, call) =>
            dispatch(id, call).catch((error: unknown) => {
              if (!(error instanceof DomainError)) throw error;
              return undefined;
            }),
        ),
    );
  }

  /**
   * Steps 1–3 with their retries. The write is ONE statement that carries its own checks (the task's
   * version, each changed reminder's previous flags, the user's version), so a command normally costs
   * one round trip when its task is cached here and two when it is read; a create costs one when its
   * user was seen here before (the new task is taken as absent: an id already taken fails the insert,
   * 23505, and the turn decides again on a read). The cache is only a guess: a
   * failed check, or a decision from it that writes nothing or refuses (both could come from a stale
   * copy), drops it and decides again from the database. When a check fails on a fresh read too
   * (another process wrote the task meanwhile), the retry locks the row in a transaction, which always
   * makes progress. On PGlite the same holds: its one connection runs a statement only between
   * transactions. A concurrent duplicate of a keyed request fails the key's check, retries, and finds
   * the answer its twin just committed.
   */
  private async decideAndWrite(
    userId: string,
    taskId: string,
    command: TaskCommand,
    meta: CommandMeta | undefined,
  ): Promise<Written> {
    const key = meta?.idempotency;
    const cached = this.cache.get(taskId);
    if (cached !== undefined) this.cache.delete(taskId); // taken back once a turn on it writes
    // The kept task's home user, or the creator of a task that does not exist yet.
    const home = cached?.user_id ?? userId;
    // A kept copy is used for its home user's commands and for system turns; another member's command reads
    // the task through the access rule (persist checks the actor's access at the lists' versions too). A
    // create decides without a read when its user is known here.
    const guessed =
      cached === undefined ? command.type === 'create' : cached.user_id === userId || SYSTEM_COMMANDS.has(command.type);
    const user = guessed ? this.users.get(home) : undefined;
    const guess: TurnInput | undefined = user && { state: cached ?? null, ...user };
    if (guess !== undefined) {
      try {
        // A no-op decided on the kept copy might only be stale: decide again on a fresh read.
        const written = await this.attempt(this.db, userId, taskId, command, meta, guess);
        if (written.result.events.length > 0) return written;
      } catch (error) {
        if (!retryable(error) && !(error instanceof DomainError)) throw error;
        // Dropped unless a newer entry came meanwhile (a turn that read the user again since).
        if (retryable(error) && this.users.get(home)?.userVersion === guess.userVersion) this.users.delete(home);
        const replay = key !== undefined && retryable(error) ? await this.replay(userId, key) : null;
        if (replay !== null) return { result: replay, userVersion: guess.userVersion };
      }
    }
    // Users a locked attempt's decision reached beyond what it locked: the next one locks them first too.
    const alsoLock = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        return attempt === 1
          ? await this.attempt(
              this.db,
              userId,
              taskId,
              command,
              meta,
              await this.load(this.db, userId, taskId, false, command),
            )
          : await this.db.transaction(async (tx) =>
              this.attempt(
                tx,
                userId,
                taskId,
                command,
                meta,
                await this.load(tx, userId, taskId, true, command, alsoLock),
              ),
            );
      } catch (error) {
        if (error instanceof MoreLocksNeeded) for (const u of error.users) alsoLock.add(u);
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
      const replay = key === undefined ? null : await this.replay(userId, key);
      if (replay !== null) return { result: replay, userVersion: 0 };
    }
  }

  /**
   * Step 1 when nothing is cached: the task (locked with `lock`), its reminders and its home user's zone,
   * in one round trip; through the access rule for `userId`, except for a system command (any task).
   */
  private async load(
    q: Queryable,
    userId: string,
    taskId: string,
    lock: boolean,
    command: TaskCommand,
    alsoLock: ReadonlySet<string> = new Set(),
  ): Promise<TurnInput> {
    const locked = lock ? new Set<string>() : undefined;
    const loaded = await loadForTurn(q, userId, taskId, {
      lock,
      system: SYSTEM_COMMANDS.has(command.type),
      alsoLock: [...alsoLock],
      lists: listsNamedBy(command),
      ...(locked ? { locked } : {}),
    });
    if (loaded !== null) {
      this.rememberUser(loaded.state.user_id, loaded.timezone, loaded.userVersion);
      return { ...loaded, ...(locked ? { locked } : {}) };
    }
    const user = await ensureUser(q, userId);
    this.rememberUser(userId, user.timezone, user.version);
    // A user row made just now (ensureUser) is this transaction's: no other write can hold it.
    if (locked) locked.add(userId);
    return { state: null, timezone: user.timezone, userVersion: user.version, ...(locked ? { locked } : {}) };
  }

  /** Steps 2 and 3: decides on `input` and writes the decision in one guarded statement (nothing when it changes nothing). */
  private async attempt(
    q: Queryable,
    userId: string,
    taskId: string,
    command: TaskCommand,
    meta: CommandMeta | undefined,
    input: TurnInput,
  ): Promise<Written> {
    const { state, timezone, userVersion, locked } = input;
    const now = this.clock();
    // The task's home user (its creator, tasks.user_id) decides the zone and owns the row; the caller is
    // the actor (issue 17: a member may act on another member's task). A system turn has no actor.
    const home = state?.user_id ?? userId;
    const actor = SYSTEM_COMMANDS.has(command.type) ? null : userId;
    // A command naming a list or labels is checked against the user's live ones (a 400 naming the field).
    const names =
      (command.type === 'create' || command.type === 'update') &&
      ('list_id' in command.data || 'labels' in command.data);
    // An undo decides on the events around the one it undoes, and on the live lists and labels a restore keeps:
    // the home user's (labels are the task creator's alone, whoever undoes), not the caller's.
    const refs = names ? await readRefs(q, userId) : command.type === 'undo' ? await readRefs(q, home) : undefined;
    const undo =
      command.type === 'undo' ? { events: await readUndoEvents(q, userId, taskId, command.event_id) } : undefined;
    // Completing or deleting an instance may spawn its after-completion series' next one in this turn.
    const series = await readSeriesFor(q, command, state);
    // An undone completion may take back the instance that completion spawned (actors/task/undo.ts).
    const successor = command.type === 'undo' && series ? await readLatestInstance(q, series) : undefined;
    // An instance of a deleted series is not reopened (actors/task/decide.ts seriesStaysClosed).
    const seriesDeleted = await readSeriesDeleted(q, command, state);
    // A deleted occurrence is not restored beside a live one on its day (actors/task/undo.ts restore).
    const occurrencesNear = await readOccurrencesNear(q, command, state);
    // A series' completion completes its next occurrence when none is open (decide.ts completeNext).
    const openOccurrence = await readOpenOccurrence(q, command, state);
    // A series' schedule edit replaces its occurrences spawned ahead (actors/task/decide.ts update).
    const aheadOccurrences = await readAheadOccurrences(q, command, state, now);
    // Who has access to the task's list (and to a list the command names), read before deciding when the
    // decision depends on it; the write checks each list is still at the version read here.
    const named = listsNamedBy(command);
    const early = needsMembers(command, state)
      ? await readScopes(
          q,
          [...(state ? [state.list_id] : []), ...named].filter((id) => id !== inboxIdOf(home)),
        )
      : new Map<string, ListScope>();
    const membersOf = (listId: string): readonly string[] | undefined => {
      if (listId === inboxIdOf(home)) return [home];
      const scope = early.get(listId);
      return scope === undefined ? undefined : accessOf(scope);
    };
    const listDeleted = (listId: string): boolean => (early.get(listId)?.deleted_at ?? null) !== null;
    // Who had access when it was deleted: the access rule (accessOf) on the list as it stood (its rows kept).
    const accessWhenDeleted = (listId: string, user: string): boolean | undefined => {
      const scope = early.get(listId);
      if (!scope || scope.deleted_at === null) return undefined;
      return accessOf({ ...scope, deleted_at: null }).includes(user);
    };
    const pending = decide(command, state, {
      now,
      userId: home,
      ...(actor !== null ? { actor } : {}),
      membersOf,
      listDeleted,
      accessWhenDeleted,
      userTimezone: timezone,
      newId: this.newId,
      ...(refs ? { refs } : {}),
      ...(undo ? { undo } : {}),
      ...(series ? { series } : {}),
      ...(successor ? { successor } : {}),
      ...(seriesDeleted !== undefined ? { seriesDeleted } : {}),
      ...(occurrencesNear !== undefined ? { occurrencesNear } : {}),
      ...(openOccurrence !== undefined ? { openOccurrence } : {}),
      ...(aheadOccurrences !== undefined ? { aheadOccurrences } : {}),
    });
    if (pending.length === 0)
      return { result: { task: state, events: [], changed: [], userTimezone: timezone }, userVersion };
    const resolved = meta ??
      (await timerCause(q, taskId, command)) ?? { correlationId: randomUUID(), causationId: null };
    const before = new Map<string, TaskState | null>([[taskId, state]]);
    if (series && pending.some((p) => p.aggregate_id === series.id)) before.set(series.id, series);
    if (successor && pending.some((p) => p.aggregate_id === successor.id)) before.set(successor.id, successor);
    for (const t of aheadOccurrences?.open ?? []) if (pending.some((p) => p.aggregate_id === t.id)) before.set(t.id, t);
    for (const p of pending)
      if (!before.has(p.aggregate_id) && p.aggregate_type === 'task') before.set(p.aggregate_id, null);
    const key = meta?.idempotency;
    const record =
      key === undefined
        ? undefined
        : {
            ...key,
            answer: (after: { tasks: Map<string, TaskState | null> }): TaskAnswer => ({
              task: answered(taskId, command, after.tasks) ?? state,
              userTimezone: timezone,
            }),
          };
    // Who receives the events depends on the lists the tasks are in (shared lists: their members); the
    // write checks each is still at the version read here. A timer or system command has no actor.
    const touched = listsTouched(home, before.values(), pending);
    const scopes = new Map([...early].filter(([id]) => touched.includes(id)));
    for (const [id, scope] of await readScopes(
      q,
      touched.filter((id) => !scopes.has(id)),
    ))
      scopes.set(id, scope);
    const target = {
      userId: home,
      userVersion,
      tasks: before,
      actor,
      ...(scopes.size > 0 ? { scopes } : {}),
      ...(locked ? { locked } : {}),
    };
    const persisted =
      q === this.db && this.group !== undefined
        ? await this.group.persist(target, pending, resolved, now, record)
        : await persist(q, target, pending, resolved, now, record);
    if (key !== undefined) this.cleanup();
    const changed = [...persisted.tasks.values()].filter((t): t is TaskState => t !== null);
    return {
      result: {
        task: answered(taskId, command, persisted.tasks) ?? state,
        events: persisted.events,
        changed,
        userTimezone: timezone,
      },
      userVersion,
      copies: persisted.copies,
    };
  }

  /** The stored first answer to `key` for this user, as a turn result that applied nothing; null when there is none (or it expired). */
  private async replay(userId: string, key: IdempotencyMeta): Promise<TaskTurnResult | null> {
    const stored = await findAnswer(this.db, userId, key.key, this.clock());
    if (stored === null) return null;
    if (stored.fingerprint !== key.fingerprint) throw keyReused();
    const answer = stored.answer as TaskAnswer;
    // The first answer is given again only while the user may still see the task (issue 17): a member
    // removed since gets the 404 a stranger gets, not the task as it was.
    if (answer.task !== null && !(await canAccess(this.db, userId, answer.task.id))) throw notFound('task');
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
    sweep().catch(() => {
      this.lastCleanup = 0;
    });
  }

  /** Keeps the newest of what is known (a turn that decided earlier may finish after one that read again). */
  private rememberUser(userId: string, timezone: string, userVersion: number): void {
    if (this.cacheSize <= 0) return;
    const known = this.users.get(userId);
    this.users.delete(userId);
    this.users.set(userId, known !== undefined && known.userVersion > userVersion ? known : { timezone, userVersion });
    if (this.users.size > this.cacheSize) {
      const oldest = this.users.keys().next();
      if (!oldest.done) this.users.delete(oldest.value);
    }
  }

  private remember(task: TaskState): void {
    if (this.cacheSize <= 0) return;
    this.cache.delete(task.id);
    this.cache.set(task.id, task);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }
}
