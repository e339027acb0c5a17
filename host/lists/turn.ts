// One list turn, top to bottom: what a ListActor (id = list id) does, whichever runtime runs it: the
// membership of a shared list (issue 17; shared-lists plan, section 3). Like a user turn
// (host/users/turn.ts) it writes through the one writer of events, `persist`, and decides again when a
// check of the write fails:
//
//   0. a retry of a keyed request gets its first answer back            replay
//   1. load the list with its members (and make sure the users exist)   readList, ensureUser
//   2. decideMembership(command, list) → pending events                 actors/list/membership.ts (pure)
//   3. ONE guarded statement writes them under the list's version:      persist (host/tasks/store.ts)
//      the list row, its member rows, the events in the stream of each
//      event's canonical recipient and a delivery row for every other
//   4. notify: the hub and the relay, with every recipient's copy        onCommitted
//   5. a member who left or was removed: a `member_gone` task turn for   dispatch
//      each live task of the list holding their reminders or assigned
//      to them (their reminders cancelled, the assignment cleared)
//
// Rename and delete stay on the owner's UserActor (`organise`). Reads for the API (a list's members, a
// user's invitations) are here too, as the same access rule says them.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { notFound } from '../../actors/errors.ts';
import type { ListState } from '../../actors/list/index.ts';
import { decideMembership } from '../../actors/list/membership.ts';
import { accessOf } from '../../actors/list/audience.ts';
import type { CommandMeta, IdempotencyMeta, ListTurnPort, ListTurnResult, MembershipCall } from '../../actors/ports.ts';
import type { Invitation } from '../../api/deps.ts';
import { LIST_COLUMNS } from '../tasks/rows.ts';
import { ensureUser, findAnswer, keyReused, lockListWriters, persist, retryable } from '../tasks/store.ts';
import { fanOut, finishEach, type FinishOptions, type FinishResult } from '../fan-outs.ts';
import { DomainError } from '../../actors/errors.ts';
import type { TaskCall, TaskCallAnswer } from '../../actors/ports.ts';
import type { MemberGoneReason } from '../../actors/task/commands.ts';

/** The reason the clean-up of a member's tasks gives, by the membership event it follows. */
const goneReason = (eventType: string): MemberGoneReason =>
  eventType === 'list.member_left' ? 'member_left' : 'member_removed';

export interface ListTurnsOptions {
  clock?: () => Date;
  /** Called after each commit that wrote events, with every recipient's copy (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  /** Runs a task turn where the runtime runs task turns (step 5's `member_gone`); without it, none is run. */
  dispatch?: (taskId: string, call: TaskCall) => Promise<TaskCallAnswer>;
  maxAttempts?: number;
}

/**
 * The live tasks of list `listId` on which `userId` has reminders that a removal must cancel (live ones,
 * and those an assignment cancelled, which an unassignment would re-arm), which are assigned to them, or
 * which they made and whose times depend on their zone (actors/task/decide.ts `zoneBound`) or carry their
 * labels, oldest first: what step 5 runs `member_gone` on.
 */
export async function tasksOfGoneMember(q: Queryable, listId: string, userId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT t.id::text AS id FROM tasks t WHERE t.list_id = $1 AND ${goneMembersTask('t', '$2')}
     ORDER BY t.created_at, t.id`,
    [listId, userId],
    'tasklane_tasks_of_gone_member',
  );
  return rows.rows.map((r) => r.id);
}

/** The condition, on task `t`, that `member_gone` of the user `user` (an SQL expression) has something to do there. */
const goneMembersTask = (t: string, user: string): string =>
  `${t}.deleted_at IS NULL
       AND (${t}.assignee = ${user} OR EXISTS (SELECT 1 FROM reminders r WHERE r.task_id = ${t}.id AND r.user_id = ${user}
         AND (NOT r.cancelled OR r.cancel_reason = 'assigned'))
         OR (${t}.user_id = ${user} AND (cardinality(${t}.labels) > 0 OR (${t}.timezone IS NULL
           AND ((${t}.is_recurring AND ${t}.recurrence_rule IS NOT NULL) OR ${t}.due_day IS NOT NULL)))))`;

/** The list `listId` with its members (ListState.members), deleted or not; null when there is none. */
export async function readList(q: Queryable, listId: string): Promise<ListState | null> {
  const rows = await q.query<ListState>(`SELECT ${LIST_COLUMNS} FROM lists WHERE id = $1`, [listId], 'tasklane_list');
  return rows.rows[0] ?? null;
}

/** The live lists `userId` is invited to and has not answered, newest invitation first (at most 200: MAX_LISTS). */
export async function readInvitations(q: Queryable, userId: string): Promise<Invitation[]> {
  const rows = await q.query<Invitation>(
    `SELECT l.id::text AS list_id, l.name, l.color, m.invited_by, m.updated_at AS invited_at
       FROM list_members m JOIN lists l ON l.id = m.list_id
      WHERE m.user_id = $1 AND m.state = 'invited' AND l.deleted_at IS NULL
      ORDER BY m.updated_at DESC, l.id LIMIT 200`,
    [userId],
    'tasklane_invitations',
  );
  return rows.rows;
}

export class ListTurns implements ListTurnPort {
  private readonly clock: () => Date;
  private readonly onCommitted: (events: EventEnvelope[]) => void;
  private readonly maxAttempts: number;
  private readonly dispatch: ((taskId: string, call: TaskCall) => Promise<TaskCallAnswer>) | undefined;

  constructor(
    readonly db: Db,
    options: ListTurnsOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.onCommitted = options.onCommitted ?? (() => undefined);
    this.maxAttempts = options.maxAttempts ?? 5;
    this.dispatch = options.dispatch;
  }

  /**
   * Steps 0–4 for `call.userId` on list `listId`. Errors: DomainError from decideMembership (not_found
   * 404 for a non-member, a missing list or member; forbidden 403 for an editor doing the owner's part;
   * validation 400; conflict 409), `key_reused` 422; a database error once the attempts are spent. With
   * an Idempotency-Key in `meta`, the first answer stored under it for this user is returned instead
   * (`replayed`, nothing applied). `list` in the result is the list with its members after the command.
   */
  async membership(listId: string, call: MembershipCall): Promise<ListTurnResult> {
    const meta: CommandMeta = call.meta ?? { correlationId: randomUUID() };
    const key = meta.idempotency;
    const actor = call.userId;
    for (let attempt = 1; ; attempt++) {
      const replay = key === undefined ? null : await this.replay(actor, key, listId, call.command.type);
      if (replay !== null) return replay;
      try {
        // The first attempt reads without a lock; a retry (the list moved meanwhile: a rename, another
        // member's change from another process) locks first what the write moves, so it makes progress.
        const written =
          attempt === 1
            ? await this.attempt(this.db, listId, call, meta)
            : await this.db.transaction((tx) => this.attempt(tx, listId, call, meta, true));
        if (written.committed === undefined) return written.result;
        this.onCommitted(written.committed);
        await this.memberGone(listId, written.result.events, meta);
        return written.result;
      } catch (error) {
        if (attempt >= this.maxAttempts || !retryable(error)) throw error;
      }
    }
  }

  /**
   * Steps 1–3 of `membership` on `q`: read the list, decide, write in one guarded statement. With `lock`
   * (a retry, inside a transaction) the rows the write moves are locked first (lockListWriters).
   * `committed`: the events to notify once `q`'s transaction committed (with the members' copies);
   * undefined when nothing was written.
   */
  private async attempt(
    q: Queryable,
    listId: string,
    call: MembershipCall,
    meta: CommandMeta,
    lock = false,
  ): Promise<{ result: ListTurnResult; committed?: EventEnvelope[] }> {
    const key = meta.idempotency;
    const actor = call.userId;
    const other = call.command.type === 'share' || call.command.type === 'transfer' ? call.command.user_id : undefined;
    if (lock) await lockListWriters(q, other === undefined ? [actor] : [actor, other], listId);
    const list = await readList(q, listId);
    if (list === null) throw notFound('list');
    const user = await ensureUser(q, actor);
    const now = this.clock();
    const targetOwns =
      call.command.type === 'transfer'
        ? Number(
            (
              await q.query<{ n: string }>(
                'SELECT count(*) AS n FROM lists WHERE user_id = $1 AND deleted_at IS NULL',
                [call.command.user_id],
              )
            ).rows[0]?.n ?? 0,
          )
        : undefined;
    const pending = decideMembership(call.command, list, {
      now,
      actor,
      ...(targetOwns !== undefined ? { targetOwns } : {}),
    });
    if (pending.length === 0)
      return {
        result: (key === undefined ? null : await this.replay(actor, key, listId, call.command.type)) ?? {
          list,
          events: [],
        },
      };
    // Sharing with a user id never seen creates that user, so the answer does not tell whether it existed.
    if (call.command.type === 'share') await ensureUser(q, call.command.user_id);
    const record =
      key === undefined
        ? undefined
        : {
            ...key,
            answer: (after: { lists: Map<string, ListState | null> }) => ({
              list: after.lists.get(listId) ?? list,
            }),
          };
    const persisted = await persist(
      q,
      { userId: actor, userVersion: user.version, actor, lists: new Map([[listId, list]]) },
      pending,
      meta,
      now,
      record,
    );
    return {
      committed: [...persisted.events, ...persisted.copies],
      result: { list: persisted.lists.get(listId) ?? list, events: persisted.events },
    };
  }

  /**
   * Step 5, after a `list.member_left` or `list.member_removed` committed: `member_gone` on each task
   * `tasksOfGoneMember` names, FAN_OUT at a time (host/users/turn.ts fanOut), as a system turn caused by
   * the membership event. A refusal of one task's turn does not stop the others; should the fan-out not
   * run to its end (a crash), `finishMembersGone` finishes it (host/fan-outs.ts), and a reminder of
   * the user that comes due meanwhile is cancelled when it fires instead (actors/task/decide.ts `fire`), so
   * they are never notified.
   */
  private async memberGone(listId: string, events: readonly EventEnvelope[], meta: CommandMeta): Promise<void> {
    for (const e of events) {
      if (e.event_type !== 'list.member_left' && e.event_type !== 'list.member_removed') continue;
      const cause = { correlationId: meta.correlationId, causationId: e.event_id };
      await this.memberGoneTurns(listId, e.data.user_id as string, cause, goneReason(e.event_type));
    }
  }

  /**
   * `member_gone` of `gone` on each task of the list `tasksOfGoneMember` names, FAN_OUT at a time (a refusal of
   * one task's turn does not stop the others). Resolves to how many wrote anything.
   */
  private async memberGoneTurns(
    listId: string,
    gone: string,
    cause: CommandMeta,
    reason: MemberGoneReason,
  ): Promise<number> {
    const dispatch = this.dispatch;
    if (dispatch === undefined) return 0;
    return fanOut(await tasksOfGoneMember(this.db, listId, gone), (taskId) =>
      dispatch(taskId, { userId: gone, command: { type: 'member_gone', user_id: gone, reason }, meta: cause }).catch(
        (error: unknown) => {
          if (!(error instanceof DomainError)) throw error;
          return undefined;
        },
      ),
    );
  }

  /**
   * Finishes the step 5 a crash cut short (a fan-out source: host/fan-outs.ts): each member who left
   * or was removed between `from` and `to`, and still has tasks in the list that `member_gone` would change,
   * gets it on each, under the membership event's correlation id and caused by it. Keyed by "list user".
   */
  async finishMembersGone(options: FinishOptions): Promise<FinishResult> {
    if (this.dispatch === undefined) return { finished: [], failed: [], idle: [] };
    const { rows } = await this.db.query<{
      list_id: string;
      user_id: string;
      event_id: string;
      event_type: string;
      correlation_id: string;
    }>(
      `SELECT m.list_id::text AS list_id, m.user_id, e.event_id::text AS event_id, e.event_type,
              e.correlation_id::text AS correlation_id
         FROM list_members m
         JOIN LATERAL (SELECT event_id, event_type, correlation_id FROM events
                        WHERE aggregate_id = m.list_id::text AND event_type IN ('list.member_left', 'list.member_removed')
                          AND data->>'user_id' = m.user_id
                        ORDER BY version DESC LIMIT 1) e ON true
        WHERE m.state IN ('left', 'removed')
          AND m.updated_at >= COALESCE($1::timestamptz, '-infinity') AND m.updated_at <= $2
          AND NOT (m.list_id::text || ' ' || m.user_id) = ANY($4::text[])
          AND (SELECT 1 FROM tasks t WHERE t.list_id = m.list_id AND ${goneMembersTask('t', 'm.user_id')} LIMIT 1)
              IS NOT NULL
        ORDER BY m.updated_at LIMIT $3`,
      [options.from?.toISOString() ?? null, options.to.toISOString(), options.limit, options.skip],
    );
    return finishEach(
      'member gone',
      rows.map((r) => ({ ...r, key: `${r.list_id} ${r.user_id}`, user: r.user_id })),
      options.signal,
      (r) =>
        this.memberGoneTurns(
          r.list_id,
          r.user_id,
          { correlationId: r.correlation_id, causationId: r.event_id },
          goneReason(r.event_type),
        ),
    );
  }

  /**
   * The stored first answer to `key`, or null. An answer that shows the list and its members (share,
   * accept, transfer) is given again only while the caller still has access to the list: a member
   * removed since gets a 404 as on any other request about it. Leave, remove and decline answer nothing
   * about the list (204), so their retries are answered as stored.
   */
  private async replay(
    userId: string,
    key: IdempotencyMeta,
    listId: string,
    command: MembershipCall['command']['type'],
  ): Promise<ListTurnResult | null> {
    const stored = await findAnswer(this.db, userId, key.key, this.clock());
    if (stored === null) return null;
    if (stored.fingerprint !== key.fingerprint) throw keyReused();
    if (command === 'share' || command === 'accept' || command === 'transfer') {
      const now = await readList(this.db, listId);
      if (now === null || now.deleted_at !== null || !accessOf(now).includes(userId)) throw notFound('list');
    }
    const answer = stored.answer as { list: ListState | null };
    return { list: answer.list, events: [], replayed: true };
  }
}
