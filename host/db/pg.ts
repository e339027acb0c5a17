// node-postgres adapter: a Pool with our type parsers and session settings.
import pg from 'pg';
import {
  TYPE_PARSERS,
  SESSION_SETTINGS,
  type Db,
  type Queryable,
  type QueryResult,
  type Statement,
  type PipelineOutcome,
} from './types.ts';

/** The socket under a pg client (not in pg's types): corked, the queries queued meanwhile leave in one write. */
function streamOf(client: pg.PoolClient): { cork(): void; uncork(): void } {
  return (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream;
}

export interface PgOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
}

/** Connections of the pool that serves `Db.pipeline` (group commit keeps a few writes in flight). */
const PIPELINE_POOL_SIZE = 4;

export function openPostgres(options: PgOptions): Db {
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'tasklane',
    options: Object.entries(SESSION_SETTINGS)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' '),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        TYPE_PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  // `pipeline` runs on its own few connections in pg's pipeline mode: a query is sent as soon as it is
  // queued, not after the one before it is answered, so a whole transaction leaves at once. Not the main
  // pool: a pipelined client's end() waits for its queries to finish, and a session there may wait on a
  // lock (the relay's leader lock) for as long as another holds it, so closing would hang.
  const pipelinePool = new pg.Pool({ ...config, max: PIPELINE_POOL_SIZE, pipeline: true });
  // A client losing its connection (database restart) must not crash the process: the pool reports
  // idle clients here, and a client checked out mid-transaction emits on itself (its pending query
  // rejects, which is what the caller sees).
  for (const p of [pool, pipelinePool]) {
    p.on('error', () => undefined);
    p.on('connect', (client) => {
      client.on('error', () => undefined);
    });
  }
  const run = async <R>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
    name?: string,
  ): Promise<QueryResult<R>> => {
    const result = await client.query({
      text: sql,
      values: params as unknown[] | undefined,
      ...(name ? { name } : {}),
    });
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query: (sql, params, name) => run(pool, sql, params, name),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: (sql, params, name) => run(client, sql, params, name),
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async pipeline(statements: readonly Statement[]): Promise<PipelineOutcome> {
      const client = await pipelinePool.connect();
      let broken: unknown;
      try {
        const stream = streamOf(client);
        let sent: Promise<pg.QueryResult>[];
        stream.cork();
        try {
          sent = [
            client.query('BEGIN'),
            ...statements.map((s) =>
              client.query({
                text: s.sql,
                values: s.params as unknown[] | undefined,
                ...(s.name ? { name: s.name } : {}),
              }),
            ),
            client.query('COMMIT'),
          ];
        } finally {
          stream.uncork();
        }
        const settled = await Promise.allSettled(sent);
        const failedAt = settled.findIndex((r) => r.status === 'rejected');
        if (failedAt >= 0) {
          const error = (settled[failedAt] as PromiseRejectedResult).reason;
          // A statement the server refused (a DatabaseError) aborted the transaction: the statements after
          // it were refused too and COMMIT answered ROLLBACK. Anything else (BEGIN, COMMIT, the connection)
          // failed the transaction as a whole.
          if (failedAt === 0 || failedAt === sent.length - 1 || !(error instanceof pg.DatabaseError)) {
            broken = error;
            throw error;
          }
          return { committed: false, failed: failedAt - 1, error };
        }
        const commit = (settled[sent.length - 1] as PromiseFulfilledResult<pg.QueryResult>).value;
        if (commit.command !== 'COMMIT') {
          broken = new Error(`pipeline: COMMIT answered ${commit.command}`);
          throw broken;
        }
        return {
          committed: true,
          results: settled
            .slice(1, -1)
            .map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value)
            .map((r) => ({ rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 })),
        };
      } finally {
        // A connection whose transaction's end is unknown is closed, not reused.
        client.release(broken !== undefined);
      }
    },
    async reserve() {
      const client = await pool.connect();
      let released = false;
      return {
        query: (sql, params, name) => run(client, sql, params, name),
        exec: async (sql) => {
          await client.query(sql);
        },
        release: (broken = false) => {
          if (!released) {
            released = true;
            client.release(broken);
          }
        },
      };
    },
    close: async () => {
      await Promise.all([pool.end(), pipelinePool.end()]);
    },
  };
}
