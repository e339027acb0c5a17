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
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { decide, type UserState, type UserCommand } from '../../actors/user/decider.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { readUser, findAnswer, persist, retryable, keyReused } from '../tasks/store.ts';
import type { CommandMeta, IdempotencyMeta, TaskCall, TaskTurnResult, TimezoneCall, UserTurnPort, UserTurnResult } from '../../actors/ports.ts';

export interface UserTurnsOptions {
  clock?: () => Date;
  /** Called after each commit that wrote events (the relay and the hub listen here). */
  onCommitted?: (events: EventEnvelope[]) => void;
  /** Runs a task turn where the runtime runs task turns (the fan-out of a zone change); without it, none is run. */
  dispatch?: (taskId: string, call: TaskCall) => Promise<TaskTurnResult>;
  maxAttempts?: number;
}

export class UserTurns implements UserTurnPort {
  private readonly clock: () => Date;
  private readonly onCommitted: (events: EventEnvelope[]) => void;
  private readonly dispatch: ((taskId: string, call: TaskCall) => Promise<TaskTurnResult>) | undefined;
  private readonly maxAttempts: number;

  constructor(readonly db: Db, options: UserTurnsOptions = {}) {
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
      const meta = { correlationId: call.meta?.correlationId ?? result.events[0]?.correlation_id ?? '', causationId: result.events[0]?.event_id ?? null };
      for (const taskId of await this.seriesFollowingZone(userId)) {
        await this.dispatch(taskId, { userId, command: { type: 'reschedule', from_zone: change.timezone.from, to_zone: change.timezone.to }, meta });
      }
    }
    return result;
  }

  /**
   * Steps 0–4. Errors: DomainError (an unknown zone: 400; `key_reused`: 422); a database error once the
   * attempts are spent. With an Idempotency-Key in `meta`, the first answer stored under it for this user
   * (by a user or a task turn) is returned instead (`replayed`, nothing applied).
   */
  async execute(userId: string, command: UserCommand, meta: CommandMeta = { correlationId: randomUUID() }): Promise<UserTurnResult> {
    const key = meta.idempotency;
    for (let attempt = 1; ; attempt++) {
      const replay = key === undefined ? null : await this.replay(userId, key);
      if (replay !== null) return replay;
      const state = await readUser(this.db, userId);
      const pending = decide(command, state);
      if (pending.length === 0) return { user: state, events: [] };
      try {
        const record = key === undefined ? undefined : { ...key, answer: (after: { user?: UserState }) => ({ user: after.user ?? state }) };
        const persisted = await persist(this.db, { userId, userVersion: state.version, user: state }, pending, meta, this.clock(), record);
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
    return { user: (stored.answer as { user: UserState }).user, events: [], replayed: true };
  }

  /** The user's live series that follow the user's zone (no zone of their own): a zone change reschedules them. */
  private async seriesFollowingZone(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(`SELECT id::text AS id FROM tasks
      WHERE user_id = $1 AND is_recurring AND timezone IS NULL AND deleted_at IS NULL ORDER BY created_at`, [userId]);
    return rows.rows.map((r) => r.id);
  }
}
