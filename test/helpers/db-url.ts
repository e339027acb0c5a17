// An empty PostgreSQL database on the local stack for one test file; dropped afterwards.
// A run that is killed (Ctrl-C, a timeout) cannot drop its databases, so each name carries its creation
// time, and the first database each test file (each module instance) makes sweeps away those made more than
// STALE_AFTER_MS ago that nobody is connected to: the stack's PostgreSQL does not fill up with them. While a
// database is in use its maker holds one idle connection to it (the keeper), so "nobody is connected" means
// its maker is gone, not that its pool happened to be idle or its app was restarting.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { local } from '../../deploy/local/lib/endpoints.ts';

const PREFIX = 'tasklane_test_';
/** A test database this old is left over (no run of the suite takes near this long). */
export const STALE_AFTER_MS = 6 * 3_600_000;
const NAME = /^tasklane_test_([0-9a-z]+)_[0-9a-f]+$/;

/** `tasklane_test_<creation time: epoch seconds, base 36>_<random>`. */
export function testDatabaseName(now = Date.now()): string {
  return `${PREFIX}${Math.floor(now / 1000).toString(36)}_${randomBytes(6).toString('hex')}`;
}

/** The test databases in `names` made more than STALE_AFTER_MS before `now` (by their names). */
export function staleDatabases(names: readonly string[], now = Date.now()): string[] {
  return names.filter((name) => {
    const m = NAME.exec(name);
    return m !== null && now - Number.parseInt(m[1] as string, 36) * 1000 > STALE_AFTER_MS;
  });
}

let swept: Promise<void> | undefined;

/** Drops left-over test databases nobody is connected to; a failure only leaves them for the next run. */
async function sweep(admin: pg.Client): Promise<void> {
  const rows = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database d
      WHERE datname LIKE '${PREFIX}%' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  for (const name of staleDatabases(rows.rows.map((r) => r.datname))) {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
  }
}

export async function freePostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = testDatabaseName();
  const admin = new pg.Client({ connectionString: local.databaseUrl });
  await admin.connect();
  try {
    swept ??= sweep(admin).catch(() => undefined);
    await swept;
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(local.databaseUrl);
  url.pathname = `/${name}`;
  const keeper = new pg.Client({ connectionString: url.toString(), application_name: 'tasklane-test-keeper' });
  keeper.on('error', () => undefined); // a PostgreSQL restarted by a test ends it; the database stays
  await keeper.connect();
  return {
    url: url.toString(),
    async drop() {
      await keeper.end().catch(() => undefined);
      const c = new pg.Client({ connectionString: local.databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
