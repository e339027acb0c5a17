// Embedded adapter: PGlite on disk (or in memory for tests), run in its own worker thread
// (host/db/pglite-worker.ts) and reached through one message per request. The app thread keeps the event
// loop for HTTP, sockets and timers while PostgreSQL's WASM works beside it; the `Db` it returns behaves as
// the in-thread engine does (host/db/pglite-engine.ts: one connection, serialised transactions, named
// statements prepared once).
//
// Ownership: the data folder is locked for this process before the engine opens it (host/db/lock.ts); a
// second process, or a second app in this one, is refused at once, naming the holder.
// Errors cross the thread as their name, message and primitive fields, so a PostgreSQL error keeps its
// SQLSTATE `code` (api/errors.ts maps it) and its detail.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Db, PipelineOutcome, Queryable, QueryResult } from './types.ts';
import { lockDir, type LockOptions } from './lock.ts';
import type { EngineReply, EngineRequest, WireError } from './pglite-worker.ts';

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
 * The worker's first lines: a worker thread does not inherit the app thread's TypeScript loader (tsx), so it
 * registers tsx itself before it imports the engine's module.
 */
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./pglite-worker.ts', import.meta.url).href)}); })`;

/** The engine's thread failed or stopped (not PostgreSQL refusing something). */
export class EngineThreadError extends Error {
  override name = 'EngineThreadError';
  /**
   * SQLSTATE 08006 (connection_failure): to a caller the engine's thread gone is the database connection
   * gone, so every route answers it as the database away (api/errors.ts databaseAway: 503 with Retry-After).
   */
  readonly code = '08006';
}

/** Request without its id: what a caller asks the engine thread. */
type Ask = EngineRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function fromWire(wire: WireError): Error {
  const error = Object.assign(new Error(wire.message), wire.fields);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/** The app thread's end of the engine: numbered requests, answers matched by id, the thread kept alive only while one is out. */
class EngineThread {
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private next = 0;
  private gone: Error | undefined;
  readonly ready: Promise<void>;

  constructor(private readonly worker: Worker) {
    let started!: { resolve: (value: unknown) => void; reject: (error: Error) => void };
    this.ready = new Promise<void>((resolve, reject) => {
      started = { resolve: () => resolve(), reject };
    });
    this.waiting.set(0, started);
    worker.on('message', (reply: EngineReply) => {
      const entry = this.waiting.get(reply.id);
      if (!entry) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) entry.resolve(reply.value);
      else entry.reject(fromWire(reply.error));
    });
    const stop = (error: Error) => {
      this.gone ??= error;
      for (const entry of this.waiting.values()) entry.reject(this.gone);
      this.waiting.clear();
    };
    worker.on('error', (error) =>
      stop(new EngineThreadError(`the embedded database's thread failed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) =>
      stop(new EngineThreadError(`the embedded database's thread has stopped (exit code ${code})`)),
    );
  }

  ask<T>(request: Ask): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = ++this.next;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  /** Stops the thread; every request from now on is refused as the database closed. */
  terminate(): Promise<number> {
    this.gone ??= new EngineThreadError('the embedded database is closed');
    return this.worker.terminate();
  }
}

/**
 * Opens PGlite on `dataDir` (created if missing), or in memory when it is undefined, in a worker thread.
 * @throws DataDirLockedError when a live process (or another app here) holds the folder.
 * @throws PgliteOpenError when the folder exists but PostgreSQL cannot start on it, or cannot be created.
 */
export async function openPglite(dataDir: string | undefined, options: PgliteOptions = {}): Promise<Db> {
  const dir = dataDir ? path.resolve(dataDir) : undefined;
  let lock: Awaited<ReturnType<typeof lockDir>> | undefined;
  let existed = false;
  if (dir) {
    mkdirSync(path.dirname(dir), { recursive: true });
    lock = await lockDir(dir, options.lock);
    existed = existsSync(path.join(dir, 'PG_VERSION'));
  }
  const engine = new EngineThread(new Worker(BOOT, { eval: true, workerData: { dir } }));
  try {
    await engine.ready;
  } catch (error) {
    await engine.terminate();
    lock?.release();
    throw dir && !(error instanceof EngineThreadError) ? new PgliteOpenError(dir, existed, error) : error;
  }
  const on = (tx?: number): Queryable => ({
    query: <R>(sql: string, params?: readonly unknown[], name?: string) =>
      engine.ask<QueryResult<R>>({ op: 'query', sql, params, name, ...(tx === undefined ? {} : { tx }) }),
    exec: (sql: string) => engine.ask<void>({ op: 'exec', sql, ...(tx === undefined ? {} : { tx }) }),
  });
  const base = on();
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    ...base,
    transaction: async (fn) => {
      const tx = await engine.ask<number>({ op: 'begin' });
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(on(tx));
      } catch (error) {
        await engine.ask({ op: 'end', tx, commit: false }).catch(() => undefined);
        throw error;
      }
      await engine.ask({ op: 'end', tx, commit: true });
      return result;
    },
    pipeline: async (statements) => {
      const outcome = await engine.ask<PipelineOutcome>({ op: 'pipeline', statements });
      return outcome.committed ? outcome : { ...outcome, error: fromWire(outcome.error as WireError) };
    },
    reserve: async () => ({ ...base, release: () => undefined }),
    // The lock goes only after PGlite has closed its files, whether or not closing succeeded.
    close: () =>
      (closing ??= engine
        .ask<void>({ op: 'close' })
        .catch(() => undefined)
        .then(() => engine.terminate())
        .then(() => undefined)
        .finally(() => lock?.release())),
  };
}
