// `npm start` itself, as the README's first command runs it: the embedded app prints a dashboard link on the
// address the README gives (http://localhost:3000 — the sign-in is kept per origin, so a link on 127.0.0.1
// left a user who then typed localhost:3000 signed out), the link opens the dashboard signed in as `demo`,
// and a SIGTERM to npm stops the app (npm signals its script's shell, which must be the app itself: a
// shell in between left the app running after npm had gone).
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/ports.ts';
import { eventually } from '../helpers/eventually.ts';
import { stopChild } from '../../deploy/local/lib/proc.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

test("npm start's link is on localhost and opens the dashboard as demo; a SIGTERM to npm stops the app", async (t) => {
  t.timeout(90_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port) };
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'DAPR_HTTP_PORT', 'JWT_SECRET', 'JWKS_URL', 'AUTH_DEV'])
    delete env[name];
  env.LOG_LEVEL = 'info';
  env.DAPR_PROBE = 'false';
  const proc = spawn('npm', ['start'], { cwd: ROOT, env, stdio: 'pipe' });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  try {
    const link = await eventually(() => /Dashboard:\s+(\S+)/.exec(stdout)?.[1], {
      what: `the dashboard link on stdout (stderr: ${stderr.slice(0, 300)})`,
    });
    const url = new URL(link);
    t.is(url.origin, `http://localhost:${port}`, 'the address the README gives');
    const token = url.hash.replace(/^#token=/, '');
    const page = await fetch(new URL('/', url));
    t.is(page.status, 200);
    t.regex(await page.text(), /<title>[^<]*tasklane/i, 'the dashboard');
    const me = await fetch(new URL('/me', url), { headers: { authorization: `Bearer ${token}` } });
    t.like(await me.json(), { id: 'demo' });
  } finally {
    // SIGTERM to npm, which passes it on to the app; SIGKILL to npm if it has not ended within 30 s.
    const { graceful } = await stopChild(proc, { graceMs: 30_000 });
    t.true(graceful, 'npm start ended within 30 s of SIGTERM');
  }
  await exited;
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        () => false,
        () => true,
      ),
    { what: 'the app stopped with npm (its port closed)', timeoutMs: 20_000 },
  );
  t.regex(`${stdout}${stderr}`, /"msg":"stopped"/, 'the app shut down on the signal (its last log line), not killed');
});
