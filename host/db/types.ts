// One database interface, two adapters (node-postgres Pool, embedded PGlite). Both return rows with
// timestamptz as UTC ISO strings (ms), int8 as number and interval as its ISO-8601 text, so the domain
// sees identical values whichever runs underneath.
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /** `name` prepares the statement once per connection (PostgreSQL); the text must then never vary. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], name?: string): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** One connection kept for a while (its session-level state, such as an advisory lock, goes with it). */
export interface Session extends Queryable {
  /** Gives the connection back; `broken` closes it instead (it failed, or its session state must end). */
  release(broken?: boolean): void;
}

/** One statement of a pipelined transaction (`Db.pipeline`). */
export interface Statement {
  sql: string;
  params?: readonly unknown[];
  /** Prepared once per connection under this name, as `Queryable.query`'s `name`. */
  name?: string;
}

/** How a pipelined transaction ended: committed with every statement's result, or rolled back at `failed`. */
export type PipelineOutcome =
  | { committed: true; results: QueryResult<Record<string, unknown>>[] }
  | { committed: false; failed: number; error: unknown };

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `statements` in order in ONE transaction sent in one write, answered in one round trip
   * (PostgreSQL's pipeline mode: BEGIN, the statements, COMMIT without waiting between them). The first
   * failing statement rolls the whole back (the rest are not applied): the outcome names it and its error.
   * Rejects when the transaction as a whole failed (connection lost, COMMIT refused): nothing is known
   * to be written. PGlite: the batch is one message to its thread and one to the backend (an implicit
   * transaction up to one Sync); there, every statement must be named. No statement may be transaction
   * control (BEGIN, COMMIT, SAVEPOINT): the batch is the transaction.
   */
  pipeline?(statements: readonly Statement[]): Promise<PipelineOutcome>;
  /** Takes one connection out of the pool until released (PGlite: its only connection, shared). */
  reserve(): Promise<Session>;
  close(): Promise<void>;
}

const OFFSET = /([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

/** "2026-02-14 15:30:00.123+00" → "2026-02-14T15:30:00.123Z". */
export function parseTimestamptz(text: string): string {
  const m = OFFSET.exec(text);
  const iso = m
    ? `${text.slice(0, m.index).replace(' ', 'T')}${m[1]}${m[2]}:${m[3] ?? '00'}`
    : `${text.replace(' ', 'T')}Z`;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}

export const TYPE_PARSERS: Record<number, (text: string) => unknown> = {
  20: (text) => Number(text), // int8 (seq, counts): well inside 2^53
  1184: parseTimestamptz, // timestamptz
  1114: (text) => parseTimestamptz(`${text}+00`), // timestamp (UTC by convention)
  1186: (text) => text, // interval, IntervalStyle iso_8601
};

/** Session settings both adapters apply, so output formats never depend on server defaults. */
export const SESSION_SETTINGS = { TimeZone: 'UTC', IntervalStyle: 'iso_8601' } as const;
