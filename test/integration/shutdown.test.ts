// The app as a real process: SIGTERM stops it gracefully — requests in flight are answered, every
// committed event reaches Kafka before exit (the relay's final flush), sockets are closed — and
// `npm run token` prints a token the app accepts.
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import pg from 'pg';
import Nes from '@hapi/nes';
import { startBenchApp, type BenchApp } from '../bench/harness.ts';
import { eventually, within } from '../helpers/eventually.ts';
import { wsUrl } from '../helpers/socket.ts';
import { startTestApp } from '../helpers/app.ts';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');

test('SIGTERM: in-flight requests are answered, the outbox is flushed, sockets are closed, the process exits 0', async (t) => {
  t.timeout(120_000);
  const app = await startBenchApp('direct+kafka');
  try {
    await shutdownScenario(t, app);
  } finally {
    await app.stop().catch(() => undefined);
  }
});

async function shutdownScenario(t: ExecutionContext, app: BenchApp): Promise<void> {
  // The relay flushes on SIGTERM only while Kafka answers (otherwise the rows wait in the outbox, for the
  // next start): the app is ready before its new topic is, so wait until its relay and consumer are up.
  await eventually(
    () =>
      fetch(`${app.url}/ready`)
        .then((r) => r.json() as Promise<{ kafka?: string }>)
        .then((r) => r.kafka === 'connected'),
    { what: 'Kafka connected', timeoutMs: 60_000 },
  );
  const token = app.token('shutdown-user');
  const socket = new Nes.Client(wsUrl(app.url));
  await socket.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false });
  const closed = new Promise<void>((resolve) => {
    socket.onDisconnect = () => resolve();
  });
  // A burst of writes; SIGTERM lands while some are in flight.
  const results: (number | string)[] = [];
  const burst = Array.from({ length: 60 }, (_, i) =>
    fetch(`${app.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `t${i}` }),
    }).then(
      (r) => {
        results.push(r.status);
        return r.arrayBuffer();
      },
      (e: unknown) => {
        results.push(String((e as { cause?: { code?: string } }).cause?.code ?? e));
      },
    ),
  );
  await new Promise((r) => setTimeout(r, 30));
  process.kill(app.pid, 'SIGTERM');
  await Promise.all(burst);
  t.is(await within(app.exited, 60_000, 'the process exited after SIGTERM'), 0);
  await within(closed, 30_000, 'the socket closed');
  // Requests the server had accepted are answered (201); ones sent on a keep-alive socket as the server
  // closed its idle connections are refused at the socket (the client retries them) — and below, none
  // of those was executed behind the client's back.
  t.true(
    results.every(
      (r) => r === 201 || r === 'ECONNREFUSED' || r === 'ECONNRESET' || r === 'UND_ERR_SOCKET' || r === 503,
    ),
    `answers: ${JSON.stringify(results)}`,
  );
  t.true(results.filter((r) => r === 201).length > 0);
  // Everything committed went out before the process ended.
  const db = new pg.Client({ connectionString: app.databaseUrl });
  await db.connect();
  const rows = await db.query<{ total: string; unpublished: string }>(
    'SELECT count(*) AS total, count(*) FILTER (WHERE published_at IS NULL) AS unpublished FROM events',
  );
  await db.end();
  t.is(Number(rows.rows[0]?.total), results.filter((r) => r === 201).length, 'one event per acknowledged create');
  t.is(Number(rows.rows[0]?.unpublished), 0, 'the relay flushed the outbox before exit');
}

test('npm run token prints a JWT the app accepts, and --admin opens the audit', async (t) => {
  const app = await startBenchApp('embedded');
  try {
    const env = { ...process.env, JWT_SECRET: app.secret, NODE_ENV: 'test' };
    const user = (
      await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'host', 'token.ts'), 'carol'], { env })
    ).stdout.trim();
    const admin = (
      await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'host', 'token.ts'), 'root', '--admin'], { env })
    ).stdout.trim();
    const me = (await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${user}` } }).then((r) =>
      r.json(),
    )) as { id: string };
    t.is(me.id, 'carol');
    t.is((await fetch(`${app.url}/admin/events`, { headers: { authorization: `Bearer ${user}` } })).status, 403);
    t.is((await fetch(`${app.url}/admin/events`, { headers: { authorization: `Bearer ${admin}` } })).status, 200);
    const usage = await t.throwsAsync(
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'host', 'token.ts')], { env }),
    );
    t.regex(String((usage as unknown as { stderr: string }).stderr), /usage: npm run token -- <userId>/);
  } finally {
    await app.stop();
  }
});

test('a request that arrives while the server drains is refused 503 with Retry-After, never a 500', async (t) => {
  const app = await startTestApp({ database: 'pglite' });
  try {
    app.app.server.app.draining = true;
    const res = await app.app.server.inject({
      method: 'GET',
      url: '/tasks',
      headers: { authorization: `Bearer ${app.token('drain-user')}` },
    });
    t.is(res.statusCode, 503);
    t.is(res.headers['retry-after'], '1');
    t.regex(String((res.result as { message?: string }).message), /shutting down/);
  } finally {
    app.app.server.app.draining = false;
    await app.stop();
  }
});
