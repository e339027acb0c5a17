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
import { PGlite } from '@electric-sql/pglite';
import { TYPE_PARSERS, SESSION_SETTINGS, type Db, type Queryable } from './types.ts';
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
  const query: Queryable['query'] = async (sql, params) => {
    const result = await db.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
  };
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    query,
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn) =>
      db.transaction(async (tx) =>
        fn({
          query: async (sql, params) => {
            const result = await tx.query(sql, params as unknown[] | undefined);
            return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
          },
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    reserve: async () => ({
      query,
      exec: async (sql) => {
        await db.exec(sql);
      },
      release: () => undefined,
    }),
    // The lock goes only after PGlite has closed its files, whether or not closing succeeded.
    close: () => (closing ??= db.close().finally(() => lock?.release())),
  };
}
