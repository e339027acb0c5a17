// The app(s) an API test file starts once before its tests and stops after them (startTestApp), and the
// check of a reply's status. Each file keeps its own request helpers for what it tests.
import test from 'ava';
import { startTestApp, type TestApp, type TestAppOptions } from './app.ts';
import { injector, type Call } from './inject.ts';
import { ManualClock } from './clock.ts';

type Json = Record<string, unknown>;

/** One app and requests to it through `server.inject`; both are set once `test.before` has run. */
export interface InjectedApp {
  app: TestApp;
  /** `injector(app.app.server)`, usable (not called) before the app starts. */
  call: Call;
}

/**
 * Registers this file's `test.before` (start the app with `options`, default embedded PGlite) and
 * `test.after.always` (stop it), and returns what they fill in. Call at the top level of a test file.
 */
export function injectedApp(options: TestAppOptions = { database: 'pglite' }): InjectedApp {
  let inject: Call | undefined;
  const suite = {
    call: (method, path, callOptions) => {
      if (!inject) throw new Error('the app is not started yet (call from a test, not at load time)');
      return inject(method, path, callOptions);
    },
  } as InjectedApp;
  test.before(async () => {
    suite.app = await startTestApp(options);
    inject = injector(suite.app.app.server);
  });
  test.after.always(async () => {
    await suite.app?.stop();
  });
  return suite;
}

/**
 * Registers this file's `test.before` (start an app per database of DATABASES, in parallel) and
 * `test.after.always` (stop them), and returns the lookup of each database's app and requests to it,
 * usable from a test. Call at the top level of a test file.
 */
export function injectedApps(): (database: Database) => { app: TestApp; call: Call } {
  const apps: Partial<Record<Database, { app: TestApp; call: Call }>> = {};
  test.before(async () => {
    await Promise.all(
      DATABASES.map(async (database) => {
        const app = await startTestApp({ database });
        apps[database] = { app, call: injector(app.app.server) };
      }),
    );
  });
  test.after.always(async () => {
    await Promise.all(Object.values(apps).map((a) => a.app.stop()));
  });
  return (database) => {
    const found = apps[database];
    if (!found) throw new Error(`${database}: the app did not start`);
    return found;
  };
}

/** The body of `reply` when its status is `status` (default 200); else throws with the status and body. */
export async function ok(reply: Promise<{ status: number; body: Json }>, status = 200): Promise<Json> {
  const { status: got, body } = await reply;
  if (got !== status) throw new Error(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
  return body;
}

/** The databases a file runs each test on: embedded PGlite and PostgreSQL on the local stack. */
export const DATABASES = ['pglite', 'postgres'] as const;
export type Database = (typeof DATABASES)[number];

/** An app per database, each on its own manual clock (test/helpers/clock.ts) that its tests move. */
export interface ClockedApps {
  databases: typeof DATABASES;
  /** Set once `test.before` has run. */
  apps: Partial<Record<Database, TestApp>>;
  clocks: Record<Database, ManualClock>;
}

/**
 * Registers this file's `test.before` (start an app per database, in parallel, each on its own manual clock)
 * and `test.after.always` (stop them), and returns the apps and clocks. Call at the top level of a test file.
 */
export function appsOnManualClocks(): ClockedApps {
  const clocks = { pglite: new ManualClock(), postgres: new ManualClock() };
  const apps: Partial<Record<Database, TestApp>> = {};
  test.before(async () => {
    [apps.pglite, apps.postgres] = await Promise.all(
      DATABASES.map((database) => startTestApp({ database, clock: clocks[database].date })),
    );
  });
  test.after.always(async () => {
    await Promise.all(Object.values(apps).map((a) => a.stop()));
  });
  return { databases: DATABASES, apps, clocks };
}
