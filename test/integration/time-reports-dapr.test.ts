// The time bugs found in public reports (issue 12, item 6) on the Dapr runtime: the zone change goes
// through the UserActor and each series' TaskActor, commands through TaskActors (real daprd sidecar,
// the stack's placement and scheduler).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import * as S from '../helpers/time-scenarios.ts';
import type { Target } from '../helpers/timer-scenarios.ts';

let app: DaprTestApp;
test.before(async () => {
  app = await startDaprTestApp({ namespace: `time-${randomBytes(4).toString('hex')}` });
});
test.after.always(async () => {
  await app?.stop();
});

const target = (): Target => ({ url: app.url, token: (u) => app.token(u), label: 'dapr' });

test('dapr: a series starting in a DST gap keeps 02:30 local after its first day, however its start got there, and replays', (t) =>
  S.dstGapSeries(t, target(), app.app.db));
test('dapr: zone names come back as sent in /me, tasks and events; invalid ones are a 400 naming timezone', (t) =>
  S.zoneNamesKeptAsSent(t, target()));
test('dapr: snooze postpones a fired reminder; one not fired yet is a 409 naming its state', (t) =>
  S.snoozeOnlyFired(t, target()));
