// Embedded adapter: PGlite (PostgreSQL compiled to WASM) on disk. One connection, so transactions are
// naturally serialised; queries outside a transaction wait for the running one.
//
// Ownership: the data folder is locked for this process before PGlite opens it (host/db/lock.ts); a second
// process, or a second app in this one, is refused at once, naming the holder.
// Durability: PGlite's Node filesystem (Emscripten NODEFS) writes straight through to the folder with
// synchronous write(2) calls, and PGlite runs with fsync off (`-F` in its start parameters). A COMMIT
// returns after its WAL is written, so an acknowledged write survives the process being killed (SIGKILL,
// OOM: the kernel keeps what was written); a power loss or kernel crash can lose the latest commits
// (NODEFS implements no fsync). `relaxedDurability` only defers the sync of in-memory filesystems
// (IndexedDB, OPFS) and does nothing here. `npm run chaos:crash` checks the SIGKILL case.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { TYPE_PARSERS, SESSION_SETTINGS, type Db, type Queryable, type QueryResult } from './types.ts';
import { lockDir, type LockOptions } from './lock.ts';

/** PGlite could not create its data folder, or not open an existing one (damaged files, another version's format). */
export class PgliteOpenError extends Error {
  readonly code = 'PGLITE_OPEN_FAILED';
  constructor(
    readonly dir: string,
    readonly existed: boolean,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      !existed
        ? `the embedded database could not be created in ${dir} (${reason}): check that the folder is writable and the disk has space`
        : `the embedded database in ${dir} could not be opened (${reason}). The folder is likely damaged, ` +
            `for example by two processes writing to it at once or a disk that filled up. To start afresh, ` +
            `move it aside (mv '${dir}' '${dir}.broken') and start again: a new, empty database is created; ` +
            `keep the moved folder if its data matters, or restore the folder from a backup`,
      { cause },
    );
    this.name = 'PgliteOpenError';
  }
}

export interface PgliteOptions {
  /** Lock tuning and the callback told when the lock is lost (see host/db/lock.ts). */
  lock?: LockOptions;
}

/**
 * Opens PGlite on `dataDir` (created if missing), or in memory when it is undefined.
 * @throws DataDirLockedError when a live process (or another app here) holds the folder.
 * @throws PgliteOpenError when the folder exists but PostgreSQL cannot start on it.
 */
export async function openPglite(dataDir: string | undefined, options: PgliteOptions = {}): Promise<Db> {
  const dir = dataDir ? path.resolve(dataDir) : undefined;
  let lock: Awaited<ReturnType<typeof lockDir>> | undefined;
  let db: PGlite;
  if (dir) {
    mkdirSync(path.dirname(dir), { recursive: true });
    lock = await lockDir(dir, options.lock);
    const existed = existsSync(path.join(dir, 'PG_VERSION'));
    try {
      mkdirSync(dir, { recursive: true });
      db = await PGlite.create(dir, { parsers: TYPE_PARSERS });
    } catch (error) {
      lock.release();
      throw new PgliteOpenError(dir, existed, error);
    }
  } else {
    db = await PGlite.create(undefined, { parsers: TYPE_PARSERS });
  }
  try {
    for (const [k, v] of Object.entries(SESSION_SETTINGS)) await db.exec(`SET ${k} = '${v}'`);
  } catch (error) {
    await db.close().catch(() => undefined);
    lock?.release();
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
    // The lock goes only after PGlite has closed its files, whether or not closing succeeded.
    close: () => (closing ??= db.close().finally(() => lock?.release())),
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
