// One user turn, top to bottom: what a UserActor does, whichever runtime runs it. Like a task turn
// (host/tasks/turn.ts) it writes through the one writer of events, `persist`, under the same check of
// the user row's version, and decides again when that check fails:
//
//   0. a retry of a keyed request gets its first answer back            replay
//   1. load the user (created on first use, in UTC)                     readUser
//   2. decide(command, state) → pending events                          actors/user (pure)
//   3. ONE guarded statement writes them                                persist (host/tasks/store.ts)
//   4. notify: the hub and the relay                                    onCommitted
//   5. a zone change: each series following the zone reschedules, as its own task turn, run where the
//      runtime runs task turns (`dispatch`), after the user's write committed, so no task turn ever
//      waits on the user row while holding a task row.
//
// Lists and labels (`organise`) take the same steps on the user's list and label aggregates; a deleted
// list or label then reaches each task in it or carrying it as that task's own turn (`afterOrganise`):
// `list_deleted` moves the task to the Inbox or deletes it, `label_deleted` strips the label. Both are
// no-ops for a task that has moved on, so the fan-out may run again, or beside the user's next turns:
// the runtime runs it after the UserActor's turn has ended (the user's other list and label commands do
// not wait for 1,000 task turns), and answers the DELETE once it is done. A repeated DELETE (a deleted
// list or label decides nothing) or a retry with the same Idempotency-Key finishes what a crash left.
// A zone change's reschedules stay inside its turn: two zone changes' fan-outs must not interleave.
// A fan-out a crash cut short (a delete's, a zone change's) is finished from what the tables show:
// finishDeletes, finishZoneChanges (run by host/fan-outs.ts FanOutFinisher at start-up and every minute).
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import {
  decide,
  decideOrganise,
  type UserState,
  type UserCommand,
  type OrganiseCommand,
} from '../../actors/user/decider.ts';
import type { ListState } from '../../actors/list/index.ts';
import type { LabelState } from '../../actors/label/index.ts';
import { LIST_COLUMNS, LABEL_COLUMNS, TASK_COLUMNS, toTask, type TaskRow } from '../tasks/rows.ts';
import { rescheduledStart, timesIn, zoneBound } from '../../actors/task/decide.ts';
import { DomainError, invalid } from '../../actors/errors.ts';
import { dayStart } from '../../actors/task/all-day.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { fanOut, finishEach, type FinishOptions, type FinishResult } from '../fan-outs.ts';
import { readUser, findAnswer, persist, retryable, keyReused, lockListWriters } from '../tasks/store.ts';
import type {
  CommandMeta,
  IdempotencyMeta,
  OrganiseCall,
  TaskCall,
  TaskCallAnswer,
  TimezoneCall,
  UserTurnPort,
  UserTurnResult,
} from '../../actors/ports.ts';

export interface UserTurnsOptions {
  clock?: () => Date;
  /** Called after each commit that wrote events (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  /** Runs a task turn where the runtime runs task turns (the fan-out of a zone change); without it, none is run. */
  dispatch?: (taskId: string, call: TaskCall) => Promise<TaskCallAnswer>;
  maxAttempts?: number;
}

/**
 * A label name the database refuses as taken (its unique index labels_name, on PostgreSQL's lower(name)) as
 * the 409 naming `name` the label decider gives (actors/label unique): the two fold case by different
 * rules (PostgreSQL lowers "İ" to "i", JavaScript to "i̇"), so a name the decider let through may still be
 * taken, and that is the user's conflict, not a 500. Undefined for any other error.
 */
function labelNameTaken(error: unknown): DomainError | undefined {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  if (e?.code !== '23505' || e.constraint !== 'labels_name') return undefined;
  return new DomainError('conflict', 'name: a label with this name (in another case) already exists', 'name');
}

export class UserTurns implements UserTurnPort {
  private readonly clock: () => Date;
  private readonly onCommitted: (events: EventEnvelope[]) => void;
  private readonly dispatch: ((taskId: string, call: TaskCall) => Promise<TaskCallAnswer>) | undefined;
  private readonly maxAttempts: number;

  constructor(
    readonly db: Db,
    options: UserTurnsOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.onCommitted = options.onCommitted ?? (() => undefined);
    this.dispatch = options.dispatch;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** PATCH /me: changes the user's zone (steps 0–4), then asks each series that follows it to reschedule (step 5). */
  async setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
    const result = await this.execute(userId, { type: 'set_timezone', timezone: call.timezone }, call.meta);
    const change = result.events[0]?.data.changes as { timezone?: { from: string; to: string } } | undefined;
    if (change?.timezone && this.dispatch) {
      const meta = {
        correlationId: call.meta?.correlationId ?? result.events[0]?.correlation_id ?? '',
        causationId: result.events[0]?.event_id ?? null,
      };
      await this.reschedule(userId, await this.seriesFollowingZone(userId), change.timezone, meta);
    }
    return result;
  }

  /**
   * Steps 0–4. Errors: DomainError (an unknown zone: 400; `key_reused`: 422); a database error once the
   * attempts are spent. With an Idempotency-Key in `meta`, the first answer stored under it for this user
   * (by a user or a task turn) is returned instead (`replayed`, nothing applied).
   */
  async execute(
    userId: string,
    command: UserCommand,
    meta: CommandMeta = { correlationId: randomUUID() },
  ): Promise<UserTurnResult> {
    const key = meta.idempotency;
    for (let attempt = 1; ; attempt++) {
      const replay = key === undefined ? null : await this.replay(userId, key);
      if (replay !== null) return replay;
      const state = await readUser(this.db, userId);
      const pending = decide(command, state);
      // Nothing to do may be what a concurrent twin with the same key just did: its answer is the one to give.
      if (pending.length === 0)
        return (key === undefined ? null : await this.replay(userId, key)) ?? { user: state, events: [] };
      // A zone change is refused whole (400 on `timezone`) before anything commits when a series that
      // follows the zone has no start in the new zone within years 0001–9999 (rescheduledStart).
      const moved = (pending[0]?.data.changes as { timezone?: { from: string; to: string } } | undefined)?.timezone;
      if (moved) await this.checkSeriesMove(userId, moved.from, moved.to);
      try {
        const record =
          key === undefined
            ? undefined
            : { ...key, answer: (after: { user?: UserState }) => ({ user: after.user ?? state }) };
        const persisted = await persist(
          this.db,
          { userId, userVersion: state.version, user: state },
          pending,
          meta,
          this.clock(),
          record,
        );
        this.onCommitted(persisted.events);
        return { user: persisted.user ?? state, events: persisted.events };
      } catch (error) {
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
    }
  }

  private async replay(userId: string, key: IdempotencyMeta): Promise<UserTurnResult | null> {
    const stored = await findAnswer(this.db, userId, key.key, this.clock());
    if (stored === null) return null;
    if (stored.fingerprint !== key.fingerprint) throw keyReused();
    const answer = stored.answer as { user: UserState; list?: ListState | null; label?: LabelState | null };
    return { ...answer, events: [], replayed: true };
  }

  /**
   * A list or label command (steps 0–4 on the user's lists and labels); a delete's fan-out is
   * `afterOrganise`. Errors: DomainError (validation 400, not_found 404, conflict 409, version_mismatch
   * 412, key_reused 422); a database error once the attempts are spent. `list` / `label` in the result is
   * the aggregate as the command left it.
   */
  async organise(userId: string, call: OrganiseCall): Promise<UserTurnResult> {
    const { command } = call;
    const meta = call.meta ?? { correlationId: randomUUID() };
    const key = meta.idempotency;
    let result: UserTurnResult | undefined;
    for (let attempt = 1; result === undefined; attempt++) {
      const replay = key === undefined ? null : await this.replay(userId, key);
      if (replay !== null) {
        result = replay;
        break;
      }
      try {
        // The first attempt reads without a lock; a retry (its list or a user row moved meanwhile, e.g. a
        // shared list whose members come and go) locks first what the write moves, so it makes progress.
        const written =
          attempt === 1
            ? await this.organiseAttempt(this.db, userId, command, meta)
            : await this.db.transaction((tx) => this.organiseAttempt(tx, userId, command, meta, true));
        if (written.committed) this.onCommitted(written.committed);
        result = written.result;
      } catch (error) {
        const taken = labelNameTaken(error);
        if (taken) throw taken;
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
    }
    return result;
  }

  /**
   * After `organise` returned `result` for `call`, outside the UserActor's turn: for a list or label delete
   * (also a repeated or replayed one, which finishes what a crash left), each live task still in the list
   * or carrying the label gets its own turn, FAN_OUT at a time; nothing for other commands. Rejects with
   * the first error a task turn throws (the others still run to their end).
   */
  async afterOrganise(userId: string, call: OrganiseCall, result: UserTurnResult): Promise<void> {
    const { command } = call;
    if (command.type !== 'delete_list' && command.type !== 'delete_label') return;
    const correlationId = call.meta?.correlationId ?? result.events[0]?.correlation_id ?? randomUUID();
    await this.fanOut(userId, command, result.events[0]?.event_id ?? null, correlationId);
  }

  /**
   * Finishes list and label deletes whose fan-out was cut short (a crash, a task turn that failed): each list or
   * label deleted between `from` (null: any time) and `to` that still has a live task in it or carrying it gets
   * the fan-out `afterOrganise` runs, under the delete's own correlation id and caused by its event (each task
   * turn is a no-op for a task that has moved on, so a fan-out still under way elsewhere is no harm). At most
   * `limit` deletes, oldest first, but those in `skip` (key: the list's or label's id). Resolves to what it
   * finished, failed and found nothing to do for (FinishResult); rejects only when the look itself fails (the
   * database away).
   */
  async finishDeletes(options: FinishOptions): Promise<FinishResult> {
    const args = [options.from?.toISOString() ?? null, options.to.toISOString(), options.limit, options.skip];
    const leftovers = await this.db.query<{
      kind: 'list' | 'label';
      id: string;
      user_id: string;
      tasks: 'move' | 'delete' | null;
      event_id: string;
      correlation_id: string;
    }>(
      `(SELECT 'list' AS kind, l.id::text AS id, l.user_id, e.data->>'tasks' AS tasks,
               e.event_id::text AS event_id, e.correlation_id::text AS correlation_id, l.deleted_at
          FROM lists l
          JOIN LATERAL (SELECT event_id, correlation_id, data FROM events
                         WHERE aggregate_id = l.id::text AND user_id = l.user_id AND event_type = 'list.deleted'
                         ORDER BY version DESC LIMIT 1) e ON true
         WHERE l.deleted_at IS NOT NULL AND l.deleted_at >= COALESCE($1::timestamptz, '-infinity') AND l.deleted_at <= $2
           AND NOT l.id::text = ANY($4::text[])
           AND (SELECT 1 FROM tasks t WHERE t.list_id = l.id AND t.deleted_at IS NULL LIMIT 1) IS NOT NULL)
       UNION ALL
       (SELECT 'label', b.id::text, b.user_id, NULL, e.event_id::text, e.correlation_id::text, b.deleted_at
          FROM labels b
          JOIN LATERAL (SELECT event_id, correlation_id FROM events
                         WHERE aggregate_id = b.id::text AND user_id = b.user_id AND event_type = 'label.deleted'
                         ORDER BY version DESC LIMIT 1) e ON true
         WHERE b.deleted_at IS NOT NULL AND b.deleted_at >= COALESCE($1::timestamptz, '-infinity') AND b.deleted_at <= $2
           AND NOT b.id::text = ANY($4::text[])
           -- One probe per deleted row (a subquery with LIMIT 1): as an EXISTS the planner hash-joined a scan
           -- of every live task (1.2 s for 2M tasks and 60k deleted lists and labels, measured).
           AND (SELECT 1 FROM tasks t
                 WHERE t.user_id = b.user_id AND t.labels @> ARRAY[b.id] AND t.deleted_at IS NULL LIMIT 1) IS NOT NULL)
       ORDER BY deleted_at LIMIT $3`,
      args,
    );
    return finishEach(
      'delete',
      leftovers.rows.map((row) => ({ ...row, key: row.id, user: row.user_id })),
      options.signal,
      (row) =>
        // Counts only task turns that wrote: a delete whose own fan-out finished meanwhile (a slow one, or
        // another replica's look) moves nothing here and is not reported.
        this.fanOut(
          row.user_id,
          row.kind === 'list'
            ? { type: 'delete_list', list_id: row.id, tasks: row.tasks === 'delete' ? 'delete' : 'move' }
            : { type: 'delete_label', label_id: row.id },
          row.event_id,
          row.correlation_id,
        ),
    );
  }

  /**
   * Finishes zone changes whose reschedules a crash cut short: for each user whose last zone change was made
   * between `from` and `to` (and is their zone now), each series or all-day task that follows the zone and
   * whose times are verifiably still in the old zone (`timesIn`: its wall-clock start or its date's start
   * there, and not in the new one) gets the reschedule the change would have sent, under the change's own
   * correlation id and caused by its event. A task whose times tell nothing (an open timed instance of a
   * series) or that are in neither zone is left as it is. At most `limit` zone changes, oldest first, but those
   * in `skip` (key: the change's event id). Resolves to what it finished, failed and found nothing to do for
   * (FinishResult); rejects only when the look itself fails.
   */
  async finishZoneChanges(options: FinishOptions): Promise<FinishResult> {
    if (!this.dispatch) return { finished: [], failed: [], idle: [] };
    const changes = await this.db.query<{
      user_id: string;
      from_zone: string;
      to_zone: string;
      event_id: string;
      correlation_id: string;
    }>(
      `SELECT e.user_id, e.data->'changes'->'timezone'->>'from' AS from_zone, u.timezone AS to_zone,
              e.event_id::text AS event_id, e.correlation_id::text AS correlation_id
         FROM events e JOIN users u ON u.id = e.user_id
        WHERE e.event_type = 'user.timezone_changed' AND e."timestamp" >= COALESCE($1::timestamptz, '-infinity')
          AND e."timestamp" <= $2
          AND e.data->'changes'->'timezone'->>'to' = u.timezone
          AND NOT EXISTS (SELECT 1 FROM events later WHERE later.user_id = e.user_id
                            AND later.event_type = 'user.timezone_changed' AND later.seq > e.seq)
          AND NOT e.event_id::text = ANY($4::text[])
        ORDER BY e."timestamp" LIMIT $3`,
      [options.from?.toISOString() ?? null, options.to.toISOString(), options.limit, options.skip],
    );
    return finishEach(
      'zone change',
      changes.rows.map((change) => ({ ...change, key: change.event_id, user: change.user_id })),
      options.signal,
      async (change) => {
        const { user_id: userId, from_zone: fromZone, to_zone: toZone } = change;
        // One read of the user's zone-following tasks (not one per task: at start-up this runs for every
        // zone change of the last day).
        const following = await this.db.query<TaskRow>(
          `SELECT ${TASK_COLUMNS} FROM tasks WHERE user_id = $1 AND ${FOLLOWING_ZONE} ORDER BY created_at`,
          [userId],
        );
        const behind = following.rows
          .map((row) => toTask(row, []))
          .filter((task) => zoneBound(task) && !timesIn(task, toZone) && timesIn(task, fromZone))
          .map((task) => task.id);
        return this.reschedule(
          userId,
          behind,
          { from: fromZone, to: toZone },
          { correlationId: change.correlation_id, causationId: change.event_id },
        );
      },
    );
  }

  /**
   * Step 5 of a zone change: `reschedule` on each of `taskIds`, FAN_OUT at a time. Resolves to how many wrote
   * anything. A task turn's refusal is no error: only a series created after the check (checkSeriesMove) can be
   * refused (its start has no instant in the new zone); it keeps its old instant, and the others follow the zone.
   */
  private reschedule(
    userId: string,
    taskIds: readonly string[],
    zone: { from: string; to: string },
    meta: CommandMeta,
  ): Promise<number> {
    const dispatch = this.dispatch;
    if (!dispatch) return Promise.resolve(0);
    const command = { type: 'reschedule', from_zone: zone.from, to_zone: zone.to } as const;
    return fanOut(taskIds, (taskId) =>
      dispatch(taskId, { userId, command, meta }).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        return undefined;
      }),
    );
  }

  /**
   * Steps 1–3 of `organise` on `q`: read the user's lists and labels, decide, write in one guarded
   * statement. With `lock` (a retry, inside a transaction) the rows the write moves are locked first, in
   * the order every write takes them (lockListWriters). `committed`: the events to notify once `q`'s
   * transaction committed (with a shared list's copies for its members); undefined when nothing was written.
   */
  private async organiseAttempt(
    q: Queryable,
    userId: string,
    command: OrganiseCommand,
    meta: CommandMeta,
    lock = false,
  ): Promise<{ result: UserTurnResult; committed?: EventEnvelope[] }> {
    const key = meta.idempotency;
    const target = { id: targetOf(command) };
    if (lock) await lockListWriters(q, [userId], isList(command) ? target.id : null);
    const user = await readUser(q, userId);
    const lists = (await q.query<ListState>(`SELECT ${LIST_COLUMNS} FROM lists WHERE user_id = $1`, [userId])).rows;
    const labels = (await q.query<LabelState>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE user_id = $1`, [userId])).rows;
    if (
      (command.type === 'update_list' || command.type === 'delete_list') &&
      !lists.some((l) => l.id === command.list_id)
    )
      await this.refuseEditor(userId, command);
    const now = this.clock();
    const pending = decideOrganise(command, { lists, labels }, { now, userId });
    if (pending.length === 0) {
      // Nothing to do may be what a concurrent twin with the same key just did: its answer is the one to give.
      const twin = key !== undefined ? await this.replay(userId, key) : null;
      if (twin !== null) return { result: twin };
      return {
        result: {
          user,
          events: [],
          ...(isList(command)
            ? { list: lists.find((l) => l.id === target.id) ?? null }
            : { label: labels.find((l) => l.id === target.id) ?? null }),
        },
      };
    }
    const record =
      key === undefined
        ? undefined
        : {
            ...key,
            answer: (after: { lists: Map<string, ListState | null>; labels: Map<string, LabelState | null> }) => ({
              user,
              ...(isList(command)
                ? { list: after.lists.get(target.id) ?? null }
                : { label: after.labels.get(target.id) ?? null }),
            }),
          };
    const persisted = await persist(
      q,
      {
        userId,
        userVersion: user.version,
        lists: new Map(lists.map((l) => [l.id, l])),
        labels: new Map(labels.map((l) => [l.id, l])),
      },
      pending,
      meta,
      now,
      record,
    );
    return {
      // A shared list's rename or delete also reaches its members (Persisted.copies).
      committed: persisted.copies.length > 0 ? [...persisted.events, ...persisted.copies] : persisted.events,
      result: {
        user,
        events: persisted.events,
        ...(isList(command)
          ? { list: persisted.lists.get(target.id) ?? null }
          : { label: persisted.labels.get(target.id) ?? null }),
      },
    };
  }

  /**
   * A rename or delete of a list the user does not own: when they are an active editor of it (the
   * list_access view, migration 013), a DomainError `forbidden` (403) saying only its owner may; else
   * nothing, and the decider answers 404 as for any list the user cannot see (shared-lists plan, section 2).
   */
  private async refuseEditor(
    userId: string,
    command: Extract<OrganiseCommand, { type: 'update_list' | 'delete_list' }>,
  ): Promise<void> {
    const editor = await this.db.query(
      "SELECT 1 FROM list_access a WHERE a.list_id = $1 AND a.user_id = $2 AND a.role = 'editor'",
      [command.list_id, userId],
    );
    if (editor.rows.length > 0)
      throw new DomainError(
        'forbidden',
        `only the list's owner can ${command.type === 'delete_list' ? 'delete' : 'rename, recolour or reorder'} it`,
      );
  }

  /**
   * Step 5 of a delete: a turn for each live task still in the deleted list, or still carrying the deleted
   * label. Resolves to how many of those turns wrote anything (a task that moved on meanwhile writes nothing).
   */
  private async fanOut(
    userId: string,
    command: Extract<OrganiseCommand, { type: 'delete_list' | 'delete_label' }>,
    causationId: string | null,
    correlationId: string,
  ): Promise<number> {
    if (!this.dispatch) return 0;
    const dispatch = this.dispatch;
    const rows =
      command.type === 'delete_list'
        ? await this.db.query<{ id: string; gone: boolean }>(
            // Every task in the list, also its members' when it was shared (the owner's turn reaches them:
            // list_access keeps a deleted list the owner's while its delete fans out). `gone`: the task's
            // user is neither the owner nor an active member (they left or were removed): its task is
            // deleted, never moved back to them, since they lost it, and the edits made since, with the list.
            `SELECT t.id::text AS id, NOT (t.user_id = l.user_id OR EXISTS (SELECT 1 FROM list_members m
                WHERE m.list_id = t.list_id AND m.user_id = t.user_id AND m.state = 'active')) AS gone
              FROM tasks t JOIN lists l ON l.id = t.list_id
             WHERE t.list_id = $1 AND t.deleted_at IS NULL ORDER BY t.created_at, t.id`,
            [command.list_id],
          )
        : await this.db.query<{ id: string; gone?: boolean }>(
            'SELECT id::text AS id FROM tasks WHERE user_id = $1 AND labels @> ARRAY[$2]::uuid[] AND deleted_at IS NULL ORDER BY created_at, id',
            [userId, command.label_id],
          );
    const cause = { correlationId, causationId };
    const gone = new Set(rows.rows.filter((r) => r.gone === true).map((r) => r.id));
    const task = (id: string): TaskCall['command'] =>
      command.type === 'delete_list'
        ? { type: 'list_deleted', list_id: command.list_id, tasks: gone.has(id) ? 'delete' : command.tasks }
        : { type: 'label_deleted', label_id: command.label_id };
    return fanOut(
      rows.rows.map((r) => r.id),
      (id) => dispatch(id, { userId, command: task(id), meta: cause }),
    );
  }

  /**
   * Throws a DomainError `validation` on `timezone` when any task the zone change would move cannot
   * follow it (every one `seriesFollowingZone` names): a live series with no start within years
   * 0001–9999 in `toZone` (`rescheduledStart`), or an open all-day task whose date has no first instant
   * there (`dayStart`). Pure reads; nothing written.
   */
  private async checkSeriesMove(userId: string, fromZone: string, toZone: string): Promise<void> {
    const rows = await this.db.query<{
      id: string;
      is_recurring: boolean;
      due_date: string;
      due_day: string | null;
      dtstart_local: string | null;
    }>(
      `SELECT ${TASK_COLUMNS} FROM tasks
      WHERE user_id = $1 AND timezone IS NULL AND deleted_at IS NULL AND due_date IS NOT NULL
        AND ((is_recurring AND recurrence_rule IS NOT NULL) OR (due_day IS NOT NULL AND NOT completed))`,
      [userId],
    );
    for (const row of rows.rows) {
      if (row.is_recurring) rescheduledStart(row, fromZone, toZone);
      else if (row.due_day !== null) {
        try {
          dayStart('timezone', row.due_day, toZone);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          throw invalid(
            'timezone',
            `the all-day task ${row.id} due ${row.due_day} has no such date in ${toZone} within years 0001–9999; change its due date first`,
          );
        }
      }
    }
  }

  /**
   * The user's live series, open all-day tasks and open instances of series, that follow the user's zone (no
   * zone of their own): a zone change reschedules them (an all-day task keeps its date, its first instant
   * moves; a series and its open timed instances keep their wall-clock times).
   */
  private async seriesFollowingZone(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id::text AS id FROM tasks WHERE user_id = $1 AND ${FOLLOWING_ZONE} ORDER BY created_at`,
      [userId],
    );
    return rows.rows.map((r) => r.id);
  }
}

/** The condition on a user's task that it follows their zone (`seriesFollowingZone`): what a zone change reschedules. */
const FOLLOWING_ZONE = `timezone IS NULL AND deleted_at IS NULL
  AND (is_recurring OR (NOT completed AND (due_day IS NOT NULL OR (series_id IS NOT NULL AND due_date IS NOT NULL))))`;

const isList = (command: OrganiseCommand): boolean =>
  command.type === 'create_list' || command.type === 'update_list' || command.type === 'delete_list';

/** The id of the list or label a command is about. */
function targetOf(command: OrganiseCommand): string {
  switch (command.type) {
    case 'create_list':
    case 'create_label':
      return command.id;
    case 'update_list':
    case 'delete_list':
      return command.list_id;
    default:
      return command.label_id;
  }
}
