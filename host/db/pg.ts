// node-postgres adapter: a Pool with our type parsers and session settings.
import pg from 'pg';
import { TYPE_PARSERS, SESSION_SETTINGS, type Db, type Queryable, type QueryResult } from './types.ts';

export interface PgOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
}

export function openPostgres(options: PgOptions): Db {
  const pool = new pg.Pool({
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
  });
  // A client losing its connection (database restart) must not crash the process: the pool reports
  // idle clients here, and a client checked out mid-transaction emits on itself (its pending query
  // rejects, which is what the caller sees).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
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
    close: () => pool.end(),
  };
}
