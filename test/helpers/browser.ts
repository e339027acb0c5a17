// What every browser test shares: the real app (startTestApp) and Debian's chromium through playwright-core,
// started once per test file and stopped after it; a REST caller for the API beside the page; a browser
// context per test; and the dashboard opened with a token and connected. Each test file keeps its own page
// helpers (locators, waits for what its feature renders).
import test, { type ExecutionContext } from 'ava';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startTestApp, type TestApp, type TestAppOptions } from './app.ts';

/** Headless Chromium without the background traffic (updates, sync, QUIC) that would add noise to timings. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * How long a browser test waits for what the page should show (ms): a deadline, not a margin. A passing
 * run goes on the moment the element is there; only a broken one waits this long. Generous, because on a
 * busy 2-core CI machine a page, its socket and the app share the cores with other test files: how fast
 * the page updates is measured by the benchmarks and the timed walk-through, never asserted here.
 */
export const UI_DEADLINE_MS = 20_000;

/** The desktop window the dashboard tests use (the phone layout is narrower). */
export const DESKTOP = { width: 1100, height: 900 };

/**
 * Launches Chromium at `CHROMIUM_PATH` (default `/usr/bin/chromium`) with `CHROMIUM_ARGS`. A fresh temporary
 * profile per launch (Playwright creates and removes it); a context per user keeps users' storage apart.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** The app and the browser of one test file; both are set once `test.before` has run. */
export interface BrowserRig {
  app: TestApp;
  browser: Browser;
  /** `restOf` this rig's app. */
  rest: Rest;
}

/**
 * Registers this file's `test.before` (start the app with `options`, default embedded PGlite; launch Chromium)
 * and `test.after.always` (close both), and returns the rig they fill in. Call at the top level of a test file.
 */
export function appWithChromium(options: TestAppOptions = { database: 'pglite' }): BrowserRig {
  const rig = { rest: restOf(() => rig.app) } as BrowserRig;
  test.before(async () => {
    rig.app = await startTestApp(options);
    rig.browser = await launchChromium();
  });
  test.after.always(async () => {
    await rig.browser?.close();
    await rig.app?.stop();
  });
  return rig;
}

/**
 * `rest<T>(token, method, path, body?)`: a fetch to the app as the token's user, JSON in and out; the parsed
 * body as `T` (undefined for 204). Throws on any non-2xx status, with the status and body in the message.
 */
export type Rest = <T = Record<string, unknown>>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
) => Promise<T>;

/** A `Rest` against `app()` (read at each call, so it can be made before the app starts). */
export function restOf(app: () => TestApp): Rest {
  return async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${app().url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : null,
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** A new context of `browser` (locale en-US unless `options` say otherwise), closed when the test ends. */
export async function newContext(
  t: ExecutionContext,
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  t.teardown(() => context.close());
  return context;
}

/** Makes any uncaught error in `page` fail the test `t`; returns `page`. */
export function failOnPageError(t: ExecutionContext, page: Page): Page {
  page.on('pageerror', (error) => t.fail(`page error: ${error.message}`));
  return page;
}

/** Waits until the dashboard says its live connection is up (`#conn[data-state="live"]`), `timeout` ms. */
export async function live(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('#conn[data-state="live"]').waitFor({ timeout });
}

/**
 * Opens the dashboard of `app` in a new page of `context`, signed in with `token` (`/#token=`), and waits until
 * it is live (`timeout` ms, default 10 s). Uncaught page errors fail the test.
 */
export async function openDashboard(
  t: ExecutionContext,
  context: BrowserContext,
  app: TestApp,
  token: string,
  timeout = 10_000,
): Promise<Page> {
  const page = failOnPageError(t, await context.newPage());
  await page.goto(`${app.url}/#token=${token}`);
  await live(page, timeout);
  return page;
}

/** Today's date in the IANA `zone` (by the wall clock, as the page sees it) moved by `days`, YYYY-MM-DD. */
export function dateIn(zone: string, days = 0): string {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
