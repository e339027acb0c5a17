// Fresh databases for tests: a new PostgreSQL database on the local stack per test file (dropped
// afterwards), or an in-memory PGlite. Both get the real migrations.
import { openDb, type Db } from '../../host/db/index.ts';
import { freePostgres } from './db-url.ts';

export interface TestDb {
  db: Db;
  url?: string;
  drop(): Promise<void>;
}

export async function freshPostgres(poolSize = 20): Promise<TestDb> {
  const database = await freePostgres();
  const db = await openDb({ databaseUrl: database.url, poolSize });
  return {
    db,
    url: database.url,
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}

export async function freshPglite(): Promise<TestDb> {
  const db = await openDb({});
  return { db, drop: () => db.close() };
}

export const ADAPTERS = [
  { name: 'PostgreSQL', open: freshPostgres },
  { name: 'PGlite', open: freshPglite },
] as const;
