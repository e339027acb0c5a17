// Opens the configured database and brings its schema up to date.
import type { Db } from './types.ts';
import { openPostgres } from './pg.ts';
import { openPglite } from './pglite.ts';
import { migrate } from './migrate.ts';

export type { Db, Queryable, QueryResult, Statement, PipelineOutcome } from './types.ts';
export { DataDirLockedError } from './lock.ts';
export { PgliteOpenError } from './pglite.ts';

export interface DbConfig {
  /** postgres://… for PostgreSQL; unset for the embedded PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite's data directory; unset (with no URL) keeps it in memory, for tests. */
  dataDir?: string | undefined;
  poolSize?: number;
}

export async function openDb(config: DbConfig, log?: (msg: string) => void): Promise<Db> {
  const db = config.databaseUrl
    ? openPostgres({ connectionString: config.databaseUrl, max: config.poolSize ?? 20 })
    : await openPglite(config.dataDir, {
        lock: { onLost: (detail) => log?.(`embedded database lock lost: ${detail}`) },
      });
  try {
    await migrate(db, log);
  } catch (error) {
    await db.close().catch(() => undefined); // gives the embedded folder's lock back too
    throw error;
  }
  return db;
}
