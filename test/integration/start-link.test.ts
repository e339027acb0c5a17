// `npm start`'s first screen (README: "the dashboard at http://localhost:3000"): the embedded app prints a
// dashboard link on the address the README gives — the sign-in is kept per origin, so a link on 127.0.0.1
// left a user who then typed localhost:3000 signed out — and that link opens the dashboard signed in as
// `demo`; SIGTERM stops it cleanly.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/ports.ts';
import { eventually } from '../helpers/eventually.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

test("npm start's link is on localhost, opens the dashboard, and its token is the demo user's", async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port) };
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'DAPR_HTTP_PORT', 'JWT_SECRET', 'JWKS_URL', 'AUTH_DEV'])
    delete env[name];
  env.LOG_LEVEL = 'error';
  env.DAPR_PROBE = 'false';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'host/main.ts'], { cwd: ROOT, env, stdio: 'pipe' });
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
    proc.kill('SIGTERM');
    t.is(await exited, 0, `stopped cleanly on SIGTERM (stderr: ${stderr.slice(0, 300)})`);
  }
});
