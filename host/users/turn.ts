// The user aggregate's turn: load (creating on first use) → decide → persist, in one transaction.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { decide, evolve, type UserState, type UserCommand } from '../../actors/user/decider.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { ensureUser, findAnswer, storeAnswer, IDEMPOTENCY_TTL_MS, type CommandMeta } from '../tasks/store.ts';
import type { UserPort } from '../../actors/ports.ts';
import { DomainError } from '../../actors/errors.ts';

export interface UserResult { user: UserState; events: EventEnvelope[]; replayed?: boolean }

export class UserService implements UserPort {
  onCommitted: ((events: EventEnvelope[]) => void) | undefined;

  constructor(readonly db: Db, private readonly clock: () => Date = () => new Date()) {}

  async get(userId: string): Promise<UserState> {
    await ensureUser(this.db, userId);
    const row = await this.db.query<UserState>('SELECT id, timezone, last_seq, version FROM users WHERE id = $1', [userId]);
    return row.rows[0] as UserState;
  }

  /**
   * One turn in one transaction under the user row's lock. With an Idempotency-Key in `meta`, the first
   * answer stored under it (by this service or a task write, which also locks the user row) is returned
   * instead (`replayed`, nothing applied), a key stored for another request raises `key_reused` (422);
   * a turn that writes stores its answer in the same transaction.
   */
  async execute(userId: string, command: UserCommand, meta: CommandMeta = { correlationId: randomUUID() }): Promise<UserResult> {
    const key = meta.idempotency;
    const result = await this.db.transaction(async (tx): Promise<UserResult> => {
      await ensureUser(tx, userId);
      const row = await tx.query<UserState>('SELECT id, timezone, last_seq, version FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const state = row.rows[0] as UserState;
      if (key !== undefined) {
        const stored = await findAnswer(tx, userId, key.key, this.clock());
        if (stored !== null && stored.fingerprint !== key.fingerprint) {
          throw new DomainError('key_reused', `idempotency-key: already used for a different request (method, path, If-Match or body) within ${IDEMPOTENCY_TTL_MS / 3_600_000} h; send a new key`, 'idempotency-key');
        }
        if (stored !== null) return { user: (stored.answer as { user: UserState }).user, events: [], replayed: true };
      }
      const pending = decide(command, state);
      if (pending.length === 0) return { user: state, events: [] };
      const now = this.clock();
      const timestamp = now.toISOString();
      const events: EventEnvelope[] = pending.map((p, i) => ({
        event_id: randomUUID(), event_type: p.event_type, user_id: userId, aggregate_type: p.aggregate_type, aggregate_id: p.aggregate_id,
        version: state.version + i + 1, seq: state.last_seq + i + 1, timestamp, correlation_id: meta.correlationId, causation_id: meta.causationId ?? null, data: p.data,
      }));
      const user = events.reduce(evolve, state);
      await tx.query('UPDATE users SET timezone = $2, version = $3, last_seq = last_seq + $4, updated_at = $5 WHERE id = $1', [userId, user.timezone, user.version, events.length, timestamp]);
      for (const e of events) {
        await tx.query(`INSERT INTO events (event_id, user_id, seq, aggregate_type, aggregate_id, version, event_type, data, correlation_id, causation_id, "timestamp")
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [e.event_id, e.user_id, e.seq, e.aggregate_type, e.aggregate_id, e.version, e.event_type, JSON.stringify(e.data), e.correlation_id, e.causation_id, e.timestamp]);
      }
      const after = { ...user, last_seq: state.last_seq + events.length };
      if (key !== undefined && !(await storeAnswer(tx, userId, { ...key, answer: { user: after } }, now))) {
        throw new Error('the Idempotency-Key was stored by another write meanwhile');
      }
      return { user: after, events };
    });
    if (result.events.length > 0) this.onCommitted?.(result.events);
    return result;
  }

  /** The user's live series that follow the user's zone (no zone of their own): a zone change reschedules them. */
  async seriesFollowingZone(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(`SELECT id::text AS id FROM tasks
      WHERE user_id = $1 AND is_recurring AND timezone IS NULL AND deleted_at IS NULL ORDER BY created_at`, [userId]);
    return rows.rows.map((r) => r.id);
  }
}
