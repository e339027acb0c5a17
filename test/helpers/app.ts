// Starts the real app in-process on a free port: against a fresh PostgreSQL database on the local
// stack, or the embedded PGlite. Returns the app, its URL and a token signer.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../host/config.ts';
import { startApp, type App } from '../../host/app.ts';
import { signToken, type TokenOptions } from '../../api/tokens.ts';
import { freePort } from './ports.ts';
import { freePostgres } from './db-url.ts';
import { eventually } from './eventually.ts';

export interface TestApp {
  app: App;
  dataDir: string;
  secret: string;
  database: { url: string; drop(): Promise<void> } | undefined;
  /** Stops the app but keeps its storage, for a restart with `reuse`. */
  halt(): Promise<void>;
  url: string;
  port: number;
  token(user: string, options?: TokenOptions): string;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  database?: 'postgres' | 'pglite';
  env?: Record<string, string>;
  /** Restart on the storage of an earlier app (same database, data dir and secret). */
  reuse?: TestApp;
  port?: number;
  /** The app's time (startApp's `clock`): a test moves it, and the app's timers follow. */
  clock?: () => Date;
  /** The app's logger (startApp's `logger`), e.g. one that writes to memory for a test that reads the logs. */
  logger?: import('pino').Logger;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const port = options.port ?? (await freePort());
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'tasklane-test-'));
  const secret = options.reuse?.secret ?? randomBytes(32).toString('base64url');
  const pgDb = options.reuse
    ? options.reuse.database
    : options.database === 'pglite'
      ? undefined
      : await freePostgres();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    RATE_LIMIT_PER_SEC: '0',
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    ...options.env,
  });
  const app = await startApp(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    app,
    url: app.url,
    port,
    dataDir,
    secret,
    database: pgDb,
    token: (user, tokenOptions) => signToken(secret, user, tokenOptions),
    halt: () => app.stop(),
    async stop() {
      await app.stop();
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once the app's outbox is empty: every events row and delivery row committed so far has been
 * handed on by the relay (to Kafka, or to the hub in the embedded shape). Without Kafka the relay is the
 * hub's feed, so a socket opened after this receives only what is committed after it; with Kafka,
 * published is not yet delivered (the consumer may still bring it).
 */
export async function outboxDrained(app: TestApp): Promise<void> {
  await eventually(
    async () =>
      (
        await app.app.db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM events WHERE published_at IS NULL)
                + (SELECT count(*) FROM event_deliveries WHERE published_at IS NULL) AS n`,
        )
      ).rows.map((r) => Number(r.n))[0] === 0,
    { what: 'the outbox drained' },
  );
}
