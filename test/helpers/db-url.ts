// An empty PostgreSQL database on the local stack for one test file; dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { local } from '../../deploy/local/lib/endpoints.ts';

export async function freePostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tasklane_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: local.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(local.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: local.databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
