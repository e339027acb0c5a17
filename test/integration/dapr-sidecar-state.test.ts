// The Dapr sidecar killed and back: /ready and /metrics say the sidecar is down and turns run in-process
// (fallback direct), the log says so once on the way down and once on the way back, and writes keep
// working throughout. Real daprd beside the app (test/helpers/dapr-app.ts).
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import { eventuallyValue } from '../helpers/eventually.ts';

let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `ns-state-${randomBytes(4).toString('hex')}` });
});
test.after.always(async () => {
  await app?.stop();
});

const readyBody = async () => (await (await fetch(`${app.url}/ready`)).json()) as Record<string, unknown>;
const metricsText = async () => (await fetch(`${app.url}/metrics`)).text();

test('a killed sidecar shows as down with the direct fallback in /ready, /metrics and the log, once, and back up when it returns', async (t) => {
  t.timeout(120_000);
  // What an operator reads in the log: the app's own pino logger, watched without changing what it writes.
  const logger = app.app.logger as Logger;
  const lines: { level: 'warn' | 'info'; obj: unknown; msg: unknown }[] = [];
  for (const level of ['warn', 'info'] as const) {
    const original = logger[level].bind(logger) as (...args: unknown[]) => void;
    (logger as unknown as Record<string, unknown>)[level] = (...args: unknown[]) => {
      lines.push({ level, obj: args[0], msg: args[1] });
      original(...args);
    };
  }
  const sidecarLines = () => lines.filter((l) => typeof l.msg === 'string' && /^dapr: sidecar/.test(l.msg));

  t.like(await readyBody(), { mode: 'dapr', sidecar: 'up', fallback: null });
  const before = await metricsText();
  t.regex(before, /^tasklane_dapr_sidecar_up 1$/m);
  t.regex(before, /^tasklane_actor_fallback_active\{fallback="direct"\} 0$/m);

  await app.sidecar.stop('SIGKILL');
  const down = await eventuallyValue(readyBody, (b) => b.sidecar === 'down', {
    what: '/ready says the sidecar is down',
    timeoutMs: 30_000,
  });
  t.like(down, { ready: true, mode: 'dapr', sidecar: 'down', fallback: 'direct' });
  const during = await metricsText();
  t.regex(during, /^tasklane_dapr_sidecar_up 0$/m);
  t.regex(during, /^tasklane_actor_fallback_active\{fallback="direct"\} 1$/m);
  t.regex(during, /^tasklane_actor_mode\{mode="dapr"\} 1$/m);

  // Turns run in-process meanwhile; several of them still make one transition in the log.
  const token = app.token(`sidecar-${randomUUID()}`);
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${app.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `while the sidecar is away ${i}` }),
    });
    t.is(res.status, 201);
  }
  t.deepEqual(
    sidecarLines().map((l) => l.level),
    ['warn'],
  );
  t.like(sidecarLines()[0]?.obj, { sidecar: 'down', fallback: 'direct' });

  await app.restartSidecar();
  const up = await eventuallyValue(readyBody, (b) => b.sidecar === 'up', {
    what: '/ready says the sidecar is up',
    timeoutMs: 30_000,
  });
  t.like(up, { mode: 'dapr', sidecar: 'up', fallback: null });
  const after = await metricsText();
  t.regex(after, /^tasklane_dapr_sidecar_up 1$/m);
  t.regex(after, /^tasklane_actor_fallback_active\{fallback="direct"\} 0$/m);
  t.deepEqual(
    sidecarLines().map((l) => l.level),
    ['warn', 'info'],
  );
});
