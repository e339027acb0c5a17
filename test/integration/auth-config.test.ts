// On a real server and process: a mistyped production NODE_ENV keeps the dev sign-in closed, and
// `npm run token` mints tokens within the configured maximum lifetime.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestApp } from '../helpers/app.ts';

const run = promisify(execFile);
const TOKEN = path.join(import.meta.dirname, '..', '..', 'host', 'token.ts');
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sub: string;
    iat: number;
    exp: number;
  };

test('NODE_ENV=Production: no one reaching the port can mint a token through the dev sign-in', async (t) => {
  const app = await startTestApp({
    database: 'pglite',
    env: { NODE_ENV: 'Production', HOST: '127.0.0.1', DAPR_PROBE: 'false', AUTH_DEV: 'true' },
  });
  try {
    const res = await fetch(`${app.url}/auth/dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'mallory', admin: true }),
    });
    t.is(res.status, 404);
    t.is(
      (await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${app.token('operator')}` } })).status,
      200,
      'the configured secret still works',
    );
  } finally {
    await app.stop();
  }
});

test('npm run token mints within JWT_MAX_LIFETIME_SEC and refuses a longer --ttl', async (t) => {
  const env = { ...process.env, NODE_ENV: 'test', JWT_SECRET: randomBytes(32).toString('base64url') };
  const byDefault = payloadOf(
    (await run(process.execPath, ['--import', 'tsx', TOKEN, 'carol'], { env })).stdout.trim(),
  );
  t.is(byDefault.exp - byDefault.iat, 86_400, 'default: the default maximum, 24 h');
  const lowered = { ...env, JWT_MAX_LIFETIME_SEC: '3600' };
  const capped = payloadOf(
    (await run(process.execPath, ['--import', 'tsx', TOKEN, 'carol'], { env: lowered })).stdout.trim(),
  );
  t.is(capped.exp - capped.iat, 3600, 'default follows a lowered maximum');
  const short = payloadOf(
    (await run(process.execPath, ['--import', 'tsx', TOKEN, 'carol', '--ttl', '120'], { env: lowered })).stdout.trim(),
  );
  t.is(short.exp - short.iat, 120);
  for (const ttl of ['7200', '0', 'soon']) {
    const refused = await t.throwsAsync(
      run(process.execPath, ['--import', 'tsx', TOKEN, 'carol', '--ttl', ttl], { env: lowered }),
    );
    t.regex(
      String((refused as unknown as { stderr: string }).stderr),
      /--ttl must be a whole number of seconds from 1 to 3600/,
      ttl,
    );
  }
});
