// PostgreSQL advisory locks (docs: "Explicit Locking", 13.3.5): how the processes on one database agree
// that only one of them does a piece of work at a time. Every key is here, so no two uses share one.
// PGlite needs none: one process holds its data folder (host/db/lock.ts), so it has no rival.
import type { Db } from './types.ts';

/** Advisory lock keys (bigint; arbitrary, fixed, "tasklane" + a number). */
export const ADVISORY_LOCK = {
  /** Migrations: one process applies them while the others wait (transaction level, host/db/migrate.ts). */
  migrate: 7_145_826_001,
  /** The outbox relay's leader (session level, held for as long as it leads: host/outbox/relay.ts). */
  relay: 7_145_826_002,
  /** A look for fan-outs a crash cut short (session level, for one look: host/fan-outs.ts). */
  fanOutFinisher: 7_145_826_003,
} as const;

/**
 * Runs `work` while this process holds session advisory lock `key`, if no other session holds it:
 * resolves `{ ran: true, value }`, or `{ ran: false }` without running it when another holds the lock.
 * The lock lives on a connection taken for the purpose and ends with it (released after `work`, settled
 * or not; a process that dies mid-way drops its connection, and so the lock). Rejects with `work`'s
 * error, or when the database is away. PGlite: runs `work` (no rival; see the module comment).
 */
export async function whileHolding<T>(
  db: Db,
  key: number,
  work: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  if (db.kind !== 'postgres') return { ran: true, value: await work() };
  const session = await db.reserve();
  let held: boolean;
  try {
    const got = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
    held = got.rows[0]?.ok === true;
  } catch (error) {
    session.release(true);
    throw error;
  }
  if (!held) {
    session.release();
    return { ran: false };
  }
  try {
    return { ran: true, value: await work() };
  } finally {
    // Unlocked on the same connection, which then goes back to the pool; if that fails, the connection is
    // closed instead, which ends its session and the lock with it.
    const unlocked = await session.query('SELECT pg_advisory_unlock($1)', [key]).then(
      () => true,
      () => false,
    );
    session.release(!unlocked);
  }
}
