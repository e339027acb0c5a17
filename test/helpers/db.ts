// Fresh databases for tests: a new PostgreSQL database on the local stack per test file (dropped
// afterwards), or an in-memory PGlite. Both get the real migrations.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../../host/db/index.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';

export interface TestDb {
  db: Db;
  url?: string;
  drop(): Promise<void>;
}

export async function freshPostgres(poolSize = 20): Promise<TestDb> {
  const name = `tasklane_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: local.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(local.databaseUrl);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString(), poolSize });
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: local.databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
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
