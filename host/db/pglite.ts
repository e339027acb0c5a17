// Embedded adapter: PGlite (PostgreSQL compiled to WASM) on disk. One connection, so transactions are
// naturally serialised; queries outside a transaction wait for the running one.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { TYPE_PARSERS, SESSION_SETTINGS, type Db, type Queryable } from './types.ts';

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir, { parsers: TYPE_PARSERS });
  for (const [k, v] of Object.entries(SESSION_SETTINGS)) await db.exec(`SET ${k} = '${v}'`);
  const query: Queryable['query'] = async (sql, params) => {
    const result = await db.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
  };
  return {
    kind: 'pglite',
    query,
    exec: async (sql) => { await db.exec(sql); },
    transaction: (fn) => db.transaction(async (tx) => fn({
      query: async (sql, params) => {
        const result = await tx.query(sql, params as unknown[] | undefined);
        return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
      },
      exec: async (sql) => { await tx.exec(sql); },
    })),
    reserve: async () => ({ query, exec: async (sql) => { await db.exec(sql); }, release: () => undefined }),
    close: () => db.close(),
  };
}
