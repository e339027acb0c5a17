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
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import {
  TYPE_PARSERS,
  SESSION_SETTINGS,
  type Db,
  type PipelineOutcome,
  type Queryable,
  type QueryResult,
  type Statement,
} from './types.ts';

/**
 * Starts PGlite on the folder `dir` (created if missing; the caller holds its lock), or in memory when it
 * is undefined, with the session settings both adapters share.
 * @throws whatever PGlite throws when the folder cannot be created or opened (the caller names it).
 */
export async function openEngine(dir: string | undefined): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true });
  // unaccent: search folds accents (migration 021).
  const db = await PGlite.create(dir, { parsers: TYPE_PARSERS, extensions: { unaccent } });
  try {
    for (const [k, v] of Object.entries(SESSION_SETTINGS)) await db.exec(`SET ${k} = '${v}'`);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const { one: named, many } = preparedStatements(db);
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
    pipeline: (statements) => db._runExclusiveTransaction(() => many(statements)),
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

/** A backend message as PGlite's protocol parser gives it (its package is bundled, not importable). */
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

interface Prepared {
  /** The parameters' type oids. */
  oids: number[];
  /** The RowDescription of its result (null when it returns none). */
  row: BackendMessage | null;
}

/**
 * Named statements on PGlite, as node-postgres keeps them per connection: the first call parses and plans
 * the text once under `name` (Parse + Describe), every later call only binds and executes it, in one
 * message to the WASM backend. PGlite's own `query` parses, describes and plans every statement again and
 * crosses into WASM five times; for the turn's statements (a load, a CTE of several writes) that was most
 * of the embedded runtime's CPU (test/bench/run.ts, embedded rows). The caller holds PGlite's query lock
 * (inside a transaction) or its transaction lock (outside), so the protocol exchange is never interleaved.
 * A statement whose Parse fails is not kept; errors are PGlite's DatabaseError, SQLSTATE in `code`.
 */
function preparedStatements(db: PGlite) {
  const prepared = new Map<string, Prepared>();
  const serialize = protocol.serialize;
  /** Parses and describes `sql` under `name` the first time; the caller holds PGlite's query lock. */
  const prepare = async (sql: string, name: string): Promise<Prepared> => {
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
    return statement;
  };
  /** Bind + Execute of a prepared statement (no Sync). */
  const bindExecute = (statement: Prepared, name: string, params: readonly unknown[] | undefined): Uint8Array[] => {
    const values = (params ?? []).map((value, i) => {
      if (value === null || value === undefined) return null;
      const write = db.serializers[statement.oids[i] ?? 0];
      return write ? write(value) : String(value);
    });
    return [serialize.bind({ statement: name, values }), serialize.execute({})];
  };
  /** One statement's result from its messages (its RowDescription was described once, with the statement). */
  const resultFrom = (statement: Prepared, messages: BackendMessage[]): QueryResult<never> => {
    const [result] = parse.parseResults(statement.row ? [statement.row, ...messages] : messages, db.parsers);
    return resultOf(result ?? { rows: [] });
  };
  const one = (sql: string, params: readonly unknown[] | undefined, name: string): Promise<QueryResult<never>> =>
    db._runExclusiveQuery(async () => {
      const statement = await prepare(sql, name);
      // The result's shape was described once, with the statement: Bind and Execute only.
      const done = await db.execProtocol(concat([...bindExecute(statement, name, params), serialize.sync()]));
      return resultFrom(statement, done.messages);
    });
  /**
   * `statements` (each named) as ONE message to the backend: Bind and Execute of each, then one Sync. The
   * extended protocol runs the messages before a Sync as one implicit transaction (PostgreSQL docs,
   * "Pipelining", protocol-flow): committed at the Sync, or, at the first error, the rest skipped and
   * the whole rolled back. So a batch costs one crossing into WASM and one commit. The caller holds
   * PGlite's transaction lock (no transaction of its own is open).
   */
  const many = (statements: readonly Statement[]): Promise<PipelineOutcome> =>
    db._runExclusiveQuery(async () => {
      const ready: Prepared[] = [];
      for (let i = 0; i < statements.length; i++) {
        const { sql, name } = statements[i] as Statement;
        if (!name) throw new Error('pipeline: every statement needs a name on PGlite');
        try {
          ready.push(await prepare(sql, name));
        } catch (error) {
          return { committed: false, failed: i, error };
        }
      }
      const parts: Uint8Array[] = [];
      statements.forEach((s, i) => {
        parts.push(...bindExecute(ready[i] as Prepared, s.name as string, s.params));
      });
      parts.push(serialize.sync());
      const done = await db.execProtocol(concat(parts), { throwOnError: false });
      const results: QueryResult<Record<string, unknown>>[] = [];
      let from = 0;
      for (let at = 0; at < done.messages.length; at++) {
        const message = done.messages[at] as BackendMessage;
        if (message instanceof Error) {
          // An error after every statement completed is the commit's own: nothing is known written.
          if (results.length >= statements.length) throw message;
          return { committed: false, failed: results.length, error: message };
        }
        // A statement ends with CommandComplete, or EmptyQueryResponse when its text holds no command.
        if (message.name === 'commandComplete' || message.name === 'emptyQuery') {
          results.push(resultFrom(ready[results.length] as Prepared, done.messages.slice(from, at + 1)));
          from = at + 1;
        }
      }
      if (results.length !== statements.length)
        throw new Error(`pipeline: ${results.length} of ${statements.length} statements answered`);
      return { committed: true, results };
    });
  return { one, many };
}
