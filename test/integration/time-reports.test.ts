// The time bugs found in public reports (issue 12, item 6) over real HTTP, on the direct runtime with
// PGlite and with PostgreSQL: a series starting in a DST gap, zone names kept as sent, snooze.
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import * as S from '../helpers/time-scenarios.ts';
import type { Target } from '../helpers/timer-scenarios.ts';

for (const database of ['pglite', 'postgres'] as const) {
  let app: TestApp;
  test.before(async () => {
    app = await startTestApp({ database });
  });
  test.after.always(async () => {
    await app?.stop();
  });
  const target = (): Target => ({ url: app.url, token: (u) => app.token(u), label: database });

  test(`${database}: a series starting in a DST gap keeps 02:30 local after its first day, however its start got there, and replays`, (t) =>
    S.dstGapSeries(t, target(), app.app.db));
  test(`${database}: zone names come back as sent in /me, tasks and events; invalid ones are a 400 naming timezone`, (t) =>
    S.zoneNamesKeptAsSent(t, target()));
  test(`${database}: snooze postpones a fired reminder; one not fired yet is a 409 naming its state`, (t) =>
    S.snoozeOnlyFired(t, target()));
}
