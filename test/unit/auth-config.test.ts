// Which NODE_ENV values open the dev sign-in, the token lifetime settings, and the claim rules every
// token (REST and WebSocket) passes after its signature and time checks.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../host/config.ts';
import { claimProblem } from '../../api/auth.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-config-'));
const secret = 'x'.repeat(40);
test.after.always(() => rmSync(dataDir, { recursive: true, force: true }));

test('the dev sign-in is on only for NODE_ENV unset, development or test (any case); other values run as production', (t) => {
  for (const nodeEnv of [undefined, '', 'development', 'Development', 'TEST', 'test']) {
    const config = loadConfig({ DATA_DIR: dataDir, ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) });
    t.true(config.auth.devSignIn, `NODE_ENV=${String(nodeEnv)}: embedded default is on`);
    t.not(config.env, 'production', String(nodeEnv));
  }
  for (const nodeEnv of ['production', 'Production', 'PRODUCTION', 'staging', 'prod', 'develop', 'testing']) {
    const config = loadConfig({ NODE_ENV: nodeEnv, DATA_DIR: dataDir, JWT_SECRET: secret, AUTH_DEV: 'true' });
    t.false(config.auth.devSignIn, `NODE_ENV=${nodeEnv}: dev sign-in off even with AUTH_DEV=true`);
    t.is(config.env, 'production', nodeEnv);
    t.throws(
      () => loadConfig({ NODE_ENV: nodeEnv, DATA_DIR: dataDir }),
      { instanceOf: ConfigError, message: /JWT_SECRET/ },
      `NODE_ENV=${nodeEnv}: no generated dev secret`,
    );
    t.throws(
      () => loadConfig({ NODE_ENV: nodeEnv, DATA_DIR: dataDir, JWT_SECRET: 'short' }),
      { instanceOf: ConfigError, message: /at least 32/ },
      nodeEnv,
    );
  }
});

test('JWT_MAX_LIFETIME_SEC defaults to 24 h and must be at least 1 s; JWT_CLOCK_SKEW_SEC defaults to 30 s', (t) => {
  const defaults = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: secret });
  t.is(defaults.auth.maxLifetimeSec, 86_400);
  t.is(defaults.auth.clockSkewSec, 30);
  const set = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    JWT_MAX_LIFETIME_SEC: '3600',
    JWT_CLOCK_SKEW_SEC: '0',
  });
  t.is(set.auth.maxLifetimeSec, 3600);
  t.is(set.auth.clockSkewSec, 0);
  for (const bad of ['0', '-5', '1.5', '1h']) {
    t.throws(
      () => loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: secret, JWT_MAX_LIFETIME_SEC: bad }),
      { instanceOf: ConfigError, message: /JWT_MAX_LIFETIME_SEC/ },
      bad,
    );
  }
});

test('claims: lifetime within the maximum with or without iat, and a sub without control characters', (t) => {
  const now = 1_800_000_000;
  const max = 3600;
  const check = (payload: Record<string, unknown>) => claimProblem(payload, now, max, 30);
  t.is(check({ sub: 'u', iat: now, exp: now + max }), undefined, 'exactly the maximum');
  t.is(check({ sub: 'u', exp: now + max }), undefined, 'no iat, exp at the maximum');
  t.regex(check({ sub: 'u', iat: now, exp: now + max + 1 }) ?? '', /lifetime exceeds 3600/);
  t.regex(
    check({ sub: 'u', iat: now - 10 * max, exp: now + 60 }) ?? '',
    /lifetime exceeds/,
    'an old long-lived token stays refused near its end',
  );
  t.regex(
    check({ sub: 'u', exp: now + max + 31 }) ?? '',
    /more than 3600 s ahead/,
    'no iat: exp bounded from now (plus skew)',
  );
  t.regex(
    check({ sub: 'u', iat: now + 5 * max, exp: now + 5 * max + 60 }) ?? '',
    /iat lies in the future/,
    'a future iat cannot stretch the window',
  );
  t.regex(check({ sub: 'u', iat: 'yesterday', exp: now + 60 }) ?? '', /iat/);
  t.regex(check({ sub: 'u' }) ?? '', /exp/);
  for (const sub of ['a\u0000b', 'a\u0001', 'line\nbreak', 'tab\t', 'del\u007f', '\ud800', 'x\udfffy']) {
    t.regex(check({ sub, exp: now + 60 }) ?? '', /^sub /, JSON.stringify(sub));
  }
  for (const sub of ['', 'x'.repeat(129), 42])
    t.regex(check({ sub, exp: now + 60 }) ?? '', /^sub /, JSON.stringify(sub));
  t.is(check({ sub: 'émile 😀@example.com', exp: now + 60 }), undefined, 'paired surrogates and non-ASCII are fine');
});
