// The embedded engine's thread: runs PGlite (host/db/pglite-engine.ts) and answers the app thread's
// requests, one message each way per request (host/db/pglite.ts holds the other end). PGlite's WASM and
// its protocol parsing were most of the embedded app's CPU; here they run beside the event loop instead of
// on it, and PGlite's start (seconds on a loaded machine) no longer holds the loop.
//
// A transaction stays open in this thread between its requests: `begin` answers once PGlite has opened it
// (every other statement waits meanwhile, as on one connection), and `end` commits or rolls it back.
import { parentPort, workerData } from 'node:worker_threads';
import { openEngine } from './pglite-engine.ts';
import type { Db, Queryable, Statement } from './types.ts';

/** A request from the app thread. `tx` names an open transaction (from `begin`); without it, the engine at large. */
export type EngineRequest =
  | {
      id: number;
      op: 'query';
      sql: string;
      params?: readonly unknown[] | undefined;
      name?: string | undefined;
      tx?: number;
    }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  | { id: number; op: 'pipeline'; statements: readonly Statement[] }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

/** An error as it crosses the thread boundary: its name, message, stack and primitive fields (SQLSTATE `code`, …). */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  fields: Record<string, string | number | boolean | null>;
}

/** The answer to request `id` (id 0: the engine has started, or could not). */
export type EngineReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: WireError };

/** Thrown inside PGlite's transaction callback to make it roll back when the app thread asked for that. */
const ROLLBACK = Symbol('rollback');

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: WireError['fields'] = {};
  for (const [k, v] of Object.entries(error))
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

interface OpenTransaction {
  tx: Queryable;
  finish: (commit: boolean) => void;
  done: Promise<unknown>;
}

async function serve(db: Db): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker runs only as a worker thread');
  const open = new Map<number, OpenTransaction>();
  let nextTx = 0;
  const reply = (message: EngineReply) => port.postMessage(message);
  const on = (tx: number | undefined): Queryable => {
    if (tx === undefined) return db;
    const entry = open.get(tx);
    if (!entry) throw new Error(`no open transaction ${tx}`);
    return entry.tx;
  };
  const handle = async (request: EngineRequest): Promise<unknown> => {
    switch (request.op) {
      case 'query':
        return on(request.tx).query(request.sql, request.params, request.name);
      case 'exec':
        return on(request.tx).exec(request.sql);
      case 'pipeline': {
        // The failed statement's error crosses as a WireError inside the outcome (fromWire on the other end).
        const outcome = await (db.pipeline as NonNullable<Db['pipeline']>)(request.statements);
        return outcome.committed ? outcome : { ...outcome, error: toWire(outcome.error) };
      }
      case 'begin': {
        const tx = ++nextTx;
        return new Promise<number>((opened, failed) => {
          const done = db
            .transaction(
              (q) =>
                new Promise<void>((resolve, reject) => {
                  open.set(tx, { tx: q, finish: (commit) => (commit ? resolve() : reject(ROLLBACK)), done });
                  opened(tx);
                }),
            )
            .catch((error: unknown) => {
              if (error !== ROLLBACK) throw error;
            })
            .finally(() => open.delete(tx));
          // A transaction that could not even begin answers `begin` with its error.
          done.catch(failed);
        });
      }
      case 'end': {
        const entry = open.get(request.tx);
        if (!entry) throw new Error(`no open transaction ${request.tx}`);
        entry.finish(request.commit);
        await entry.done;
        return undefined;
      }
      case 'close':
        await db.close();
        return undefined;
    }
  };
  port.on('message', (request: EngineRequest) => {
    handle(request).then(
      (value) => reply({ id: request.id, ok: true, value }),
      (error: unknown) => reply({ id: request.id, ok: false, error: toWire(error) }),
    );
  });
}

const { dir } = workerData as { dir: string | undefined };
openEngine(dir).then(
  (db) => serve(db).then(() => parentPort?.postMessage({ id: 0, ok: true } satisfies EngineReply)),
  (error: unknown) => parentPort?.postMessage({ id: 0, ok: false, error: toWire(error) } satisfies EngineReply),
);
