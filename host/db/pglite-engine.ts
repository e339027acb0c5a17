// The embedded engine: PGlite (PostgreSQL compiled to WASM) behind the `Db` interface, in the thread that
// calls it. The app runs it in a worker thread (host/db/pglite.ts, pglite-worker.ts) so its CPU is not the
// event loop's; this module knows nothing of threads or of the data folder's lock.
//
// One connection, so transactions are naturally serialised; queries outside a transaction wait for the
// running one.
// Durability: PGlite's Node filesystem (Emscripten NODEFS) writes straight through to the folder with
// synchronous write(2) calls, and PGlite runs with fsync off (`-F` in its start parameters). A COMMIT
// returns after its WAL is written, so an acknowledged write survives the process being killed (SIGKILL,
// OOM: the kernel keeps what was written); a power loss or kernel crash can lose the latest commits
// (NODEFS implements no fsync). `relaxedDurability` only defers the sync of in-memory filesystems
// (IndexedDB, OPFS) and does nothing here. `npm run chaos:crash` checks the SIGKILL case.
import { mkdirSync } from 'node:fs';
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { TYPE_PARSERS, SESSION_SETTINGS, type Db, type Queryable, type QueryResult } from './types.ts';

/**
 * Starts PGlite on the folder `dir` (created if missing; the caller holds its lock), or in memory when it
 * is undefined, with the session settings both adapters share.
 * @throws whatever PGlite throws when the folder cannot be created or opened (the caller names it).
 */
export async function openEngine(dir: string | undefined): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir, { parsers: TYPE_PARSERS });
  try {
    for (const [k, v] of Object.entries(SESSION_SETTINGS)) await db.exec(`SET ${k} = '${v}'`);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const named = preparedStatements(db);
  // Outside a transaction a statement takes the transaction lock, as PGlite's own `query` does, so it never
  // runs between the statements of a transaction in progress; inside one it takes only the query lock.
  const query: Queryable['query'] = async (sql, params, name) => {
    if (name) return db._runExclusiveTransaction(() => named(sql, params, name));
    return resultOf(await db.query(sql, params as unknown[] | undefined));
  };
  const exec = async (sql: string) => {
    await db.exec(sql);
  };
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    query,
    exec,
    transaction: (fn) =>
      db.transaction(async (tx) =>
        fn({
          query: async (sql, params, name) =>
            name ? named(sql, params, name) : resultOf(await tx.query(sql, params as unknown[] | undefined)),
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    reserve: async () => ({ query, exec, release: () => undefined }),
    close: () => (closing ??= db.close()),
  };
}

function resultOf(result: { rows: unknown[]; affectedRows?: number }): QueryResult<never> {
  return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/**
 * Named statements on PGlite, as node-postgres keeps them per connection: the first call parses and plans
 * the text once under `name` (Parse + Describe), every later call only binds and executes it, in one
 * message to the WASM backend. PGlite's own `query` parses, describes and plans every statement again and
 * crosses into WASM five times; for the turn's statements (a load, a CTE of several writes) that was most
 * of the embedded runtime's CPU (test/bench/run.ts, embedded rows). The caller holds PGlite's query lock
 * (inside a transaction) or its transaction lock (outside), so the protocol exchange is never interleaved.
 * A statement whose Parse fails is not kept; errors are PGlite's DatabaseError, SQLSTATE in `code`.
 */
/** A backend message as PGlite's protocol parser gives it (its package is bundled, not importable). */
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

function preparedStatements(db: PGlite) {
  /** Per name: the parameters' type oids and the RowDescription of its result (null when it returns none). */
  const prepared = new Map<string, { oids: number[]; row: BackendMessage | null }>();
  const serialize = protocol.serialize;
  return (sql: string, params: readonly unknown[] | undefined, name: string): Promise<QueryResult<never>> =>
    db._runExclusiveQuery(async () => {
      let statement = prepared.get(name);
      if (statement === undefined) {
        const described = await db.execProtocol(
          concat([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()]),
          { syncToFs: false },
        );
        statement = {
          oids: parse.parseDescribeStatementResults(described.messages),
          row: described.messages.find((m) => m.name === 'rowDescription') ?? null,
        };
        prepared.set(name, statement);
      }
      const { oids, row } = statement;
      const values = (params ?? []).map((value, i) => {
        if (value === null || value === undefined) return null;
        const write = db.serializers[oids[i] ?? 0];
        return write ? write(value) : String(value);
      });
      // The result's shape was described once, with the statement: Bind and Execute only.
      const done = await db.execProtocol(
        concat([serialize.bind({ statement: name, values }), serialize.execute({}), serialize.sync()]),
      );
      const [result] = parse.parseResults(row ? [row, ...done.messages] : done.messages, db.parsers);
      return resultOf(result ?? { rows: [] });
    });
}
